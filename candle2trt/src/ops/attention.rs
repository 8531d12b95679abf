//! Attention: `scaled_dot_product_attention` as one fused TensorRT attention (`IAttention`).
//!
//! TensorRT's attention is BMM1 → mask → softmax → BMM2 with no scaling step (NvInfer.h), so the
//! query is multiplied by the scale first, as PyTorch's math does. With a mask in an f16
//! network the op is decomposed (matrix products, softmax), which TensorRT-RTX 1.7 builds where
//! its fused attention does not.

use trt::{DataType, ElementWiseOperation as Ew, MatrixMultiply, MatrixOperation as Mo};

use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

pub(crate) fn scaled_dot_product_attention<'n>(
    q: &TracedTensor<'n>,
    k: &TracedTensor<'n>,
    v: &TracedTensor<'n>,
    mask: Option<&TracedTensor<'n>>,
    scale: f64,
) -> Result<TracedTensor<'n>> {
    let mut others = vec![k, v];
    others.extend(mask);
    let op = q.begin("scaled_dot_product_attention", &others)?;
    let value = op.named(TraceTensor::scaled_dot_product_attention(
        &q.value,
        &k.value,
        &v.value,
        mask.map(|m| &m.value),
        scale,
    ))?;
    if q.value.rank() != 4 || k.value.rank() != 4 || v.value.rank() != 4 {
        return Err(op.unsupported(
            "attention needs query, key and value of rank 4 (batch, heads, tokens, head_dim)",
        ));
    }
    let dt = op.dtype(q.trt);
    let half = matches!(dt, DataType::Half | DataType::BF16);
    if half && mask.is_some() {
        // TensorRT-RTX 1.7's builder fails (Myelin shape inference) on a fused attention with
        // a mask in an f16 network: matrix products and a softmax instead.
        let query = op.with_scalar(q.trt, Ew::Prod, scale)?;
        let mut scores = op.add(MatrixMultiply::new(query, Mo::None, k.trt, Mo::Transpose))?;
        if let Some(m) = mask {
            scores = op.ew_broadcast(scores, m.trt, Ew::Sum)?;
        }
        let probs = op.in_f32(scores, op.tracer.policy.softmax, |h| {
            op.add(trt::Softmax::new(h, 1u32 << 3))
        })?;
        let h = op.add(MatrixMultiply::new(probs, Mo::None, v.trt, Mo::None))?;
        return op.finish(value, h);
    }
    // The softmax policy: compute the attention in f32 under fp16_mode.
    let up = op.tracer.policy.softmax && half;
    let cast = |t: trt::Tensor<'n>| {
        if up {
            op.cast(t, DataType::Float)
        } else {
            Ok(t)
        }
    };
    let query = op.with_scalar(cast(q.trt)?, Ew::Prod, scale)?;
    let mut attention =
        trt::Attention::softmax(query, cast(k.trt)?, cast(v.trt)?).decomposable(true);
    if let Some(m) = mask {
        attention = attention.mask(op.to_rank(cast(m.trt)?, 4)?);
    }
    let mut h = op.add(attention)?;
    if up {
        h = op.cast(h, dt)?;
    }
    op.finish(value, h)
}
