//! Parameters: weights a model brings into the graph itself ([`TraceTensor::parameter`](crate::TraceTensor::parameter)), as
//! TensorRT constants.

use candle_core::Tensor;

use crate::trace::TracedTensor;
use crate::Result;

pub(crate) fn parameter<'n>(x: &TracedTensor<'n>, t: &Tensor) -> Result<TracedTensor<'n>> {
    let op = x.begin("parameter", &[])?;
    let dt = op.trt_dtype(t.dtype())?;
    let h = op.constant(t, dt, None)?;
    op.finish(t.clone(), h)
}
