//! Every model of the zoo converts into a real TensorRT-RTX engine, in f32, in f16
//! (`fp16_mode`) and in INT8 (`int8_mode`: explicit Q/DQ, calibrated on the sample input — the
//! point here is that TensorRT builds the quantized network), and TensorRT's inferred output
//! shapes are what the model returns.
//!
//! Architectures without fixture weights are built from random weights with their PyTorch key
//! names (drawn as a `VarMap` would, from a fixed seed: [`synthetic::seeded_var_builder`]): the point is converter coverage and shapes, not accuracy. Inputs are
//! batch 1 at the smallest side each architecture converts at
//! ([`Architecture::min_convertible_input_size`]) to keep CI's two cores within budget; the
//! tracer still checks every op's TensorRT dimensions against candle's, and verification
//! simulates each engine against candle in every precision, with no fallback: a failure fails
//! the test.
//!
//! Each conversion prints one `ENGINE` line (model, precision, input, trace and build time,
//! engine size): `docs/models.md` tabulates them.

use std::time::Instant;

use candle2trt::quant::{Calibrator, QuantConfig};
use candle2trt::{convert, ConversionOptions, DynTraceModel, TrtModule};
use candle2trt_examples::fixtures::{fixture_dir, load_io, take};
use candle2trt_examples::synthetic;
use candle2trt_models::models::bert::{BertConfig, BertModel};
use candle2trt_models::models::simple_cnn::SimpleCnn;
use candle2trt_models::models::torchvision::Architecture;
use candle_core::{DType, Device, Tensor};

/// The random weights' seed: every run converts the same models (a seed that made a test
/// fail would make it fail every time, where it can be looked at).
const SEED: u64 = 1;

/// Engines that verification refuses, and must keep refusing until their cause is fixed (issue 17
/// item 6): (model, precision, a phrase of the refusal). Each is a real engine failure that the
/// verification catches — not a converter error, and not excused: the conversion fails for the
/// user too. A listed engine that converts fails the test, so the list cannot outlive its cause.
///
/// Measured 2026-12-08 (random weights, seed 1, `Calibrator::Max` on the one sample): ResNet-101
/// and -152 in f16 overflow (logits near -4.4e5 with random weights, beyond f16's 65504; the f32
/// policy has no overflow clause yet); MobileNet-v2 and EfficientNet-Lite1…4 in INT8 lose
/// 2.8–7.6 dB below the 20 dB SNR floor, gradually through their blocks (per-tensor activation
/// scales after depthwise layers; no single op diverges).
const KNOWN_REFUSALS: &[(&str, &str, &str)] = &[
    ("resnet101", "f16", "f16 overflow"),
    ("resnet152", "f16", "f16 overflow"),
    ("mobilenet_v2", "int8", "below the floor of 20 dB"),
    ("efficientnet_lite1", "int8", "below the floor of 20 dB"),
    ("efficientnet_lite2", "int8", "below the floor of 20 dB"),
    ("efficientnet_lite3", "int8", "below the floor of 20 dB"),
    ("efficientnet_lite4", "int8", "below the floor of 20 dB"),
];

fn refusal(name: &str, precision: &str) -> Option<(&'static str, &'static str, &'static str)> {
    KNOWN_REFUSALS
        .iter()
        .copied()
        .find(|(n, p, _)| *n == name && *p == precision)
}

