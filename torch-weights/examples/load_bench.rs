//! Load time and peak memory for resnet18 and mobilenet_v2 from every format, next to the
//! time to read the same bytes from disk (the I/O floor).
//!
//! ```text
//! cargo run --release -p torch-weights --example load_bench [-- RUNS]
//! ```
//!
//! The large fixtures are read from `$CANDLE2TRT_FIXTURES` or `../shared/fixtures`. The formats
//! the fixtures lack are made first in a temporary directory: safetensors (single and sharded)
//! with this crate's converter, zip and legacy `torch.save` files with the test suite's writer.
//! Every figure is the median of RUNS (default 7) runs with a warm page cache, each run in a
//! fresh child process. Peak memory is the rise of the child's peak resident set (VmHWM) over
//! its resident set before the run; memory-mapped file pages count.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use candle_core::{DType, Device};
use torch_weights::{Checkpoint, SaveOptions, StoredDType};

fn storage_class(d: StoredDType) -> &'static str {
    match d {
        StoredDType::F64 => "DoubleStorage",
        StoredDType::F32 => "FloatStorage",
        StoredDType::F16 => "HalfStorage",
        StoredDType::BF16 => "BFloat16Storage",
        StoredDType::I64 => "LongStorage",
        StoredDType::I32 => "IntStorage",
        StoredDType::I16 => "ShortStorage",
        StoredDType::I8 => "CharStorage",
        StoredDType::U8 | StoredDType::U32 => "ByteStorage",
        StoredDType::Bool => "BoolStorage",
    }
}

/// Writes `ckpt` as a zip and as a legacy `torch.save` file (contiguous tensors, one storage each).
fn write_torch_files(ckpt: &Checkpoint, zip_path: &Path, legacy_path: &Path) {
    let keys: Vec<String> = (0..ckpt.len()).map(|i| i.to_string()).collect();
    let specs: Vec<common::Spec> = ckpt
        .tensors()
        .zip(&keys)
        .map(|((name, t), key)| {
            let shape: Vec<i64> = t.shape().iter().map(|&d| d as i64).collect();
            let mut stride = vec![1i64; shape.len()];
            for i in (0..shape.len().saturating_sub(1)).rev() {
                stride[i] = stride[i + 1] * shape[i + 1];
            }
            common::Spec {
                name,
                storage: storage_class(t.dtype()),
                key,
                numel: t.numel() as i64,
                offset: 0,
                shape,
                stride,
            }
        })
        .collect();
    let pkl = common::state_dict(&specs);
    let data: Vec<(&str, Vec<u8>)> = ckpt
        .tensors()
        .zip(&keys)
        .map(|((_, t), k)| (k.as_str(), t.contiguous_bytes().into_owned()))
        .collect();
    std::fs::write(zip_path, common::torch_zip(&pkl, &data)).unwrap();
    let legacy: Vec<(&str, usize, Vec<u8>)> = ckpt
        .tensors()
        .zip(data)
        .map(|((_, t), (k, d))| (k, t.dtype().size_in_bytes(), d))
        .collect();
    std::fs::write(legacy_path, common::legacy(&pkl, &legacy)).unwrap();
}

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Child mode: runs one measurement and prints `nanoseconds peak_rise_kib`. A fresh process per
/// run keeps the allocator's retained memory from hiding the next run's peak.
fn child(mode: &str, path: &Path, files: &[PathBuf]) {
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    match mode {
        "read" => {
            for f in files {
                std::hint::black_box(std::fs::read(f).unwrap());
            }
        }
        "open" => {
            std::hint::black_box(torch_weights::open(path).unwrap());
        }
        "keep" => {
            let c = torch_weights::open(path).unwrap();
            std::hint::black_box(c.to_tensors(&Device::Cpu).unwrap());
        }
        "f32" => {
            let c = torch_weights::open(path).unwrap();
            let all: Vec<_> = c
                .names()
                .map(|n| c.tensor_as(n, DType::F32, &Device::Cpu).unwrap())
                .collect();
            std::hint::black_box(all);
        }
        _ => panic!("unknown mode {mode}"),
    }
    let dt = t.elapsed();
    println!(
        "{} {}",
        dt.as_nanos(),
        status_kib("VmHWM:").saturating_sub(before)
    );
}

