//! Activations: TensorRT activation layers, or a few element-wise layers where TensorRT has no
//! single layer (SiLU, hardswish, one-sided clamps).

use trt::{ActivationType, ElementWiseOperation as Ew};

use super::unary_op;
use crate::trace::op::Op;
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

/// TensorRT's activation layer of `kind` (`alpha`, `beta` as TensorRT defines them for `kind`).
fn activation<'n>(
    op: &Op<'_, 'n>,
    x: trt::Tensor<'n>,
    kind: ActivationType,
    alpha: f64,
    beta: f64,
) -> Result<trt::Tensor<'n>> {
    op.add(trt::Activation::new(x, kind).params(alpha as f32, beta as f32))
}

macro_rules! activation {
    ($($fn_name:ident => $kind:ident, $alpha:expr, $beta:expr;)*) => {$(
        pub(crate) fn $fn_name<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
            unary_op(x, stringify!($fn_name), |v| TraceTensor::$fn_name(v), |op, h| {
                activation(op, h, ActivationType::$kind, $alpha, $beta)
            })
        }
    )*};
}

activation! {
    relu => Relu, 0.0, 0.0;
    gelu_tanh => GeluTanh, 0.0, 0.0;
    gelu_erf => GeluErf, 0.0, 0.0;
    sigmoid => Sigmoid, 0.0, 0.0;
    tanh => Tanh, 0.0, 0.0;
    // max(0, min(1, x/6 + 1/2)) = relu6(x + 3) / 6, as torch.nn.Hardsigmoid.
    hard_sigmoid => HardSigmoid, 1.0 / 6.0, 0.5;
}

pub(crate) fn leaky_relu<'n>(x: &TracedTensor<'n>, slope: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "leaky_relu",
        |v| v.leaky_relu(slope),
        |op, h| activation(op, h, ActivationType::LeakyRelu, slope, 0.0),
    )
}

pub(crate) fn elu<'n>(x: &TracedTensor<'n>, alpha: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "elu",
        |v| TraceTensor::elu(v, alpha),
        |op, h| activation(op, h, ActivationType::Elu, alpha, 0.0),
    )
}

pub(crate) fn softplus<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "softplus", TraceTensor::softplus, |op, h| {
        op.transcendental(h, |h| activation(op, h, ActivationType::Softplus, 1.0, 1.0))
    })
}

pub(crate) fn silu<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "silu", TraceTensor::silu, |op, h| {
        let s = activation(op, h, ActivationType::Sigmoid, 0.0, 0.0)?;
        op.ew(h, s, Ew::Prod)
    })
}

pub(crate) fn hard_swish<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "hard_swish", TraceTensor::hard_swish, |op, h| {
        let s = activation(op, h, ActivationType::HardSigmoid, 1.0 / 6.0, 0.5)?;
        op.ew(h, s, Ew::Prod)
    })
}

pub(crate) fn clamp<'n>(x: &TracedTensor<'n>, min: f64, max: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "clamp",
        |v| TraceTensor::clamp(v, min, max),
        |op, h| {
            if min.is_finite() && max.is_finite() && op.dtype(h) != trt::DataType::Int64 {
                activation(op, h, ActivationType::Clip, min, max)
            } else {
                let lo = op.with_scalar(h, Ew::Max, min)?;
                op.with_scalar(lo, Ew::Min, max)
            }
        },
    )
}

pub(crate) fn relu6<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "relu6", TraceTensor::relu6, |op, h| {
        activation(op, h, ActivationType::Clip, 0.0, 6.0)
    })
}
