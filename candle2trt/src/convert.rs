//! [`convert`]: trace a model on sample inputs, build the TensorRT engine.

use std::borrow::Borrow;
use std::time::{Duration, Instant};

use candle_core::Tensor;
use trt::DataType;

use crate::engine::{network_digests, EngineMeta, Fingerprint, IoSpec, Precision, TrtModule};
use crate::options::{ConversionOptions, ShapeRange};
use crate::trace::{RecordedOp, Trace, Tracer};
use crate::{DynTraceModel, Error, Result};

/// Converts `model` into a TensorRT engine, torch2trt style: `candle2trt(model, [x], fp16_mode=True)`.
///
/// The model's forward runs once on `inputs` under the tracer: every op computes its candle
/// value and adds its TensorRT layers, and TensorRT's inferred dimensions are checked against
/// candle's at each op. The network is then built into a serialized engine. The inputs only
/// provide shapes, dtypes and reference values: they never become constants.
///
/// Building works on any machine where the TensorRT library loads (no GPU needed with
/// TensorRT-RTX); running the engine ([`TrtModule::forward`]) needs a GPU TensorRT supports.
///
/// ```no_run
/// use candle2trt::{convert, ConversionOptions, TraceModule, TraceTensor};
/// # fn demo<M: TraceModule>(model: &M, x: &candle_core::Tensor) -> candle2trt::Result<()> {
/// let options = ConversionOptions {
///     fp16_mode: true,
///     input_names: vec!["input_tensor".into()],
///     output_names: vec!["output_tensor".into()],
///     ..Default::default()
/// };
/// let engine = convert(model, &[x], &options)?;
/// engine.save("model.engine")?;
/// # Ok(()) }
/// ```
pub fn convert<M: DynTraceModel + ?Sized, A: Borrow<Tensor>>(
    model: &M,
    inputs: &[A],
    options: &ConversionOptions,
) -> Result<TrtModule> {
    convert_with(model, inputs, options, &mut |_| None)
}

/// [`convert`], except that once the network is traced and its [`EngineMeta`] (with the
/// fingerprint) is known, `reuse` may hand back an engine instead of a build: the result is that
/// module with the trace's reference outputs and trace time.
pub(crate) fn convert_with<M: DynTraceModel + ?Sized, A: Borrow<Tensor>>(
    model: &M,
    inputs: &[A],
    options: &ConversionOptions,
    reuse: &mut dyn FnMut(&EngineMeta) -> Option<TrtModule>,
) -> Result<TrtModule> {
    let started = Instant::now();
    let inputs: Vec<&Tensor> = inputs.iter().map(Borrow::borrow).collect();
    traced_network(model, &inputs, options, |t| {
        // The trace time leaves out verification (its own time is in its report).
        let trace_time = started.elapsed();
        build(t, model, &inputs, trace_time, reuse)
    })
}

