//! Convolutions (1-D, 2-D, transposed), pooling (max, average, adaptive average) and
//! resampling (nearest, bilinear).

use candle_core::Tensor;
use trt::{
    InterpolationMode, MatrixOperation, PoolingType, ReduceOperation,
    ResizeCoordinateTransformation, ResizeRoundMode,
};

use crate::trace::build::tensor_weights;
use crate::trace::net::{ConvSpec, PoolSpec, ResizeSpec};
use crate::trace::{ConvProducer, Op, TracedTensor, H};
use crate::{Result, TraceTensor};

impl Op<'_, '_> {
    /// A convolution of `x` with candle weights `weight` (`[out, in/groups, k...]`) and `bias`,
    /// in `x`'s TensorRT type.
    pub(crate) fn convolution_h(
        &self,
        x: H,
        weight: &Tensor,
        bias: Option<&Tensor>,
        spec: &ConvSpec,
        transposed: bool,
    ) -> Result<H> {
        let dt = self.net().dtype(x);
        let kernel = self.candle(tensor_weights(weight, dt))?;
        let bias = match bias {
            Some(b) => Some(self.candle(tensor_weights(b, dt))?),
            None => None,
        };
        let r = if transposed {
            self.net().deconvolution(x, spec, kernel, bias)
        } else {
            self.net().convolution(x, spec, kernel, bias)
        };
        self.trt(r)
    }

    fn pool_h(&self, x: H, spec: &PoolSpec) -> Result<H> {
        let r = self.net().pooling(x, spec);
        self.trt(r)
    }
}

fn pair(v: usize) -> Vec<i64> {
    vec![v as i64, v as i64]
}

pub(crate) fn conv2d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv2d", &[])?;
    let value = op.value(TraceTensor::conv2d(&x.value, layer))?;
    let cfg = layer.config();
    let (out, _, kh, kw) = op.candle(layer.weight().dims4())?;
    let spec = ConvSpec {
        out_channels: out as i64,
        kernel: vec![kh as i64, kw as i64],
        stride: pair(cfg.stride),
        pre_padding: pair(cfg.padding),
        post_padding: pair(cfg.padding),
        dilation: pair(cfg.dilation),
        groups: cfg.groups as i64,
    };
    let layer_index = op.net().nb_layers();
    let h = op.convolution_h(x.h, layer.weight(), layer.bias(), &spec, false)?;
    op.tracer.conv_producers.borrow_mut().insert(
        h,
        ConvProducer {
            input: x.h,
            weight: layer.weight().clone(),
            bias: layer.bias().cloned(),
            spec,
            layer_index,
        },
    );
    op.finish(value, h)
}

pub(crate) fn conv1d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv1d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv1d", &[])?;
    let value = op.value(TraceTensor::conv1d(&x.value, layer))?;
    let cfg = layer.config();
    let (out, _, k) = op.candle(layer.weight().dims3())?;
    // TensorRT convolves 2-D and 3-D: (N, C, L) runs as (N, C, L, 1) with a (k, 1) kernel,
    // whose weights have the same memory layout.
    let spec = ConvSpec {
        out_channels: out as i64,
        kernel: vec![k as i64, 1],
        stride: vec![cfg.stride as i64, 1],
        pre_padding: vec![cfg.padding as i64, 0],
        post_padding: vec![cfg.padding as i64, 0],
        dilation: vec![cfg.dilation as i64, 1],
        groups: cfg.groups as i64,
    };
    let x4 = op.unsqueeze_h(x.h, 3)?;
    let y4 = op.convolution_h(x4, layer.weight(), layer.bias(), &spec, false)?;
    let h = op.squeeze_h(y4, 3)?;
    op.finish(value, h)
}

pub(crate) fn conv_transpose2d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::ConvTranspose2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv_transpose2d", &[])?;
    let value = op.value(TraceTensor::conv_transpose2d(&x.value, layer))?;
    let cfg = layer.config();
    let (_, out, kh, kw) = op.candle(layer.weight().dims4())?;
    if cfg.output_padding > cfg.padding {
        return Err(op.unsupported(format!(
            "output_padding {} larger than padding {}",
            cfg.output_padding, cfg.padding
        )));
    }
    // PyTorch's output_padding adds rows at the end: less cropping at the end in TensorRT.
    let post = (cfg.padding - cfg.output_padding) as i64;
    let spec = ConvSpec {
        out_channels: out as i64,
        kernel: vec![kh as i64, kw as i64],
        stride: pair(cfg.stride),
        pre_padding: pair(cfg.padding),
        post_padding: vec![post, post],
        dilation: pair(cfg.dilation),
        groups: 1,
    };
    let h = op.convolution_h(x.h, layer.weight(), layer.bias(), &spec, true)?;
    op.finish(value, h)
}

#[allow(clippy::too_many_arguments)]
fn pool<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    kind: PoolingType,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.value(candle(&x.value))?;
    let pad = vec![padding.0 as i64, padding.1 as i64];
    let spec = PoolSpec {
        kind,
        window: vec![kernel.0 as i64, kernel.1 as i64],
        stride: vec![stride.0 as i64, stride.1 as i64],
        pre_padding: pad.clone(),
        post_padding: pad,
        average_count_excludes_padding: false,
    };
    let h = op.pool_h(x.h, &spec)?;
    op.finish(value, h)
}

pub(crate) fn max_pool2d<'n>(
    x: &TracedTensor<'n>,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
) -> Result<TracedTensor<'n>> {
    pool(x, "max_pool2d", PoolingType::Max, k, s, p, |v| {
        v.max_pool2d_with_padding(k, s, p)
    })
}

