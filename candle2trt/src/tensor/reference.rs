//! Reference implementations in candle of ops candle lacks: padded and ceil-mode pooling,
//! adaptive average pooling, softplus, broadcasting comparisons.
//!
//! They give the plain-candle [`TraceTensor`](crate::TraceTensor) implementation its values (so
//! they are what the tracer's values are checked against), and converters read the same
//! formulas (e.g. [`ceil_pool_size`]) so that TensorRT's layers agree with them.

use candle_core::op::CmpOp;
use candle_core::{Tensor, D};

use super::{Pad2d, PadMode, Pool2dConfig};

/// `torch.nn.MaxPool2d(kernel, stride, padding, ceil_mode)`: padding with `-inf`, and for
/// `ceil_mode` extra `-inf` rows/columns at the end for the window that hangs over.
pub(crate) fn max_pool2d(x: &Tensor, cfg: &Pool2dConfig) -> candle_core::Result<Tensor> {
    let Pool2dConfig {
        kernel,
        stride,
        padding,
        ceil_mode,
        ..
    } = *cfg;
    let ((top, bottom), (left, right)) = cfg.pre_post();
    if top + bottom + left + right == 0 && !ceil_mode {
        return x.max_pool2d_with_stride(kernel, stride);
    }
    let (eh, ew) = if ceil_mode {
        let (_, _, h, w) = x.dims4()?;
        let (_, eh) = ceil_pool_size(h, kernel.0, stride.0, padding.0)?;
        let (_, ew) = ceil_pool_size(w, kernel.1, stride.1, padding.1)?;
        (eh, ew)
    } else {
        (0, 0)
    };
    let padded = pad_hw_asym(x, (top, bottom + eh), (left, right + ew), f64::NEG_INFINITY)?;
    padded.max_pool2d_with_stride(kernel, stride)
}

/// `torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode, count_include_pad)`: the sum of
/// each window over the zero-padded input divided by [`avg_pool_divisors`].
pub(crate) fn avg_pool2d(x: &Tensor, cfg: &Pool2dConfig) -> candle_core::Result<Tensor> {
    let (h, w) = cfg.pre_post();
    let (_, _, in_h, in_w) = x.dims4()?;
    let (eh, ew) = avg_pool_extra(cfg, in_h, in_w)?;
    if cfg.count_include_pad && eh == 0 && ew == 0 {
        if h == (0, 0) && w == (0, 0) {
            return x.avg_pool2d_with_stride(cfg.kernel, cfg.stride);
        }
        return pad_hw_asym(x, h, w, 0.0)?.avg_pool2d_with_stride(cfg.kernel, cfg.stride);
    }
    let padded = pad_hw_asym(x, (h.0, h.1 + eh), (w.0, w.1 + ew), 0.0)?;
    let area = (cfg.kernel.0 * cfg.kernel.1) as f64;
    let sums = (padded.avg_pool2d_with_stride(cfg.kernel, cfg.stride)? * area)?;
    let div = avg_pool_divisors(cfg, in_h, in_w)?
        .to_dtype(x.dtype())?
        .to_device(x.device())?;
    sums.broadcast_div(&div)
}

/// The extra bottom/right padding `ceil_mode` adds for the last window (0 without it).
pub(crate) fn avg_pool_extra(
    cfg: &Pool2dConfig,
    in_h: usize,
    in_w: usize,
) -> candle_core::Result<(usize, usize)> {
    if !cfg.ceil_mode {
        return Ok((0, 0));
    }
    let ((top, bottom), (left, right)) = cfg.pre_post();
    // PyTorch's ceil rule with symmetric padding; side padding adds to the padded size.
    let size = |n: usize, before: usize, after: usize, k: usize, s: usize| {
        let p = before.min(after);
        ceil_pool_size(n + before + after - 2 * p, k, s, p)
    };
    let (_, eh) = size(in_h, top, bottom, cfg.kernel.0, cfg.stride.0)?;
    let (_, ew) = size(in_w, left, right, cfg.kernel.1, cfg.stride.1)?;
    Ok((eh, ew))
}

