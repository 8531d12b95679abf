//! Convolutions: 1-D (as 2-D with a unit dimension), 2-D and transposed 2-D, from
//! `candle_nn`'s layers, each a quantization site (INT8/FP8: Q/DQ on the input and the
//! kernel). A 2-D convolution is recorded as a producer a following batch norm can
//! be folded into (`norm.rs`).

use candle_core::Tensor;

use crate::quant::qdq;
use crate::quant::SiteKind;
use crate::trace::op::Op;
use crate::trace::{ConvProducer, TracedTensor};
use crate::{Pad2d, Result, TraceTensor};

fn pair(v: usize) -> [i64; 2] {
    [v as i64, v as i64]
}

pub(crate) fn conv2d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv2d", &[])?;
    let value = op.named(TraceTensor::conv2d(&x.value, layer))?;
    convolution(op, x, layer, Pad2d::default(), value)
}

/// `conv(F.pad(x, pad))` as one convolution with separate padding before and after.
pub(crate) fn conv2d_padded<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv2d,
    pad: Pad2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv2d_padded", &[])?;
    let value = op.named(TraceTensor::conv2d_padded(&x.value, layer, pad))?;
    convolution(op, x, layer, pad, value)
}

/// The convolution layer of `layer` with `pad` added to its own padding, recorded as a producer
/// a batch norm can fold into.
fn convolution<'n>(
    op: Op<'_, 'n>,
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv2d,
    pad: Pad2d,
    value: Tensor,
) -> Result<TracedTensor<'n>> {
    let cfg = layer.config();
    let (out, _, kh, kw) = op.named(layer.weight().dims4())?;
    let dt = op.dtype(x.trt);
    let p = cfg.padding;
    let pre = [(p + pad.top) as i64, (p + pad.left) as i64];
    let post = [(p + pad.bottom) as i64, (p + pad.right) as i64];
    let hook = qdq::site(
        &op,
        SiteKind::Conv {
            in_channels: x.value.dim(1).unwrap_or(0),
            groups: cfg.groups,
        },
    );
    let input = hook.input(&op, x, "input")?;
    // The description without weights: what a folded batch norm reuses.
    let conv = trt::Convolution::new(
        input,
        out as i64,
        [kh as i64, kw as i64],
        trt::Weights::empty(dt),
    )
    .stride(pair(cfg.stride))
    .pre_post_padding(pre, post)
    .dilation(pair(cfg.dilation))
    .groups(cfg.groups as i64);
    let t = qdq::conv(
        &op,
        conv.clone(),
        layer.weight(),
        layer.bias(),
        hook.weights(),
    )?;
    let layer_index = op.nb_layers() - 1;
    hook.produced(&op, t);
    op.tracer.conv_producers.borrow_mut().insert(
        t,
        ConvProducer {
            conv,
            weight: layer.weight().clone(),
            bias: layer.bias().cloned(),
            layer_index,
            weights_q: hook.weights(),
        },
    );
    op.finish(value, t)
}

pub(crate) fn conv1d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv1d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv1d", &[])?;
    let value = op.named(TraceTensor::conv1d(&x.value, layer))?;
    let cfg = layer.config();
    let (out, cin, k) = op.named(layer.weight().dims3())?;
    let hook = qdq::site(
        &op,
        SiteKind::Conv {
            in_channels: x.value.dim(1).unwrap_or(0),
            groups: cfg.groups,
        },
    );
    // TensorRT convolves 2-D and 3-D: (N, C, L) runs as (N, C, L, 1) with a (k, 1) kernel,
    // whose weights have the same memory layout. Q/DQ after the unsqueeze: the convolution
    // reads its input straight from the Dequantize.
    let x4 = op.unsqueeze(x.trt, 3)?;
    let x4 = hook.input_as(&op, &x.value, x4, "input")?;
    let conv = trt::Convolution::new(
        x4,
        out as i64,
        [k as i64, 1],
        trt::Weights::empty(op.dtype(x4)),
    )
    .stride([cfg.stride as i64, 1])
    .padding([cfg.padding as i64, 0])
    .dilation([cfg.dilation as i64, 1])
    .groups(cfg.groups as i64);
    let weight = op.named(layer.weight().reshape((out, cin, k, 1)))?;
    let y4 = qdq::conv(&op, conv, &weight, layer.bias(), hook.weights())?;
    let t = op.squeeze(y4, 3)?;
    op.finish(value, t)
}

pub(crate) fn conv_transpose2d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::ConvTranspose2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv_transpose2d", &[])?;
    let value = op.named(TraceTensor::conv_transpose2d(&x.value, layer))?;
    let cfg = layer.config();
    let (_, out, kh, kw) = op.named(layer.weight().dims4())?;
    if cfg.output_padding > cfg.padding {
        return Err(op.unsupported(format!(
            "output_padding {} larger than padding {}",
            cfg.output_padding, cfg.padding
        )));
    }
    // PyTorch's output_padding adds rows at the end: less cropping at the end in TensorRT.
    let post = (cfg.padding - cfg.output_padding) as i64;
    let hook = qdq::site(&op, SiteKind::Deconv);
    let input = hook.input(&op, x, "input")?;
    let deconv = trt::Deconvolution::new(
        input,
        out as i64,
        [kh as i64, kw as i64],
        trt::Weights::empty(op.dtype(input)),
    )
    .stride(pair(cfg.stride))
    .pre_post_padding(pair(cfg.padding), [post, post])
    .dilation(pair(cfg.dilation));
    let t = qdq::deconv(&op, deconv, layer.weight(), layer.bias(), hook.weights())?;
    op.finish(value, t)
}
