//! The audit of issue 18: every `TraceTensor` method named like a PyTorch op that the
//! vocabulary had before, against the values PyTorch produced (`fixtures/pytorch_ops/make.py`),
//! through plain candle and a real engine's simulation. Tolerances as in `pytorch.rs`
//! (`Eps(k)`: k roundings that may differ, one libm-style function counting 4).

use candle2trt::{Pad2d, PadMode, Result, TraceTensor};
use candle_core::D;

use crate::common::torch::{case, check_torch, one, Tol};

torch_cases! {
    // Shapes: copies, exact. `squeeze` of a dimension of size 3 leaves it, as PyTorch.
    flatten_from_1: "flatten_from_1", 1, Tol::Exact, |xs| one(xs[0].flatten_from(1));
    flatten_from_negative: "flatten_from_neg2", 1, Tol::Exact, |xs| one(xs[0].flatten_from(D::Minus2));
    squeeze_of_a_dim_not_one: "squeeze_not_one", 1, Tol::Exact, |xs| one(xs[0].squeeze(1));
    transpose_negative: "transpose_neg", 1, Tol::Exact, |xs| one(xs[0].transpose(D::Minus1, 1));
    pad_reflect: "pad_reflect", 1, Tol::Exact,
        |xs| one(xs[0].pad2d(Pad2d::from_torch([2, 1, 1, 3]), PadMode::Reflect));
    pad_replicate: "pad_replicate", 1, Tol::Exact,
        |xs| one(xs[0].pad2d(Pad2d::from_torch([2, 1, 1, 3]), PadMode::Replicate));
    pad_constant: "pad_constant", 1, Tol::Exact,
        |xs| one(xs[0].pad2d(Pad2d::from_torch([2, 1, 1, 3]), PadMode::Constant(0.5)));
    // Ties: a maximum's value does not depend on which tied element wins.
    max_with_ties: "max_ties", 1, Tol::Exact, |xs| one(xs[0].max(1));
    min_with_ties: "min_ties", 1, Tol::Exact, |xs| one(xs[0].min(1));
    // Reductions of ≤ 12 terms in another order, then a division: k = 2·12 + 2.
    mean_over_dims: "mean_dims", 1, Tol::Eps(26.0), |xs| one(xs[0].mean((1, 3)));
    sum_keepdim: "sum_keepdim", 1, Tol::Eps(24.0), |xs| one(xs[0].sum_keepdim(2));
    // softmax: exp (4), a sum of 3–5 (10), a division (2): k = 16.
    softmax: "softmax_dim1", 1, Tol::Eps(16.0), |xs| one(xs[0].softmax(1));
    log_softmax: "log_softmax_neg1", 1, Tol::Eps(16.0), |xs| one(xs[0].log_softmax(D::Minus1));
    // Activations: compositions of up to three functions: k = 12.
    // `gelu` is PyTorch's default (erf); candle's tanh form is `gelu_tanh`.
    gelu_tanh: "gelu_tanh", 1, Tol::Eps(12.0), |xs| one(xs[0].gelu_tanh());
    gelu_is_the_erf_form: "gelu_erf", 1, Tol::Eps(12.0), |xs| one(xs[0].gelu());
    gelu_erf: "gelu_erf", 1, Tol::Eps(12.0), |xs| one(xs[0].gelu_erf());
    elu: "elu", 1, Tol::Eps(12.0), |xs| one(xs[0].elu(0.7));
    leaky_relu: "leaky_relu", 1, Tol::Eps(2.0), |xs| one(xs[0].leaky_relu(0.1));
    hard_sigmoid: "hardsigmoid", 1, Tol::Eps(4.0), |xs| one(xs[0].hard_sigmoid());
    hard_swish: "hardswish", 1, Tol::Eps(6.0), |xs| one(xs[0].hard_swish());
    softplus: "softplus", 1, Tol::Eps(12.0), |xs| one(xs[0].softplus());
    silu: "silu", 1, Tol::Eps(12.0), |xs| one(xs[0].silu());
    relu6: "relu6", 1, Tol::Exact, |xs| one(xs[0].relu6());
    clamp: "clamp", 1, Tol::Exact, |xs| one(xs[0].clamp(-0.5, 1.25));
    // pow: candle's and the converter's exp(e · ln x) (|e · ln x| < 2: 2 ulp from the
    // argument) against PyTorch's pow: k = 4 + 4.
    powf: "pow_scalar", 1, Tol::Eps(8.0), |xs| one(xs[0].powf(1.7));
    rsqrt: "rsqrt", 1, Tol::Eps(4.0), |xs| one(xs[0].rsqrt());
}

/// `torch.nn.GroupNorm(3, 6)`: means and variances over 6 elements per group, biased variance
/// as PyTorch: k = 2·6 + 8 = 20.
#[test]
fn group_norm_uses_the_biased_variance() -> Result<()> {
    struct Gn(candle2trt::GroupNorm);
    impl candle2trt::TraceModule for Gn {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.group_norm(&self.0)
        }
    }
    let c = case("group_norm");
    let gn = candle2trt::GroupNorm::new(c.ins[1].clone(), c.ins[2].clone(), 3, 1e-5)?;
    check_torch(&Gn(gn), "group_norm", 1, Tol::Eps(20.0))
}
