//! The four subcommands.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use candle2trt::{CacheOutcome, ConversionOptions, SharedProgressMonitor, TrtModule};
use candle2trt_cli::progress::{BuildProgress, ProgressCounts, ProgressMode};
use candle2trt_cli::triton::{self, DataType, MaxBatch, ModelIo, TensorIo, TritonOptions};
use candle2trt_cli::zoo::{self, SampleShape, ZooModel};
use candle_core::{DType, Tensor};

use crate::{CheckArgs, ConvertArgs, ExportArgs, Failure, InspectArgs};

type Result<T> = std::result::Result<T, Failure>;

/// The fix to print for a candle2trt error, and the exit code.
pub(crate) fn fix_for(e: &candle2trt::Error) -> (Option<&'static str>, u8) {
    use candle2trt::Error as E;
    match e {
        E::NotImplemented(_) => (Some("this mode is not available in this version; convert without it (f32 or --fp16)"), 4),
        E::UnsupportedOp { .. } | E::UnsupportedArguments { .. } => (
            Some("the model uses an op (or op arguments) candle2trt cannot convert yet, named above with its module path; report it, or change that part of the model"),
            1,
        ),
        E::InvalidOptions(_) => (Some("correct the option named above (see --help)"), 2),
        E::InvalidEngineFile { .. } => (
            Some("the file is not an engine written by `candle2trt convert`, or it is damaged; convert the model again"),
            1,
        ),
        E::Io { .. } => (Some("check that the path exists and is readable/writable"), 1),
        // The loader's own message ends with its fix (every place searched, what to set).
        E::TensorRt(m) if m.to_string().contains("TensorRT library") => (None, 1),
        E::TensorRt(_) => (Some("the message above is TensorRT's own; try another --opt-level or --workspace, or report it"), 1),
        _ => (None, 1),
    }
}

fn load_engine(path: &Path) -> Result<TrtModule> {
    TrtModule::load(path).map_err(Failure::from)
}

fn default_config(arch: &str, weights: &Path, config: Option<&Path>) -> Option<std::path::PathBuf> {
    match config {
        Some(c) => Some(c.to_path_buf()),
        None if arch == "bert" => weights
            .parent()
            .map(|d| d.join("config.json"))
            .filter(|p| p.is_file()),
        None => None,
    }
}

/// Runs `convert` on `model` with a progress display; returns the module and what TensorRT
/// reported.
fn convert_with_progress(
    model: &ZooModel,
    inputs: &[Tensor],
    mut options: ConversionOptions,
    mode: ProgressMode,
    what: &str,
    cache: Option<&Path>,
) -> Result<(TrtModule, ProgressCounts)> {
    let counts = Arc::new(Mutex::new(ProgressCounts::default()));
    let progress = BuildProgress::start(mode, what, counts.clone());
    // The display is shared with TensorRT's monitor; a clone is kept to clear it on failure.
    let shared = Arc::new(Mutex::new(progress));
    options.progress_monitor = Some(SharedProgressMonitor::new(ForwardTo(shared.clone())));
    let result = match cache {
        Some(path) => model.load_or_convert(path, inputs, &options),
        None => model.convert(inputs, &options),
    };
    if let Ok(mut p) = shared.lock() {
        p.clear();
    }
    let module = result?;
    let counts = counts.lock().map(|c| *c).unwrap_or_default();
    Ok((module, counts))
}

/// Forwards TensorRT's callbacks to a display that the caller keeps a handle on.
struct ForwardTo(Arc<Mutex<BuildProgress>>);

impl trt::ProgressMonitor for ForwardTo {
    fn phase_start(&mut self, phase: &str, parent: Option<&str>, nb_steps: i32) {
        if let Ok(mut p) = self.0.lock() {
            p.phase_start(phase, parent, nb_steps);
        }
    }
    fn step_complete(&mut self, phase: &str, step: i32) -> bool {
        self.0
            .lock()
            .is_ok_and(|mut p| p.step_complete(phase, step))
    }
    fn phase_finish(&mut self, phase: &str) {
        if let Ok(mut p) = self.0.lock() {
            p.phase_finish(phase);
        }
    }
}

