//! Verification of the engine's numbers without a GPU ([`Verify`](crate::Verify)): the network
//! TensorRT holds is read back and simulated by `trt-sim` at the sample shape and at every
//! profile corner, and compared with plain candle at the same shapes.
//!
//! - `check.rs`: the comparison, and the layer-by-layer search for the first diverging op;
//! - this file: the report that [`TrtModule::verification`](crate::TrtModule::verification)
//!   returns and the conversion report prints.

mod check;

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

/// What verification found: one [`ShapeCheck`] per shape for the engine as built, and for a
/// TF32 engine also the sample shape simulated in true f32, which shows TF32's effect.
#[derive(Debug, Clone)]
pub struct VerificationReport {
    /// The tolerance the engine was held to.
    pub tolerance: Tolerance,
    /// The engine as built (TF32 as configured), at the sample shape and the profile corners.
    pub checks: Vec<ShapeCheck>,
    /// With TF32 allowed: the sample shape without TF32 rounding (held to the f32 tolerance).
    pub without_tf32: Option<ShapeCheck>,
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
            "  verification (the network TensorRT holds, simulated on the CPU, vs candle; tolerance \
             {:.0e} + {:.0e} * max|candle|; {:.2} s):",
            self.tolerance.abs,
            self.tolerance.rel,
            self.elapsed.as_secs_f64()
        )?;
        let line = |f: &mut fmt::Formatter<'_>, c: &ShapeCheck, label: &str| -> fmt::Result {
            writeln!(
                f,
                "    {label} {:?}{}:",
                c.input_dims,
                if c.tf32 { ", TF32" } else { "" }
            )?;
            for o in &c.outputs {
                writeln!(
                    f,
                    "      {:<20} max_abs_err {:.3e}  max_rel_err {:.3e}  reference_max_abs {:.3e}",
                    o.name, o.max_abs_err, o.max_rel_err, o.reference_max_abs
                )?;
            }
            Ok(())
        };
        for c in &self.checks {
            line(f, c, &c.corner.to_string())?;
        }
        if let Some(c) = &self.without_tf32 {
            line(f, c, "sample without TF32")?;
        }
        Ok(())
    }
}