/// PyTorch's average-pooling divisor of every output position, `(1, 1, out_h, out_w)` (ATen's
/// `avg_pool2d`): window `[i·s - pad_before, min(i·s - pad_before + k, n + pad_after))`, its
/// size with `count_include_pad`, else the size of its overlap with the input. A window that
/// `ceil_mode` lets hang past the padding is cut at the padding's end either way.
pub(crate) fn avg_pool_divisors(
    cfg: &Pool2dConfig,
    in_h: usize,
    in_w: usize,
) -> candle_core::Result<Tensor> {
    let (eh, ew) = avg_pool_extra(cfg, in_h, in_w)?;
    let ((top, bottom), (left, right)) = cfg.pre_post();
    let axis = |n: usize, before: usize, after: usize, extra: usize, k: usize, s: usize| {
        let padded = n + before + after + extra;
        if padded < k || s == 0 {
            return Vec::new();
        }
        let out = (padded - k) / s + 1;
        (0..out)
            .map(|i| {
                let start = (i * s) as i64 - before as i64;
                let end = (start + k as i64).min((n + after) as i64);
                if cfg.count_include_pad {
                    (end - start) as f32
                } else {
                    (end.min(n as i64) - start.max(0)) as f32
                }
            })
            .collect::<Vec<f32>>()
    };
    let dh = axis(in_h, top, bottom, eh, cfg.kernel.0, cfg.stride.0);
    let dw = axis(in_w, left, right, ew, cfg.kernel.1, cfg.stride.1);
    let v: Vec<f32> = dh
        .iter()
        .flat_map(|a| dw.iter().map(move |b| a * b))
        .collect();
    Tensor::from_vec(v, (1, 1, dh.len(), dw.len()), &candle_core::Device::Cpu)
}

/// `F.pad(x, (left, right, top, bottom), mode)` on the two last dimensions.
pub(crate) fn pad2d(x: &Tensor, pad: Pad2d, mode: PadMode) -> candle_core::Result<Tensor> {
    let rank = x.rank();
    if rank < 2 {
        candle_core::bail!(
            "pad2d needs a tensor of rank 2 or more, got shape {:?}",
            x.dims()
        )
    }
    if let PadMode::Constant(value) = mode {
        return pad_last2_with(x, pad, value);
    }
    let mut x = x.clone();
    for (dim, (before, after)) in [(rank - 2, pad.height()), (rank - 1, pad.width())] {
        if before + after == 0 {
            continue;
        }
        let n = x.dims()[dim];
        if mode == PadMode::Reflect && (before >= n || after >= n) {
            candle_core::bail!(
                "pad2d: reflect padding ({before}, {after}) must be smaller than the dimension \
                 ({n}), as in PyTorch"
            )
        }
        let last = n as i64 - 1;
        let ids: Vec<u32> = (-(before as i64)..n as i64 + after as i64)
            .map(|i| match mode {
                PadMode::Reflect if i < 0 => -i,
                PadMode::Reflect if i > last => 2 * last - i,
                _ => i.clamp(0, last),
            } as u32)
            .collect();
        let len = ids.len();
        x = x.index_select(&Tensor::from_vec(ids, len, x.device())?, dim)?;
    }
    Ok(x)
}

/// The two last dimensions padded with `value`.
fn pad_last2_with(x: &Tensor, pad: Pad2d, value: f64) -> candle_core::Result<Tensor> {
    let rank = x.rank();
    let mut x = x.clone();
    for (dim, (before, after)) in [(rank - 2, pad.height()), (rank - 1, pad.width())] {
        let mut parts = Vec::with_capacity(3);
        let mut dims = x.dims().to_vec();
        if before > 0 {
            dims[dim] = before;
            parts.push(Tensor::full(value, dims.clone(), x.device())?.to_dtype(x.dtype())?);
        }
        parts.push(x.clone());
        if after > 0 {
            dims[dim] = after;
            parts.push(Tensor::full(value, dims, x.device())?.to_dtype(x.dtype())?);
        }
        if parts.len() > 1 {
            x = Tensor::cat(&parts, dim)?;
        }
    }
    Ok(x)
}

/// `conv(F.pad(x, pad))`: zero padding per side, then the convolution (with its own padding).
pub(crate) fn conv2d_padded(
    x: &Tensor,
    layer: &candle_nn::Conv2d,
    pad: Pad2d,
) -> candle_core::Result<Tensor> {
    use candle_core::Module;
    if pad.is_zero() {
        return layer.forward(x);
    }
    layer.forward(&pad_last2_with(x, pad, 0.0)?)
}

/// `log(1 + exp(x))` as `relu(x) + log(1 + exp(-|x|))`: equal, and never overflows.
pub(crate) fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    let tail = (x.abs()?.neg()?.exp()? + 1.0)?.log()?;
    x.relu()? + tail
}