pub(crate) fn max_pool2d_ceil<'n>(
    x: &TracedTensor<'n>,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
) -> Result<TracedTensor<'n>> {
    let op = x.begin("max_pool2d_ceil", &[])?;
    let value = op.value(x.value.max_pool2d_ceil(k, s, p))?;
    let (_, _, h, w) = op.candle(x.value.dims4())?;
    let (_, eh) = op.candle(crate::candle_impl::ceil_pool_size(h, k.0, s.0, p.0))?;
    let (_, ew) = op.candle(crate::candle_impl::ceil_pool_size(w, k.1, s.1, p.1))?;
    // Explicit extra padding at the end gives PyTorch's ceil-mode size exactly (max pooling
    // pads with -inf in TensorRT).
    let spec = PoolSpec {
        kind: PoolingType::Max,
        window: vec![k.0 as i64, k.1 as i64],
        stride: vec![s.0 as i64, s.1 as i64],
        pre_padding: vec![p.0 as i64, p.1 as i64],
        post_padding: vec![(p.0 + eh) as i64, (p.1 + ew) as i64],
        average_count_excludes_padding: false,
    };
    let h = op.pool_h(x.h, &spec)?;
    op.finish(value, h)
}

pub(crate) fn avg_pool2d<'n>(
    x: &TracedTensor<'n>,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
) -> Result<TracedTensor<'n>> {
    pool(x, "avg_pool2d", PoolingType::Average, k, s, p, |v| {
        v.avg_pool2d_with_padding(k, s, p)
    })
}

pub(crate) fn adaptive_avg_pool2d<'n>(
    x: &TracedTensor<'n>,
    out: (usize, usize),
) -> Result<TracedTensor<'n>> {
    let op = x.begin("adaptive_avg_pool2d", &[])?;
    let value = op.value(TraceTensor::adaptive_avg_pool2d(&x.value, out))?;
    let (_, _, h_in, w_in) = op.candle(x.value.dims4())?;
    let h = if out == (1, 1) {
        let policy = op.tracer.policy.reductions;
        op.in_f32(x.h, policy, |h| {
            op.reduce_h(h, ReduceOperation::Avg, &[2, 3], true)
        })?
    } else if h_in % out.0 == 0 && w_in % out.1 == 0 {
        let k = vec![(h_in / out.0) as i64, (w_in / out.1) as i64];
        let spec = PoolSpec {
            kind: PoolingType::Average,
            window: k.clone(),
            stride: k,
            pre_padding: vec![0, 0],
            post_padding: vec![0, 0],
            average_count_excludes_padding: false,
        };
        op.pool_h(x.h, &spec)?
    } else {
        // Windows of unequal sizes: out = P_h · X · P_wᵀ with constant averaging matrices.
        let p_h = op.candle(pooling_matrix(h_in, out.0))?;
        let p_w = op.candle(pooling_matrix(w_in, out.1))?;
        let policy = op.tracer.policy.reductions;
        op.in_f32(x.h, policy, |h| {
            let dt = op.net().dtype(h);
            let p_w = op.constant(&p_w, dt, Some(&[1, 1, out.1 as i64, w_in as i64]))?;
            let p_h = op.constant(&p_h, dt, Some(&[1, 1, out.0 as i64, h_in as i64]))?;
            let rows = op.matmul_h(h, MatrixOperation::None, p_w, MatrixOperation::Transpose)?;
            op.matmul_h(p_h, MatrixOperation::None, rows, MatrixOperation::None)
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

fn resize<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    target: (usize, usize),
    mode: InterpolationMode,
    coordinates: ResizeCoordinateTransformation,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.value(candle(&x.value))?;
    let shape_tensor = op.shape_with(x.h, &[(2, target.0 as i64), (3, target.1 as i64)])?;
    let output_dims = shape_tensor
        .is_none()
        .then(|| value.dims().iter().map(|&d| d as i64).collect());
    let spec = ResizeSpec {
        mode,
        coordinate_transformation: coordinates,
        nearest_rounding: ResizeRoundMode::Floor,
        output_dims,
        shape_tensor,
    };
    let r = op.net().resize(x.h, &spec);
    let h = op.trt(r)?;
    op.finish(value, h)
}

pub(crate) fn upsample_nearest2d<'n>(
    x: &TracedTensor<'n>,
    th: usize,
    tw: usize,
) -> Result<TracedTensor<'n>> {
    // candle and PyTorch's "nearest": source index floor(i · in / out).
    resize(
        x,
        "upsample_nearest2d",
        (th, tw),
        InterpolationMode::Nearest,
        ResizeCoordinateTransformation::Asymmetric,
        |v| TraceTensor::upsample_nearest2d(v, th, tw),
    )
}

pub(crate) fn upsample_bilinear2d<'n>(
    x: &TracedTensor<'n>,
    th: usize,
    tw: usize,
    align_corners: bool,
) -> Result<TracedTensor<'n>> {
    let coordinates = if align_corners {
        ResizeCoordinateTransformation::AlignCorners
    } else {
        ResizeCoordinateTransformation::HalfPixel
    };
    resize(
        x,
        "upsample_bilinear2d",
        (th, tw),
        InterpolationMode::Linear,
        coordinates,
        |v| TraceTensor::upsample_bilinear2d(v, th, tw, align_corners),
    )
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
            let expected = crate::candle_impl::adaptive_avg_pool2d(&x, (oh, ow)).unwrap();
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