/// Runs a child measurement: (time, peak rise in KiB).
fn measure(mode: &str, path: &Path, files: &[PathBuf]) -> (Duration, u64) {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--child").arg(mode).arg(path).args(files);
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap_or(0));
    let ns = it.next().unwrap_or(0);
    let kib = it.next().unwrap_or(0);
    (Duration::from_nanos(ns), kib)
}

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

struct Row {
    model: &'static str,
    format: String,
    files: Vec<PathBuf>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let files: Vec<PathBuf> = args[4..].iter().map(PathBuf::from).collect();
        child(&args[2], Path::new(&args[3]), &files);
        return;
    }
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let root = std::env::var_os("CANDLE2TRT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"));
    let resnet = root.join("resnet18/model.safetensors.index.json");
    let mobilenet = root.join("mobilenet_v2/model.pt");
    if !resnet.exists() || !mobilenet.exists() {
        eprintln!(
            "SKIPPED: large fixtures not found under {} (set CANDLE2TRT_FIXTURES)",
            root.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mut rows = Vec::new();
    for (model, orig, orig_format) in [
        ("resnet18 (f16)", resnet, "sharded safetensors (original)"),
        ("mobilenet_v2 (f32)", mobilenet, "torch.save zip (original)"),
    ] {
        let ckpt = torch_weights::open(&orig).unwrap();
        let stem = if model.starts_with("resnet") {
            "resnet18"
        } else {
            "mobilenet_v2"
        };
        let single = t.join(format!("{stem}.safetensors"));
        ckpt.save_safetensors(&single, &SaveOptions::new()).unwrap();
        let sharded = t.join(format!("{stem}_sharded.safetensors"));
        let shards = ckpt
            .save_safetensors(&sharded, &SaveOptions::new().shard_size(5 << 20))
            .unwrap();
        let zip = t.join(format!("{stem}.pt"));
        let legacy = t.join(format!("{stem}_legacy.pt"));
        write_torch_files(&ckpt, &zip, &legacy);
        let mut formats = vec![(orig_format.to_string(), ckpt.files().to_vec(), orig.clone())];
        formats.push(("safetensors".into(), vec![single.clone()], single));
        if model.starts_with("mobilenet") {
            let index = shards.last().unwrap().clone();
            formats.push((
                "sharded safetensors".into(),
                shards[..shards.len() - 1].to_vec(),
                index,
            ));
        } else {
            formats.push(("torch.save zip".into(), vec![zip.clone()], zip));
        }
        formats.push(("torch.save legacy".into(), vec![legacy.clone()], legacy));
        for (format, files, path) in formats {
            rows.push((
                Row {
                    model,
                    format,
                    files,
                },
                path,
            ));
        }
    }

    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .unwrap_or("?")
            .trim()
    );
    println!("median of {runs} runs, warm page cache; one process per run; times in ms, peak = rise of VmHWM in MiB\n");
    println!(
        "| model | format | MiB on disk | read bytes (I/O floor) | open | open + tensors (stored dtype) | peak | open + tensors as f32 | peak |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (row, path) in &rows {
        let size: u64 = row
            .files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let mut io = Vec::new();
        let mut open = Vec::new();
        let mut keep = (Vec::new(), Vec::new());
        let mut f32s = (Vec::new(), Vec::new());
        for _ in 0..runs {
            io.push(measure("read", path, &row.files).0);
            open.push(measure("open", path, &row.files).0);
            let (d, m) = measure("keep", path, &row.files);
            keep.0.push(d);
            keep.1.push(m);
            let (d, m) = measure("f32", path, &row.files);
            f32s.0.push(d);
            f32s.1.push(m);
        }
        let ms = |v: Vec<Duration>| median(v).as_secs_f64() * 1e3;
        let mib = |v: Vec<u64>| median(v) as f64 / 1024.0;
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.1} | {:.2} | {:.1} |",
            row.model,
            row.format,
            size as f64 / (1 << 20) as f64,
            ms(io),
            ms(open),
            ms(keep.0),
            mib(keep.1),
            ms(f32s.0),
            mib(f32s.1),
        );
    }
}
