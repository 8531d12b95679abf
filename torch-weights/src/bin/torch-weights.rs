//! `torch-weights`: inspect and convert PyTorch checkpoints.
//!
//! ```text
//! torch-weights inspect PATH [--key KEY/PATH]
//! torch-weights convert IN OUT.safetensors [--dtype f16|bf16|f32|f64] [--shard-size SIZE] [--key KEY/PATH]
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use candle_core::DType;
use torch_weights::{OpenOptions, SaveOptions};

const USAGE: &str = "usage:
  torch-weights inspect PATH [--key KEY/PATH]
  torch-weights convert IN OUT.safetensors [--dtype f16|bf16|f32|f64] [--shard-size SIZE] [--key KEY/PATH]

PATH: .safetensors, *.safetensors.index.json, a directory holding one, or a torch.save file
(.pt/.pth/.bin, zip or legacy). --key selects the state dict inside a training checkpoint
(`/` between levels). SIZE: bytes, or with a suffix K, M, G (powers of 1024), e.g. 2G.";

fn parse_size(s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&s[..i], 1u64 << 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&s[..i], 1 << 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    let n: u64 = num.parse().with_context(|| format!("invalid size `{s}`"))?;
    n.checked_mul(mult)
        .with_context(|| format!("size `{s}` overflows"))
}

fn parse_dtype(s: &str) -> Result<DType> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "f16" | "float16" | "half" => DType::F16,
        "bf16" | "bfloat16" => DType::BF16,
        "f32" | "float32" | "float" => DType::F32,
        "f64" | "float64" | "double" => DType::F64,
        other => bail!("unsupported --dtype `{other}` (f16, bf16, f32, f64)"),
    })
}

fn human(bytes: u64) -> String {
    let mut v = bytes as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if v < 1024.0 || unit == "GiB" {
            return format!("{v:.1} {unit}");
        }
        v /= 1024.0;
    }
    format!("{bytes} B")
}

fn inspect(path: PathBuf, opts: OpenOptions) -> Result<()> {
    let ckpt = opts.open(&path)?;
    println!("file:    {}", path.display());
    println!("format:  {}", ckpt.format());
    match ckpt.state_dict_path() {
        Some("") => println!("state dict: the whole pickle"),
        Some(k) => println!("state dict: `{k}` (select another with --key)"),
        None => {}
    }
    if ckpt.files().len() > 1 {
        println!("shards:  {}", ckpt.files().len());
    }
    let width = ckpt.names().map(str::len).max().unwrap_or(0);
    for (name, t) in ckpt.tensors() {
        let layout = if t.is_contiguous() {
            ""
        } else {
            "  (strided view)"
        };
        println!(
            "{name:width$}  {:>4}  {:?}{layout}",
            t.dtype().to_string(),
            t.shape()
        );
    }
    println!("tensors: {}", ckpt.len());
    println!("params:  {}", ckpt.parameter_count());
    println!(
        "bytes:   {} ({})",
        ckpt.size_in_bytes(),
        human(ckpt.size_in_bytes())
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut dtype = None;
    let mut shard = None;
    let mut key = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dtype" => dtype = Some(parse_dtype(&it.next().context("--dtype needs a value")?)?),
            "--shard-size" => {
                shard = Some(parse_size(
                    &it.next().context("--shard-size needs a value")?,
                )?)
            }
            "--key" => key = Some(it.next().context("--key needs a value")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            s if s.starts_with("--") => bail!("unknown option `{s}`\n{USAGE}"),
            _ => positional.push(a),
        }
    }
    let mut opts = OpenOptions::new();
    if let Some(k) = key {
        opts = opts.state_dict_key(k);
    }
    match positional.as_slice() {
        [cmd, path] if cmd == "inspect" => inspect(PathBuf::from(path), opts),
        [cmd, input, output] if cmd == "convert" => {
            let ckpt = opts.open(input)?;
            let mut save = SaveOptions::new();
            if let Some(d) = dtype {
                save = save.dtype(d)?;
            }
            if let Some(s) = shard {
                save = save.shard_size(s);
            }
            let written = ckpt.save_safetensors(output, &save)?;
            for w in written {
                println!("wrote {}", w.display());
            }
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}
