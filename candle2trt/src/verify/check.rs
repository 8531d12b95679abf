//! The verification itself: simulate the read-back network at each shape, compare with plain
//! candle element by element, and on a failure search layer by layer for the first op that
//! diverges.
//!
//! What is simulated, per precision (the precision read back from the network: Half tensors,
//! Q/DQ layers; the TF32 flag from the builder configuration):
//! - the network as built, at the sample shape and the profile's corners: f32/TF32 held to the
//!   element bound ([`Tolerance`]); f16 to the same bound plus its rounding budget
//!   ([`Budget::all`]); INT8/FP8 to a signal-to-noise floor ([`Verify::min_snr_db`]);
//! - where the engine rounds by design (TF32, f16, Q/DQ), once more at the sample shape without
//!   that rounding (TF32 off, Half computed as Float, Q/DQ as identity), held to the f32 bound
//!   (plus, for f16 weights, their own rounding budget): a converter error cannot hide in the
//!   rounding.
//!
//! [`Verify::min_snr_db`]: crate::Verify::min_snr_db

use candle_core::Tensor;
use trt::{DataType, LayerDesc};
use trt_sim::{Program, RunOptions};

use super::budget::{gamma, Budget};
use super::compare::{compare, Comparison};
use super::{Corner, Divergence, OutputError, ShapeCheck, VerificationReport};
use crate::error::ModulePath;
use crate::options::{ConversionOptions, Tolerance};
use crate::trace::{RecordedOp, Trace};
use crate::{DynTraceModel, Error, Result};

/// What is verified: the model, its sample inputs, the network traced from it, what the trace
/// recorded, and what TensorRT holds for the build (the TF32 flag, the optimization profile).
pub(crate) struct Subject<'a, 'n, M: ?Sized> {
    pub model: &'a M,
    pub samples: &'a [&'a Tensor],
    pub network: &'n trt::Network<'n>,
    pub trace: &'a Trace<'n>,
    pub options: &'a ConversionOptions,
    /// `BuilderFlag::kTF32` as read back from the builder configuration.
    pub tf32: bool,
    /// The optimization profile the engine is built with (read back through TensorRT's getters).
    pub profile: Option<&'a trt::OptimizationProfile<'a>>,
}

/// A second trace of the model at other inputs, recording every op's candle value.
pub(crate) type Retrace<'a> = dyn Fn(&[Tensor]) -> Result<Vec<RecordedOp>> + 'a;

/// How one simulation is judged.
#[derive(Debug, Clone, Copy)]
struct Mode {
    run: RunOptions,
    tolerance: Tolerance,
    /// Which rounding budget is added to the relative bound.
    budget: Rounding,
    /// The signal-to-noise floor (dB) that replaces the element bound (quantized, as built).
    snr_floor: Option<f64>,
}

/// Which part of [`Budget`] a mode allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rounding {
    None,
    All,
    Weights,
    /// [`Budget::tf32`]: the engine as built with TF32 allowed.
    Tf32,
}

impl Mode {
    fn budget_of(&self, budget: &Budget, tensor: usize) -> f64 {
        match self.budget {
            Rounding::None => 0.0,
            Rounding::All => gamma(budget.all[tensor]),
            Rounding::Weights => gamma(budget.weights[tensor]),
            Rounding::Tf32 => gamma(budget.tf32[tensor]),
        }
    }
}

/// Verifies the network; the report, and the simulated outputs at the sample shape (the engine
/// as built).
pub(crate) fn verify<M: DynTraceModel + ?Sized>(
    s: &Subject<'_, '_, M>,
    retrace: &Retrace<'_>,
) -> Result<(VerificationReport, Vec<Tensor>)> {
    let started = std::time::Instant::now();
    let tf32 = s.tf32;
    let program = program(s)?;
    // The precision as TensorRT holds it, not as the options asked for it.
    let half = program
        .tensors()
        .iter()
        .any(|t| matches!(t.dtype, DataType::Half | DataType::BF16));
    let quantized = program
        .steps()
        .iter()
        .any(|st| matches!(st.desc, LayerDesc::Quantize(_)));
    let base = |tf32: bool| {
        s.options
            .verify
            .tolerance
            .unwrap_or_else(|| Tolerance::for_engine(half, tf32))
    };
    let budget = Budget::of(&program);
    let built = Mode {
        run: RunOptions {
            tf32,
            ..RunOptions::default()
        },
        tolerance: base(tf32),
        budget: if tf32 {
            Rounding::Tf32
        } else if half {
            Rounding::All
        } else {
            Rounding::None
        },
        snr_floor: quantized.then_some(s.options.verify.min_snr_db),
    };
    // Without the roundings the engine makes by design: TF32 off, Half computed as Float (f16
    // weights keep their stored values, hence their own budget), Q/DQ as identity.
    let exact = (tf32 || half || quantized).then_some(Mode {
        run: RunOptions {
            tf32: false,
            half_as_float: half,
            qdq_identity: quantized,
            ..RunOptions::default()
        },
        tolerance: base(false),
        budget: if half {
            Rounding::Weights
        } else {
            Rounding::None
        },
        snr_floor: None,
    });
    let ctx = Context {
        s,
        program: &program,
        budget: &budget,
        retrace,
    };
    let mut checks = Vec::new();
    let mut simulated = Vec::new();
    let mut exact_check = None;
    for (corner, inputs) in corners(s, &program)? {
        let reference = s.model.forward_candle(&inputs)?;
        let case = Case {
            corner,
            inputs: &inputs,
            reference: &reference,
        };
        if corner == Corner::Sample {
            if let Some(mode) = &exact {
                exact_check = Some(ctx.check(&case, mode)?.0);
            }
        }
        let (check, outputs) = ctx.check(&case, &built)?;
        if corner == Corner::Sample {
            simulated = outputs;
        }
        checks.push(check);
    }
    Ok((
        VerificationReport {
            tolerance: built.tolerance,
            min_snr_db: built.snr_floor,
            checks,
            exact: exact_check,
            elapsed: started.elapsed(),
        },
        simulated,
    ))
}

