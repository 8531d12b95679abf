//! The converters' hooks: each weighted op asks for its [`SiteHook`]; under calibration the
//! hook records the candle value of each input, under a [`Plan`](super::state::Plan) it puts
//! a Quantize → Dequantize pair in front of each quantized input and quantizes the weights
//! per output channel (axis 0; axis 1 for a deconvolution's kernel), symmetric, as TensorRT's
//! explicit quantization wants.

use candle_core::{DType, Device, Tensor};
use trt::DataType;

use super::state::{Mode, Site, SiteKind};
use crate::trace::op::Op;
use crate::trace::TracedTensor;
use crate::Result;

/// The largest representable magnitude of a quantized type.
pub(crate) fn qmax(qtype: DataType) -> f32 {
    if qtype == DataType::Fp8 {
        448.0
    } else {
        127.0
    }
}

/// One quantization site in a converter.
pub(crate) struct SiteHook {
    key: Option<String>,
    /// `Some(qtype)` when this site is quantized (apply mode).
    qtype: Option<DataType>,
}

/// The site of the op in progress (`kind`); inert when the trace does not quantize.
pub(crate) fn site(op: &Op<'_, '_>, kind: SiteKind) -> SiteHook {
    let Some(state) = op.tracer.quant.as_ref() else {
        return SiteHook {
            key: None,
            qtype: None,
        };
    };
    let path = op.tracer.module_path().to_string();
    let base = if path.is_empty() {
        op.name.to_string()
    } else {
        format!("{path}/{}", op.name)
    };
    let k = {
        let mut counters = state.counters.borrow_mut();
        let c = counters.entry(base.clone()).or_insert(0);
        *c += 1;
        *c - 1
    };
    let key = format!("{base}#{k}");
    let qtype = match &state.mode {
        Mode::Observe(obs) => {
            obs.borrow_mut().site(Site {
                key: key.clone(),
                path,
                kind,
            });
            None
        }
        Mode::Apply(plan) => plan.quantized.contains(&key).then_some(plan.qtype),
    };
    SiteHook {
        key: Some(key),
        qtype,
    }
}

impl SiteHook {
    /// The quantized type of the weights, when they are quantized.
    pub(crate) fn weights(&self) -> Option<DataType> {
        self.qtype
    }

    /// `x` as the op should read it: observed (calibration), behind a per-tensor Q/DQ pair
    /// (quantized site) or as is.
    pub(crate) fn input<'n>(
        &self,
        op: &Op<'_, 'n>,
        x: &TracedTensor<'n>,
        operand: &str,
    ) -> Result<trt::Tensor<'n>> {
        self.input_as(op, &x.value, x.trt, operand)
    }

    /// [`input`](Self::input) for an operand whose TensorRT tensor `t` holds `value` in
    /// another shape (a 1-D convolution's input, unsqueezed to 2-D): observed as `value`,
    /// quantized as `t`, right in front of the layer that reads it.
    pub(crate) fn input_as<'n>(
        &self,
        op: &Op<'_, 'n>,
        value: &Tensor,
        t: trt::Tensor<'n>,
        operand: &str,
    ) -> Result<trt::Tensor<'n>> {
        let (Some(key), Some(state)) = (&self.key, op.tracer.quant.as_ref()) else {
            return Ok(t);
        };
        let name = format!("{key}:{operand}");
        match &state.mode {
            Mode::Observe(obs) => {
                let values = op.named(
                    value
                        .to_device(&Device::Cpu)
                        .and_then(|v| v.to_dtype(DType::F32))
                        .and_then(|v| v.flatten_all())
                        .and_then(|v| v.to_vec1::<f32>()),
                )?;
                obs.borrow_mut().hists.entry(name).or_default().add(&values);
                Ok(t)
            }
            Mode::Apply(plan) => match (self.qtype, plan.amax.get(&name)) {
                (Some(q), Some(&amax)) => qdq(op, t, &[amax / qmax(q)], None, q),
                _ => Ok(t),
            },
        }
    }

    /// Records `t` as this (convolution) site's output, for the residual adds that read it.
    pub(crate) fn produced<'n>(&self, op: &Op<'_, 'n>, t: trt::Tensor<'n>) {
        if let (Some(key), Some(state)) = (&self.key, op.tracer.quant.as_ref()) {
            state.producers.borrow_mut().insert(t, key.clone());
        }
    }
}

/// Makes `folded` (a convolution with a batch norm folded in) produce for the same site as
/// `conv_output`.
pub(crate) fn same_producer<'n>(
    op: &Op<'_, 'n>,
    conv_output: trt::Tensor<'n>,
    folded: trt::Tensor<'n>,
) {
    if let Some(state) = op.tracer.quant.as_ref() {
        let key = state.producers.borrow().get(&conv_output).cloned();
        if let Some(key) = key {
            state.producers.borrow_mut().insert(folded, key);
        }
    }
}

/// Quantize then dequantize `t` with `scale` (one value: per-tensor; else per channel along
/// `axis`), the scale in `t`'s own type.
pub(crate) fn qdq<'n>(
    op: &Op<'_, 'n>,
    t: trt::Tensor<'n>,
    scale: &[f32],
    axis: Option<i32>,
    qtype: DataType,
) -> Result<trt::Tensor<'n>> {
    let dt = op.dtype(t);
    let s = op.named(Tensor::from_slice(scale, scale.len(), &Device::Cpu))?;
    let dims: Vec<i64> = if axis.is_some() {
        vec![scale.len() as i64]
    } else {
        vec![]
    };
    let sc = op.constant(&s, dt, Some(&dims))?;
    let q = op.add(trt::Quantize::new(t, sc, qtype, axis))?;
    op.add(trt::Dequantize::new(q, sc, dt, axis))
}

