//! Reductions over axes: reduce, softmax, top-k, cumulative.

use serde::Serialize;

use super::kind::{enum_field, set_inputs, Kind};
use crate::enums::{CumulativeOperation, DataType, ReduceOperation, TopKOperation};
use crate::error::Result;
use crate::network::{Layer, Network, Tensor};

/// A reduction over the axes of a bit mask ([`nvinfer1::IReduceLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_reduce_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reduce<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The reduction.
    pub op: ReduceOperation,
    /// Axes as a bit mask (see [`axes_mask`](crate::axes_mask)).
    pub axes: u32,
    /// Keep the reduced dims as 1.
    pub keep_dims: bool,
}

impl<'n> Reduce<'n> {
    /// `op` of `input` over `axes`.
    pub fn new(input: Tensor<'n>, op: ReduceOperation, axes: u32, keep_dims: bool) -> Self {
        Reduce {
            input,
            op,
            axes,
            keep_dims,
        }
    }
}

impl<'n> Kind<'n> for Reduce<'n> {
    const OP: &'static str = "add_reduce";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_reduce(
                n,
                self.input.raw(),
                self.op as i32,
                self.axes,
                i32::from(self.keep_dims),
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_reduce)?;
        Ok(Reduce {
            input: layer.need_input(0)?,
            op: enum_field(
                Self::OP,
                "reduce operation",
                p.op,
                ReduceOperation::from_raw,
            )?,
            axes: p.axes,
            keep_dims: p.keep_dims != 0,
        })
    }
}

/// Softmax over one axis ([`nvinfer1::ISoftMaxLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_soft_max_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Softmax<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The axis, as a one-bit mask.
    pub axes: u32,
}

impl<'n> Softmax<'n> {
    /// Softmax of `input` over the axis in `axes`.
    pub fn new(input: Tensor<'n>, axes: u32) -> Self {
        Softmax { input, axes }
    }
}

impl<'n> Kind<'n> for Softmax<'n> {
    const OP: &'static str = "add_softmax";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_softmax(n, self.input.raw(), self.axes)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let axes = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        Ok(Softmax {
            input: layer.need_input(0)?,
            axes: axes as u32,
        })
    }
}

/// Top-k over one axis ([`nvinfer1::ITopKLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_top_k_layer.html)):
/// output 0 the values, output 1 the indices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopK<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Largest or smallest.
    pub op: TopKOperation,
    /// How many (TensorRT reads it back as -1 when `k_tensor` is set).
    pub k: i32,
    /// A run-time k: a scalar Int32 tensor (input 1), which "overrides the static k value".
    pub k_tensor: Option<Tensor<'n>>,
    /// The axis, as a one-bit mask.
    pub axes: u32,
    /// Int32 or Int64.
    pub indices_type: DataType,
}

impl<'n> TopK<'n> {
    /// The `k` largest or smallest of `input` along the axis in `axes`.
    pub fn new(
        input: Tensor<'n>,
        op: TopKOperation,
        k: i32,
        axes: u32,
        indices_type: DataType,
    ) -> Self {
        TopK {
            input,
            op,
            k,
            k_tensor: None,
            axes,
            indices_type,
        }
    }
    /// Takes k from a scalar Int32 tensor at run time (input 1).
    pub fn k_tensor(mut self, k: Tensor<'n>) -> Self {
        self.k_tensor = Some(k);
        self
    }
}

impl<'n> Kind<'n> for TopK<'n> {
    const OP: &'static str = "add_topk";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let mut t = vec![self.input];
        t.extend(self.k_tensor);
        t
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        let layer = net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_topk(
                n,
                self.input.raw(),
                self.op as i32,
                self.k,
                self.axes,
                self.indices_type as i32,
            )
        })?;
        set_inputs(net, layer, &[(1, self.k_tensor)])?;
        Ok(layer)
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_topk)?;
        Ok(TopK {
            input: layer.need_input(0)?,
            op: enum_field(Self::OP, "top-k operation", p.op, TopKOperation::from_raw)?,
            k: p.k,
            k_tensor: layer.input(1),
            axes: p.axes,
            indices_type: enum_field(Self::OP, "indices type", p.indices_type, DataType::from_raw)?,
        })
    }
}

/// A cumulative operation along an axis ([`nvinfer1::ICumulativeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_cumulative_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cumulative<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The axis, a 0-D Int32/Int64 tensor.
    pub axis: Tensor<'n>,
    /// The operation.
    pub op: CumulativeOperation,
    /// Exclude the current element.
    pub exclusive: bool,
    /// Run from the end.
    pub reverse: bool,
}

impl<'n> Cumulative<'n> {
    /// Cumulative `op` of `input` along `axis`.
    pub fn new(
        input: Tensor<'n>,
        axis: Tensor<'n>,
        op: CumulativeOperation,
        exclusive: bool,
        reverse: bool,
    ) -> Self {
        Cumulative {
            input,
            axis,
            op,
            exclusive,
            reverse,
        }
    }
}

impl<'n> Kind<'n> for Cumulative<'n> {
    const OP: &'static str = "add_cumulative";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input, self.axis]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_cumulative(
                n,
                self.input.raw(),
                self.axis.raw(),
                self.op as i32,
                i32::from(self.exclusive),
                i32::from(self.reverse),
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_cumulative)?;
        Ok(Cumulative {
            input: layer.need_input(0)?,
            axis: layer.need_input(1)?,
            op: enum_field(Self::OP, "operation", p.op, CumulativeOperation::from_raw)?,
            exclusive: p.exclusive != 0,
            reverse: p.reverse != 0,
        })
    }
}
