//! Gathers: `index_select` and `candle_nn::Embedding` (a gather from the embedding table, a
//! TensorRT constant).

use candle_core::shape::Dim;

use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

pub(crate) fn index_select<'n, D: Dim>(
    x: &TracedTensor<'n>,
    indexes: &TracedTensor<'n>,
    dim: D,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("index_select", &[indexes])?;
    let axis = op.named(dim.to_index(x.value.shape(), "index_select"))?;
    let value = op.named(TraceTensor::index_select(&x.value, &indexes.value, axis))?;
    let h = op.add(trt::Gather::new(x.trt, indexes.trt, axis as i32))?;
    op.finish(value, h)
}

pub(crate) fn embedding<'n>(
    ids: &TracedTensor<'n>,
    layer: &candle_nn::Embedding,
) -> Result<TracedTensor<'n>> {
    let op = ids.begin("embedding", &[])?;
    let value = op.named(TraceTensor::embedding(&ids.value, layer))?;
    let dt = op.trt_dtype(layer.embeddings().dtype())?;
    let table = op.constant(layer.embeddings(), dt, None)?;
    let h = op.add(trt::Gather::new(table, ids.trt, 0))?;
    op.finish(value, h)
}
