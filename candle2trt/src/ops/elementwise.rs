//! Binary element-wise ops with numpy broadcasting, comparisons and `where_cond`.

use candle_core::op::CmpOp;
use candle_core::Tensor;
use trt::{DataType, ElementWiseOperation as Ew, UnaryOperation};

use crate::trace::{Op, TracedTensor, H};
use crate::{Result, TraceTensor};

/// `a <ew> b` with broadcasting; `transcendental` routes it through the f32 policy.
pub(crate) fn binary<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
    name: &'static str,
    ew: Ew,
    candle: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = a.begin(name, &[b])?;
    let value = op.value(candle(&a.value, &b.value))?;
    let f32 = ew == Ew::Pow && op.tracer.policy.transcendental;
    let dt = op.net().dtype(a.h);
    let h = if f32 && matches!(dt, DataType::Half | DataType::BF16) {
        let x = op.cast(a.h, DataType::Float)?;
        let y = op.cast(b.h, DataType::Float)?;
        let r = op.ew_broadcast(x, y, ew)?;
        op.cast(r, dt)?
    } else {
        op.ew_broadcast(a.h, b.h, ew)?
    };
    op.finish(value, h)
}

impl Op<'_, '_> {
    /// TensorRT's Bool result of a comparison.
    pub(crate) fn compare(&self, a: H, b: H, cmp: CmpOp) -> Result<H> {
        let (ew, negate) = match cmp {
            CmpOp::Eq => (Ew::Equal, false),
            CmpOp::Ne => (Ew::Equal, true),
            CmpOp::Lt => (Ew::Less, false),
            CmpOp::Ge => (Ew::Less, true),
            CmpOp::Gt => (Ew::Greater, false),
            CmpOp::Le => (Ew::Greater, true),
        };
        let c = self.ew_broadcast(a, b, ew)?;
        if negate {
            self.unary(c, UnaryOperation::Not)
        } else {
            Ok(c)
        }
    }

    /// A Bool condition from a candle-style 0/1 (or any non-zero) tensor.
    pub(crate) fn to_bool(&self, h: H) -> Result<H> {
        let dt = self.net().dtype(h);
        if dt == DataType::Bool {
            return Ok(h);
        }
        // UInt8 supports little besides casts in TensorRT.
        let h = if dt == DataType::UInt8 {
            self.cast(h, DataType::Int32)?
        } else {
            h
        };
        let (dt, rank) = {
            let net = self.net();
            (net.dtype(h), net.dims(h).len())
        };
        let zero = self.scalar(0.0, dt, rank)?;
        self.compare(h, zero, CmpOp::Ne)
    }
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
    let value = op.value(a.value.broadcast_cmp(&b.value, cmp))?;
    let h = op.compare(a.h, b.h, cmp)?;
    op.finish(value, h)
}

pub(crate) fn cmp_scalar<'n>(
    a: &TracedTensor<'n>,
    rhs: f64,
    cmp: CmpOp,
) -> Result<TracedTensor<'n>> {
    let op = a.begin(cmp_name(cmp), &[])?;
    let value = op.value(a.value.cmp_scalar(rhs, cmp))?;
    let (dt, rank) = {
        let net = op.net();
        (net.dtype(a.h), net.dims(a.h).len())
    };
    let c = op.scalar(rhs, dt, rank)?;
    let h = op.compare(a.h, c, cmp)?;
    op.finish(value, h)
}

pub(crate) fn where_cond<'n>(
    cond: &TracedTensor<'n>,
    on_true: &TracedTensor<'n>,
    on_false: &TracedTensor<'n>,
) -> Result<TracedTensor<'n>> {
    let op = cond.begin("where_cond", &[on_true, on_false])?;
    let value = op.value(TraceTensor::where_cond(
        &cond.value,
        &on_true.value,
        &on_false.value,
    ))?;
    let c = op.to_bool(cond.h)?;
    let r = op.net().select(c, on_true.h, on_false.h);
    let h = op.trt(r)?;
    op.finish(value, h)
}
