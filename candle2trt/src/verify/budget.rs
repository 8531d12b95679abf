//! The rounding budget of a reduced-precision network: per tensor, how much relative error the
//! f16 (or bf16) roundings on the way to it may add, from an error model of those roundings (the
//! derivation is in `docs/verification.md`, "Precision model").
//!
//! Each rounding to a format with unit roundoff `u` (f16: `2^-11`, bf16: `2^-8`; round to
//! nearest) multiplies a value by `(1 + δ)`, `|δ| <= u`. A layer computing in f32 from inputs
//! that carry relative errors `e_j` gives an output whose relative error, to first order, is at
//! most `max_j e_j` (the assumption: every layer's relative condition number is at most 1 — what
//! an affine map, an activation, a pooling or a normalization of well-scaled values satisfies;
//! see "what remains unproven") plus its own output rounding `u`. Weights stored in f16 add
//! [`WEIGHT_ROUNDING`]` · u` at the layer that reads them: each weight rounds by its own
//! `δ_j`, and the product's error `Σ_j w_j x_j δ_j` is a sum of independent terms of standard
//! deviation at most `u |w_j x_j| / √3`, whose total, `u / √3 · sqrt(Σ (w_j x_j)^2)`, is the
//! size of the result itself where the terms have random signs (the element scale stands for
//! it); 3u is more than 5 standard deviations. (The worst case, `u Σ |w_j x_j|`, is up to
//! `√K` times larger for `K` terms and would hide every converter error of a wide layer.)
//! Along any path the budget is the sum of the roundings met, `e = Σ`, and the element bound
//! uses `γ = e / (1 - e)` (Higham's `γ_k` for `e = k u`), relative to the element's scale. Layers that only move values (shuffle,
//! slice, concatenation, gather, padding, squeeze/unsqueeze, identity within one type) round
//! nothing.
//!
//! TF32 (`BuilderFlag::kTF32`, allowed by default) is the same model with the same unit roundoff:
//! a TF32 product rounds its Float operands to 10 explicit mantissa bits, `u = 2^-11` as for f16,
//! and accumulates in f32. A convolution, deconvolution, matrix multiply or attention layer with a
//! Float output therefore adds `u` for its rounded activations and [`WEIGHT_ROUNDING`]` · u` for its
//! rounded weights (the same statistical argument as for f16 weights) to the path through it:
//! [`Budget::tf32`], used for the engine as built when TF32 is allowed. The exact run (TF32 off)
//! keeps the f32 bound, so a converter error still cannot hide inside TF32's rounding.

use trt::{DataType, LayerDesc};
use trt_sim::Program;

/// The budget of one layer's stored f16 weights, in units of `u` (see the module docs).
const WEIGHT_ROUNDING: f64 = 3.0;

/// Unit roundoff of a real type (0 for types that hold f32 exactly or are not real).
fn unit(dt: DataType) -> f64 {
    match dt {
        DataType::Half => 2f64.powi(-11),
        DataType::BF16 => 2f64.powi(-8),
        _ => 0.0,
    }
}

/// Per tensor of a [`Program`], the relative error its f16/bf16 roundings may have added.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// Every rounding: layer outputs, casts and weights (the network as built).
    pub all: Vec<f64>,
    /// Weight and constant roundings, and casts to f16 (the network with Half computed as Float:
    /// `RunOptions::half_as_float` keeps the f16 values TensorRT stores for weights, and a model
    /// that casts to f16 itself has candle round there).
    pub weights: Vec<f64>,
    /// Every rounding of [`Budget::all`] plus TF32's at each product with a Float output (the
    /// engine as built with TF32 allowed).
    pub tf32: Vec<f64>,
}

/// TF32's unit roundoff: 10 explicit mantissa bits, as f16.
const TF32_UNIT: f64 = 1.0 / 2048.0;

impl Budget {
    /// The budget of every tensor of `program`, in network order.
    pub(crate) fn of(program: &Program<'_>) -> Budget {
        let tensors = program.tensors();
        let mut all = vec![0f64; tensors.len()];
        let mut weights = vec![0f64; tensors.len()];
        let mut tf32 = vec![0f64; tensors.len()];
        for step in program.steps() {
            let inputs: Vec<usize> = step
                .desc
                .tensors()
                .into_iter()
                .filter_map(|t| program.tensor_index(t))
                .collect();
            let in_all = inputs.iter().map(|&i| all[i]).fold(0.0, f64::max);
            let in_w = inputs.iter().map(|&i| weights[i]).fold(0.0, f64::max);
            let in_t = inputs.iter().map(|&i| tf32[i]).fold(0.0, f64::max);
            let product = matches!(
                step.desc,
                LayerDesc::Convolution(_)
                    | LayerDesc::Deconvolution(_)
                    | LayerDesc::MatrixMultiply(_)
                    | LayerDesc::Attention(_)
            );
            let stored = WEIGHT_ROUNDING * stored_weights(&step.desc).map_or(0.0, unit);
            let moves = matches!(
                step.desc,
                LayerDesc::Shuffle(_)
                    | LayerDesc::Slice(_)
                    | LayerDesc::Concatenation(_)
                    | LayerDesc::Gather(_)
                    | LayerDesc::Padding(_)
                    | LayerDesc::Squeeze(_)
                    | LayerDesc::Unsqueeze(_)
                    | LayerDesc::Identity(_)
                    | LayerDesc::Constant(_)
            );
            for &o in &step.outputs {
                let dt = tensors[o].dtype;
                // A value-moving layer rounds only where it changes the type (an identity
                // used as a cast); a constant's rounding is its weights'.
                let same_type = inputs.iter().all(|&i| tensors[i].dtype == dt);
                let own = if moves && same_type { 0.0 } else { unit(dt) };
                let own = if matches!(step.desc, LayerDesc::Constant(_)) {
                    0.0
                } else {
                    own
                };
                // A cast to f16 rounds in the engine and, where the model itself asks for f16
                // (`to_dtype(F16)`), in candle too; the Half-as-Float run does not round there, so
                // its difference from candle may include that one rounding.
                let cast =
                    matches!(step.desc, LayerDesc::Cast(_) | LayerDesc::Identity(_)) && !same_type;
                all[o] = in_all + stored + own;
                let tf32_own = if product && dt == DataType::Float {
                    (1.0 + WEIGHT_ROUNDING) * TF32_UNIT
                } else {
                    0.0
                };
                tf32[o] = in_t + stored + own + tf32_own;
                weights[o] = in_w + stored + if cast { unit(dt) } else { 0.0 };
            }
        }
        Budget { all, weights, tf32 }
    }
}

/// The type of the weights a layer description stores (constants, kernels, scale coefficients).
fn stored_weights(desc: &LayerDesc<'_>) -> Option<DataType> {
    match desc {
        LayerDesc::Constant(c) => Some(c.weights.data_type()),
        LayerDesc::Convolution(c) => Some(c.kernel_weights.data_type()),
        LayerDesc::Deconvolution(c) => Some(c.kernel_weights.data_type()),
        LayerDesc::Scale(c) => c
            .scale
            .as_ref()
            .or(c.shift.as_ref())
            .map(trt::Weights::data_type),
        _ => None,
    }
}

/// `γ = e / (1 - e)`: the bound on the relative error of `k` roundings of total `e = k u`
/// (infinite once `e >= 1`, where the model says nothing).
pub(crate) fn gamma(e: f64) -> f64 {
    if e >= 1.0 {
        f64::INFINITY
    } else {
        e / (1.0 - e)
    }
}