/// Converts `model` in f32, f16 and INT8 and checks each engine's outputs against `expected`
/// (the shapes, as TensorRT inferred them) and the model's dtypes (f32 at the boundary in
/// every precision).
fn convert_both<M: DynTraceModel + ?Sized>(
    name: &str,
    model: &M,
    inputs: &[Tensor],
    expected: &[&[usize]],
) -> anyhow::Result<()> {
    let input_desc = format!("{:?}", inputs[0].dims());
    let mut failures = Vec::new();
    for precision in ["f32", "f16", "int8"] {
        let fp16 = precision == "f16";
        let started = Instant::now();
        // f32 without TF32: random weights amplify TF32's rounding through deep networks beyond
        // any useful tolerance, while true f32 holds the simulation to candle within the f32
        // bound (and verification runs one simulation fewer).
        // f16 and INT8 are held to verification's own bounds: f16 to the f32 bound with Half
        // computed as Float and to the rounding budget of its f16 layers as built; INT8 to the
        // f32 bound with Q/DQ as identity and to the SNR floor as built. No failure is excused.
        let mut options = ConversionOptions::default()
            .with_fp16(fp16)
            .with_tf32(false);
        // INT8: Max, the cheapest calibrator (the sample input is no calibration set anyway).
        options.int8_mode = precision == "int8";
        options.quantization = QuantConfig {
            calibrator: Calibrator::Max,
            ..Default::default()
        };
        let engine = match convert(model, inputs, &options) {
            Ok(engine) => {
                if let Some((_, _, why)) = refusal(name, precision) {
                    failures.push(format!(
                        "{name} ({precision}): converted, but verification was expected to refuse it ({why}): \
                         update KNOWN_REFUSALS"
                    ));
                }
                engine
            }
            Err(e) => {
                let message = e.to_string();
                match refusal(name, precision) {
                    Some((_, _, why)) if message.contains(why) => {
                        println!("REFUSED {name} {precision}: verification refused the engine, as expected ({why}): {message}");
                    }
                    _ => failures.push(format!("{name} ({precision}): {message}")),
                }
                continue;
            }
        };
        let total = started.elapsed();
        check_outputs(name, precision, &engine, expected)?;
        let (trace, build) = engine.conversion_times().unwrap_or_default();
        let verification = engine
            .verification()
            .ok_or_else(|| anyhow::anyhow!("{name} ({precision}): not verified"))?;
        println!(
            "ENGINE {name} {precision} input={input_desc} trace_s={:.2} build_s={:.2} total_s={:.2} verify_s={:.2} bytes={}",
            trace.as_secs_f64(),
            build.as_secs_f64(),
            total.as_secs_f64(),
            verification.elapsed.as_secs_f64(),
            engine.engine_bytes().len()
        );
        println!("{verification}");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", failures.join("\n"))
    }
}

fn check_outputs(
    name: &str,
    precision: &str,
    engine: &TrtModule,
    expected: &[&[usize]],
) -> anyhow::Result<()> {
    let outputs = engine.outputs();
    anyhow::ensure!(
        outputs.len() == expected.len(),
        "{name} ({precision}): {} engine outputs, expected {}",
        outputs.len(),
        expected.len()
    );
    for (i, (spec, want)) in outputs.iter().zip(expected).enumerate() {
        let want: Vec<i64> = want.iter().map(|&d| d as i64).collect();
        anyhow::ensure!(
            spec.dims == want,
            "{name} ({precision}): output {i} ({}) has TensorRT dims {:?}, expected {want:?}",
            spec.name,
            spec.dims
        );
        anyhow::ensure!(
            spec.dtype == DType::F32,
            "{name} ({precision}): output {i} is {:?}, expected F32 at the engine boundary",
            spec.dtype
        );
        let reference = &engine.reference_outputs()[i];
        anyhow::ensure!(
            reference
                .dims()
                .iter()
                .map(|&d| d as i64)
                .eq(want.iter().copied()),
            "{name} ({precision}): candle's traced output {i} is {:?}",
            reference.dims()
        );
    }
    anyhow::ensure!(!engine.engine_bytes().is_empty(), "{name}: empty engine");
    Ok(())
}

/// Builds torchvision `arch` on random weights and converts it both ways.
fn torchvision_engines(arch: &str) -> anyhow::Result<()> {
    let architecture = Architecture::from_name(arch)?;
    let model = architecture.build(synthetic::seeded_var_builder(SEED))?;
    let side = architecture.min_convertible_input_size();
    let x = synthetic::generate("input", &[1, 3, side, side])?;
    convert_both(arch, &*model, &[x], &[&[1, 1000]])
}

/// Converts every architecture of a group, reporting every failure (a group does not stop at its first).
fn all(archs: &[&str]) -> anyhow::Result<()> {
    let failures: Vec<String> = archs
        .iter()
        .filter_map(|arch| torchvision_engines(arch).err().map(|e| format!("{e:#}")))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", failures.join("\n"))
    }
}

// Split so that the test harness runs the heavy families on both cores.

