//! Converters, grouped by family. Each computes candle's value through the plain
//! [`TraceTensor`](crate::TraceTensor) implementation and adds the matching TensorRT layers.

pub(crate) mod activation;
pub(crate) mod conv;
pub(crate) mod elementwise;
pub(crate) mod matmul;
pub(crate) mod norm;
pub(crate) mod reduce;
pub(crate) mod shape;
