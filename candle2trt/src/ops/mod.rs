//! Converters, one file per family; each file holds the converters of the
//! [`TraceTensor`](crate::TraceTensor) methods of its family. A converter computes candle's value
//! through the plain implementation, adds the matching TensorRT layers with the helpers of
//! [`Op`](crate::trace::op::Op) (a layer: `op.add(trt::Pooling::new(..))`), and `finish`es the op (which checks TensorRT's dims and type).

pub(crate) mod activation;
pub(crate) mod attention;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod gather;
pub(crate) mod math;
pub(crate) mod matmul;
pub(crate) mod norm;
pub(crate) mod parameter;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod resize;
pub(crate) mod rounding;
pub(crate) mod shape;

use candle_core::Tensor;

use crate::trace::op::Op;
use crate::trace::TracedTensor;
use crate::Result;

/// A one-input op: candle's value from the plain implementation (`candle`), TensorRT's layers
/// from `build`.
pub(crate) fn unary_op<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
    build: impl FnOnce(&Op<'_, 'n>, trt::Tensor<'n>) -> Result<trt::Tensor<'n>>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.named(candle(&x.value))?;
    let h = build(&op, x.trt)?;
    op.finish(value, h)
}
