//! Convolutions: 1-D (as 2-D with a unit dimension), 2-D and transposed 2-D, from
//! `candle_nn`'s layers. A 2-D convolution is recorded as a producer a following batch norm can
//! be folded into (`norm.rs`).

use crate::trace::net::ConvSpec;
use crate::trace::{ConvProducer, TracedTensor};
use crate::{Result, TraceTensor};

fn pair(v: usize) -> Vec<i64> {
    vec![v as i64, v as i64]
}

pub(crate) fn conv2d<'n>(
    x: &TracedTensor<'n>,
    layer: &candle_nn::Conv2d,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("conv2d", &[])?;
    let value = op.named(TraceTensor::conv2d(&x.value, layer))?;
    let cfg = layer.config();
    let (out, _, kh, kw) = op.named(layer.weight().dims4())?;
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
    let value = op.named(TraceTensor::conv1d(&x.value, layer))?;
    let cfg = layer.config();
    let (out, _, k) = op.named(layer.weight().dims3())?;
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
