//! Matrix products: `matmul`, `broadcast_matmul` and `candle_nn::Linear`.

use trt::{ElementWiseOperation as Ew, MatrixMultiply, MatrixOperation as Mo};

use crate::quant::{qdq, SiteKind};
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

pub(crate) fn matmul<'n>(a: &TracedTensor<'n>, b: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    let op = a.begin("matmul", &[b])?;
    let value = op.named(TraceTensor::matmul(&a.value, &b.value))?;
    let hook = qdq::site(&op, SiteKind::Matmul);
    let (x, y) = (hook.input(&op, a, "a")?, hook.input(&op, b, "b")?);
    let h = op.add(MatrixMultiply::new(x, Mo::None, y, Mo::None))?;
    op.finish(value, h)
}

pub(crate) fn broadcast_matmul<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
) -> Result<TracedTensor<'n>> {
    let op = a.begin("broadcast_matmul", &[b])?;
    let value = op.named(TraceTensor::broadcast_matmul(&a.value, &b.value))?;
    // TensorRT broadcasts batch dimensions of size 1 between operands of equal rank.
    let rank = a.value.rank().max(b.value.rank());
    let hook = qdq::site(&op, SiteKind::Matmul);
    let x = op.to_rank(hook.input(&op, a, "a")?, rank)?;
    let y = op.to_rank(hook.input(&op, b, "b")?, rank)?;
    let h = op.add(MatrixMultiply::new(x, Mo::None, y, Mo::None))?;
    op.finish(value, h)
}

pub(crate) fn linear<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Linear,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("linear", &[])?;
    let value = op.named(TraceTensor::linear(&x.value, layer))?;
    let rank = x.value.rank();
    if rank < 2 {
        return Err(op.unsupported("linear needs an input of rank 2 or more"));
    }
    let dt = op.dtype(x.trt);
    let (n, k) = op.named(layer.weight().dims2())?;
    let mut w_dims = vec![1i64; rank - 2];
    w_dims.extend([n as i64, k as i64]);
    let hook = qdq::site(&op, SiteKind::Linear);
    let input = hook.input(&op, x, "input")?;
    // Per output channel: axis `rank - 2` of the (…, n, k) weight.
    let axis = (rank - 2) as i32;
    let w = qdq::weight_tensor(&op, layer.weight(), 0, dt, &w_dims, axis, hook.weights())?;
    let mut h = op.add(MatrixMultiply::new(input, Mo::None, w, Mo::Transpose))?;
    if let Some(bias) = layer.bias() {
        let mut b_dims = vec![1i64; rank - 1];
        b_dims.push(n as i64);
        let b = op.constant(bias, dt, Some(&b_dims))?;
        h = op.ew(h, b, Ew::Sum)?;
    }
    op.finish(value, h)
}
