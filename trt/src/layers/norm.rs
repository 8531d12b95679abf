//! Normalizations and affine scaling: normalization, scale, local response normalization.

use serde::Serialize;

use super::kind::{enum_field, Kind};
use crate::enums::ScaleMode;
use crate::error::Result;
use crate::network::{Layer, Network, Tensor};
use crate::weights::Weights;

/// Layer, instance or group normalization ([`nvinfer1::INormalizationLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_normalization_layer.html),
/// added with `addNormalizationV2` where the headers have it): layer norm with axes = the last dims, instance
/// norm with axes = the spatial dims, group norm with `groups` > 1 (scale/bias of shape `[1, C, 1, ...]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Normalization<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The scale (gamma).
    pub scale: Tensor<'n>,
    /// The bias (beta).
    pub bias: Tensor<'n>,
    /// Normalized axes as a bit mask.
    pub axes: u32,
    /// Added to the variance.
    pub epsilon: f32,
    /// Channel groups (TensorRT's default 1).
    pub groups: i64,
    /// Added with `addNormalizationV2` (`isV2`): scale and bias broadcast to the input (`[1, C, 1, ...]` for group
    /// norm). `false`: the deprecated `addNormalization`, whose group-norm scale and bias are `[1, G, 1, ...]`.
    /// Headers without `addNormalizationV2` add and read back `false` whatever this says.
    pub v2: bool,
}

impl<'n> Normalization<'n> {
    /// A normalization of `input` over `axes` with `scale`, `bias` and `epsilon`, one group.
    pub fn new(
        input: Tensor<'n>,
        scale: Tensor<'n>,
        bias: Tensor<'n>,
        axes: u32,
        epsilon: f32,
    ) -> Self {
        Normalization {
            input,
            scale,
            bias,
            axes,
            epsilon,
            groups: 1,
            v2: true,
        }
    }
    /// Uses the deprecated `addNormalization` (per-group scale and bias for group norm).
    pub fn v1(mut self) -> Self {
        self.v2 = false;
        self
    }
    /// Sets the number of groups.
    pub fn groups(mut self, groups: i64) -> Self {
        self.groups = groups;
        self
    }
}

impl<'n> Kind<'n> for Normalization<'n> {
    const OP: &'static str = "add_normalization";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input, self.scale, self.bias]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let add = if self.v2 {
            trt_sys::trt_network_add_normalization
        } else {
            trt_sys::trt_network_add_normalization_v1
        };
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            add(
                n,
                self.input.raw(),
                self.scale.raw(),
                self.bias.raw(),
                self.axes,
                self.epsilon,
                self.groups,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_normalization)?;
        Ok(Normalization {
            input: layer.need_input(0)?,
            scale: layer.need_input(1)?,
            bias: layer.need_input(2)?,
            axes: p.axes,
            epsilon: p.epsilon,
            groups: p.nb_groups,
            v2: p.is_v2 != 0,
        })
    }
}

/// `(x * scale + shift) ^ power` per [`ScaleMode`], channels on `channel_axis`
/// ([`nvinfer1::IScaleLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_scale_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scale<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Coefficient granularity.
    pub mode: ScaleMode,
    /// Added (none: 0).
    pub shift: Option<Weights>,
    /// Multiplied (none: 1).
    pub scale: Option<Weights>,
    /// Exponent (none: 1).
    pub power: Option<Weights>,
    /// The channel axis.
    pub channel_axis: i32,
}

impl<'n> Scale<'n> {
    /// A scale of `input` in `mode` on `channel_axis`, with no coefficients yet.
    pub fn new(input: Tensor<'n>, mode: ScaleMode, channel_axis: i32) -> Self {
        Scale {
            input,
            mode,
            shift: None,
            scale: None,
            power: None,
            channel_axis,
        }
    }
    /// Sets the shift.
    pub fn shift(mut self, w: Weights) -> Self {
        self.shift = Some(w);
        self
    }
    /// Sets the scale.
    pub fn scale(mut self, w: Weights) -> Self {
        self.scale = Some(w);
        self
    }
    /// Sets the power.
    pub fn power(mut self, w: Weights) -> Self {
        self.power = Some(w);
        self
    }

    pub(crate) fn weights(&self) -> Vec<(&'static str, &Weights)> {
        [
            ("shift", &self.shift),
            ("scale", &self.scale),
            ("power", &self.power),
        ]
        .into_iter()
        .filter_map(|(name, w)| w.as_ref().map(|w| (name, w)))
        .collect()
    }
}

impl<'n> Kind<'n> for Scale<'n> {
    const OP: &'static str = "add_scale";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let dt = self.input.data_type()?;
        let [shift, scale, power] = [self.shift, self.scale, self.power]
            .map(|w| net.keep(w.unwrap_or_else(|| Weights::empty(dt))));
        // SAFETY: the input belongs to `net`; the weights' bytes are kept in its arena.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_scale(
                n,
                self.input.raw(),
                self.mode as i32,
                shift,
                scale,
                power,
                self.channel_axis,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_scale)?;
        let w = |raw| -> Result<Option<Weights>> {
            Ok(Some(Weights::copied(raw, Self::OP)?).filter(|w| w.count() > 0))
        };
        Ok(Scale {
            input: layer.need_input(0)?,
            mode: enum_field(Self::OP, "scale mode", p.mode, ScaleMode::from_raw)?,
            shift: w(&p.shift)?,
            scale: w(&p.scale)?,
            power: w(&p.power)?,
            channel_axis: p.channel_axis,
        })
    }
}

/// Local response normalization across channels ([`nvinfer1::ILRNLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_l_r_n_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lrn<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Window size in channels.
    pub window: i64,
    /// Scale.
    pub alpha: f32,
    /// Exponent.
    pub beta: f32,
    /// Bias.
    pub k: f32,
}

impl<'n> Lrn<'n> {
    /// LRN of `input` over `window` channels.
    pub fn new(input: Tensor<'n>, window: i64, alpha: f32, beta: f32, k: f32) -> Self {
        Lrn {
            input,
            window,
            alpha,
            beta,
            k,
        }
    }
}

impl<'n> Kind<'n> for Lrn<'n> {
    const OP: &'static str = "add_lrn";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_lrn(
                n,
                self.input.raw(),
                self.window,
                self.alpha,
                self.beta,
                self.k,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_lrn)?;
        Ok(Lrn {
            input: layer.need_input(0)?,
            window: p.window,
            alpha: p.alpha,
            beta: p.beta,
            k: p.k,
        })
    }
}