/// Symmetric weight scales: per output channel (`max |w|` over every axis but `axis`) for
/// INT8, one per tensor for FP8. A channel of zeros gets scale 1.
pub(crate) fn weight_scales(
    weight: &Tensor,
    axis: usize,
    qtype: DataType,
) -> candle_core::Result<Vec<f32>> {
    let w = weight.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
    let per_channel = w
        .abs()?
        .transpose(0, axis)?
        .flatten_from(1)?
        .max(1)?
        .to_vec1::<f32>()?;
    let amax = if qtype == DataType::Fp8 {
        vec![per_channel.iter().fold(0f32, |m, &v| m.max(v))]
    } else {
        per_channel
    };
    Ok(amax
        .into_iter()
        .map(|a| if a > 0.0 { a / qmax(qtype) } else { 1.0 })
        .collect())
}

/// `weight` as a constant of type `dt` and `dims`, behind a Q/DQ pair when `qtype` is set:
/// per channel along `weight`'s `channel_axis`, which is `axis` of the constant.
pub(crate) fn weight_tensor<'n>(
    op: &Op<'_, 'n>,
    weight: &Tensor,
    channel_axis: usize,
    dt: DataType,
    dims: &[i64],
    axis: i32,
    qtype: Option<DataType>,
) -> Result<trt::Tensor<'n>> {
    let w = op.constant(weight, dt, Some(dims))?;
    match qtype {
        None => Ok(w),
        Some(q) => {
            let scales = op.named(weight_scales(weight, channel_axis, q))?;
            let axis = (scales.len() > 1).then_some(axis);
            qdq(op, w, &scales, axis, q)
        }
    }
}

/// A convolution's or deconvolution's kernel and bias: `(kernel weights, bias, kernel tensor)`.
/// Unquantized, the kernel is plain weights; with `qtype`, a quantized tensor (constant → Q/DQ
/// per output channel, on `weight`'s `channel_axis`) for input 1, and the kernel weights empty.
fn kernel_parts<'n>(
    op: &Op<'_, 'n>,
    weight: &Tensor,
    bias: Option<&Tensor>,
    dt: DataType,
    channel_axis: usize,
    qtype: Option<DataType>,
) -> Result<(trt::Weights, Option<trt::Weights>, Option<trt::Tensor<'n>>)> {
    if qtype.is_none() {
        let (kernel_weights, bias) = op.kernel_weights(weight, bias, dt)?;
        return Ok((kernel_weights, bias, None));
    }
    // Quantized: only the bias is copied as weights; the kernel becomes a constant tensor.
    let bias = bias.map(|b| op.weights(b, dt)).transpose()?;
    let dims: Vec<i64> = weight.dims().iter().map(|&d| d as i64).collect();
    let axis = channel_axis as i32;
    let kernel = weight_tensor(op, weight, channel_axis, dt, &dims, axis, qtype)?;
    Ok((trt::Weights::empty(dt), bias, Some(kernel)))
}

/// Adds convolution `desc` with `weight` (`[out, in / groups, *kernel]`) and `bias`, quantized
/// per output channel (axis 0) when `qtype` is set.
pub(crate) fn conv<'n>(
    op: &Op<'_, 'n>,
    desc: trt::Convolution<'n>,
    weight: &Tensor,
    bias: Option<&Tensor>,
    qtype: Option<DataType>,
) -> Result<trt::Tensor<'n>> {
    let dt = op.dtype(desc.input);
    let (kernel_weights, bias, kernel_tensor) = kernel_parts(op, weight, bias, dt, 0, qtype)?;
    op.add(trt::Convolution {
        kernel_weights,
        bias,
        kernel_tensor,
        ..desc
    })
}

/// Adds deconvolution `desc` with `weight` (`[in, out / groups, *kernel]`, NvInfer.h's "CKRS")
/// and `bias`; with `qtype`, the kernel's scales run along its output channels, axis 1 (the
/// axis each output element's dot product shares).
pub(crate) fn deconv<'n>(
    op: &Op<'_, 'n>,
    desc: trt::Deconvolution<'n>,
    weight: &Tensor,
    bias: Option<&Tensor>,
    qtype: Option<DataType>,
) -> Result<trt::Tensor<'n>> {
    let dt = op.dtype(desc.input);
    let (kernel_weights, bias, kernel_tensor) = kernel_parts(op, weight, bias, dt, 1, qtype)?;
    op.add(trt::Deconvolution {
        kernel_weights,
        bias,
        kernel_tensor,
        ..desc
    })
}

/// The operands of `a + b` as the add should read them: when one was produced by a quantized
/// convolution site and the other was not, the other (the skip connection) goes behind a Q/DQ
/// pair so that TensorRT can fuse the add into the convolution's INT8 kernel.
pub(crate) fn residual<'n>(
    op: &Op<'_, 'n>,
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
) -> Result<(trt::Tensor<'n>, trt::Tensor<'n>)> {
    let Some(state) = op.tracer.quant.as_ref() else {
        return Ok((a.trt, b.trt));
    };
    if a.value.dims() != b.value.dims() {
        return Ok((a.trt, b.trt));
    }
    let (pa, pb) = {
        let producers = state.producers.borrow();
        (
            producers.get(&a.trt).cloned(),
            producers.get(&b.trt).cloned(),
        )
    };
    let (producer, other_is_b) = match (pa, pb) {
        (Some(p), None) => (p, true),
        (None, Some(p)) => (p, false),
        _ => return Ok((a.trt, b.trt)),
    };
    let hook = site(op, SiteKind::Residual { producer });
    if other_is_b {
        Ok((a.trt, hook.input(op, b, "residual")?))
    } else {
        Ok((hook.input(op, a, "residual")?, b.trt))
    }
}
