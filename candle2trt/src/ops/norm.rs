//! Normalizations: batch norm (folded into the preceding convolution when there is one), layer
//! norm, RMS norm and group norm. Layer, RMS and group norm run in f32 under `fp16_mode` unless
//! the policy says otherwise.

use candle_core::{DType, Device, Tensor};
use trt::{ElementWiseOperation as Ew, ReduceOperation};

use crate::quant::qdq;
use crate::trace::{ConvProducer, TracedTensor};
use crate::{GroupNorm, Result, TraceTensor};

/// Dims `[1, C, 1, ...]` for per-channel constants against a rank-`rank` tensor.
fn channel_dims(c: usize, rank: usize) -> Vec<i64> {
    let mut d = vec![1i64; rank];
    d[1] = c as i64;
    d
}

/// Dims `[1, ..., 1, n]` for constants along the last dimension.
fn last_dims(n: usize, rank: usize) -> Vec<i64> {
    let mut d = vec![1i64; rank];
    d[rank - 1] = n as i64;
    d
}

fn cpu_f32(t: &Tensor) -> candle_core::Result<Tensor> {
    t.to_device(&Device::Cpu)?.to_dtype(DType::F32)
}

/// Batch norm at inference as an affine map per channel, `y = x · scale + shift`:
/// `scale = γ / sqrt(var + ε)`, `shift = β - mean · scale` (f32, on the CPU).
pub(crate) fn batch_norm_affine(
    bn: &candle_nn::BatchNorm,
) -> candle_core::Result<(Tensor, Tensor)> {
    let var = cpu_f32(bn.running_var())?;
    let mean = cpu_f32(bn.running_mean())?;
    let inv_std = (var + bn.eps())?.sqrt()?.recip()?;
    let (scale, beta) = match bn.weight_and_bias() {
        Some((w, b)) => ((cpu_f32(w)? * &inv_std)?, cpu_f32(b)?),
        None => (inv_std.clone(), inv_std.zeros_like()?),
    };
    let shift = (beta - (mean * &scale)?)?;
    Ok((scale, shift))
}

/// The convolution weights that compute `conv` followed by the batch norm `(scale, shift)`:
/// `W' = W · scale` per output channel, `b' = b · scale + shift`.
pub(crate) fn fold_batch_norm(
    weight: &Tensor,
    bias: Option<&Tensor>,
    (scale, shift): (&Tensor, &Tensor),
) -> candle_core::Result<(Tensor, Tensor)> {
    let w = cpu_f32(weight)?;
    let mut s_dims = vec![1usize; w.rank()];
    s_dims[0] = w.dim(0)?;
    let w = w.broadcast_mul(&scale.reshape(s_dims)?)?;
    let b = match bias {
        Some(b) => (cpu_f32(b)? * scale)?,
        None => scale.zeros_like()?,
    };
    Ok((w, (b + shift)?))
}

pub(crate) fn batch_norm<'n>(
    x: &TracedTensor<'n>,
    bn: &candle_nn::BatchNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("batch_norm", &[])?;
    let value = op.named(TraceTensor::batch_norm(&x.value, bn))?;
    let (scale, shift) = op.named(batch_norm_affine(bn))?;
    if x.value.rank() < 2 {
        return Err(op.unsupported("batch norm needs an input of rank 2 or more (N, C, ...)"));
    }
    let producer: Option<ConvProducer> = op.tracer.conv_producers.borrow().get(&x.trt).cloned();
    let h = match producer {
        Some(conv) => {
            let (w, b) = op.named(fold_batch_norm(
                &conv.weight,
                conv.bias.as_ref(),
                (&scale, &shift),
            ))?;
            let folded = qdq::conv(&op, conv.conv, &w, Some(&b), conv.weights_q)?;
            qdq::same_producer(&op, x.trt, folded);
            op.tracer.mark_folded(
                conv.layer_index,
                x.trt,
                &format!("{}/batch_norm", op.tracer.module_path()),
            );
            folded
        }
        None => {
            let dims = channel_dims(scale.elem_count(), x.value.rank());
            op.scale_shift(x.trt, Some(&scale), Some(&shift), &dims)?
        }
    };
    op.finish(value, h)
}