pub(crate) fn convert(a: ConvertArgs) -> Result<()> {
    if a.output.is_none() && a.cache.is_none() {
        return Err(Failure::new(
            "no output file",
            "pass -o <model.engine> (or --cache <DIR> to keep the engine in a cache)",
            2,
        ));
    }
    let config = default_config(&a.arch, &a.weights, a.config.as_deref());
    let batch = a.batch.unwrap_or(candle2trt_cli::args::BatchRange {
        min: 1,
        opt: 1,
        max: 1,
    });
    let model = zoo::load(&a.arch, &a.weights, config.as_deref())?;
    let shape = SampleShape {
        batch: batch.opt,
        image_size: a.image_size,
        seq_len: a.seq_len,
    };
    let inputs = model.sample_inputs(&shape)?;
    let options = ConversionOptions {
        fp16_mode: a.fp16,
        input_names: model.input_names(),
        output_names: model.output_names(),
        dynamic_batch: batch
            .is_dynamic()
            .then_some((batch.min, batch.opt, batch.max)),
        max_workspace: a.workspace,
        builder_optimization_level: a.opt_level,
        timing_cache: a.timing_cache.clone(),
        ..Default::default()
    };
    let options = if a.int8 {
        int8_options(options, &a, &model.input_names(), batch.opt)?
    } else {
        options
    };
    // The engine cache is the library's: one file per architecture and precision, whose
    // header's fingerprint (weights, network, options, versions) decides load or rebuild.
    let cached = match &a.cache {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::new(
                    format!("cannot create the cache folder {}: {e}", dir.display()),
                    "pass a writable --cache folder",
                    1,
                )
            })?;
            let precision = match (a.int8, a.fp16) {
                (true, _) => "int8",
                (false, true) => "fp16",
                (false, false) => "fp32",
            };
            Some(dir.join(format!("{}-{precision}.engine", a.arch)))
        }
        None => None,
    };
    let started = Instant::now();
    let (module, counts) = convert_with_progress(
        &model,
        &inputs,
        options,
        a.progress,
        &a.arch,
        cached.as_deref(),
    )?;
    let loaded = match (module.cache_outcome(), &cached) {
        (Some(CacheOutcome::Loaded), Some(path)) => {
            println!(
                "cache hit: loaded {} (weights, network, options and versions match); not rebuilt",
                path.display()
            );
            true
        }
        (Some(CacheOutcome::Built { reason }), Some(path)) => {
            println!("cache miss: {reason}; built and stored {}", path.display());
            false
        }
        _ => false,
    };
    if !loaded {
        report_build(&module, counts, started);
    }
    finish(module, !loaded, &a)
}

/// `options` with INT8: the calibrator, the cache, and `--calib`'s batches.
fn int8_options(
    mut options: ConversionOptions,
    a: &ConvertArgs,
    input_names: &[String],
    batch: usize,
) -> Result<ConversionOptions> {
    let usage = |e: String, fix: &str| Failure::new(e, fix.to_string(), 2);
    options.int8_mode = true;
    if let Some(name) = &a.calibrator {
        options.quantization.calibrator = name
            .parse()
            .map_err(|e: String| usage(e, "pass --calibrator max|percentile|entropy|mse"))?;
    }
    options.quantization.cache = a.calib_cache.clone();
    if let Some(path) = &a.calib {
        let file = |e: String| Failure::new(e, "pass a .safetensors file of model inputs", 1);
        let mut tensors = candle_core::safetensors::load(path, &candle_core::Device::Cpu)
            .map_err(|e| file(format!("cannot read {}: {e}", path.display())))?;
        let mut columns = Vec::with_capacity(input_names.len());
        for name in input_names {
            let t = match tensors.remove(name) {
                Some(t) => t,
                None if input_names.len() == 1 && tensors.len() == 1 => tensors
                    .drain()
                    .next()
                    .map(|(_, t)| t)
                    .unwrap_or_else(|| unreachable!()),
                None => {
                    return Err(file(format!(
                        "{} has no tensor {name:?} (the model's inputs: {})",
                        path.display(),
                        input_names.join(", ")
                    )))
                }
            };
            columns.push(t);
        }
        let n = columns
            .first()
            .map_or(0, |t| t.dims().first().copied().unwrap_or(0));
        let batch = batch.max(1);
        let mut batches = Vec::new();
        for start in (0..n).step_by(batch) {
            let len = batch.min(n - start);
            let b = columns
                .iter()
                .map(|t| t.narrow(0, start, len))
                .collect::<candle_core::Result<Vec<_>>>()
                .map_err(|e| file(format!("{}: {e}", path.display())))?;
            batches.push(b);
        }
        if batches.is_empty() {
            return Err(file(format!("{} holds no samples", path.display())));
        }
        println!(
            "INT8 calibration: {n} samples from {} in {} batches, {} calibrator",
            path.display(),
            batches.len(),
            options.quantization.calibrator
        );
        options.int8_calibration_batches = batches;
    } else {
        println!(
            "INT8 calibration: on the sample input only (one sample is not a calibration set; pass --calib)"
        );
    }
    Ok(options)
}

