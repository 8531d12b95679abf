//! 02 — any image classifier of the zoo (torchvision's, EfficientNet-Lite), from a PyTorch
//! checkpoint to a TensorRT engine, checked against PyTorch's own output.
//!
//! ```text
//! cargo run --release --example 02_torchvision -- \
//!     --arch resnet18 \
//!     --weights ../shared/fixtures/resnet18/model.safetensors.index.json \
//!     --check ../shared/fixtures/resnet18/io.safetensors
//! cargo run --release --example 02_torchvision -- \
//!     --arch efficientnet_lite0 \
//!     --weights .deps/pretrained/efficientnet-lite0.pth \
//!     --check fixtures/efficientnet_lite0/io.safetensors
//! ```
//!
//! 1. `--weights` is opened by `torch-weights`: `.safetensors`, a sharded `*.index.json`, a zip
//!    `.pt`/`.pth` (plain state dict or training checkpoint) or a legacy `.pt`. The model is
//!    built with a strict load: every key must match the architecture's names and shapes. The
//!    number of classes is read from the checkpoint's classifier.
//! 2. `input` from the `--check` file runs through plain candle (f32, CPU), and the line
//!    `max_abs_err <value>` compares the logits with PyTorch's `output`.
//! 3. The same model is converted into a TensorRT engine (`--fp16` for `fp16_mode`, `--no-tf32`
//!    for true f32 convolutions and matrix products, `--max-batch N` for a dynamic batch 1..=N),
//!    which also checks that the tracer's candle values equal the plain run; the engine's size
//!    and the conversion time are printed, and `--engine <path>` saves it.
//! 4. The engine cannot run here (no GPU TensorRT supports), but the network TensorRT holds is
//!    simulated on the CPU during the conversion: `simulated_max_abs_err <value>` is the engine's
//!    expected error against PyTorch's output (`reference_max_abs` is the largest |logit|), and
//!    with `--max-batch` the same at the profile's min and max batch.
//! 5. `--int8`: explicit INT8 quantization, calibrated on the images of `--calib DIR`
//!    (resized and normalized like 05_classify's), or on the `--check` input
//!    (`--calib-from-check`), with `--calibrator max|percentile|entropy|mse` (default entropy).
//!    The INT8 network's simulation (step 4) also gives `simulated_top1_agreement <fraction>`:
//!    its top-1 class against PyTorch's f32 logits.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use candle2trt::{convert, ConversionOptions};
use candle2trt_examples::cli::{pick_device, Args};
use candle2trt_examples::fixtures::{load_io, max_abs_diff, print_simulated, take};
use candle2trt_examples::images::load_image;
use candle2trt_models::models::torchvision::{Architecture, ARCHITECTURES};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};

const USAGE: &str = "usage: 02_torchvision --arch <name> --weights <file | index.json> --check <io.safetensors> [--fp16] [--no-tf32] [--max-batch N] [--int8 [--calib DIR | --calib-from-check] [--calibrator max|percentile|entropy|mse]] [--engine <out.engine>] [--device cpu|cuda|auto]";

