//! 03 — a Hugging Face BERT encoder, from `config.json` + checkpoint to a TensorRT engine with
//! three inputs and two outputs, checked against `transformers`' own outputs.
//!
//! ```text
//! cargo run --release --example 03_bert                      # the repository's tiny_bert fixture
//! cargo run --release --example 03_bert -- --dir <folder>    # config.json, model.safetensors, io.safetensors
//! cargo run --release --example 03_bert -- --config c.json --weights model.bin --check io.safetensors [--fp16]
//! ```
//!
//! The io file holds `input_ids`, `attention_mask`, `token_type_ids` (integers, batch × seq)
//! and the reference `last_hidden_state` and `pooler_output`. `simulated_max_abs_err` is the
//! engine's error against them as the CPU simulation of the network TensorRT holds computes it
//! (`--fp16`, `--no-tf32` select the engine; `--max-batch N` adds a dynamic batch 1..=N and the
//! error at its min and max). Checkpoints of task models
//! (`BertForSequenceClassification`, …) keep the encoder under `bert.`: it is found either way.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use candle2trt::{convert, ConversionOptions};
use candle2trt_examples::cli::Args;
use candle2trt_examples::fixtures::{fixture_dir, load_io, max_abs_diff, print_simulated, take};
use candle2trt_models::models::bert::{BertConfig, BertModel};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device};

const USAGE: &str = "usage: 03_bert [--dir <folder> | --config <config.json> --weights <checkpoint> --check <io.safetensors>] [--fp16] [--no-tf32] [--max-batch N] [--engine <out.engine>]";
const INPUTS: [&str; 3] = ["input_ids", "attention_mask", "token_type_ids"];
const OUTPUTS: [&str; 2] = ["last_hidden_state", "pooler_output"];

fn main() -> anyhow::Result<()> {
    candle2trt_examples::init_logging();
    let args = Args::parse(
        std::env::args().skip(1),
        &["dir", "config", "weights", "check", "engine", "max-batch"],
        &["fp16", "no-tf32"],
        USAGE,
    )?;
    if args.switch("help") {
        println!("{USAGE}");
        return Ok(());
    }
    let dir = match args.value("dir") {
        Some(dir) => PathBuf::from(dir),
        None => fixture_dir("tiny_bert")?,
    };
    let path = |option: &str, default: &str| {
        args.value(option)
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join(default))
    };
    let (config, weights, check) = (
        path("config", "config.json"),
        path("weights", "model.safetensors"),
        path("check", "io.safetensors"),
    );
    let fp16 = args.switch("fp16");
    let max_batch: Option<usize> = args
        .value("max-batch")
        .map(|v| v.parse().context("--max-batch takes a number"))
        .transpose()?;

    let cfg = BertConfig::from_json_file(&config)?;
    let mut ckpt = torch_weights::open(&weights)
        .with_context(|| format!("cannot open checkpoint {}", weights.display()))?;
    if !ckpt.contains("embeddings.word_embeddings.weight")
        && ckpt.contains("bert.embeddings.word_embeddings.weight")
    {
        // A task model: keep the encoder, drop the heads.
        ckpt = ckpt.select_prefix("bert.").strip_prefix("bert.")?;
    }
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
        BertModel::new(&cfg, vb)
    })?;

    let mut io = load_io(&check)?;
    let inputs = INPUTS
        .map(|name| take(&mut io, name))
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (hidden, pooled) = model.forward(&inputs[0], &inputs[1], &inputs[2])?;
    let expected = OUTPUTS
        .map(|name| take(&mut io, name))
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    for ((name, got), want) in OUTPUTS.iter().zip([&hidden, &pooled]).zip(&expected) {
        let err = max_abs_diff(got, want)
            .with_context(|| format!("comparing {name} with the reference"))?;
        println!("max_abs_err {name} {err:.3e}");
    }

    let mut options = ConversionOptions {
        fp16_mode: fp16,
        input_names: INPUTS.map(String::from).to_vec(),
        output_names: OUTPUTS.map(String::from).to_vec(),
        ..Default::default()
    }
    .with_tf32(!args.switch("no-tf32"));
    if let Some(max) = max_batch {
        options = options.with_dynamic_batch(1, inputs[0].dim(0)?.min(max), max);
    }
    let started = Instant::now();
    let engine = convert(&model, &inputs, &options)?;
    let elapsed = started.elapsed();
    // The tracer computes every op's candle value too: a check of the tracer, not of the engine.
    let mut tracer_consistency = 0f32;
    for (traced, plain) in engine.reference_outputs().iter().zip([&hidden, &pooled]) {
        tracer_consistency = tracer_consistency.max(max_abs_diff(traced, plain)?);
    }
    println!(
        "engine {} bytes ({}), {} layers, outputs {:?}",
        engine.engine_bytes().len(),
        if fp16 { "fp16" } else { "fp32" },
        engine.layers().len(),
        engine.outputs().iter().map(|o| &o.dims).collect::<Vec<_>>()
    );
    match engine.conversion_times() {
        Some((trace, build)) => println!(
            "conversion {:.2} s (trace {:.2} s, TensorRT build {:.2} s); tracer consistency (traced candle vs plain candle) max_abs_diff {tracer_consistency:.1e}",
            elapsed.as_secs_f64(),
            trace.as_secs_f64(),
            build.as_secs_f64()
        ),
        None => println!("conversion {:.2} s", elapsed.as_secs_f64()),
    }
    print_simulated(&engine, &expected.iter().collect::<Vec<_>>())?;
    if let Some(path) = args.value("engine") {
        engine
            .save(path)
            .with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path}");
    }
    Ok(())
}
