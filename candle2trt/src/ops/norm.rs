//! Normalizations: batch norm (folded into the preceding convolution when there is one), layer
//! norm, RMS norm and group norm. Layer, RMS and group norm run in f32 under `fp16_mode` unless
//! the policy says otherwise.

use candle_core::{DType, Device, Tensor};
use trt::{ElementWiseOperation as Ew, ReduceOperation, UnaryOperation};

use crate::trace::net::ShuffleSpec;
use crate::trace::{ConvProducer, Op, TracedTensor, H};
use crate::{Result, TraceTensor};

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

impl Op<'_, '_> {
    /// `h · scale + shift` with constants of dims `dims` (in `h`'s type).
    fn scale_shift(
        &self,
        h: H,
        scale: Option<&Tensor>,
        shift: Option<&Tensor>,
        dims: &[i64],
    ) -> Result<H> {
        let dt = self.net().dtype(h);
        let mut out = h;
        if let Some(s) = scale {
            let c = self.constant(s, dt, Some(dims))?;
            out = self.ew(out, c, Ew::Prod)?;
        }
        if let Some(b) = shift {
            let c = self.constant(b, dt, Some(dims))?;
            out = self.ew(out, c, Ew::Sum)?;
        }
        Ok(out)
    }

    /// `h / sqrt(mean(h², axis) + eps)` over the last axis (or `axis`).
    fn rms_h(&self, h: H, axis: usize, eps: f64) -> Result<H> {
        let sq = self.ew(h, h, Ew::Prod)?;
        let ms = self.reduce_h(sq, ReduceOperation::Avg, &[axis], true)?;
        let ms = self.with_scalar(ms, Ew::Sum, eps)?;
        let rms = self.unary(ms, UnaryOperation::Sqrt)?;
        self.ew(h, rms, Ew::Div)
    }
}

pub(crate) fn batch_norm<'n>(
    x: &TracedTensor<'n>,
    bn: &candle_nn::BatchNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("batch_norm", &[])?;
    let value = op.value(TraceTensor::batch_norm(&x.value, bn))?;
    // y = x · scale + shift, scale = γ / sqrt(var + ε), shift = β - mean · scale.
    let (scale, shift) = op.candle((|| {
        let var = cpu_f32(bn.running_var())?;
        let mean = cpu_f32(bn.running_mean())?;
        let inv_std = (var + bn.eps())?.sqrt()?.recip()?;
        let (scale, beta) = match bn.weight_and_bias() {
            Some((w, b)) => ((cpu_f32(w)? * &inv_std)?, cpu_f32(b)?),
            None => (inv_std.clone(), inv_std.zeros_like()?),
        };
        let shift = (beta - (mean * &scale)?)?;
        Ok((scale, shift))
    })())?;
    if x.value.rank() < 2 {
        return Err(op.unsupported("batch norm needs an input of rank 2 or more (N, C, ...)"));
    }
    let producer: Option<ConvProducer> = op.tracer.conv_producers.borrow().get(&x.h).cloned();
    let h = match producer {
        Some(conv) => {
            // Fold into the convolution: W' = W · scale (per output channel), b' = b · scale + shift.
            let (w, b) = op.candle((|| {
                let w = cpu_f32(&conv.weight)?;
                let out = w.dim(0)?;
                let mut s_dims = vec![1usize; w.rank()];
                s_dims[0] = out;
                let w = w.broadcast_mul(&scale.reshape(s_dims)?)?;
                let b = match &conv.bias {
                    Some(b) => (cpu_f32(b)? * &scale)?,
                    None => scale.zeros_like()?,
                };
                Ok((w, (b + &shift)?))
            })())?;
            let folded = op.convolution_h(conv.input, &w, Some(&b), &conv.spec, false)?;
            op.tracer.mark_folded(
                conv.layer_index,
                x.h,
                &format!("{}/batch_norm", op.tracer.module_path()),
            );
            folded
        }
        None => {
            let dims = channel_dims(scale.elem_count(), x.value.rank());
            op.scale_shift(x.h, Some(&scale), Some(&shift), &dims)?
        }
    };
    op.finish(value, h)
}

pub(crate) fn layer_norm<'n>(
    x: &TracedTensor<'n>,
    ln: &candle_nn::LayerNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("layer_norm", &[])?;
    let value = op.value(TraceTensor::layer_norm(&x.value, ln))?;
    let rank = x.value.rank();
    let n = *x.value.dims().last().unwrap_or(&1);
    let dims = last_dims(n, rank);
    let h = op.in_f32(x.h, op.tracer.policy.normalization, |h| {
        let dt = op.net().dtype(h);
        if ln.remove_mean() {
            let scale = op.constant(ln.weight(), dt, Some(&dims))?;
            let bias = match ln.bias() {
                Some(b) => op.constant(b, dt, Some(&dims))?,
                None => {
                    let zeros = op.candle(ln.weight().zeros_like())?;
                    op.constant(&zeros, dt, Some(&dims))?
                }
            };
            let r = op
                .net()
                .normalization(h, scale, bias, 1u32 << (rank - 1), ln.eps() as f32, 0);
            op.trt(r)
        } else {
            let normed = op.rms_h(h, rank - 1, ln.eps())?;
            op.scale_shift(normed, Some(ln.weight()), ln.bias(), &dims)
        }
    })?;
    op.finish(value, h)
}

pub(crate) fn rms_norm<'n>(
    x: &TracedTensor<'n>,
    rms: &candle_nn::RmsNorm,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("rms_norm", &[])?;
    let value = op.value(TraceTensor::rms_norm(&x.value, rms))?;
    let rank = x.value.rank();
    let n = *x.value.dims().last().unwrap_or(&1);
    let dims = last_dims(n, rank);
    let h = op.in_f32(x.h, op.tracer.policy.normalization, |h| {
        let normed = op.rms_h(h, rank - 1, rms.eps())?;
        op.scale_shift(normed, Some(rms.weight()), None, &dims)
    })?;
    op.finish(value, h)
}

pub(crate) fn group_norm<'n>(
    x: &TracedTensor<'n>,
    groups: usize,
    weight: &Tensor,
    bias: &Tensor,
    eps: f64,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("group_norm", &[])?;
    let value = op.value(TraceTensor::group_norm(&x.value, groups, weight, bias, eps))?;
    let rank = x.value.rank();
    let c = x.value.dims()[1];
    let h = op.in_f32(x.h, op.tracer.policy.normalization, |h| {
        // (N, C, ...) → (N, G, C/G · ...): normalize over the last axis, then back.
        let grouped = op.reshape_static(h, &[0, groups as i64, -1])?;
        let mean = op.reduce_h(grouped, ReduceOperation::Avg, &[2], true)?;
        let centered = op.ew(grouped, mean, Ew::Sub)?;
        let normed = op.rms_h(centered, 2, eps)?;
        let back = match op.shape_with(h, &[])? {
            Some(shape) => {
                let spec = ShuffleSpec {
                    reshape_tensor: Some(shape),
                    ..Default::default()
                };
                let r = op.net().shuffle(normed, &spec);
                op.trt(r)?
            }
            None => {
                let dims: Vec<i64> = x.value.dims().iter().map(|&d| d as i64).collect();
                op.reshape_static(normed, &dims)?
            }
        };
        op.scale_shift(back, Some(weight), Some(bias), &channel_dims(c, rank))
    })?;
    op.finish(value, h)
}