/// [`convert_with`] once the model is traced: verification, then an engine reused or built.
fn build<M: DynTraceModel + ?Sized>(
    t: TracedNetwork<'_, '_>,
    model: &M,
    inputs: &[&Tensor],
    trace_time: Duration,
    reuse: &mut dyn FnMut(&EngineMeta) -> Option<TrtModule>,
) -> Result<TrtModule> {
    let TracedNetwork {
        library,
        builder,
        network,
        setup,
        trace: traced,
    } = t;
    let options = setup.options;

    let precision = if options.int8_mode && options.quantization.fp8 {
        Precision::Fp8
    } else if options.int8_mode {
        Precision::Int8
    } else if options.fp16_mode {
        Precision::Fp16
    } else {
        Precision::Fp32
    };
    let mut meta = EngineMeta {
        inputs: traced.input_specs.clone(),
        outputs: traced.output_specs.clone(),
        layers: traced.layers.clone(),
        tensorrt_version: library.version().to_string(),
        precision,
        fp32_policy: options.fp32_policy,
        builder_optimization_level: options.builder_optimization_level,
        max_workspace: options.max_workspace,
        tf32: options.tf32,
        fingerprint: Fingerprint::default(),
    };
    let digests = match network_digests(network) {
        Ok((weights, net)) => Some((weights, net)),
        // No fingerprint, no reuse: the engine is built (and its file has no fingerprint).
        Err(e) => {
            tracing::warn!("candle2trt: cannot digest the network ({e}); building");
            None
        }
    };

    // The configuration and the profile come first: verification reads the TF32 flag and the
    // profile back from TensorRT.
    let input_specs = &meta.inputs;
    let any_dynamic_input = input_specs.iter().any(|s| s.dims.contains(&-1));

    let mut config = builder.create_config()?;
    config.set_flag(trt::BuilderFlag::Tf32, options.tf32)?;
    if let Some(bytes) = options.max_workspace {
        config.set_max_workspace(bytes)?;
    }
    if let Some(level) = options.builder_optimization_level {
        config.set_builder_optimization_level(level)?;
    }
    if let Some(monitor) = &options.progress_monitor {
        config.set_progress_monitor(monitor.clone())?;
    }
    let mut profile = None;
    if any_dynamic_input {
        let mut p = builder.create_optimization_profile()?;
        for spec in input_specs {
            if let Some(r) = &spec.profile {
                let to_i64 = |v: &[usize]| v.iter().map(|&d| d as i64).collect::<Vec<_>>();
                p.set_dimensions(&spec.name, to_i64(&r.min), to_i64(&r.opt), to_i64(&r.max))?;
            }
        }
        config.add_optimization_profile(&p)?;
        profile = Some(p);
    }

    // Verification runs before an engine is reused or built: a reused engine was built from
    // this same network, so what the simulation proves holds for it too.
    let verification = if options.verify.enabled {
        let subject = crate::verify::Subject {
            model,
            samples: inputs,
            network,
            trace: &traced,
            options,
            tf32: config.flag(trt::BuilderFlag::Tf32),
            profile: profile.as_ref(),
        };
        // On a failure, the model is traced again at the failing shape into a scratch network,
        // keeping every op's candle value, for the layer-by-layer comparison.
        let retrace = |at: &[Tensor]| -> Result<Vec<RecordedOp>> {
            let scratch = builder.create_network()?;
            let at: Vec<&Tensor> = at.iter().collect();
            let again = trace(model, &at, setup, &TraceSizes::default(), &scratch, true)?;
            Ok(again.ops.into_iter().map(RecordedOp::from).collect())
        };
        Some(crate::verify::verify(&subject, &retrace)?)
    } else {
        None
    };
    let reference_outputs = traced.reference_outputs;
    let with_verification = |module: TrtModule| match verification {
        Some((report, simulated)) => module.with_verification(report, simulated),
        None => module,
    };

    if let Some((weights, net)) = digests {
        meta.fingerprint = fingerprint(&meta, weights, net);
        if let Some(module) = reuse(&meta) {
            let module = module.with_conversion(reference_outputs, (trace_time, Duration::ZERO));
            return Ok(with_verification(module));
        }
    }
    if let Some(path) = &options.timing_cache {
        let cache = if path.exists() {
            config.load_timing_cache(path)?
        } else {
            config.create_timing_cache(&[])?
        };
        config.set_timing_cache(cache, true)?;
    }
    let build_started = Instant::now();
    let engine = builder.build_serialized_network(network, &config)?;
    let build_time = build_started.elapsed();
    if let (Some(path), Some(cache)) = (&options.timing_cache, config.timing_cache()) {
        cache.save(path)?;
    }

    let module = TrtModule::new(meta, engine.into_bytes())
        .with_conversion(reference_outputs, (trace_time, build_time));
    Ok(with_verification(module))
}