/// The network read back, with each dynamic input's range from the optimization profile as
/// TensorRT holds it.
fn program<'n, M: ?Sized>(s: &Subject<'_, 'n, M>) -> Result<Program<'n>> {
    Program::from_network(s.network, s.profile)
        .map_err(|e| simulation_failed(s.trace, Corner::Sample, &[], e))
}

/// The shapes to check: the sample, then each input's profile min and max as TensorRT holds
/// them (every dynamic dimension at once), skipping repeats.
fn corners<M: ?Sized>(
    s: &Subject<'_, '_, M>,
    program: &Program<'_>,
) -> Result<Vec<(Corner, Vec<Tensor>)>> {
    let sample: Vec<Tensor> = s.samples.iter().map(|&x| x.clone()).collect();
    if program.inputs().len() != sample.len() {
        return Err(Error::VerificationFailed {
            corner: Corner::Sample,
            input_dims: sample.iter().map(|t| t.dims().to_vec()).collect(),
            what: format!(
                "the network has {} inputs for {} sample inputs",
                program.inputs().len(),
                sample.len()
            ),
            divergence: None,
        });
    }
    let mut out = vec![(Corner::Sample, sample)];
    for (n, (corner, max)) in [(Corner::Min, false), (Corner::Max, true)]
        .into_iter()
        .enumerate()
    {
        let mut inputs = Vec::with_capacity(s.samples.len());
        for (i, (x, info)) in s.samples.iter().zip(program.inputs()).enumerate() {
            let target = match &info.range {
                Some(r) if max => r.max.clone(),
                Some(r) => r.min.clone(),
                None => x.dims().to_vec(),
            };
            let seed = 0x5eed_0000 + (n as u64) * 1000 + i as u64;
            inputs.push(super::corner::at_dims(x, &target, seed)?);
        }
        let dims = |v: &[Tensor]| v.iter().map(|t| t.dims().to_vec()).collect::<Vec<_>>();
        if out.iter().all(|(_, seen)| dims(seen) != dims(&inputs)) {
            out.push((corner, inputs));
        }
    }
    Ok(out)
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

/// What every check of one verification shares.
struct Context<'c, 'a, 'n, M: ?Sized> {
    s: &'c Subject<'a, 'n, M>,
    program: &'c Program<'n>,
    budget: &'c Budget,
    retrace: &'c Retrace<'c>,
}

