//! Reductions (sum, mean, max, min, prod; keepdim or not), softmax and log-softmax.

use candle_core::shape::{Dim, Dims};
use candle_core::Tensor;
use trt::{ElementWiseOperation as Ew, ReduceOperation, UnaryOperation};

use crate::error::Error;
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

fn reduce<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    axes: Vec<usize>,
    keep: bool,
    kind: ReduceOperation,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.named(candle(&x.value))?;
    let f32 = matches!(
        kind,
        ReduceOperation::Sum | ReduceOperation::Avg | ReduceOperation::Prod
    ) && op.tracer.policy.reductions;
    let h = op.in_f32(x.trt, f32, |h| op.reduce(h, kind, &axes, keep))?;
    op.finish(value, h)
}

macro_rules! reduce_dims {
    ($($fn_name:ident => $kind:ident, $keep:expr;)*) => {$(
        pub(crate) fn $fn_name<'n, D: Dims>(x: &TracedTensor<'n>, dims: D) -> Result<TracedTensor<'n>> {
            let axes = dims
                .to_indexes(x.value.shape(), stringify!($fn_name))
                .map_err(|e| Error::at_op(x.op_context(stringify!($fn_name)), e))?;
            let a = axes.clone();
            reduce(x, stringify!($fn_name), axes, $keep, ReduceOperation::$kind, move |v| {
                TraceTensor::$fn_name(v, a)
            })
        }
    )*};
}

macro_rules! reduce_dim {
    ($($fn_name:ident => $kind:ident, $keep:expr;)*) => {$(
        pub(crate) fn $fn_name<'n, D: Dim>(x: &TracedTensor<'n>, dim: D) -> Result<TracedTensor<'n>> {
            let axis = dim
                .to_index(x.value.shape(), stringify!($fn_name))
                .map_err(|e| Error::at_op(x.op_context(stringify!($fn_name)), e))?;
            reduce(x, stringify!($fn_name), vec![axis], $keep, ReduceOperation::$kind, move |v| {
                TraceTensor::$fn_name(v, axis)
            })
        }
    )*};
}

reduce_dims! {
    sum_keepdim => Sum, true;
    sum => Sum, false;
    mean_keepdim => Avg, true;
    mean => Avg, false;
}

reduce_dim! {
    max_keepdim => Max, true;
    max => Max, false;
    min_keepdim => Min, true;
    min => Min, false;
    prod_keepdim => Prod, true;
    prod => Prod, false;
}

pub(crate) fn softmax<'n, D: Dim>(x: &TracedTensor<'n>, dim: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("softmax", &[])?;
    let axis = op.named(dim.to_index(x.value.shape(), "softmax"))?;
    let value = op.named(TraceTensor::softmax(&x.value, axis))?;
    let h = op.in_f32(x.trt, op.tracer.policy.softmax, |h| {
        op.add(trt::Softmax::new(h, 1u32 << axis))
    })?;
    op.finish(value, h)
}

pub(crate) fn log_softmax<'n, D: Dim>(x: &TracedTensor<'n>, dim: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("log_softmax", &[])?;
    let axis = op.named(dim.to_index(x.value.shape(), "log_softmax"))?;
    let value = op.named(TraceTensor::log_softmax(&x.value, axis))?;
    // x - max - log(sum(exp(x - max))): never takes the log of an underflowed probability.
    let h = op.in_f32(x.trt, op.tracer.policy.softmax, |h| {
        let m = op.reduce(h, ReduceOperation::Max, &[axis], true)?;
        let s = op.ew(h, m, Ew::Sub)?;
        let e = op.unary(s, UnaryOperation::Exp)?;
        let sum = op.reduce(e, ReduceOperation::Sum, &[axis], true)?;
        let lse = op.unary(sum, UnaryOperation::Log)?;
        op.ew(s, lse, Ew::Sub)
    })?;
    op.finish(value, h)
}