/// What [`convert`] and [`with_network`] share: the inputs checked, TensorRT loaded, the
/// quantization plan made (INT8: calibrated once, with plain candle over the calibration batches;
/// every trace applies it), and `model` traced into a fresh network, which `then` gets.
fn traced_network<M: DynTraceModel + ?Sized, R>(
    model: &M,
    inputs: &[&Tensor],
    options: &ConversionOptions,
    then: impl FnOnce(TracedNetwork<'_, '_>) -> Result<R>,
) -> Result<R> {
    validate(inputs, options)?;
    let profiles = profiles(inputs, options)?;
    let library = trt::Library::load().map_err(trt::Error::from)?;
    let logger = trt::Logger::new(trt::Severity::Warning)?;
    let builder = trt::Builder::new(library, &logger)?;
    let network = builder.create_network()?;
    let sizes = if options.trace_at_sample_shape {
        TraceSizes::default()
    } else {
        TraceSizes::choose(inputs, &profiles)
    };
    let plan = quant_plan(model, inputs, options)?;
    let setup = TraceSetup {
        options,
        profiles: &profiles,
        quant: plan.as_ref(),
    };
    let trace = trace(model, inputs, &setup, &sizes, &network, false)?;
    then(TracedNetwork {
        library,
        builder: &builder,
        network: &network,
        setup: &setup,
        trace,
    })
}

/// A model traced into a network, with what made it ([`traced_network`]).
struct TracedNetwork<'a, 'n> {
    library: &'a trt::Library,
    builder: &'n trt::Builder<'a>,
    network: &'n trt::Network<'n>,
    setup: &'a TraceSetup<'a>,
    trace: Trace<'n>,
}

/// What every trace of one conversion shares: the options, each input's profile and the
/// quantization plan (INT8/FP8).
struct TraceSetup<'a> {
    options: &'a ConversionOptions,
    profiles: &'a [Option<ShapeRange>],
    quant: Option<&'a crate::quant::Plan>,
}

/// Traces `model` on `inputs` into `network`: inputs declared (dynamic where the profiles vary),
/// the forward run under the tracer, outputs marked. `record_values` keeps every op's candle
/// value.
fn trace<'n, M: DynTraceModel + ?Sized>(
    model: &M,
    inputs: &[&Tensor],
    setup: &TraceSetup<'_>,
    sizes: &TraceSizes,
    network: &'n trt::Network<'n>,
    record_values: bool,
) -> Result<Trace<'n>> {
    let TraceSetup {
        options,
        profiles,
        quant,
    } = *setup;
    let float = if options.fp16_mode {
        DataType::Half
    } else {
        DataType::Float
    };
    let tracer = match quant {
        Some(plan) => Tracer::with_quant(
            network,
            float,
            options.fp32_policy,
            crate::quant::applying(plan.clone()),
        ),
        None => Tracer::new(network, float, options.fp32_policy),
    };
    if record_values {
        tracer.record_values();
    } else if let Some(fault) = &options.verify.fault_injection {
        // Only the conversion's own trace: the second trace records candle's values.
        tracer.inject_fault(fault.mutate.clone());
    }
    let mut traced = Vec::with_capacity(inputs.len());
    let mut input_specs = Vec::with_capacity(inputs.len());
    for (i, (x, profile)) in inputs.iter().zip(profiles).enumerate() {
        let name = name_at(&options.input_names, i, "input");
        let dims: Vec<i64> = match profile {
            Some(p) => (0..x.rank())
                .map(|d| {
                    if p.min[d] == p.max[d] {
                        p.min[d] as i64
                    } else {
                        -1
                    }
                })
                .collect(),
            None => x.dims().iter().map(|&d| d as i64).collect(),
        };
        let value = sizes.tile(x, &dims)?;
        traced.push(tracer.add_input(&name, &value, &dims)?);
        input_specs.push(IoSpec {
            name,
            dtype: x.dtype(),
            dims,
            profile: profile.clone(),
        });
    }

    tracer.set_retraced(sizes.changed());
    let outputs = model.forward_traced(&traced)?;
    if outputs.is_empty() {
        return Err(Error::ModelInterface(
            "the model returned no outputs".into(),
        ));
    }
    if !options.output_names.is_empty() && options.output_names.len() != outputs.len() {
        return Err(Error::InvalidOptions(format!(
            "{} output names for {} model outputs",
            options.output_names.len(),
            outputs.len()
        )));
    }
    let mut output_specs = Vec::with_capacity(outputs.len());
    let mut reference_outputs = Vec::with_capacity(outputs.len());
    // The traced outputs cut back to the sample's size are the sample's outputs only where
    // dimensions were tiled along the batch axis (samples are independent there). Traced
    // smaller than the sample, or tiled along another axis (a sequence that attention mixes,
    // a width that padding shifts), the sample's outputs come from a plain run.
    let batch_only = input_specs
        .iter()
        .all(|s| s.dims.iter().skip(1).all(|&d| d != -1));
    let plain = if sizes.shrinks() || (!sizes.changed().is_empty() && !batch_only) {
        let inputs: Vec<Tensor> = inputs.iter().map(|&x| x.clone()).collect();
        Some(model.forward_candle(&inputs)?)
    } else {
        None
    };
    for (i, y) in outputs.iter().enumerate() {
        let name = name_at(&options.output_names, i, "output");
        let dims = tracer.mark_output(y, &name)?;
        reference_outputs.push(match &plain {
            Some(plain) => plain[i].clone(),
            None => sizes.untile(&y.value, &dims)?,
        });
        output_specs.push(IoSpec {
            name,
            dtype: y.value.dtype(),
            dims,
            profile: None,
        });
    }
    let any_dynamic_input = input_specs.iter().any(|s| s.dims.contains(&-1));
    let any_dynamic_output = output_specs.iter().any(|s| s.dims.contains(&-1));
    if any_dynamic_input && !any_dynamic_output {
        let (op, module_path) = tracer
            .dynamic_lost_at()
            .unwrap_or_else(|| ("?".into(), "?".into()));
        return Err(Error::DynamicShapeLost { op, module_path });
    }
    let layers = tracer.take_layers();
    let ops = tracer.take_ops();
    drop(traced);
    drop(outputs);
    drop(tracer);
    Ok(Trace {
        input_specs,
        output_specs,
        reference_outputs,
        layers,
        ops,
    })
}

