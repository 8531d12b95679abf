//! Pooling: max and average pooling from a [`Pool2dConfig`] (padding, PyTorch's `ceil_mode` and
//! `count_include_pad`), adaptive max pooling, and adaptive average pooling (a mean, an average pool, or two matrix products with constant
//! averaging matrices for windows of unequal sizes).

use candle_core::Tensor;
use trt::{
    ElementWiseOperation as Ew, MatrixMultiply, MatrixOperation as Mo, Pooling, PoolingType,
    ReduceOperation,
};

use crate::tensor::reference::{avg_pool_divisors, avg_pool_extra, ceil_pool_size};
use crate::tensor::torch_ref::adaptive_window;
use crate::trace::TracedTensor;
use crate::{Pool2dConfig, Result, TraceTensor};

/// Max pooling; the op is named `max_pool2d_ceil` in ceil mode.
pub(crate) fn max_pool2d<'n>(x: &TracedTensor<'n>, cfg: &Pool2dConfig) -> Result<TracedTensor<'n>> {
    let name = if cfg.ceil_mode {
        "max_pool2d_ceil"
    } else {
        "max_pool2d"
    };
    let op = x.begin(name, &[])?;
    let value = op.named(x.value.max_pool2d_with_config(cfg))?;
    let (k, s, p) = (cfg.kernel, cfg.stride, cfg.padding);
    // In ceil mode, explicit extra padding at the end gives PyTorch's size exactly (TensorRT
    // pads max pooling with -inf); TensorRT's own round-up mode lacks PyTorch's rule that the
    // last window starts inside the input.
    let (eh, ew) = if cfg.ceil_mode {
        if dynamic_spatial(x) {
            return Err(op.unsupported(
                "ceil_mode over a dynamic height or width: the extra padding depends on the size",
            ));
        }
        let (_, _, h, w) = op.named(x.value.dims4())?;
        let (_, eh) = op.named(ceil_pool_size(h, k.0, s.0, p.0))?;
        let (_, ew) = op.named(ceil_pool_size(w, k.1, s.1, p.1))?;
        (eh, ew)
    } else {
        (0, 0)
    };
    let ((top, bottom), (left, right)) = cfg.pre_post();
    let pool = Pooling::new(x.trt, PoolingType::Max, [k.0 as i64, k.1 as i64])
        .stride([s.0 as i64, s.1 as i64])
        .pre_post_padding(
            [top as i64, left as i64],
            [(bottom + eh) as i64, (right + ew) as i64],
        )
        .exclusive(false);
    let h = op.add(pool)?;
    op.finish(value, h)
}

/// Average pooling. Without `count_include_pad` TensorRT's own count is PyTorch's
/// (NvInfer.h, `setAverageCountExcludesPadding(true)`: "the overlap area between the window and
/// the unpadded input"). With it and a `ceil_mode` window hanging past the padding, PyTorch
/// counts the padding but not the overhang, which no TensorRT count does: the average over the
/// whole window (overhang included) is rescaled by `window area / PyTorch's divisor`, a
/// constant per output position.
pub(crate) fn avg_pool2d<'n>(x: &TracedTensor<'n>, cfg: &Pool2dConfig) -> Result<TracedTensor<'n>> {
    let name = if cfg.ceil_mode {
        "avg_pool2d_ceil"
    } else {
        "avg_pool2d"
    };
    let op = x.begin(name, &[])?;
    let value = op.named(x.value.avg_pool2d_with_config(cfg))?;
    let (k, s) = (cfg.kernel, cfg.stride);
    let (eh, ew) = if cfg.ceil_mode {
        if dynamic_spatial(x) {
            return Err(op.unsupported(
                "ceil_mode over a dynamic height or width: the extra padding depends on the size",
            ));
        }
        let (_, _, h, w) = op.named(x.value.dims4())?;
        op.named(avg_pool_extra(cfg, h, w))?
    } else {
        (0, 0)
    };
    let ((top, bottom), (left, right)) = cfg.pre_post();
    let pool = Pooling::new(x.trt, PoolingType::Average, [k.0 as i64, k.1 as i64])
        .stride([s.0 as i64, s.1 as i64])
        .pre_post_padding(
            [top as i64, left as i64],
            [(bottom + eh) as i64, (right + ew) as i64],
        )
        .exclusive(!cfg.count_include_pad);
    let mut h = op.add(pool)?;
    if cfg.count_include_pad && eh + ew > 0 {
        let (_, _, in_h, in_w) = op.named(x.value.dims4())?;
        let div = op.named(avg_pool_divisors(cfg, in_h, in_w))?;
        let scale = op.named(div.recip().and_then(|r| r * (k.0 * k.1) as f64))?;
        let policy = op.tracer.policy.reductions;
        h = op.in_f32(h, policy, |h| {
            let c = op.constant(&scale, op.dtype(h), None)?;
            op.ew_broadcast(h, c, Ew::Prod)
        })?;
    }
    op.finish(value, h)
}

