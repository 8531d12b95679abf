//! Binary element-wise ops with numpy broadcasting, comparisons and `where_cond`.

use candle_core::op::CmpOp;
use candle_core::Tensor;
use trt::{DataType, ElementWiseOperation as Ew, UnaryOperation};

use crate::quant::qdq;
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

/// `a <ew> b` with broadcasting; `pow` follows the f32 policy for exp-like ops.
fn binary<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
    name: &'static str,
    ew: Ew,
    candle: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = a.begin(name, &[b])?;
    let value = op.named(candle(&a.value, &b.value))?;
    // A skip-connection add reads its non-convolution operand through Q/DQ (INT8 only).
    let (at, bt) = if ew == Ew::Sum {
        qdq::residual(&op, a, b)?
    } else {
        (a.trt, b.trt)
    };
    // candle's pow is exp(b · ln a) — NaN for a negative base — where TensorRT's kPOW is C's pow
    // ((-2)^2 = 4): the same three steps give candle's numbers.
    let layers = |x, y| {
        if ew == Ew::Pow {
            let ln = op.unary(x, UnaryOperation::Log)?;
            let p = op.ew_broadcast(y, ln, Ew::Prod)?;
            op.unary(p, UnaryOperation::Exp)
        } else {
            op.ew_broadcast(x, y, ew)
        }
    };
    let f32 = ew == Ew::Pow && op.tracer.policy.transcendental;
    let dt = op.dtype(a.trt);
    let h = if f32 && matches!(dt, DataType::Half | DataType::BF16) {
        let x = op.cast(a.trt, DataType::Float)?;
        let y = op.cast(b.trt, DataType::Float)?;
        let r = layers(x, y)?;
        op.cast(r, dt)?
    } else {
        layers(at, bt)?
    };
    op.finish(value, h)
}

macro_rules! binary_ops {
    ($($fn_name:ident => $ew:ident;)*) => {$(
        pub(crate) fn $fn_name<'n>(
            a: &TracedTensor<'n>,
            b: &TracedTensor<'n>,
        ) -> Result<TracedTensor<'n>> {
            binary(a, b, stringify!($fn_name), Ew::$ew, |a, b| TraceTensor::$fn_name(a, b))
        }
    )*};
}

binary_ops! {
    add => Sum;
    sub => Sub;
    mul => Prod;
    div => Div;
    broadcast_add => Sum;
    broadcast_sub => Sub;
    broadcast_mul => Prod;
    broadcast_div => Div;
    broadcast_pow => Pow;
    broadcast_maximum => Max;
    broadcast_minimum => Min;
}

fn cmp_name(cmp: CmpOp) -> &'static str {
    match cmp {
        CmpOp::Eq => "eq",
        CmpOp::Ne => "ne",
        CmpOp::Lt => "lt",
        CmpOp::Le => "le",
        CmpOp::Gt => "gt",
        CmpOp::Ge => "ge",
    }
}

pub(crate) fn broadcast_cmp<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
    cmp: CmpOp,
) -> Result<TracedTensor<'n>> {
    let op = a.begin(cmp_name(cmp), &[b])?;
    let value = op.named(a.value.broadcast_cmp(&b.value, cmp))?;
    let h = op.compare(a.trt, b.trt, cmp)?;
    op.finish(value, h)
}

pub(crate) fn cmp_scalar<'n>(
    a: &TracedTensor<'n>,
    rhs: f64,
    cmp: CmpOp,
) -> Result<TracedTensor<'n>> {
    let op = a.begin(cmp_name(cmp), &[])?;
    let value = op.named(a.value.cmp_scalar(rhs, cmp))?;
    let c = op.scalar(rhs, op.dtype(a.trt), op.dims(a.trt).len())?;
    let h = op.compare(a.trt, c, cmp)?;
    op.finish(value, h)
}

pub(crate) fn where_cond<'n>(
    cond: &TracedTensor<'n>,
    on_true: &TracedTensor<'n>,
    on_false: &TracedTensor<'n>,
) -> Result<TracedTensor<'n>> {
    let op = cond.begin("where_cond", &[on_true, on_false])?;
    let value = op.named(TraceTensor::where_cond(
        &cond.value,
        &on_true.value,
        &on_false.value,
    ))?;
    let c = op.to_bool(cond.trt)?;
    let h = op.add(trt::Select::new(c, on_true.trt, on_false.trt))?;
    op.finish(value, h)
}
