//! Activations and element-wise unary ops: TensorRT activation and unary layers, or a few
//! element-wise layers where TensorRT has no single layer (SiLU, hardswish, rsqrt, ...).

use candle_core::Tensor;
use trt::{ActivationType, ElementWiseOperation as Ew, UnaryOperation};

use crate::trace::{Op, TracedTensor, H};
use crate::{Result, TraceTensor};

/// One op: candle value from the plain implementation, TensorRT layers from `build`.
pub(crate) fn unary_op<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
    build: impl FnOnce(&Op<'_, 'n>, H) -> Result<H>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.value(candle(&x.value))?;
    let h = build(&op, x.h)?;
    op.finish(value, h)
}

impl Op<'_, '_> {
    pub(crate) fn activation(
        &self,
        h: H,
        kind: ActivationType,
        alpha: f64,
        beta: f64,
    ) -> Result<H> {
        let r = self.net().activation(h, kind, alpha as f32, beta as f32);
        self.trt(r)
    }

    pub(crate) fn unary(&self, h: H, kind: UnaryOperation) -> Result<H> {
        let r = self.net().unary(h, kind);
        self.trt(r)
    }

    /// `h <op> scalar`, the scalar a constant of `h`'s type and rank.
    pub(crate) fn with_scalar(&self, h: H, op: Ew, value: f64) -> Result<H> {
        let (dt, rank) = {
            let net = self.net();
            (net.dtype(h), net.dims(h).len())
        };
        let c = self.scalar(value, dt, rank)?;
        self.ew(h, c, op)
    }

    /// `h · mul + add`, skipping identity parts.
    pub(crate) fn affine_h(&self, h: H, mul: f64, add: f64) -> Result<H> {
        let mut out = h;
        if mul != 1.0 {
            out = self.with_scalar(out, Ew::Prod, mul)?;
        }
        if add != 0.0 {
            out = self.with_scalar(out, Ew::Sum, add)?;
        }
        if out == h {
            let r = self.net().identity(h);
            out = self.trt(r)?;
        }
        Ok(out)
    }

    fn transcendental(&self, h: H, f: impl FnOnce(H) -> Result<H>) -> Result<H> {
        self.in_f32(h, self.tracer.policy.transcendental, f)
    }
}

macro_rules! activation {
    ($($fn_name:ident => $kind:ident, $alpha:expr, $beta:expr;)*) => {$(
        pub(crate) fn $fn_name<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
            unary_op(x, stringify!($fn_name), |v| TraceTensor::$fn_name(v), |op, h| {
                op.activation(h, ActivationType::$kind, $alpha, $beta)
            })
        }
    )*};
}

activation! {
    relu => Relu, 0.0, 0.0;
    gelu => GeluTanh, 0.0, 0.0;
    gelu_erf => GeluErf, 0.0, 0.0;
    sigmoid => Sigmoid, 0.0, 0.0;
    tanh => Tanh, 0.0, 0.0;
    // max(0, min(1, x/6 + 1/2)) = relu6(x + 3) / 6, as torch.nn.Hardsigmoid.
    hard_sigmoid => HardSigmoid, 1.0 / 6.0, 0.5;
}

macro_rules! unary {
    ($($fn_name:ident => $kind:ident, $transcendental:expr;)*) => {$(
        pub(crate) fn $fn_name<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
            unary_op(x, stringify!($fn_name), |v| TraceTensor::$fn_name(v), |op, h| {
                let f32 = $transcendental && op.tracer.policy.transcendental;
                op.in_f32(h, f32, |h| op.unary(h, UnaryOperation::$kind))
            })
        }
    )*};
}

unary! {
    exp => Exp, true;
    log => Log, true;
    erf => Erf, true;
    sqrt => Sqrt, false;
    recip => Recip, false;
    abs => Abs, false;
    neg => Neg, false;
    sin => Sin, false;
    cos => Cos, false;
}

pub(crate) fn leaky_relu<'n>(x: &TracedTensor<'n>, slope: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "leaky_relu",
        |v| v.leaky_relu(slope),
        |op, h| op.activation(h, ActivationType::LeakyRelu, slope, 0.0),
    )
}

pub(crate) fn elu<'n>(x: &TracedTensor<'n>, alpha: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "elu",
        |v| TraceTensor::elu(v, alpha),
        |op, h| op.activation(h, ActivationType::Elu, alpha, 0.0),
    )
}

pub(crate) fn softplus<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "softplus", TraceTensor::softplus, |op, h| {
        op.transcendental(h, |h| op.activation(h, ActivationType::Softplus, 1.0, 1.0))
    })
}

pub(crate) fn silu<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "silu", TraceTensor::silu, |op, h| {
        let s = op.activation(h, ActivationType::Sigmoid, 0.0, 0.0)?;
        op.ew(h, s, Ew::Prod)
    })
}

pub(crate) fn hard_swish<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "hard_swish", TraceTensor::hard_swish, |op, h| {
        let s = op.activation(h, ActivationType::HardSigmoid, 1.0 / 6.0, 0.5)?;
        op.ew(h, s, Ew::Prod)
    })
}

pub(crate) fn clamp<'n>(x: &TracedTensor<'n>, min: f64, max: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "clamp",
        |v| TraceTensor::clamp(v, min, max),
        |op, h| {
            if min.is_finite() && max.is_finite() && op.net().dtype(h) != trt::DataType::Int64 {
                op.activation(h, ActivationType::Clip, min, max)
            } else {
                let lo = op.with_scalar(h, Ew::Max, min)?;
                op.with_scalar(lo, Ew::Min, max)
            }
        },
    )
}

pub(crate) fn relu6<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "relu6", TraceTensor::relu6, |op, h| {
        op.activation(h, ActivationType::Clip, 0.0, 6.0)
    })
}

pub(crate) fn affine<'n>(x: &TracedTensor<'n>, mul: f64, add: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "affine",
        |v| TraceTensor::affine(v, mul, add),
        |op, h| op.affine_h(h, mul, add),
    )
}

/// `x <op> v` for the scalar-arithmetic family.
pub(crate) fn scalar_op<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    v: f64,
    ew: Ew,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    unary_op(x, name, candle, |op, h| op.with_scalar(h, ew, v))
}

pub(crate) fn rsqrt<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "rsqrt", TraceTensor::rsqrt, |op, h| {
        let s = op.unary(h, UnaryOperation::Sqrt)?;
        op.unary(s, UnaryOperation::Recip)
    })
}

pub(crate) fn sqr<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "sqr", TraceTensor::sqr, |op, h| op.ew(h, h, Ew::Prod))
}

pub(crate) fn powf<'n>(x: &TracedTensor<'n>, e: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "powf",
        |v| TraceTensor::powf(v, e),
        |op, h| op.transcendental(h, |h| op.with_scalar(h, Ew::Pow, e)),
    )
}
