//! Element-wise math on one tensor: exp, log, roots, powers, trigonometry (each TensorRT
//! `UnaryOperation`), affine maps and
//! arithmetic with a scalar. Exp-like ops follow the f32 policy under `fp16_mode`.

use trt::{ElementWiseOperation as Ew, UnaryOperation};

use super::unary_op;
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

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
    tan => Tan, false;
    asin => Asin, false;
    acos => Acos, false;
    atan => Atan, false;
    // sinh and cosh grow like exp.
    sinh => Sinh, true;
    cosh => Cosh, true;
    asinh => Asinh, false;
    acosh => Acosh, false;
    atanh => Atanh, false;
}

pub(crate) fn affine<'n>(x: &TracedTensor<'n>, mul: f64, add: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "affine",
        |v| TraceTensor::affine(v, mul, add),
        |op, h| op.affine(h, mul, add),
    )
}

/// `x <op> v`: one element-wise layer with a scalar constant.
macro_rules! scalar_ops {
    ($($fn_name:ident => $ew:ident;)*) => {$(
        pub(crate) fn $fn_name<'n>(x: &TracedTensor<'n>, v: f64) -> Result<TracedTensor<'n>> {
            unary_op(x, stringify!($fn_name), |t| TraceTensor::$fn_name(t, v), |op, h| {
                op.with_scalar(h, Ew::$ew, v)
            })
        }
    )*};
}

scalar_ops! {
    add_scalar => Sum;
    sub_scalar => Sub;
    mul_scalar => Prod;
    maximum_scalar => Max;
    minimum_scalar => Min;
}

/// `x / v` as candle computes it: `x · (1 / v)` (its affine map). On integers candle first
/// converts the factor to an integer (`x / 2.0` is `x · 0`), and so does the constant here.
pub(crate) fn div_scalar<'n>(x: &TracedTensor<'n>, v: f64) -> Result<TracedTensor<'n>> {
    unary_op(
        x,
        "div_scalar",
        |t| TraceTensor::div_scalar(t, v),
        |op, h| op.with_scalar(h, Ew::Prod, 1.0 / v),
    )
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
