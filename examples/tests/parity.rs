//! Parity with PyTorch: plain candle (f32, CPU) against the reference outputs PyTorch computed
//! for the fixtures (see `fixtures/README.md`), with strict weight loading (every key of the
//! checkpoint used, none missing).
//!
//! Each test also converts the model and checks **tracer consistency**: the candle values the
//! tracer computed for the outputs equal the plain run. That compares candle with candle (the
//! tracer's own bookkeeping), not the TensorRT engine with anything.
//!
//! `simple_cnn` and `tiny_bert` are in the repository; `resnet18` (sharded f16 safetensors) and
//! `mobilenet_v2` (zip `model.pt`) are read from `$CANDLE2TRT_FIXTURES` (unset or empty:
//! `../shared/fixtures`). When they are absent the tests print one `SKIPPED:` line, or fail
//! under `CANDLE2TRT_REQUIRE_FIXTURES=1`.

use std::path::PathBuf;

use candle2trt::{convert, ConversionOptions, DynTraceModel, TraceModule};
use candle2trt_examples::fixtures::{
    fixture_dir, load_io, max_abs_diff, skip_unless_required, take,
};
use candle2trt_models::models::bert::{BertConfig, BertModel};
use candle2trt_models::models::simple_cnn::SimpleCnn;
use candle2trt_models::models::torchvision::by_name;
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};

/// Converts `model` (f32) and returns the largest difference between the values the tracer
/// computed for its outputs and `plain` (the plain-candle outputs of the same inputs).
fn tracer_consistency<M: DynTraceModel + ?Sized>(
    model: &M,
    inputs: &[Tensor],
    plain: &[Tensor],
) -> anyhow::Result<f32> {
    let engine = convert(model, inputs, &ConversionOptions::default())?;
    let traced = engine.reference_outputs();
    anyhow::ensure!(
        traced.len() == plain.len(),
        "{} traced outputs for {} plain",
        traced.len(),
        plain.len()
    );
    let mut worst = 0f32;
    for (t, p) in traced.iter().zip(plain) {
        worst = worst.max(max_abs_diff(t, p)?);
    }
    Ok(worst)
}

/// The large fixture folder; `None` after printing the one `SKIPPED:` line (an error under
/// `CANDLE2TRT_REQUIRE_FIXTURES=1`).
fn large_fixture(name: &str) -> anyhow::Result<Option<PathBuf>> {
    skip_unless_required(&format!("parity {name}"), fixture_dir(name))
}

/// Loads a torchvision checkpoint strictly, runs `input` and compares with `output`.
fn torchvision_parity(arch: &str, dir: &std::path::Path, weights: &str) -> anyhow::Result<f32> {
    let ckpt = torch_weights::open(dir.join(weights))?;
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| by_name(arch, vb))?;
    let mut io = load_io(dir.join("io.safetensors"))?;
    let (input, expected) = (take(&mut io, "input")?, take(&mut io, "output")?);
    let got = model
        .forward_candle(std::slice::from_ref(&input))?
        .remove(0);
    let err = max_abs_diff(&got, &expected)?;
    println!(
        "parity {arch} ({weights}): max_abs_err {err:.3e} over {:?}",
        got.dims()
    );
    let consistency = tracer_consistency(&*model, &[input], &[got])?;
    println!("parity {arch}: tracer consistency max_abs_diff {consistency:.3e}");
    assert_eq!(
        consistency, 0.0,
        "{arch}: the tracer's candle values differ from plain candle"
    );
    Ok(err)
}

/// The brief's SimpleCNN, loaded from each format PyTorch saved its weights in, against
/// PyTorch's logits for batch 1 and batch 8: each format on its own within the brief's 1e-4.
#[test]
fn simple_cnn_matches_pytorch_in_every_checkpoint_format() -> anyhow::Result<()> {
    let dir = fixture_dir("simple_cnn")?;
    for weights in ["model.safetensors", "model.pt", "model_legacy_format.pt"] {
        let ckpt = torch_weights::open(dir.join(weights))?;
        let model = build_strict(&ckpt, DType::F32, &Device::Cpu, SimpleCnn::new)?;
        for io_file in ["io.safetensors", "io_batch8.safetensors"] {
            let mut io = load_io(dir.join(io_file))?;
            let (input, expected) = (take(&mut io, "input")?, take(&mut io, "output")?);
            let got = model.forward(&input)?;
            let err = max_abs_diff(&got, &expected)?;
            println!("parity simple_cnn ({weights}, {io_file}): max_abs_err {err:.3e}");
            assert!(err <= 1e-4, "simple_cnn {weights} {io_file}: {err}");
            if weights != "model.safetensors" {
                continue;
            }
            let consistency = tracer_consistency(&model, std::slice::from_ref(&input), &[got])?;
            assert_eq!(
                consistency, 0.0,
                "simple_cnn {io_file}: the tracer's candle values differ from plain candle"
            );
        }
    }
    Ok(())
}

#[test]
fn tiny_bert_matches_transformers() -> anyhow::Result<()> {
    let dir = fixture_dir("tiny_bert")?;
    let cfg = BertConfig::from_json_file(dir.join("config.json"))?;
    let ckpt = torch_weights::open(dir.join("model.safetensors"))?;
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
        BertModel::new(&cfg, vb)
    })?;
    let mut io = load_io(dir.join("io.safetensors"))?;
    let input_ids = take(&mut io, "input_ids")?;
    let attention_mask = take(&mut io, "attention_mask")?;
    let token_type_ids = take(&mut io, "token_type_ids")?;
    let (hidden, pooled) = model.forward(&input_ids, &attention_mask, &token_type_ids)?;
    let consistency = tracer_consistency(
        &model,
        &[
            input_ids.clone(),
            attention_mask.clone(),
            token_type_ids.clone(),
        ],
        &[hidden.clone(), pooled.clone()],
    )?;
    println!("parity tiny_bert: tracer consistency max_abs_diff {consistency:.3e}");
    assert_eq!(
        consistency, 0.0,
        "tiny_bert: the tracer's candle values differ from plain candle"
    );
    let err_hidden = max_abs_diff(&hidden, &take(&mut io, "last_hidden_state")?)?;
    let err_pooled = max_abs_diff(&pooled, &take(&mut io, "pooler_output")?)?;
    println!("parity tiny_bert: last_hidden_state max_abs_err {err_hidden:.3e}, pooler_output {err_pooled:.3e}");
    // LayerNorm outputs are O(1); two layers of 128-wide dot products, softmax and erf-GELU.
    assert!(err_hidden <= 1e-4, "last_hidden_state: {err_hidden}");
    assert!(err_pooled <= 1e-4, "pooler_output: {err_pooled}");
    Ok(())
}

#[test]
fn resnet18_sharded_f16_safetensors_matches_torchvision() -> anyhow::Result<()> {
    let Some(dir) = large_fixture("resnet18")? else {
        return Ok(());
    };
    let err = torchvision_parity("resnet18", &dir, "model.safetensors.index.json")?;
    assert!(err <= 1e-4, "resnet18: {err}");
    Ok(())
}

#[test]
fn mobilenet_v2_zip_pt_matches_torchvision() -> anyhow::Result<()> {
    let Some(dir) = large_fixture("mobilenet_v2")? else {
        return Ok(());
    };
    let err = torchvision_parity("mobilenet_v2", &dir, "model.pt")?;
    assert!(err <= 1e-4, "mobilenet_v2: {err}");
    Ok(())
}
