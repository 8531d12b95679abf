//! INT8 accuracy on real data, through the CPU simulator: the INT8 network as TensorRT holds
//! it (Q/DQ layers, calibrated scales) run by `trt-sim`, against f32 (plain candle).
//!
//! ```text
//! cargo xtask setup        # EfficientNet-Lite0 weights, .deps/photos and .deps/photos-more
//! cargo run --release -p candle2trt-examples --example int8_eval -- [--model digits|efficientnet_lite0|resnet18|mobilenet_v2|tiny_bert|all] [--sensitivity]
//! ```
//!
//! - `digits`: `digits_cnn` (PyTorch-trained on scikit-learn's handwritten digits) calibrated
//!   on its train split, test accuracy on its test split.
//! - `efficientnet_lite0` (pretrained ImageNet weights), and the `resnet18` / `mobilenet_v2`
//!   fixtures (random weights): calibrated on 12 photographs (astronaut, coffee, rocket and
//!   `.deps/photos-more`'s textures and scans), evaluated on 6 others (chelsea, grace_hopper,
//!   motorcycle_left/right, clock_motion, cell) — each image as 10 views (centre, four 80 %
//!   corner crops, and their mirror images). Printed: top-1/top-5 agreement with f32 and the
//!   logit SNR per calibrator.
//! - `tiny_bert` (fixture, random weights): calibrated on 128 synthetic token sequences,
//!   evaluated on 32 others (the fixture's 2 among them); SNR of both outputs per calibrator,
//!   without and with `quantize_bmm`, and the quantized sites of each kind.
//! - `--sensitivity`: each quantized layer alone (all others kept in f32), its logit SNR, with
//!   the best calibrator's table (calibrated once) on the evaluation views.
//! - `--calibrators mse,max` limits the calibrators, `--size 64` overrides the input side, and
//!   `--views-per-photo 2` evaluates on the first views of each photograph only (the centre
//!   and its mirror image first) — to keep the simulated passes short.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use candle2trt::quant::{calibrate_each, CalibrationTable, Calibrator, QuantConfig};
use candle2trt::{with_network, ConversionOptions, DynTraceModel, TraceModule, TraceTensor};
use candle2trt_examples::cli::Args;
use candle2trt_examples::fixtures::{deps_dir, fixture_dir, load_io, take};
use candle2trt_examples::images::preprocess;
use candle2trt_models::models::torchvision::{by_name, Architecture};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};
use candle_nn::{BatchNorm, Conv2d, Conv2dConfig, Linear};

const USAGE: &str =
    "usage: int8_eval [--model digits|efficientnet_lite0|resnet18|mobilenet_v2|tiny_bert|all] \
[--sensitivity] [--calibrators max,percentile(99.99),...] [--size SIDE] [--views-per-photo 1..10]";

/// What to run for the photograph models.
struct Settings {
    sensitivity: bool,
    calibrators: Vec<Calibrator>,
    /// Input side (default: the architecture's).
    size: Option<usize>,
    /// Evaluation views per photograph (of the ten; calibration always uses all ten).
    views_per_photo: usize,
}

const CALIBRATORS: [Calibrator; 5] = [
    Calibrator::Max,
    Calibrator::Percentile(99.99),
    Calibrator::Percentile(99.999),
    Calibrator::Entropy,
    Calibrator::Mse,
];

