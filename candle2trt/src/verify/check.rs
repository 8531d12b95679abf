//! The verification itself: simulate the read-back network at each shape, compare with plain
//! candle, and on a failure search layer by layer for the first op that diverges.

use candle_core::{DType, Tensor};
use trt_sim::{InputRange, Program, RunOptions};

use super::{Corner, Divergence, OutputError, ShapeCheck, VerificationReport};
use crate::error::ModulePath;
use crate::options::{ConversionOptions, Tolerance};
use crate::trace::{RecordedOp, Trace};
use crate::{DynTraceModel, Error, Result};

/// What is verified: the model, its sample inputs, the network traced from it and what the trace
/// recorded.
pub(crate) struct Subject<'a, 'n, M: ?Sized> {
    pub model: &'a M,
    pub samples: &'a [&'a Tensor],
    pub network: &'n trt::Network<'n>,
    pub trace: &'a Trace<'n>,
    pub options: &'a ConversionOptions,
}

/// A second trace of the model at other inputs, recording every op's candle value.
pub(crate) type Retrace<'a> = dyn Fn(&[Tensor]) -> Result<Vec<RecordedOp>> + 'a;

/// Verifies the network; the report, and the simulated outputs at the sample shape (the engine
/// as built).
pub(crate) fn verify<M: DynTraceModel + ?Sized>(
    s: &Subject<'_, '_, M>,
    retrace: &Retrace<'_>,
) -> Result<(VerificationReport, Vec<Tensor>)> {
    let started = std::time::Instant::now();
    let fp16 = s.options.fp16_mode;
    let tf32 = s.options.tf32;
    // INT8/FP8: candle's reference is not quantized, so the errors are reported, not judged
    // (unless a tolerance is given); dims, NaN and simulation failures still fail. Where the
    // Q/DQ layers sit is checked by reading the network back (tests/int8.rs).
    let quantized = s.options.int8_mode;
    let tolerance = s.options.verify.tolerance.unwrap_or_else(|| {
        if quantized {
            Tolerance::reported_only()
        } else {
            Tolerance::for_engine(fp16, tf32)
        }
    });
    let program = program(s)?;
    let mut checks = Vec::new();
    let mut simulated = Vec::new();
    let mut without_tf32 = None;
    for (corner, inputs) in corners(s)? {
        let reference = s.model.forward_candle(&inputs)?;
        let case = Case {
            corner,
            inputs: &inputs,
            reference: &reference,
        };
        let (built, outputs) = check(s, &program, &case, tf32, tolerance, retrace)?;
        if corner == Corner::Sample {
            simulated = outputs;
            if tf32 && !fp16 && !quantized {
                let tight = s
                    .options
                    .verify
                    .tolerance
                    .unwrap_or_else(|| Tolerance::for_engine(false, false));
                without_tf32 = Some(check(s, &program, &case, false, tight, retrace)?.0);
            }
        }
        checks.push(built);
    }
    Ok((
        VerificationReport {
            tolerance,
            checks,
            without_tf32,
            elapsed: started.elapsed(),
        },
        simulated,
    ))
}

/// The network read back, with each dynamic input's profile and the injected fault, if any.
fn program<'n, M: ?Sized>(s: &Subject<'_, 'n, M>) -> Result<Program<'n>> {
    let sim = |e: trt_sim::Error| simulation_failed(s.trace, Corner::Sample, &[], e);
    let mut program = Program::from_network(s.network, None).map_err(sim)?;
    for spec in &s.trace.input_specs {
        if let Some(p) = &spec.profile {
            let range = InputRange {
                min: p.min.clone(),
                opt: p.opt.clone(),
                max: p.max.clone(),
            };
            program.set_input_range(&spec.name, range).map_err(sim)?;
        }
    }
    if let Some(fault) = &s.options.verify.fault_injection {
        for i in 0..program.steps().len() {
            let step = &program.steps()[i];
            let mut desc = step.desc.clone();
            if (fault.mutate)(&step.name, &mut desc) {
                program.set_description(i, desc).map_err(sim)?;
            }
        }
    }
    Ok(program)
}

