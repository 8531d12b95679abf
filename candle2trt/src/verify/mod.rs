//! Verification of the engine's numbers without a GPU ([`Verify`](crate::Verify)): the network
//! TensorRT holds is read back and simulated by `trt-sim` at the sample shape and at every
//! profile corner, and compared with plain candle at the same shapes.
//!
//! - `check.rs`: what is simulated in each precision, and the layer-by-layer search for the
//!   first diverging op;
//! - `compare.rs`: one output against candle's, element by element (and its SNR);
//! - `budget.rs`: the f16 rounding budget per tensor (the error model);
//! - `corner.rs`: the inputs at the profile's corners;
//! - this file: the report that [`TrtModule::verification`](crate::TrtModule::verification)
//!   returns and the conversion report prints.

mod budget;
mod check;
mod compare;
mod corner;

use std::fmt;

pub(crate) use check::{verify, Subject};

pub use crate::error::{Corner, Divergence};
use crate::options::Tolerance;

/// One output's error at one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputError {
    /// The engine output's name.
    pub name: String,
    /// `max |simulated - candle|`.
    pub max_abs_err: f64,
    /// `max_abs_err / max |candle|`.
    pub max_rel_err: f64,
    /// `max |candle|`.
    pub reference_max_abs: f64,
    /// The largest ratio of an element's error to its bound (`abs + (rel + rounding_rel) ·
    /// max(|candle|, local rms)`): at most 1 where the element bound is judged.
    pub worst_ratio: f64,
    /// The f16 rounding budget γ added to the relative bound (0 without f16 tensors).
    pub rounding_rel: f64,
    /// `10 log10(sum candle^2 / sum (simulated - candle)^2)` in dB (infinite when equal).
    pub snr_db: f64,
}

/// The simulation at one shape, against plain candle at the same shape.
#[derive(Debug, Clone)]
pub struct ShapeCheck {
    /// Which shape.
    pub corner: Corner,
    /// The inputs' dims.
    pub input_dims: Vec<Vec<usize>>,
    /// Whether the simulation rounded convolution and matrix-multiply inputs to TF32.
    pub tf32: bool,
    /// Whether Half tensors were computed as Float (`trt_sim::RunOptions::half_as_float`).
    pub half_as_float: bool,
    /// Whether Q/DQ layers ran as identity (`trt_sim::RunOptions::qdq_identity`).
    pub qdq_identity: bool,
    /// Per output.
    pub outputs: Vec<OutputError>,
    /// The simulated outputs (the engine's outputs as the CPU simulation computes them), in the
    /// outputs' dtypes.
    pub simulated_outputs: Vec<candle_core::Tensor>,
}

impl ShapeCheck {
    /// The largest error over the outputs.
    pub fn max_abs_err(&self) -> f64 {
        self.outputs
            .iter()
            .map(|o| o.max_abs_err)
            .fold(0.0, f64::max)
    }
}

/// What verification found: one [`ShapeCheck`] per shape for the engine as built, and for an
/// engine that rounds by design (TF32, f16, INT8/FP8) also the sample shape simulated without
/// those roundings, held to the f32 bound, which shows their effect.
#[derive(Debug, Clone)]
pub struct VerificationReport {
    /// The tolerance the engine as built was held to (per element; an f16 engine adds each
    /// output's [`OutputError::rounding_rel`]).
    pub tolerance: Tolerance,
    /// INT8/FP8: the SNR floor (dB) that judged the quantized outputs instead of the element
    /// bound.
    pub min_snr_db: Option<f64>,
    /// The engine as built (TF32 as configured), at the sample shape and the profile corners.
    pub checks: Vec<ShapeCheck>,
    /// With TF32 allowed, f16 or Q/DQ layers: the sample shape without TF32, with Half computed
    /// as Float and Q/DQ as identity (held to the f32 tolerance; f16 weights keep their
    /// rounding budget).
    pub exact: Option<ShapeCheck>,
    /// How long the verification took (read-back, simulations and candle's reference runs).
    pub elapsed: std::time::Duration,
}

impl VerificationReport {
    /// The check at `corner`, if it ran.
    pub fn at(&self, corner: Corner) -> Option<&ShapeCheck> {
        self.checks.iter().find(|c| c.corner == corner)
    }
}

impl fmt::Display for VerificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  verification (the network TensorRT holds, simulated on the CPU, vs candle; per element \
             {:.0e} + {:.0e} * max(|candle|, local rms){}; {:.2} s):",
            self.tolerance.abs,
            self.tolerance.rel,
            match self.min_snr_db {
                Some(db) => format!("; quantized: SNR >= {db} dB"),
                None => String::new(),
            },
            self.elapsed.as_secs_f64()
        )?;
        let line = |f: &mut fmt::Formatter<'_>, c: &ShapeCheck, label: &str| -> fmt::Result {
            writeln!(
                f,
                "    {label} {:?}{}{}{}:",
                c.input_dims,
                if c.tf32 { ", TF32" } else { "" },
                if c.half_as_float {
                    ", Half as Float"
                } else {
                    ""
                },
                if c.qdq_identity {
                    ", Q/DQ as identity"
                } else {
                    ""
                }
            )?;
            for o in &c.outputs {
                writeln!(
                    f,
                    "      {:<20} max_abs_err {:.3e}  max_rel_err {:.3e}  reference_max_abs {:.3e}  \
                     worst err/bound {:.3}  f16 budget {:.2e}  SNR {:.1} dB",
                    o.name,
                    o.max_abs_err,
                    o.max_rel_err,
                    o.reference_max_abs,
                    o.worst_ratio,
                    o.rounding_rel,
                    o.snr_db
                )?;
            }
            Ok(())
        };
        for c in &self.checks {
            line(f, c, &c.corner.to_string())?;
        }
        if let Some(c) = &self.exact {
            line(f, c, "sample without TF32")?;
        }
        Ok(())
    }
}