/// Adaptive max pooling: windows of one size become one max pooling layer; windows of unequal
/// sizes (PyTorch's `floor(i·n/out) .. ceil((i+1)·n/out)`) one slice and reduction per output
/// row, then per output column (the maximum is separable), concatenated.
pub(crate) fn adaptive_max_pool2d<'n>(
    x: &TracedTensor<'n>,
    out: (usize, usize),
) -> Result<TracedTensor<'n>> {
    let op = x.begin("adaptive_max_pool2d", &[])?;
    let value = op.named(TraceTensor::adaptive_max_pool2d(&x.value, out))?;
    let (_, _, h_in, w_in) = op.named(x.value.dims4())?;
    if dynamic_spatial(x) {
        return Err(op.unsupported(format!(
            "output size {out:?} over a dynamic height or width: the windows depend on the size"
        )));
    }
    let h = if h_in % out.0 == 0 && w_in % out.1 == 0 {
        let k = [(h_in / out.0) as i64, (w_in / out.1) as i64];
        op.add(Pooling::new(x.trt, PoolingType::Max, k).stride(k))?
    } else {
        let mut dims = x.value.dims().to_vec();
        let mut rows = Vec::with_capacity(out.0);
        for i in 0..out.0 {
            let (a, b) = adaptive_window(i, h_in, out.0);
            let t = op.narrow(x.trt, &dims, 2, a as i64, b - a, None)?;
            rows.push(op.reduce(t, ReduceOperation::Max, &[2], true)?);
        }
        let rows = op.concat(&rows, 2)?;
        dims[2] = out.0;
        let mut cols = Vec::with_capacity(out.1);
        for j in 0..out.1 {
            let (a, b) = adaptive_window(j, w_in, out.1);
            let t = op.narrow(rows, &dims, 3, a as i64, b - a, None)?;
            cols.push(op.reduce(t, ReduceOperation::Max, &[3], true)?);
        }
        op.concat(&cols, 3)?
    };
    op.finish(value, h)
}

pub(crate) fn adaptive_avg_pool2d<'n>(
    x: &TracedTensor<'n>,
    out: (usize, usize),
) -> Result<TracedTensor<'n>> {
    let op = x.begin("adaptive_avg_pool2d", &[])?;
    let value = op.named(TraceTensor::adaptive_avg_pool2d(&x.value, out))?;
    let (_, _, h_in, w_in) = op.named(x.value.dims4())?;
    if out != (1, 1) && dynamic_spatial(x) {
        return Err(op.unsupported(format!(
            "output size {out:?} over a dynamic height or width: the windows depend on the size \
             (only (1, 1) works for any size)"
        )));
    }
    let h = if out == (1, 1) {
        let policy = op.tracer.policy.reductions;
        op.in_f32(x.trt, policy, |h| {
            op.reduce(h, ReduceOperation::Avg, &[2, 3], true)
        })?
    } else if h_in % out.0 == 0 && w_in % out.1 == 0 {
        let k = [(h_in / out.0) as i64, (w_in / out.1) as i64];
        let pool = Pooling::new(x.trt, PoolingType::Average, k)
            .stride(k)
            .exclusive(false);
        op.add(pool)?
    } else {
        // Windows of unequal sizes: out = P_h · X · P_wᵀ with constant averaging matrices.
        let p_h = op.named(pooling_matrix(h_in, out.0))?;
        let p_w = op.named(pooling_matrix(w_in, out.1))?;
        let policy = op.tracer.policy.reductions;
        op.in_f32(x.trt, policy, |h| {
            let dt = op.dtype(h);
            let p_w = op.constant(&p_w, dt, Some(&[1, 1, out.1 as i64, w_in as i64]))?;
            let p_h = op.constant(&p_h, dt, Some(&[1, 1, out.0 as i64, h_in as i64]))?;
            let rows = op.add(MatrixMultiply::new(h, Mo::None, p_w, Mo::Transpose))?;
            op.add(MatrixMultiply::new(p_h, Mo::None, rows, Mo::None))
        })?
    };
    op.finish(value, h)
}

/// `(out, size)` matrix whose row `i` averages PyTorch's adaptive window
/// `floor(i·size/out) .. ceil((i+1)·size/out)`.
fn pooling_matrix(size: usize, out: usize) -> candle_core::Result<Tensor> {
    let mut m = vec![0f32; out * size];
    for i in 0..out {
        let (start, end) = (i * size / out, ((i + 1) * size).div_ceil(out));
        for j in start..end {
            m[i * size + j] = 1.0 / (end - start) as f32;
        }
    }
    Tensor::from_vec(m, (out, size), &candle_core::Device::Cpu)
}

/// Whether the height or width of `x` (`[N, C, H, W]`) is dynamic in the network.
fn dynamic_spatial(x: &TracedTensor<'_>) -> bool {
    x.tensorrt_dims().iter().skip(2).any(|&d| d == -1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrices the converter bakes reproduce candle's (PyTorch's) adaptive pooling.
    #[test]
    fn pooling_matrices_reproduce_adaptive_avg_pool() {
        let dev = candle_core::Device::Cpu;
        for (h, w, oh, ow) in [(8, 7, 3, 5), (1, 1, 7, 7), (5, 9, 2, 4), (6, 6, 4, 4)] {
            let x = Tensor::randn(0f32, 1.0, (2, 3, h, w), &dev).unwrap();
            let expected = crate::tensor::reference::adaptive_avg_pool2d(&x, (oh, ow)).unwrap();
            let p_h = pooling_matrix(h, oh).unwrap();
            let p_w = pooling_matrix(w, ow).unwrap();
            let got = p_h
                .broadcast_matmul(&x.broadcast_matmul(&p_w.t().unwrap()).unwrap())
                .unwrap();
            let diff = (got - expected)
                .unwrap()
                .abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(diff < 1e-5, "{h}x{w} -> {oh}x{ow}: {diff}");
        }
    }
}