/// The shapes to check: the sample, then each profile's min and max (every dynamic dimension at
/// once), skipping repeats. Inputs at a corner are the sample cut or tiled along its dynamic
/// dimensions, so integer ids and masks stay valid.
fn corners<M: ?Sized>(s: &Subject<'_, '_, M>) -> Result<Vec<(Corner, Vec<Tensor>)>> {
    let sample: Vec<Tensor> = s.samples.iter().map(|&x| x.clone()).collect();
    let mut out = vec![(Corner::Sample, sample)];
    for (corner, pick) in [(Corner::Min, 0usize), (Corner::Max, 2)] {
        let mut inputs = Vec::with_capacity(s.samples.len());
        for (x, spec) in s.samples.iter().zip(&s.trace.input_specs) {
            let target = match &spec.profile {
                Some(p) => [&p.min, &p.opt, &p.max][pick].clone(),
                None => x.dims().to_vec(),
            };
            inputs.push(at_dims(x, &target)?);
        }
        let dims = |v: &[Tensor]| v.iter().map(|t| t.dims().to_vec()).collect::<Vec<_>>();
        if out.iter().all(|(_, seen)| dims(seen) != dims(&inputs)) {
            out.push((corner, inputs));
        }
    }
    Ok(out)
}

/// `x` cut (leading elements) or tiled (repeated cyclically) along each axis to `target`.
fn at_dims(x: &Tensor, target: &[usize]) -> Result<Tensor> {
    let mut x = x.clone();
    for (d, &t) in target.iter().enumerate() {
        let n = x.dims()[d];
        if t < n {
            x = x.narrow(d, 0, t)?;
        } else if t > n {
            let ids: Vec<u32> = (0..t).map(|i| (i % n) as u32).collect();
            x = x.index_select(&Tensor::from_vec(ids, t, x.device())?, d)?;
        }
    }
    Ok(x)
}

/// `inputs` on the CPU, where the simulator runs (the trace and plain candle's reference run
/// on the model's own device, e.g. candle CUDA).
fn on_cpu(inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    Ok(inputs
        .iter()
        .map(|t| t.to_device(&candle_core::Device::Cpu))
        .collect::<candle_core::Result<_>>()?)
}

/// One shape: its inputs and plain candle's outputs there.
struct Case<'a> {
    corner: Corner,
    inputs: &'a [Tensor],
    reference: &'a [Tensor],
}

/// One shape simulated (with or without TF32) and checked, failing beyond `tolerance`.
fn check<M: ?Sized>(
    s: &Subject<'_, '_, M>,
    program: &Program<'_>,
    case: &Case<'_>,
    tf32: bool,
    tolerance: Tolerance,
    retrace: &Retrace<'_>,
) -> Result<(ShapeCheck, Vec<Tensor>)> {
    let Case {
        corner,
        inputs,
        reference,
    } = *case;
    let options = RunOptions {
        tf32,
        keep_all: false,
    };
    let input_dims: Vec<Vec<usize>> = inputs.iter().map(|t| t.dims().to_vec()).collect();
    let run = program
        .run(&on_cpu(inputs)?, &options)
        .map_err(|e| simulation_failed(s.trace, corner, &input_dims, e))?;
    let mut outputs = Vec::with_capacity(reference.len());
    let mut simulated = Vec::with_capacity(reference.len());
    // A wrong shape is always traced back to the op that produced it (a re-trace and one
    // simulation, only on failure): naming the output alone does not say where to look.
    let fail = |what: String, shape: bool| -> Result<(ShapeCheck, Vec<Tensor>)> {
        let divergence = if s.options.verify.layerwise || shape {
            localize(s, program, inputs, retrace).map(Box::new)
        } else {
            None
        };
        Err(Error::VerificationFailed {
            corner,
            input_dims: input_dims.clone(),
            what,
            divergence,
        })
    };
    for ((value, r), spec) in run.outputs.iter().zip(reference).zip(&s.trace.output_specs) {
        let sim = value.to_f32()?;
        let Some((err, max_ref)) = compare(&sim, r)? else {
            return fail(
                format!(
                    "output `{}` has simulated dims {:?} where candle computed {:?}",
                    spec.name,
                    sim.dims(),
                    r.dims()
                ),
                true,
            );
        };
        if !tolerance.accepts(err, max_ref) {
            return fail(
                format!(
                    "output `{}`: max |simulated - candle| = {err:.3e} > {:.3e} (max |candle| = {max_ref:.3e})",
                    spec.name,
                    tolerance.bound(max_ref)
                ),
                false,
            );
        }
        outputs.push(OutputError {
            name: spec.name.clone(),
            max_abs_err: err,
            max_rel_err: if max_ref > 0.0 { err / max_ref } else { err },
            reference_max_abs: max_ref,
        });
        simulated.push(sim.to_dtype(spec.dtype)?);
    }
    let check = ShapeCheck {
        corner,
        input_dims: input_dims.clone(),
        tf32: options.tf32,
        outputs,
        simulated_outputs: simulated.clone(),
    };
    Ok((check, simulated))
}