fn main() -> anyhow::Result<()> {
    candle2trt_examples::init_logging();
    let args = Args::parse(
        std::env::args().skip(1),
        &[
            "arch",
            "weights",
            "check",
            "engine",
            "max-batch",
            "device",
            "calib",
            "calibrator",
        ],
        &["fp16", "no-tf32", "int8", "calib-from-check"],
        USAGE,
    )?;
    if args.switch("help") {
        println!("{USAGE}\n\narchitectures: {}", ARCHITECTURES.join(", "));
        return Ok(());
    }
    let arch_name = args.required("arch", USAGE)?;
    let weights = PathBuf::from(args.required("weights", USAGE)?);
    let check = PathBuf::from(args.required("check", USAGE)?);
    let fp16 = args.switch("fp16");
    let max_batch: Option<usize> = args
        .value("max-batch")
        .map(|v| v.parse().context("--max-batch takes a number"))
        .transpose()?;

    // 1. The checkpoint, in whatever format PyTorch wrote it.
    let ckpt = torch_weights::open(&weights)
        .with_context(|| format!("cannot open checkpoint {}", weights.display()))?;
    let mut arch = Architecture::from_name(arch_name)?;
    if let Some(classifier) = ckpt.get(arch.classifier_weight_key()) {
        let num_classes = classifier.shape().first().copied().unwrap_or(1000);
        arch = arch.with_num_classes(num_classes);
    }
    // Built and traced on the fastest device there is (candle CUDA with `--features cuda` and a
    // GPU), unless `--device` says otherwise.
    let device = pick_device(args.value("device"))?;
    println!("device {}", if device.is_cuda() { "cuda:0" } else { "cpu" });
    let model = build_strict(&ckpt, DType::F32, &device, |vb| arch.build(vb))
        .with_context(|| format!("{} is not a {arch_name}", weights.display()))?;

    // 2. Plain candle against PyTorch.
    let mut io = load_io(&check)?;
    let input = take(&mut io, "input")?.to_device(&device)?;
    let expected = take(&mut io, "output")?;
    let logits = model
        .forward_candle(std::slice::from_ref(&input))?
        .remove(0);
    let err = max_abs_diff(&logits, &expected).context("comparing with PyTorch's output")?;
    println!("max_abs_err {err:.3e}");

    // 3. The TensorRT engine.
    let mut options = ConversionOptions {
        fp16_mode: fp16,
        input_names: vec!["input".into()],
        output_names: vec!["logits".into()],
        ..Default::default()
    }
    .with_tf32(!args.switch("no-tf32"));
    if let Some(max) = max_batch {
        options = options.with_dynamic_batch(1, input.dim(0)?.min(max), max);
    }
    let int8 = args.switch("int8");
    if int8 {
        options.int8_mode = true;
        if let Some(name) = args.value("calibrator") {
            options.quantization.calibrator = name.parse().map_err(anyhow::Error::msg)?;
        }
        options.int8_calibration_batches =
            match (args.value("calib"), args.switch("calib-from-check")) {
                (Some(dir), _) => {
                    calibration_images(dir.as_ref(), arch.input_size(), input.dim(0)?, &device)?
                }
                (None, true) => vec![vec![input.clone()]],
                (None, false) => Vec::new(),
            };
    }
    let started = Instant::now();
    let engine = convert(&*model, std::slice::from_ref(&input), &options)?;
    let elapsed = started.elapsed();
    // The tracer computes every op's candle value too: a check of the tracer, not of the engine.
    let tracer_consistency = max_abs_diff(&engine.reference_outputs()[0], &logits)?;
    println!(
        "engine {} bytes ({}), {} layers, output {:?}",
        engine.engine_bytes().len(),
        engine.meta().precision.as_str(),
        engine.layers().len(),
        engine.outputs()[0].dims
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
    print_simulated(&engine, &[&expected])?;
    if int8 {
        // The INT8 network as TensorRT holds it, simulated on the CPU during the conversion.
        let report = engine
            .verification()
            .context("--int8 needs the verification's simulation (on by default)")?;
        let sample = report
            .checks
            .iter()
            .find(|c| c.corner == candle2trt::Corner::Sample)
            .context("no simulation at the sample shape")?;
        let simulated = &sample.simulated_outputs[0];
        let agree = expected
            .argmax(1)?
            .eq(&simulated.to_device(&Device::Cpu)?.argmax(1)?)?
            .to_dtype(DType::F32)?
            .mean_all()?
            .to_scalar::<f32>()?;
        println!("simulated_top1_agreement {agree:.4}");
    }
    if let Some(path) = args.value("engine") {
        engine
            .save(path)
            .with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path}");
    }
    Ok(())
}

/// The images of `dir` (PNG, JPEG; sorted by name) as calibration batches of `batch`.
fn calibration_images(
    dir: &std::path::Path,
    size: usize,
    batch: usize,
    device: &Device,
) -> anyhow::Result<Vec<Vec<Tensor>>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read --calib {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no PNG or JPEG image in {}",
        dir.display()
    );
    let images = files
        .iter()
        .map(|f| load_image(f, size))
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "INT8 calibration on {} images of {}",
        images.len(),
        dir.display()
    );
    images
        .chunks(batch.max(1))
        .map(|c| Ok(vec![Tensor::stack(c, 0)?.to_device(device)?]))
        .collect()
}