/// candle's `cmp` with numpy broadcasting (candle's own needs equal shapes).
pub(crate) fn broadcast_cmp(a: &Tensor, b: &Tensor, op: CmpOp) -> candle_core::Result<Tensor> {
    if a.dims() == b.dims() {
        return a.cmp(b, op);
    }
    let shape = a.shape().broadcast_shape_binary_op(b.shape(), "cmp")?;
    a.broadcast_as(&shape)?.cmp(&b.broadcast_as(&shape)?, op)
}

/// Pads dimension 2 with `(top, bottom)` and dimension 3 with `(left, right)` copies of `value`.
pub(crate) fn pad_hw_asym(
    x: &Tensor,
    (top, bottom): (usize, usize),
    (left, right): (usize, usize),
    value: f64,
) -> candle_core::Result<Tensor> {
    pad_last2_with(x, Pad2d::new(top, bottom, left, right), value)
}

/// PyTorch's pooling output size with `ceil_mode=True`, and the extra rows past the padding
/// the last window reaches: `(out, extra)`.
pub(crate) fn ceil_pool_size(
    size: usize,
    k: usize,
    s: usize,
    p: usize,
) -> candle_core::Result<(usize, usize)> {
    if s == 0 || k == 0 || size + 2 * p < k {
        candle_core::bail!(
            "pooling: kernel {k} with stride {s} does not fit size {size} padded by {p}"
        )
    }
    let mut out = (size + 2 * p - k).div_ceil(s) + 1;
    // The last window must start inside the input or the left padding.
    if (out - 1) * s >= size + p {
        out -= 1;
    }
    let extra = ((out - 1) * s + k).saturating_sub(size + 2 * p);
    Ok((out, extra))
}

/// PyTorch's adaptive average pooling: output cell `i` averages input rows
/// `floor(i·in/out) .. ceil((i+1)·in/out)`.
pub(crate) fn adaptive_avg_pool2d(
    x: &Tensor,
    (out_h, out_w): (usize, usize),
) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    if out_h == 0 || out_w == 0 {
        candle_core::bail!(
            "adaptive_avg_pool2d: output size must be positive, got ({out_h}, {out_w})"
        )
    }
    if h % out_h == 0 && w % out_w == 0 {
        let k = (h / out_h, w / out_w);
        return x.avg_pool2d_with_stride(k, k);
    }
    let mut rows = Vec::with_capacity(out_h);
    for i in 0..out_h {
        let (h0, h1) = (i * h / out_h, ((i + 1) * h).div_ceil(out_h));
        let mut cols = Vec::with_capacity(out_w);
        for j in 0..out_w {
            let (w0, w1) = (j * w / out_w, ((j + 1) * w).div_ceil(out_w));
            cols.push(
                x.narrow(2, h0, h1 - h0)?
                    .narrow(3, w0, w1 - w0)?
                    .mean_keepdim((2, 3))?,
            );
        }
        rows.push(Tensor::cat(&cols, 3)?);
    }
    Tensor::cat(&rows, D::Minus2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    /// torch.nn.MaxPool2d((1, 3), (1, 2), ceil_mode=True)(arange(6)) == [2, 4, 5]
    #[test]
    fn ceil_mode_max_pool_matches_pytorch() {
        let x = Tensor::arange(0f32, 6.0, &candle_core::Device::Cpu)
            .unwrap()
            .reshape((1, 1, 1, 6))
            .unwrap();
        let cfg = Pool2dConfig::new((1, 3))
            .with_stride((1, 2))
            .with_ceil_mode(true);
        assert_eq!(values(&max_pool2d(&x, &cfg).unwrap()), [2.0, 4.0, 5.0]);
        // PyTorch's rule: a last window that would start in the right padding is dropped
        // (size 5, kernel 2, stride 2, padding 1: 3 outputs, not 4).
        assert_eq!(ceil_pool_size(5, 2, 2, 1).unwrap(), (3, 0));
        assert_eq!(ceil_pool_size(6, 3, 2, 0).unwrap(), (3, 1));
    }

    /// torch.nn.AvgPool2d(3, 1, 1)(ones(1, 1, 3, 3)) counts the zero padding: corners 4/9.
    #[test]
    fn padded_avg_pool_counts_the_padding() {
        let x = Tensor::ones(
            (1, 1, 3, 3),
            candle_core::DType::F32,
            &candle_core::Device::Cpu,
        )
        .unwrap();
        let y = avg_pool2d(&x, &Pool2dConfig::new(3).with_stride(1).with_padding(1)).unwrap();
        let v = values(&y);
        assert!(
            (v[0] - 4.0 / 9.0).abs() < 1e-6 && (v[4] - 1.0).abs() < 1e-6,
            "{v:?}"
        );
    }
}