/// `(max |a - b|, max |b|)` over all elements, or `None` when the dims differ. NaN where both
/// have NaN counts as equal; NaN on one side only is an infinite error.
fn compare(a: &Tensor, b: &Tensor) -> Result<Option<(f64, f64)>> {
    if a.dims() != b.dims() {
        return Ok(None);
    }
    let a = a.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    let b = b.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    let (mut err, mut max_ref) = (0f64, 0f64);
    for (&x, &y) in a.iter().zip(&b) {
        let e = match (x.is_nan(), y.is_nan()) {
            (true, true) => 0.0,
            (false, false) if x == y => 0.0,
            (false, false) => (x - y).abs(),
            _ => f64::INFINITY,
        };
        err = err.max(if e.is_nan() { f64::INFINITY } else { e });
        if y.is_finite() {
            max_ref = max_ref.max(y.abs());
        }
    }
    Ok(Some((err, max_ref)))
}

/// The first op whose simulated value differs from candle's: the model is traced again at
/// `inputs` recording every op's candle value, and the network is simulated there without TF32
/// keeping every tensor. `None` when the second trace fails, takes another path through the
/// model, or no single op diverges (the error then accumulates over many ops).
fn localize<M: ?Sized>(
    s: &Subject<'_, '_, M>,
    program: &Program<'_>,
    inputs: &[Tensor],
    retrace: &Retrace<'_>,
) -> Option<Divergence> {
    let again = retrace(inputs).ok()?;
    let ops = &s.trace.ops;
    if again.len() != ops.len() {
        return None;
    }
    let run = program
        .run(
            &on_cpu(inputs).ok()?,
            &RunOptions {
                tf32: false,
                keep_all: true,
            },
        )
        .ok()?;
    let tolerance = s
        .options
        .verify
        .tolerance
        .unwrap_or_else(|| Tolerance::for_engine(s.options.fp16_mode, false));
    for (mine, theirs) in ops.iter().zip(&again) {
        if mine.op != theirs.op || mine.module_path != theirs.module_path {
            return None;
        }
        let reference = theirs.value.as_ref()?;
        let index = program.tensor_index(mine.t)?;
        let value = run.value(index)?.to_f32().ok()?;
        let half = program.tensors()[index].dtype == trt::DataType::Half;
        let (detail, f16_overflow, relative_err) = match compare(&value, reference).ok()? {
            None => (
                format!(
                    "simulated dims {:?} where candle computed {:?}",
                    value.dims(),
                    reference.dims()
                ),
                false,
                None,
            ),
            Some((err, max_ref)) if !tolerance.accepts(err, max_ref) => {
                let overflow = half && max_ref > f64::from(half::f16::MAX);
                let mut detail =
                    format!("max |simulated - candle| = {err:.3e} (max |candle| = {max_ref:.3e})");
                if overflow {
                    detail.push_str("; f16 overflow: candle's values exceed f16's range (65504)");
                }
                let relative = if max_ref > 0.0 { err / max_ref } else { err };
                (detail, overflow, Some(relative))
            }
            Some(_) => continue,
        };
        let layers = program.steps()[mine.layers.clone()]
            .iter()
            .map(|st| st.name.clone())
            .collect();
        return Some(Divergence {
            op: mine.op.to_string(),
            module_path: mine.module_path.clone(),
            layers,
            detail,
            f16_overflow,
            relative_err,
        });
    }
    None
}

/// A simulator error, named after the op that added the failing layer.
fn simulation_failed(
    trace: &Trace<'_>,
    corner: Corner,
    input_dims: &[Vec<usize>],
    e: trt_sim::Error,
) -> Error {
    let (op, module_path) = match &e {
        trt_sim::Error::Layer { name, .. } => trace
            .layers
            .iter()
            .find(|l| &l.name == name)
            .map(|l| (l.op.clone(), ModulePath(l.module_path.clone().into())))
            .unwrap_or_else(|| ("?".into(), ModulePath::default())),
        _ => ("?".into(), ModulePath::default()),
    };
    Error::SimulationFailed {
        corner,
        input_dims: input_dims.to_vec(),
        op,
        module_path,
        source: Box::new(e),
    }
}