#[test]
fn resnet_engines() -> anyhow::Result<()> {
    all(&["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
}

#[test]
fn mobilenet_and_squeezenet_engines() -> anyhow::Result<()> {
    all(&["mobilenet_v2", "squeezenet1_0", "squeezenet1_1"])
}

#[test]
fn vgg_engines() -> anyhow::Result<()> {
    all(&["vgg11", "vgg13", "vgg16", "vgg19"])
}

#[test]
fn vgg_bn_engines() -> anyhow::Result<()> {
    all(&["vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"])
}

#[test]
fn efficientnet_small_engines() -> anyhow::Result<()> {
    all(&[
        "efficientnet_b0",
        "efficientnet_b1",
        "efficientnet_b2",
        "efficientnet_b3",
    ])
}

#[test]
fn efficientnet_lite_engines() -> anyhow::Result<()> {
    all(&[
        "efficientnet_lite0",
        "efficientnet_lite1",
        "efficientnet_lite2",
        "efficientnet_lite3",
        "efficientnet_lite4",
    ])
}

#[test]
fn efficientnet_large_engines() -> anyhow::Result<()> {
    all(&[
        "efficientnet_b4",
        "efficientnet_b5",
        "efficientnet_b6",
        "efficientnet_b7",
    ])
}

/// ViT-B/16 at its 224×224 (its position embeddings fix the size; fused attention) and
/// ConvNeXt-Tiny at 64×64.
#[test]
fn vit_and_convnext_engines() -> anyhow::Result<()> {
    all(&["vit_b_16", "convnext_tiny"])
}

#[test]
fn simple_cnn_engine() -> anyhow::Result<()> {
    let dir = fixture_dir("simple_cnn")?;
    let vb =
        torch_weights::open(dir.join("model.safetensors"))?.var_builder(DType::F32, &Device::Cpu);
    let model = SimpleCnn::new(vb)?;
    let x = take(&mut load_io(dir.join("io.safetensors"))?, "input")?;
    convert_both("simple_cnn", &model, &[x], &[&[1, 10]])
}

#[test]
fn tiny_bert_engine() -> anyhow::Result<()> {
    let dir = fixture_dir("tiny_bert")?;
    let cfg = BertConfig::from_json_file(dir.join("config.json"))?;
    let vb =
        torch_weights::open(dir.join("model.safetensors"))?.var_builder(DType::F32, &Device::Cpu);
    let model = BertModel::new(&cfg, vb)?;
    let mut io = load_io(dir.join("io.safetensors"))?;
    let inputs = ["input_ids", "attention_mask", "token_type_ids"]
        .map(|n| take(&mut io, n))
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (b, s, h) = (inputs[0].dim(0)?, inputs[0].dim(1)?, cfg.hidden_size);
    convert_both("tiny_bert", &model, &inputs, &[&[b, s, h], &[b, h]])
}

/// The models are written shape-agnostically (no batch size baked into a reshape or a
/// constant): with a dynamic batch (1..=8), TensorRT infers a dynamic batch dimension for every
/// output.
#[test]
fn dynamic_batch_engines() -> anyhow::Result<()> {
    let options = ConversionOptions::default().with_dynamic_batch(1, 2, 8);
    let check = |name: &str, engine: &TrtModule, expected: &[&[i64]]| -> anyhow::Result<()> {
        let dims: Vec<_> = engine.outputs().iter().map(|o| o.dims.clone()).collect();
        anyhow::ensure!(
            dims.iter().map(Vec::as_slice).eq(expected.iter().copied()),
            "{name}: dynamic-batch outputs {dims:?}, expected {expected:?}"
        );
        Ok(())
    };
    for arch in [
        "resnet18",
        "mobilenet_v2",
        "efficientnet_b0",
        "squeezenet1_0",
        "efficientnet_lite0",
        "convnext_tiny",
        "vit_b_16",
    ] {
        let architecture = Architecture::from_name(arch)?;
        let model = architecture.build(synthetic::seeded_var_builder(SEED))?;
        let side = architecture.min_convertible_input_size();
        let x = synthetic::generate("input", &[2, 3, side, side])?;
        let engine =
            convert(&*model, &[x], &options).map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
        check(arch, &engine, &[&[-1, 1000]])?;
    }
    let dir = fixture_dir("tiny_bert")?;
    let cfg = BertConfig::from_json_file(dir.join("config.json"))?;
    let vb =
        torch_weights::open(dir.join("model.safetensors"))?.var_builder(DType::F32, &Device::Cpu);
    let model = BertModel::new(&cfg, vb)?;
    let mut io = load_io(dir.join("io.safetensors"))?;
    let inputs = ["input_ids", "attention_mask", "token_type_ids"]
        .map(|n| take(&mut io, n))
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (s, h) = (inputs[0].dim(1)? as i64, cfg.hidden_size as i64);
    let engine =
        convert(&model, &inputs, &options).map_err(|e| anyhow::anyhow!("tiny_bert: {e}"))?;
    check("tiny_bert", &engine, &[&[-1, s, h], &[-1, h]])
}