/// Layer norm over the last `k` dimensions, `k` the rank of the weight (PyTorch's
/// `normalized_shape`): one normalization layer whose axes are those `k` (NvInfer.h,
/// `INormalizationLayer`: "axes: The axes to normalize over"), scale and bias shaped
/// `[1, ..., 1, normalized_shape]`.
pub(crate) fn layer_norm<'n>(
    x: &TracedTensor<'n>,
    ln: &candle_nn::LayerNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("layer_norm", &[])?;
    let value = op.named(TraceTensor::layer_norm(&x.value, ln))?;
    let rank = x.value.rank();
    let k = ln.weight().rank().max(1);
    if k > rank {
        return Err(op.unsupported(format!("a weight of rank {k} for an input of rank {rank}")));
    }
    let mut dims = vec![1i64; rank - k];
    dims.extend(x.value.dims()[rank - k..].iter().map(|&d| d as i64));
    let axes: Vec<usize> = (rank - k..rank).collect();
    let h = op.in_f32(x.trt, op.tracer.policy.normalization, |h| {
        let dt = op.dtype(h);
        let scale = op.constant(ln.weight(), dt, Some(&dims))?;
        let bias = match ln.bias() {
            Some(b) => op.constant(b, dt, Some(&dims))?,
            None => {
                let zeros = op.named(ln.weight().zeros_like())?;
                op.constant(&zeros, dt, Some(&dims))?
            }
        };
        if ln.remove_mean() {
            let mask = axes.iter().fold(0u32, |m, &a| m | (1u32 << a));
            op.add(trt::Normalization::new(
                h,
                scale,
                bias,
                mask,
                ln.eps() as f32,
            ))
        } else {
            // x / sqrt(mean(x², axes) + eps) · w + b.
            let sq = op.ew(h, h, Ew::Prod)?;
            let ms = op.reduce(sq, ReduceOperation::Avg, &axes, true)?;
            let ms = op.with_scalar(ms, Ew::Sum, ln.eps())?;
            let rms = op.unary(ms, trt::UnaryOperation::Sqrt)?;
            let normed = op.ew(h, rms, Ew::Div)?;
            let scaled = op.ew(normed, scale, Ew::Prod)?;
            op.ew(scaled, bias, Ew::Sum)
        }
    })?;
    op.finish(value, h)
}

pub(crate) fn rms_norm<'n>(
    x: &TracedTensor<'n>,
    rms: &candle_nn::RmsNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("rms_norm", &[])?;
    let value = op.named(TraceTensor::rms_norm(&x.value, rms))?;
    let rank = x.value.rank();
    let n = *x.value.dims().last().unwrap_or(&1);
    let dims = last_dims(n, rank);
    let h = op.in_f32(x.trt, op.tracer.policy.normalization, |h| {
        let normed = op.rms(h, rank - 1, rms.eps())?;
        op.scale_shift(normed, Some(rms.weight()), None, &dims)
    })?;
    op.finish(value, h)
}

pub(crate) fn group_norm<'n>(x: &TracedTensor<'n>, gn: &GroupNorm) -> Result<TracedTensor<'n>> {
    let op = x.begin("group_norm", &[])?;
    let value = op.named(TraceTensor::group_norm(&x.value, gn))?;
    let (groups, eps) = (gn.num_groups(), gn.eps());
    let rank = x.value.rank();
    let c = x.value.dims()[1];
    let h = op.in_f32(x.trt, op.tracer.policy.normalization, |h| {
        // (N, C, ...) → (N, G, C/G · ...): normalize over the last axis, then back.
        let grouped = op.reshape_static(h, &[0, groups as i64, -1])?;
        let mean = op.reduce(grouped, ReduceOperation::Avg, &[2], true)?;
        let centered = op.ew(grouped, mean, Ew::Sub)?;
        let normed = op.rms(centered, 2, eps)?;
        let back = match op.shape_with(h, &[])? {
            Some(shape) => op.reshape_dynamic(normed, shape)?,
            None => {
                let dims: Vec<i64> = x.value.dims().iter().map(|&d| d as i64).collect();
                op.reshape_static(normed, &dims)?
            }
        };
        op.scale_shift(
            back,
            Some(gn.weight()),
            Some(gn.bias()),
            &channel_dims(c, rank),
        )
    })?;
    op.finish(value, h)
}

#[cfg(test)]
mod tests {
    use candle_core::{Module, ModuleT};
    use candle_nn::{BatchNorm, Conv2d, Conv2dConfig};

    use super::*;

    /// The folded convolution computes what the convolution followed by the batch norm computes,
    /// evaluated in candle: the fold's arithmetic against candle's own layers.
    #[test]
    fn folded_convolution_equals_conv_then_batch_norm() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let randn = |shape: &[usize]| Tensor::randn(0f32, 1.0, shape, &dev);
        let cfg = Conv2dConfig {
            padding: 1,
            stride: 2,
            ..Default::default()
        };
        let x = randn(&[2, 3, 9, 8])?;
        for bias in [false, true] {
            let conv = Conv2d::new(
                randn(&[5, 3, 3, 3])?,
                bias.then(|| randn(&[5])).transpose()?,
                cfg,
            );
            let var = Tensor::rand(0.1f32, 2.0, 5, &dev)?;
            let bn = BatchNorm::new(5, randn(&[5])?, var, randn(&[5])?, randn(&[5])?, 1e-3)?;
            let expected = bn.forward_t(&conv.forward(&x)?, false)?;
            let (scale, shift) = batch_norm_affine(&bn)?;
            let (w, b) = fold_batch_norm(conv.weight(), conv.bias(), (&scale, &shift))?;
            let folded = Conv2d::new(w, Some(b), cfg).forward(&x)?;
            let diff = (folded - &expected)?
                .abs()?
                .flatten_all()?
                .max(0)?
                .to_scalar::<f32>()?;
            let size = expected.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
            assert!(
                diff <= 1e-5 * size.max(1.0),
                "bias {bias}: folded differs by {diff}"
            );
        }
        Ok(())
    }
}