impl<M: ?Sized> Context<'_, '_, '_, M> {
    /// One shape simulated in `mode` and judged; the check and the simulated outputs (in the
    /// types TensorRT declares for the engine's outputs).
    fn check(&self, case: &Case<'_>, mode: &Mode) -> Result<(ShapeCheck, Vec<Tensor>)> {
        let (s, program) = (self.s, self.program);
        let Case {
            corner,
            inputs,
            reference,
        } = *case;
        let input_dims: Vec<Vec<usize>> = inputs.iter().map(|t| t.dims().to_vec()).collect();
        let run = program
            .run(&on_cpu(inputs)?, &mode.run)
            .map_err(|e| simulation_failed(s.trace, corner, &input_dims, e))?;
        // A wrong shape is always traced back to the op that produced it (a re-trace and one
        // simulation, only on failure): naming the output alone does not say where to look.
        let fail_with = |what: String, shape: bool| -> Result<(ShapeCheck, Vec<Tensor>)> {
            let divergence = if s.options.verify.layerwise || shape {
                self.localize(inputs, mode).map(Box::new)
            } else {
                None
            };
            Err(Error::VerificationFailed {
                corner,
                input_dims: input_dims.clone(),
                what: format!("{}{what}", describe(&mode.run)),
                divergence,
            })
        };
        let fail = |what: String| fail_with(what, false);
        if run.outputs.len() != reference.len() {
            return fail(format!(
                "the network has {} outputs where candle computed {}",
                run.outputs.len(),
                reference.len()
            ));
        }
        let mut outputs = Vec::with_capacity(reference.len());
        let mut simulated = Vec::with_capacity(reference.len());
        for ((value, r), &t) in run.outputs.iter().zip(reference).zip(program.outputs()) {
            let info = &program.tensors()[t];
            let name = &info.name;
            // The output's type as TensorRT declares it, against candle's dtype.
            // (A comparison result is a Bool output holding candle's u8 0/1, as `mark_output` makes it.)
            let agrees = match (crate::trace::io_dtype(r.dtype()), info.dtype) {
                (Some(DataType::UInt8), DataType::Bool) => true,
                (io, dt) => io == Some(dt),
            };
            if !agrees {
                return fail(format!(
                    "output `{name}` is {:?} in TensorRT where candle computed {:?}",
                    info.dtype,
                    r.dtype()
                ));
            }
            let sim = value.to_f32()?;
            let extra = mode.budget_of(self.budget, t);
            let Some(c) = compare(&sim, r, &mode.tolerance, extra)? else {
                return fail_with(
                    format!(
                        "output `{name}` has simulated dims {:?} where candle computed {:?}",
                        sim.dims(),
                        r.dims()
                    ),
                    true,
                );
            };
            if let Some(what) = c.verdict(mode.snr_floor) {
                return fail(format!("output `{name}`: {what}"));
            }
            outputs.push(OutputError::from_comparison(name, &c, extra));
            simulated.push(sim.to_dtype(r.dtype())?);
        }
        let check = ShapeCheck {
            corner,
            input_dims,
            tf32: mode.run.tf32,
            half_as_float: mode.run.half_as_float,
            qdq_identity: mode.run.qdq_identity,
            outputs,
            simulated_outputs: simulated.clone(),
        };
        Ok((check, simulated))
    }

    /// The first op whose simulated value differs from candle's beyond `mode`'s bound for that
    /// tensor: the model is traced again at `inputs` recording every op's candle value, and the
    /// network is simulated there in `mode` without TF32 keeping every tensor. `None` when the
    /// second trace fails, takes another path through the model, or no single op diverges (the
    /// error then accumulates over many ops).
    fn localize(&self, inputs: &[Tensor], mode: &Mode) -> Option<Divergence> {
        let (s, program) = (self.s, self.program);
        let again = (self.retrace)(inputs).ok()?;
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
                    ..mode.run
                },
            )
            .ok()?;
        let tolerance = s
            .options
            .verify
            .tolerance
            .unwrap_or_else(|| Tolerance::for_engine(false, false));
        // A NaN or infinity on one side only (an f16 overflow) is named where it first appears,
        // even past an op that is merely over its rounding budget: that is what failed.
        let mut first_over = None;
        for (n, (mine, theirs)) in ops.iter().zip(&again).enumerate() {
            if mine.op != theirs.op || mine.module_path != theirs.module_path {
                return None;
            }
            let (Some(reference), Some(index)) =
                (theirs.value.as_ref(), program.tensor_index(mine.t))
            else {
                continue;
            };
            let Some(value) = run.value(index).and_then(|v| v.to_f32().ok()) else {
                continue;
            };
            let extra = mode.budget_of(self.budget, index);
            match compare(&value, reference, &tolerance, extra).ok()? {
                Some(c) if c.non_finite_one_side() => {
                    first_over = Some(n);
                    break;
                }
                Some(c) if c.verdict(mode.snr_floor).is_none() => {}
                _ => {
                    first_over.get_or_insert(n);
                }
            }
        }
        let first = first_over?;
        for (mine, theirs) in ops.iter().zip(&again).skip(first) {
            let reference = theirs.value.as_ref()?;
            let index = program.tensor_index(mine.t)?;
            let value = run.value(index)?.to_f32().ok()?;
            let half = program.tensors()[index].dtype == DataType::Half;
            let extra = mode.budget_of(self.budget, index);
            let (detail, f16_overflow, relative_err) =
                match compare(&value, reference, &tolerance, extra).ok()? {
                    None => (
                        format!(
                            "simulated dims {:?} where candle computed {:?}",
                            value.dims(),
                            reference.dims()
                        ),
                        false,
                        None,
                    ),
                    Some(c) => {
                        let Some(mut detail) = c.verdict(mode.snr_floor) else {
                            continue;
                        };
                        let overflow = half && c.reference_max_abs > f64::from(half::f16::MAX);
                        if overflow {
                            detail.push_str(
                                "; f16 overflow: candle's values exceed f16's range (65504)",
                            );
                        }
                        (detail, overflow, Some(c.max_rel_err()))
                    }
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
}

/// How a reference run differs from the network as built, for messages.
fn describe(run: &RunOptions) -> &'static str {
    match (run.half_as_float, run.qdq_identity) {
        (true, true) => "with Half computed as Float and Q/DQ as identity: ",
        (true, false) => "with Half computed as Float: ",
        (false, true) => "with Q/DQ as identity: ",
        (false, false) => "",
    }
}

impl OutputError {
    fn from_comparison(name: &str, c: &Comparison, rounding_rel: f64) -> Self {
        OutputError {
            name: name.to_string(),
            max_abs_err: c.max_abs_err,
            max_rel_err: c.max_rel_err(),
            reference_max_abs: c.reference_max_abs,
            worst_ratio: c.worst_ratio,
            rounding_rel,
            snr_db: c.snr_db(),
        }
    }
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