/// Traces `model` on `inputs` as [`convert`] does — the same network, profile and checks — but
/// neither verifies nor builds: `f` gets the TensorRT network to inspect
/// ([`trt::Network::dump`]), to simulate (`trt_sim::Program::from_network`), or to time.
///
/// ```no_run
/// # fn demo<M: candle2trt::TraceModule>(model: &M, x: &candle_core::Tensor) -> candle2trt::Result<()> {
/// let json = candle2trt::with_network(model, &[x], &Default::default(), |network| {
///     network.dump(trt::DumpOptions::default())?.to_json()
/// })??;
/// # Ok(()) }
/// ```
pub fn with_network<M: DynTraceModel + ?Sized, A: Borrow<Tensor>, R>(
    model: &M,
    inputs: &[A],
    options: &ConversionOptions,
    f: impl FnOnce(&trt::Network<'_>) -> R,
) -> Result<R> {
    let inputs: Vec<&Tensor> = inputs.iter().map(Borrow::borrow).collect();
    traced_network(model, &inputs, options, |t| Ok(f(t.network)))
}

/// With `int8_mode`, the quantization plan (calibrated, or from the given table); else `None`.
fn quant_plan<M: DynTraceModel + ?Sized>(
    model: &M,
    inputs: &[&Tensor],
    options: &ConversionOptions,
) -> Result<Option<crate::quant::Plan>> {
    if options.int8_mode {
        crate::quant::conversion_plan(model, inputs, options).map(Some)
    } else {
        Ok(None)
    }
}

/// The fingerprint of an engine described by `meta` (see [`Fingerprint`]).
fn fingerprint(meta: &EngineMeta, weights: String, network: String) -> Fingerprint {
    let mut f = Fingerprint::default();
    let profiles: Vec<String> = meta
        .inputs
        .iter()
        .map(|io| match &io.profile {
            Some(p) => format!("{}:{:?}/{:?}/{:?}", io.name, p.min, p.opt, p.max),
            None => format!("{}:static", io.name),
        })
        .collect();
    let optional = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    f.set("weights", weights)
        .set("network", network)
        .set("profiles", profiles.join(" "))
        .set("precision", meta.precision.as_str())
        .set("fp32_policy", format!("{:?}", meta.fp32_policy))
        .set(
            "optimization_level",
            optional(meta.builder_optimization_level.map(|l| l.to_string())),
        )
        .set(
            "max_workspace",
            optional(meta.max_workspace.map(|w| w.to_string())),
        )
        .set("tf32", u8::from(meta.tf32))
        .set("candle2trt", env!("CARGO_PKG_VERSION"))
        .set("tensorrt", &meta.tensorrt_version)
        .set("gpu", "default");
    f
}

fn name_at(names: &[String], i: usize, prefix: &str) -> String {
    names
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("{prefix}_{i}"))
}