/// Saves `module` to `-o` and prints the report.
fn finish(module: TrtModule, built: bool, a: &ConvertArgs) -> Result<()> {
    if let Some(out) = &a.output {
        module.save(out).map_err(|e| {
            Failure::new(
                format!("{e}"),
                "check that the folder exists and is writable",
                1,
            )
        })?;
        println!("wrote {}", out.display());
    }
    print!("{}", summary(&module, a.layers));
    if !built {
        println!("(loaded from the cache: traced to compare fingerprints, no TensorRT build)");
    }
    Ok(())
}

fn report_build(module: &TrtModule, counts: ProgressCounts, started: Instant) {
    match module.conversion_times() {
        Some((trace, build)) => println!(
            "converted in {:.2} s (trace {:.2} s, TensorRT build {:.2} s; TensorRT reported {} phases, {} steps)",
            started.elapsed().as_secs_f64(),
            trace.as_secs_f64(),
            build.as_secs_f64(),
            counts.phases,
            counts.steps
        ),
        None => println!("converted in {:.2} s", started.elapsed().as_secs_f64()),
    }
}

/// The report of an engine: header, I/O, layer counts (and every layer with `layers`).
fn summary(m: &TrtModule, layers: bool) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "TensorRT {} engine, {} bytes, precision {}",
        m.tensorrt_version(),
        m.engine_bytes().len(),
        m.meta().precision.as_str()
    );
    for (kind, specs) in [("input ", m.inputs()), ("output", m.outputs())] {
        for io in specs {
            let _ = write!(
                s,
                "  {kind} {:<20} {:<5} {:?}",
                io.name,
                dtype_name(io.dtype),
                io.dims
            );
            if let Some(p) = &io.profile {
                let _ = write!(s, "  min {:?} opt {:?} max {:?}", p.min, p.opt, p.max);
            }
            s.push('\n');
        }
    }
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    for l in m.layers() {
        *per_type.entry(l.layer_type.as_str()).or_default() += 1;
    }
    let folded = m
        .layers()
        .iter()
        .filter(|l| l.folded_into.is_some())
        .count();
    let _ = writeln!(
        s,
        "  {} layers ({} folded away): {}",
        m.layers().len(),
        folded,
        per_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if layers {
        for l in m.layers() {
            let _ = write!(
                s,
                "    {:<40} {:<16} {:<16} {}",
                l.name, l.layer_type, l.op, l.module_path
            );
            if let Some(into) = &l.folded_into {
                let _ = write!(s, " (folded into {into})");
            }
            s.push('\n');
        }
    }
    s
}

fn dtype_name(d: DType) -> &'static str {
    d.as_str()
}