fn main() -> anyhow::Result<()> {
    candle2trt_examples::init_logging();
    let args = Args::parse(
        std::env::args().skip(1).collect::<Vec<String>>(),
        &["model", "calibrators", "size", "views-per-photo"],
        &["sensitivity"],
        USAGE,
    )?;
    let which = args.value("model").unwrap_or("all");
    let sensitivity = args.switch("sensitivity");
    let calibrators = match args.value("calibrators") {
        None => CALIBRATORS.to_vec(),
        Some(list) => list
            .split(',')
            .map(|c| c.trim().parse::<Calibrator>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()
            .with_context(|| format!("--calibrators {list}; {USAGE}"))?,
    };
    let number = |name: &str| -> anyhow::Result<Option<usize>> {
        args.value(name)
            .map(|v| {
                v.parse::<usize>()
                    .with_context(|| format!("--{name} {v}; {USAGE}"))
            })
            .transpose()
    };
    let settings = Settings {
        sensitivity,
        calibrators,
        size: number("size")?,
        views_per_photo: number("views-per-photo")?.unwrap_or(10).clamp(1, 10),
    };
    if which == "digits" || which == "all" {
        digits(sensitivity)?;
    }
    for arch in ["efficientnet_lite0", "resnet18", "mobilenet_v2"] {
        if which == arch || which == "all" {
            photos(arch, &settings)?;
        }
    }
    if which == "tiny_bert" || which == "all" {
        bert::tiny_bert(&settings.calibrators)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Measures
// ---------------------------------------------------------------------------------------------

/// The simulated first output of `model`'s network under `options` on `x` (static shape of `x`).
fn simulate<M: DynTraceModel + ?Sized>(
    model: &M,
    x: &Tensor,
    options: &ConversionOptions,
) -> anyhow::Result<Tensor> {
    Ok(simulate_all(model, std::slice::from_ref(x), options)?.remove(0))
}

/// Every simulated output of `model`'s network under `options` on `inputs`.
fn simulate_all<M: DynTraceModel + ?Sized>(
    model: &M,
    inputs: &[Tensor],
    options: &ConversionOptions,
) -> anyhow::Result<Vec<Tensor>> {
    let out = with_network(
        model,
        inputs,
        options,
        |net| -> anyhow::Result<Vec<Tensor>> {
            let program = trt_sim::Program::from_network(net, None)?;
            let run = program.run(inputs, &trt_sim::RunOptions::default())?;
            run.outputs
                .iter()
                .map(|o| Ok(o.to_f32()?))
                .collect::<anyhow::Result<_>>()
        },
    )??;
    Ok(out)
}

fn int8_options(table: &CalibrationTable, overrides: Vec<(String, bool)>) -> ConversionOptions {
    ConversionOptions {
        int8_mode: true,
        quantization: QuantConfig {
            calibrator: table.calibrator,
            table: Some(table.clone()),
            overrides,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Signal-to-noise ratio of `y` against the reference `r`, in dB.
fn snr_db(r: &Tensor, y: &Tensor) -> anyhow::Result<f64> {
    let r = r.to_dtype(DType::F64)?;
    let e = (y.to_dtype(DType::F64)? - &r)?;
    let signal = r.sqr()?.sum_all()?.to_scalar::<f64>()?;
    let noise = e.sqr()?.sum_all()?.to_scalar::<f64>()?;
    Ok(10.0 * (signal / noise.max(1e-30)).log10())
}

/// Fraction of rows whose top-1 of `y` is `r`'s top-1, and whose top-1 of `y` is in `r`'s top 5.
fn agreement(r: &Tensor, y: &Tensor) -> anyhow::Result<(f64, f64)> {
    let r = r.to_vec2::<f32>()?;
    let y = y.to_vec2::<f32>()?;
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold((0, f32::MIN), |b, (i, &x)| if x > b.1 { (i, x) } else { b })
            .0
    };
    let (mut top1, mut top5) = (0, 0);
    for (a, b) in r.iter().zip(&y) {
        let (ra, yb) = (argmax(a), argmax(b));
        top1 += usize::from(ra == yb);
        let mut order: Vec<usize> = (0..a.len()).collect();
        order.sort_by(|&i, &j| a[j].total_cmp(&a[i]));
        top5 += usize::from(order[..5.min(a.len())].contains(&yb));
    }
    let n = r.len() as f64;
    Ok((top1 as f64 / n, top5 as f64 / n))
}

/// Each quantized site alone: its SNR against `reference`.
fn sensitivity<M: DynTraceModel + ?Sized>(
    model: &M,
    table: &CalibrationTable,
    x: &Tensor,
    reference: &Tensor,
) -> anyhow::Result<()> {
    let (decisions, _) = (
        candle2trt::quant::decide(&table.sites, &QuantConfig::default()),
        (),
    );
    let mut rows = Vec::new();
    for d in decisions.iter().filter(|d| d.quantized) {
        let path = table
            .sites
            .iter()
            .find(|s| s.key == d.key)
            .map(|s| s.path.clone())
            .unwrap_or_default();
        let overrides = vec![(String::new(), false), (path.clone(), true)];
        let y = simulate(model, x, &int8_options(table, overrides))?;
        let snr = snr_db(reference, &y)?;
        // Each row as soon as it is known (the whole pass is long).
        println!(
            "  ({} of {}) {snr:7.2} dB  {path}",
            rows.len() + 1,
            decisions.iter().filter(|d| d.quantized).count()
        );
        rows.push((snr, path));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "sensitivity ({}; each module quantized alone, worst first):",
        table.calibrator
    );
    for (snr, path) in rows {
        println!("  {snr:7.2} dB  {path}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// digits_cnn
// ---------------------------------------------------------------------------------------------

struct Digits {
    convs: Vec<(Conv2d, BatchNorm)>,
    fc: Linear,
}

impl TraceModule for Digits {
    fn forward<T: TraceTensor>(&self, x: &T) -> candle2trt::Result<T> {
        let mut h = x.clone();
        {
            let _f = x.scope("features");
            for (i, (c, b)) in self.convs.iter().enumerate() {
                let at = [0, 3, 7][i];
                h = h
                    .apply_named(&at.to_string(), c)?
                    .apply_named(&(at + 1).to_string(), b)?
                    .relu()?;
                if i == 1 {
                    h = h.max_pool2d(2)?;
                }
            }
        }
        h.adaptive_avg_pool2d((1, 1))?
            .flatten_from(1)?
            .apply_named("classifier", &self.fc)
    }
}

fn load_digits(dir: &Path) -> anyhow::Result<Digits> {
    let w = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)?;
    let t = |k: String| -> anyhow::Result<Tensor> {
        Ok(w.get(&k)
            .with_context(|| format!("{k} missing"))?
            .to_dtype(DType::F32)?)
    };
    let mut convs = Vec::new();
    for i in [0, 3, 7] {
        let conv = Conv2d::new(
            t(format!("features.{i}.weight"))?,
            Some(t(format!("features.{i}.bias"))?),
            Conv2dConfig {
                padding: 1,
                ..Default::default()
            },
        );
        let b = |s: &str| t(format!("features.{}.{s}", i + 1));
        let gamma = b("weight")?;
        let bn = BatchNorm::new(
            gamma.dim(0)?,
            b("running_mean")?,
            b("running_var")?,
            gamma,
            b("bias")?,
            1e-5,
        )?;
        convs.push((conv, bn));
    }
    let fc = Linear::new(
        t("classifier.weight".into())?,
        Some(t("classifier.bias".into())?),
    );
    Ok(Digits { convs, fc })
}

fn accuracy(logits: &Tensor, labels: &Tensor) -> anyhow::Result<f64> {
    let pred = logits.argmax(1)?.to_dtype(DType::I64)?.to_vec1::<i64>()?;
    let labels = labels.to_dtype(DType::I64)?.to_vec1::<i64>()?;
    let right = pred.iter().zip(&labels).filter(|(a, b)| a == b).count();
    Ok(right as f64 / labels.len() as f64)
}

fn digits(with_sensitivity: bool) -> anyhow::Result<()> {
    let dir = fixture_dir("digits_cnn")?;
    let model = load_digits(&dir)?;
    let mut io = load_io(dir.join("io.safetensors"))?;
    let x = take(&mut io, "input")?.to_dtype(DType::F32)?;
    let labels = take(&mut io, "labels")?;
    let calib = take(&mut io, "calib_input")?.to_dtype(DType::F32)?;
    let n = calib.dim(0)?;
    let batches: Vec<Vec<Tensor>> = (0..n)
        .step_by(128)
        .map(|s| Ok(vec![calib.narrow(0, s, 128.min(n - s))?]))
        .collect::<anyhow::Result<_>>()?;
    let reference = model.forward_candle(std::slice::from_ref(&x))?.remove(0);
    let f32_acc = accuracy(&reference, &labels)?;
    println!(
        "digits_cnn: {} test images, calibration on {n} train images; f32 (candle) test accuracy {:.2} %",
        x.dim(0)?,
        100.0 * f32_acc
    );
    let f32_sim = simulate(&model, &x, &ConversionOptions::default())?;
    println!(
        "  f32 network (TF32), simulated: accuracy {:.2} %, SNR {:.1} dB",
        100.0 * accuracy(&f32_sim, &labels)?,
        snr_db(&reference, &f32_sim)?
    );
    for all in [false, true] {
        let config = QuantConfig::default();
        let tables = calibrate_each(
            &model,
            batches.iter().map(|b| b.as_slice()),
            &config,
            &CALIBRATORS,
        )?;
        for table in &tables {
            let overrides = if all {
                vec![(String::new(), true)]
            } else {
                Vec::new()
            };
            let y = simulate(&model, &x, &int8_options(table, overrides))?;
            let (top1, _) = agreement(&reference, &y)?;
            println!(
                "  int8 {:<18} {}: accuracy {:.2} %, top-1 agreement {:.2} %, SNR {:.1} dB",
                table.calibrator.to_string(),
                if all { "every layer " } else { "default     " },
                100.0 * accuracy(&y, &labels)?,
                100.0 * top1,
                snr_db(&reference, &y)?
            );
        }
        if with_sensitivity && !all {
            sensitivity(&model, &tables[3], &x, &reference)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Photographs
// ---------------------------------------------------------------------------------------------

const CALIBRATION_PHOTOS: [&str; 12] = [
    "photos/astronaut.png",
    "photos/coffee.png",
    "photos/rocket.jpg",
    "photos-more/camera.png",
    "photos-more/coins.png",
    "photos-more/moon.png",
    "photos-more/brick.png",
    "photos-more/grass.png",
    "photos-more/gravel.png",
    "photos-more/hubble_deep_field.jpg",
    "photos-more/ihc.png",
    "photos-more/retina.jpg",
];

const EVALUATION_PHOTOS: [&str; 6] = [
    "photos/chelsea.png",
    "photos/grace_hopper.jpg",
    "photos/motorcycle_left.png",
    "photos-more/motorcycle_right.png",
    "photos-more/clock_motion.png",
    "photos-more/cell.png",
];

/// Ten views of a photograph: the centre, four corner crops of 80 % of each side, and the
/// mirror image of each.
fn views(path: &Path, size: usize) -> anyhow::Result<Vec<Tensor>> {
    let img = image::ImageReader::open(path)
        .with_context(|| format!("cannot open {} (run `cargo xtask setup`)", path.display()))?
        .with_guessed_format()?
        .decode()
        .with_context(|| format!("cannot decode {}", path.display()))?;
    let (w, h) = (img.width(), img.height());
    let (cw, ch) = (w * 4 / 5, h * 4 / 5);
    let mut crops = vec![img.clone()];
    for (x, y) in [(0, 0), (w - cw, 0), (0, h - ch), (w - cw, h - ch)] {
        crops.push(img.crop_imm(x, y, cw, ch));
    }
    let mut out = Vec::new();
    for c in crops {
        out.push(preprocess(&c, size)?);
        out.push(preprocess(&c.fliph(), size)?);
    }
    Ok(out)
}

/// The first `per_photo` views of each photograph.
fn photo_batch(files: &[&str], size: usize, per_photo: usize) -> anyhow::Result<Vec<Tensor>> {
    let deps = deps_dir();
    let mut all = Vec::new();
    for f in files {
        all.extend(views(&deps.join(f), size)?.into_iter().take(per_photo));
    }
    Ok(all)
}

fn photos(arch_name: &str, settings: &Settings) -> anyhow::Result<()> {
    let arch = Architecture::from_name(arch_name)?;
    let (model, what) = match arch_name {
        "efficientnet_lite0" => {
            let weights: PathBuf = deps_dir().join("pretrained/efficientnet-lite0.pth");
            let ckpt = torch_weights::open(&weights).with_context(|| {
                format!(
                    "cannot open {} (run `cargo xtask setup`)",
                    weights.display()
                )
            })?;
            let m = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| arch.build(vb))?;
            (m, "pretrained ImageNet weights")
        }
        other => {
            let dir = fixture_dir(other)?;
            let file = if other == "resnet18" {
                "model.safetensors.index.json"
            } else {
                "model.pt"
            };
            let ckpt = torch_weights::open(dir.join(file))?;
            let m = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| by_name(other, vb))?;
            (m, "fixture weights (random, not trained)")
        }
    };
    let size = settings.size.unwrap_or(arch.input_size());
    let started = Instant::now();
    let calib = photo_batch(&CALIBRATION_PHOTOS, size, 10)?;
    let eval = Tensor::stack(
        &photo_batch(&EVALUATION_PHOTOS, size, settings.views_per_photo)?,
        0,
    )?;
    let batches: Vec<Vec<Tensor>> = calib
        .chunks(10)
        .map(|c| Ok(vec![Tensor::stack(c, 0)?]))
        .collect::<anyhow::Result<_>>()?;
    let reference = model.forward_candle(std::slice::from_ref(&eval))?.remove(0);
    println!(
        "{arch_name} ({what}, {size}×{size}): calibration {} views of {} photographs, evaluation {} views of {} others",
        calib.len(),
        CALIBRATION_PHOTOS.len(),
        eval.dim(0)?,
        EVALUATION_PHOTOS.len()
    );
    let mut classes: Vec<u32> = reference.argmax(1)?.to_vec1()?;
    classes.sort_unstable();
    classes.dedup();
    println!(
        "  f32 top-1 classes: {} distinct among the {} evaluation views",
        classes.len(),
        eval.dim(0)?
    );
    let f32_sim = simulate(&*model, &eval, &ConversionOptions::default())?;
    let (t1, t5) = agreement(&reference, &f32_sim)?;
    println!(
        "  f32 network (TF32), simulated: top-1 {:.1} %, top-5 {:.1} %, SNR {:.1} dB",
        100.0 * t1,
        100.0 * t5,
        snr_db(&reference, &f32_sim)?
    );
    let tables = calibrate_each(
        &*model,
        batches.iter().map(|b| b.as_slice()),
        &QuantConfig::default(),
        &settings.calibrators,
    )?;
    let mut best: Option<(f64, usize)> = None;
    for (i, table) in tables.iter().enumerate() {
        let y = simulate(&*model, &eval, &int8_options(table, Vec::new()))?;
        let (t1, t5) = agreement(&reference, &y)?;
        let snr = snr_db(&reference, &y)?;
        println!(
            "  int8 {:<18}: top-1 agreement {:.1} %, top-5 {:.1} %, logit SNR {:.1} dB",
            table.calibrator.to_string(),
            100.0 * t1,
            100.0 * t5,
            snr
        );
        if best.is_none_or(|(s, _)| snr > s) {
            best = Some((snr, i));
        }
    }
    if settings.sensitivity {
        // The best calibrator's table (one calibration, reused for every site) on the
        // evaluation views (`--views-per-photo` keeps the per-site runs short).
        if let Some((_, b)) = best {
            sensitivity(&*model, &tables[b], &eval, &reference)?;
        }
    }
    println!("  ({:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BERT encoder
// ---------------------------------------------------------------------------------------------

mod bert {
    use super::{int8_options, simulate_all, snr_db};
    use anyhow::Context;
    use candle2trt::quant::{calibrate_each, Calibrator, QuantConfig};
    use candle2trt::DynTraceModel;
    use candle2trt_examples::fixtures::{fixture_dir, load_io, take};
    use candle2trt_models::models::bert::{BertConfig, BertModel};
    use candle2trt_models::weights::build_strict;
    use candle_core::{DType, Device, Tensor};

    const SEQ: usize = 16;

    /// `n` token sequences of length [`SEQ`] from the generator state `seed`: ids uniform in
    /// `1..vocab`, the first one 1 (a fixed `[CLS]`-like token), padding (id 0, mask 0) from
    /// a random position in `SEQ/2..=SEQ`, segment 1 from a random position on.
    fn sequences(seed: u64, n: usize, vocab: usize) -> anyhow::Result<Vec<Tensor>> {
        let mut state = seed;
        let mut next = move |bound: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % bound
        };
        let (mut ids, mut mask, mut types) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let len = SEQ / 2 + next(SEQ / 2 + 1);
            let second = 2 + next(len.saturating_sub(2).max(1));
            for p in 0..SEQ {
                let real = p < len;
                ids.push(match (p, real) {
                    (0, _) => 1i64,
                    (_, true) => 1 + next(vocab - 1) as i64,
                    (_, false) => 0,
                });
                mask.push(i64::from(real));
                types.push(i64::from(real && p >= second));
            }
        }
        [ids, mask, types]
            .into_iter()
            .map(|v| Ok(Tensor::from_vec(v, (n, SEQ), &Device::Cpu)?))
            .collect()
    }

    /// The INT8 encoder (linear layers; with `quantize_bmm` the attention products too)
    /// against f32 on held-out sequences: SNR of both outputs and the pooled cosine.
    pub fn tiny_bert(calibrators: &[Calibrator]) -> anyhow::Result<()> {
        let dir = fixture_dir("tiny_bert")?;
        let cfg = BertConfig::from_json_file(dir.join("config.json"))?;
        let ckpt = torch_weights::open(dir.join("model.safetensors"))?;
        let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
            BertModel::new(&cfg, vb)
        })?;
        let vocab = cfg.vocab_size;
        let calib: Vec<Vec<Tensor>> = (0..8)
            .map(|b| sequences(1000 + b, 16, vocab))
            .collect::<anyhow::Result<_>>()?;
        // Evaluation: the fixture's two rows (PyTorch's inputs) and 30 other sequences.
        let mut io = load_io(dir.join("io.safetensors"))?;
        let fixture = ["input_ids", "attention_mask", "token_type_ids"]
            .map(|name| take(&mut io, name).and_then(|t| Ok(t.to_dtype(DType::I64)?)));
        let extra = sequences(7, 30, vocab)?;
        let eval = fixture
            .into_iter()
            .zip(extra)
            .map(|(f, e)| Ok(Tensor::cat(&[&f?, &e], 0)?))
            .collect::<anyhow::Result<Vec<Tensor>>>()?;
        let reference = model.forward_candle(&eval)?;
        println!(
            "tiny_bert (fixture weights, random): calibration {} sequences (8 batches), evaluation {} others (the fixture's 2 + 30), length {SEQ}",
            calib.iter().map(|b| b[0].dims()[0]).sum::<usize>(),
            eval[0].dim(0)?
        );
        let report = |label: &str, y: &[Tensor]| -> anyhow::Result<()> {
            let cos = {
                let (r, p) = (&reference[1], &y[1]);
                let dot = (r * p)?.sum(1)?;
                let norms = (r.sqr()?.sum(1)?.sqrt()? * p.sqr()?.sum(1)?.sqrt()?)?;
                (dot / norms)?.mean_all()?.to_scalar::<f32>()?
            };
            println!(
                "  {label:<34}: last_hidden_state SNR {:.1} dB, pooler_output SNR {:.1} dB, pooled cosine {cos:.5}",
                snr_db(&reference[0], &y[0])?,
                snr_db(&reference[1], &y[1])?
            );
            Ok(())
        };
        let f32_sim = simulate_all(&model, &eval, &Default::default())?;
        report("f32 network (TF32), simulated", &f32_sim)?;
        for quantize_bmm in [false, true] {
            let config = QuantConfig {
                quantize_bmm,
                ..Default::default()
            };
            let tables = calibrate_each(
                &model,
                calib.iter().map(|b| b.as_slice()),
                &config,
                calibrators,
            )
            .context("calibrating tiny_bert")?;
            if let Some(t) = tables.first() {
                let decisions = candle2trt::quant::decide(&t.sites, &config);
                let mut kinds = std::collections::BTreeMap::<String, (usize, usize)>::new();
                for (site, d) in t.sites.iter().zip(&decisions) {
                    let k = kinds.entry(format!("{:?}", site.kind)).or_default();
                    k.0 += usize::from(d.quantized);
                    k.1 += 1;
                }
                println!("  quantize_bmm={quantize_bmm}: quantized sites of each kind (of all) {kinds:?}");
            }
            for table in &tables {
                let mut options = int8_options(table, Vec::new());
                options.quantization.quantize_bmm = quantize_bmm;
                let y = simulate_all(&model, &eval, &options)?;
                let what = if quantize_bmm {
                    "linear + bmm"
                } else {
                    "linear"
                };
                report(&format!("int8 {what} {}", table.calibrator), &y)?;
            }
        }
        Ok(())
    }
}