fn validate(inputs: &[&Tensor], options: &ConversionOptions) -> Result<()> {
    if inputs.is_empty() {
        return Err(Error::InvalidOptions(
            "at least one sample input is needed".into(),
        ));
    }
    if !options.input_names.is_empty() && options.input_names.len() != inputs.len() {
        return Err(Error::InvalidOptions(format!(
            "{} input names for {} inputs",
            options.input_names.len(),
            inputs.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for name in options.input_names.iter().chain(&options.output_names) {
        if name.is_empty() || name.contains(['\n', '\t', '\0']) {
            return Err(Error::InvalidOptions(format!(
                "tensor name {name:?} is empty or has tabs, newlines or NULs"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::InvalidOptions(format!(
                "tensor name {name:?} used twice"
            )));
        }
    }
    if options.int8_mode {
        for (b, batch) in options.int8_calibration_batches.iter().enumerate() {
            if batch.len() != inputs.len() {
                return Err(Error::InvalidOptions(format!(
                    "calibration batch {b} has {} tensors; the model takes {}",
                    batch.len(),
                    inputs.len()
                )));
            }
        }
    }
    for (i, x) in inputs.iter().enumerate() {
        if crate::trace::io_dtype(x.dtype()).is_none() {
            return Err(Error::InvalidOptions(format!(
                "input {i} has dtype {:?}, which TensorRT cannot take",
                x.dtype()
            )));
        }
    }
    Ok(())
}

/// Each input's shape range, from `input_shapes` or `dynamic_batch`; `None` for static inputs.
fn profiles(inputs: &[&Tensor], options: &ConversionOptions) -> Result<Vec<Option<ShapeRange>>> {
    let mut out = Vec::with_capacity(inputs.len());
    for (i, x) in inputs.iter().enumerate() {
        let explicit = options.input_shapes.get(i).cloned().flatten();
        let range = match (explicit, options.dynamic_batch) {
            (Some(r), _) => Some(r),
            (None, Some((min, opt, max))) => {
                if x.rank() == 0 {
                    return Err(Error::InvalidOptions(format!(
                        "input {i} is a scalar: it has no batch dimension"
                    )));
                }
                let with_batch = |b: usize| {
                    let mut d = x.dims().to_vec();
                    d[0] = b;
                    d
                };
                Some(ShapeRange {
                    min: with_batch(min),
                    opt: with_batch(opt),
                    max: with_batch(max),
                })
            }
            (None, None) => None,
        };
        if let Some(r) = &range {
            let rank = x.rank();
            if r.min.len() != rank || r.opt.len() != rank || r.max.len() != rank {
                return Err(Error::InvalidOptions(format!(
                    "input {i}: shape range {r:?} does not have the input's rank {rank}"
                )));
            }
            for d in 0..rank {
                let (lo, opt, hi, s) = (r.min[d], r.opt[d], r.max[d], x.dims()[d]);
                if !(lo <= opt && opt <= hi) || lo == 0 {
                    return Err(Error::InvalidOptions(format!(
                        "input {i}: dimension {d} needs 1 <= min <= opt <= max, got {lo}, {opt}, {hi}"
                    )));
                }
                if s < lo || s > hi {
                    return Err(Error::InvalidOptions(format!(
                        "input {i}: the sample's dimension {d} is {s}, outside the profile's {lo}..={hi}"
                    )));
                }
            }
        }
        out.push(range);
    }
    Ok(out)
}

/// The sizes at which dynamic dimensions are traced.
///
/// A reshape target is plain numbers, read from the traced tensors' `dims()`: to tell which
/// target dimension is the dynamic one, its traced size must differ from every static size. It
/// must also differ from the sample's own size, so that a size the model hard-codes from the
/// sample (`reshape((8, 1280))` for a batch-8 sample) fails at that op instead of silently
/// following the dynamic dimension. So each dynamic dimension is traced at the smallest of
/// 2, 3, 5, 7, ... (small primes: rarely an intermediate size) within the profile that is not
/// the sample's size and that no static input dimension has, preferring sizes above the
/// sample's: the sample is tiled cyclically to it and the reference outputs cut back. Only
/// when no such size lies above the sample's within the profile is it traced smaller, and the
/// reference outputs then come from a plain candle run on the sample.
#[derive(Default)]
struct TraceSizes {
    /// (sample size, traced size) pairs.
    map: Vec<(usize, usize)>,
}

/// The sizes dynamic dimensions may be traced at, in order of preference.
const TRACE_SIZES: [usize; 16] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];

impl TraceSizes {
    fn choose(inputs: &[&Tensor], profiles: &[Option<ShapeRange>]) -> Self {
        let mut avoid = std::collections::HashSet::new();
        for (x, p) in inputs.iter().zip(profiles) {
            for (d, &size) in x.dims().iter().enumerate() {
                if p.as_ref().is_none_or(|p| p.min[d] == p.max[d]) {
                    avoid.insert(size);
                }
            }
        }
        let mut map: Vec<(usize, usize)> = Vec::new();
        for (x, p) in inputs.iter().zip(profiles) {
            let Some(p) = p else { continue };
            for (d, &n) in x.dims().iter().enumerate() {
                if p.min[d] == p.max[d] || map.iter().any(|&(s, _)| s == n) {
                    continue;
                }
                let free = |t: usize| {
                    t != n
                        && (p.min[d]..=p.max[d]).contains(&t)
                        && !avoid.contains(&t)
                        && !map.iter().any(|&(_, u)| u == t)
                };
                let chosen = TRACE_SIZES
                    .into_iter()
                    .find(|&t| t > n && free(t))
                    .or_else(|| TRACE_SIZES.into_iter().find(|&t| free(t)))
                    .unwrap_or(n);
                avoid.insert(chosen);
                map.push((n, chosen));
            }
        }
        TraceSizes { map }
    }

    /// Whether some dimension is traced smaller than the sample's: the traced outputs do not
    /// hold the sample's.
    fn shrinks(&self) -> bool {
        self.map.iter().any(|&(n, t)| t < n)
    }

    /// The (sample, traced) pairs that differ.
    fn changed(&self) -> Vec<(usize, usize)> {
        self.map.iter().copied().filter(|&(n, t)| n != t).collect()
    }

    fn traced(&self, n: usize) -> usize {
        self.map
            .iter()
            .find(|&&(s, _)| s == n)
            .map_or(n, |&(_, t)| t)
    }

    /// `x` repeated cyclically along its dynamic dimensions to the traced sizes.
    fn tile(&self, x: &Tensor, dims: &[i64]) -> Result<Tensor> {
        let mut x = x.clone();
        for (d, &td) in dims.iter().enumerate() {
            let n = x.dims()[d];
            let t = self.traced(n);
            if td == -1 && t != n {
                let ids: Vec<u32> = (0..t).map(|i| (i % n) as u32).collect();
                let ids = Tensor::from_vec(ids, t, x.device())?;
                x = x.index_select(&ids, d)?;
            }
        }
        Ok(x)
    }

    /// `y` cut back to the sample's sizes along its dynamic dimensions.
    fn untile(&self, y: &Tensor, dims: &[i64]) -> Result<Tensor> {
        let mut y = y.clone();
        for (d, &td) in dims.iter().enumerate() {
            if td != -1 {
                continue;
            }
            if let Some(&(n, _)) = self.map.iter().find(|&&(_, t)| t == y.dims()[d]) {
                y = y.narrow(d, 0, n)?;
            }
        }
        Ok(y)
    }
}