pub(crate) fn inspect(a: InspectArgs) -> Result<()> {
    let m = load_engine(&a.engine)?;
    if a.json {
        let io = |specs: &[candle2trt::IoSpec]| {
            specs
                .iter()
                .map(|io| {
                    serde_json::json!({
                        "name": io.name,
                        "dtype": dtype_name(io.dtype),
                        "dims": io.dims,
                        "profile": io.profile.as_ref().map(|p| serde_json::json!({
                            "min": p.min, "opt": p.opt, "max": p.max
                        })),
                    })
                })
                .collect::<Vec<_>>()
        };
        let layers: Vec<_> = m
            .layers()
            .iter()
            .map(|l| {
                serde_json::json!({
                    "name": l.name, "op": l.op, "module_path": l.module_path,
                    "layer_type": l.layer_type, "folded_into": l.folded_into,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "file": a.engine.display().to_string(),
            "tensorrt_version": m.tensorrt_version(),
            "precision": m.meta().precision.as_str(),
            "engine_bytes": m.engine_bytes().len(),
            "inputs": io(m.inputs()),
            "outputs": io(m.outputs()),
            "layers": layers,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("{}", a.engine.display());
        print!("{}", summary(&m, a.layers));
    }
    Ok(())
}

fn max_abs(t: &Tensor) -> anyhow::Result<f32> {
    Ok(t.to_dtype(DType::F32)?
        .abs()?
        .flatten_all()?
        .to_vec1::<f32>()?
        .into_iter()
        .fold(0f32, f32::max))
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> anyhow::Result<f32> {
    anyhow::ensure!(
        a.dims() == b.dims(),
        "shapes differ: {:?} vs {:?}",
        a.dims(),
        b.dims()
    );
    let d = (a.to_dtype(DType::F32)? - b.to_dtype(DType::F32)?)?
        .abs()?
        .flatten_all()?
        .to_vec1::<f32>()?;
    // NaN must fail a check, not vanish in a max.
    Ok(d.into_iter().fold(0f32, |m, x| {
        if x.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(x)
        }
    }))
}

pub(crate) fn check(a: CheckArgs) -> Result<()> {
    let config = default_config(&a.arch, &a.weights, a.config.as_deref());
    let model = zoo::load(&a.arch, &a.weights, config.as_deref())?;
    let mut io = candle_core::safetensors::load(&a.io, &candle_core::Device::Cpu).map_err(|e| {
        Failure::new(
            format!("cannot read {}: {e}", a.io.display()),
            "pass a safetensors file with the model inputs and PyTorch's outputs",
            1,
        )
    })?;
    let mut take = |name: &str| {
        io.remove(name).ok_or_else(|| {
            Failure::new(
                format!("{} has no tensor {name:?}", a.io.display()),
                format!("the io file must hold {name:?} (see `candle2trt check --help`)"),
                1,
            )
        })
    };
    let inputs = model
        .input_names()
        .iter()
        .map(|n| take(n))
        .collect::<Result<Vec<_>>>()?;
    let expected = model
        .reference_output_names()
        .iter()
        .map(|n| take(n).map(|t| (n.clone(), t)))
        .collect::<Result<Vec<_>>>()?;

    let mut failed = Vec::new();
    // The traced network's values are candle's, computed while each TensorRT layer was added
    // (TensorRT's own execution needs a GPU it supports). f32 is judged by the absolute error; f16 relative to the reference's largest magnitude
    // (an f16 step near 576 is 0.5).
    let mut judge = |what: &str,
                     name: &str,
                     got: &Tensor,
                     want: &Tensor,
                     relative: bool,
                     tolerance: f32|
     -> Result<()> {
        let err = max_abs_diff(got, want)?;
        let scale = if relative {
            max_abs(want)?.max(f32::MIN_POSITIVE)
        } else {
            1.0
        };
        let judged = err / scale;
        let ok = judged <= tolerance;
        println!(
            "{what:<34} {name:<18} max_abs_err {err:.3e}{}  {} (tolerance {tolerance:.0e}{})",
            if relative {
                format!(" (relative {judged:.2e})")
            } else {
                String::new()
            },
            if ok { "ok" } else { "FAIL" },
            if relative { ", relative" } else { "" }
        );
        if !ok {
            failed.push(format!("{what} {name}"));
        }
        Ok(())
    };
    let plain = model.forward(&inputs)?;
    for ((name, want), got) in expected.iter().zip(&plain) {
        judge(
            "candle (CPU, f32) vs PyTorch",
            name,
            got,
            want,
            false,
            a.tolerance,
        )?;
    }
    if !a.no_engine {
        let precisions: &[bool] = if a.fp16 { &[false, true] } else { &[false] };
        for &fp16 in precisions {
            let options = ConversionOptions {
                fp16_mode: fp16,
                input_names: model.input_names(),
                output_names: model.output_names(),
                tf32: !a.no_tf32,
                ..Default::default()
            };
            let label = match (fp16, a.no_tf32) {
                (true, _) => "fp16",
                (false, false) => "fp32, TF32",
                (false, true) => "fp32, no TF32",
            };
            let (module, _) = convert_with_progress(
                &model,
                &inputs,
                options,
                a.progress,
                &format!("{} ({label})", a.arch),
                None,
            )?;
            let tolerance = if fp16 { a.fp16_tolerance } else { a.tolerance };
            for ((name, want), got) in expected.iter().zip(module.reference_outputs()) {
                judge(
                    &format!("traced network ({label}) vs PyTorch"),
                    name,
                    got,
                    want,
                    fp16,
                    tolerance,
                )?;
            }
            // The engine's own numbers, without a GPU: the network TensorRT holds, simulated on
            // the CPU during the conversion (its precision, TF32 and f16 rounding included).
            // Judged relative to the reference's largest magnitude where TensorRT rounds by
            // design (TF32, f16), absolutely in true f32.
            let rounded = fp16 || !a.no_tf32;
            let sim_tolerance = if rounded {
                a.fp16_tolerance
            } else {
                a.tolerance
            };
            for ((name, want), got) in expected.iter().zip(module.simulated_outputs()) {
                judge(
                    &format!("simulated engine ({label}) vs PyTorch"),
                    name,
                    got,
                    want,
                    rounded,
                    sim_tolerance,
                )?;
                println!(
                    "  simulated_max_abs_err {:.3e}  reference_max_abs {:.3e}",
                    max_abs_diff(got, want)?,
                    max_abs(want)?
                );
            }
            println!(
                "  engine built: {} bytes, {} layers",
                module.engine_bytes().len(),
                module.layers().len()
            );
        }
    }
    println!("INT8 simulated-error check: not available yet (INT8 calibration is not implemented)");
    if failed.is_empty() {
        println!("check passed");
        Ok(())
    } else {
        Err(Failure::new(
            format!("parity check failed: {}", failed.join(", ")),
            "look for the first failing line above; raise --tolerance only if the error is expected",
            3,
        ))
    }
}

/// The plain I/O description Triton's configuration needs.
fn model_io(m: &TrtModule) -> Result<ModelIo> {
    let tensor = |io: &candle2trt::IoSpec| {
        let data_type = DataType::from_candle(io.dtype).ok_or_else(|| {
            Failure::new(
                format!(
                    "`{}` has dtype {:?}, which Triton has no type for",
                    io.name, io.dtype
                ),
                "convert the model with f32/f16 inputs and outputs",
                1,
            )
        })?;
        Ok(TensorIo {
            name: io.name.clone(),
            data_type,
            dims: io.dims.clone(),
        })
    };
    let profile_max_batch = m
        .inputs()
        .iter()
        .filter(|io| io.dims.first() == Some(&-1))
        .filter_map(|io| io.profile.as_ref().and_then(|p| p.max.first()))
        .map(|&b| b as u64)
        .min();
    Ok(ModelIo {
        inputs: m.inputs().iter().map(tensor).collect::<Result<_>>()?,
        outputs: m.outputs().iter().map(tensor).collect::<Result<_>>()?,
        profile_max_batch,
    })
}

pub(crate) fn export_triton(a: ExportArgs) -> Result<()> {
    let m = load_engine(&a.engine)?;
    let io = model_io(&m)?;
    let options = TritonOptions {
        max_batch: a.max_batch.map_or(MaxBatch::Auto, MaxBatch::Fixed),
        instances: a.instances,
        dynamic_batching: a.dynamic_batching,
        max_queue_delay_us: a.max_queue_delay_us,
    };
    let triton_err = |e: triton::TritonError| Failure {
        cause: e.to_string(),
        fix: None,
        code: 1,
    };
    let config = triton::config_pbtxt(&a.name, &io, &options).map_err(triton_err)?;
    let max_batch = triton::resolve_max_batch(&io, &options).map_err(triton_err)?;
    let dir = triton::write_repository(&a.repo, &a.name, &config, m.engine_bytes(), a.force)
        .map_err(triton_err)?;
    println!("wrote {}", dir.join("config.pbtxt").display());
    println!(
        "wrote {} ({} bytes, the bare TensorRT {} engine)",
        dir.join("1").join("model.plan").display(),
        m.engine_bytes().len(),
        m.tensorrt_version()
    );
    println!("max_batch_size {max_batch}");
    if m.tensorrt_version().starts_with("1.") {
        println!(
            "note: this plan was built by TensorRT-RTX {}; Triton's tensorrt backend loads it only \
             when it is built against that same library (stock Triton images use standard TensorRT)",
            m.tensorrt_version()
        );
    }
    Ok(())
}
