//! Indexing layers: gather, scatter, one-hot, non-zero, reverse sequence, non-maximum suppression.

use serde::Serialize;

use super::kind::{enum_field, set_inputs, Kind};
use crate::enums::{BoundingBoxFormat, DataType, GatherMode, ScatterMode};
use crate::error::Result;
use crate::network::{Layer, Network, Tensor};

/// A gather ([`nvinfer1::IGatherLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_gather_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gather<'n> {
    /// The data.
    pub data: Tensor<'n>,
    /// Int32/Int64 indices.
    pub indices: Tensor<'n>,
    /// Default (`torch.index_select`), element (`torch.gather`) or N-d.
    pub mode: GatherMode,
    /// The axis (default and element modes).
    pub axis: i32,
    /// Leading dims shared element-wise by data and indices (default 0).
    pub nb_elementwise_dims: i32,
}

impl<'n> Gather<'n> {
    /// `data` indexed by `indices` along `axis` (default mode).
    pub fn new(data: Tensor<'n>, indices: Tensor<'n>, axis: i32) -> Self {
        Gather {
            data,
            indices,
            mode: GatherMode::Default,
            axis,
            nb_elementwise_dims: 0,
        }
    }
    /// Sets the mode.
    pub fn mode(mut self, mode: GatherMode) -> Self {
        self.mode = mode;
        self
    }
    /// Sets the number of leading element-wise dims.
    pub fn nb_elementwise_dims(mut self, n: i32) -> Self {
        self.nb_elementwise_dims = n;
        self
    }
}

impl<'n> Kind<'n> for Gather<'n> {
    const OP: &'static str = "add_gather";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.data, self.indices]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_gather(
                n,
                self.data.raw(),
                self.indices.raw(),
                self.mode as i32,
                self.axis,
                self.nb_elementwise_dims,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_gather)?;
        Ok(Gather {
            data: layer.need_input(0)?,
            indices: layer.need_input(1)?,
            mode: enum_field(Self::OP, "gather mode", p.mode, GatherMode::from_raw)?,
            axis: p.axis,
            nb_elementwise_dims: p.nb_elementwise_dims,
        })
    }
}

/// A scatter: `updates` written into a copy of `data` at `indices`
/// ([`nvinfer1::IScatterLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_scatter_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scatter<'n> {
    /// The data.
    pub data: Tensor<'n>,
    /// Where to write.
    pub indices: Tensor<'n>,
    /// What to write.
    pub updates: Tensor<'n>,
    /// Element (`torch.scatter`) or N-d.
    pub mode: ScatterMode,
    /// The axis (element mode).
    pub axis: i32,
}

impl<'n> Scatter<'n> {
    /// Scatter of `updates` into `data` at `indices`.
    pub fn new(
        data: Tensor<'n>,
        indices: Tensor<'n>,
        updates: Tensor<'n>,
        mode: ScatterMode,
        axis: i32,
    ) -> Self {
        Scatter {
            data,
            indices,
            updates,
            mode,
            axis,
        }
    }
}

impl<'n> Kind<'n> for Scatter<'n> {
    const OP: &'static str = "add_scatter";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.data, self.indices, self.updates]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_scatter(
                n,
                self.data.raw(),
                self.indices.raw(),
                self.updates.raw(),
                self.mode as i32,
                self.axis,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_scatter)?;
        Ok(Scatter {
            data: layer.need_input(0)?,
            indices: layer.need_input(1)?,
            updates: layer.need_input(2)?,
            mode: enum_field(Self::OP, "scatter mode", p.mode, ScatterMode::from_raw)?,
            axis: p.axis,
        })
    }
}

/// One-hot encoding ([`nvinfer1::IOneHotLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_one_hot_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneHot<'n> {
    /// The indices.
    pub indices: Tensor<'n>,
    /// `[off, on]`.
    pub values: Tensor<'n>,
    /// A scalar Int32 tensor: the encoding's length.
    pub depth: Tensor<'n>,
    /// Where the new axis goes.
    pub axis: i32,
}

impl<'n> OneHot<'n> {
    /// One-hot of `indices` with `values`, `depth`, new axis `axis`.
    pub fn new(indices: Tensor<'n>, values: Tensor<'n>, depth: Tensor<'n>, axis: i32) -> Self {
        OneHot {
            indices,
            values,
            depth,
            axis,
        }
    }
}

impl<'n> Kind<'n> for OneHot<'n> {
    const OP: &'static str = "add_one_hot";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.indices, self.values, self.depth]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_one_hot(
                n,
                self.indices.raw(),
                self.values.raw(),
                self.depth.raw(),
                self.axis,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        Ok(OneHot {
            indices: layer.need_input(0)?,
            values: layer.need_input(1)?,
            depth: layer.need_input(2)?,
            axis: layer.get(Self::OP, trt_sys::trt_layer_get_single)?,
        })
    }
}

/// Indices of the non-zero elements, shape `[rank, count]` with a data-dependent count
/// ([`nvinfer1::INonZeroLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_non_zero_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NonZero<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Int32 or Int64.
    pub indices_type: DataType,
}

impl<'n> NonZero<'n> {
    /// Non-zero indices of `input` as `indices_type`.
    pub fn new(input: Tensor<'n>, indices_type: DataType) -> Self {
        NonZero {
            input,
            indices_type,
        }
    }
}

impl<'n> Kind<'n> for NonZero<'n> {
    const OP: &'static str = "add_non_zero";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_non_zero(n, self.input.raw(), self.indices_type as i32)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let t = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        Ok(NonZero {
            input: layer.need_input(0)?,
            indices_type: enum_field(Self::OP, "indices type", t, DataType::from_raw)?,
        })
    }
}

/// Reverses the first `sequence_lens[b]` elements along the sequence axis for each batch entry
/// ([`nvinfer1::IReverseSequenceLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_reverse_sequence_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReverseSequence<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Lengths per batch entry.
    pub sequence_lens: Tensor<'n>,
    /// Batch axis (TensorRT's default 1).
    pub batch_axis: i32,
    /// Sequence axis (TensorRT's default 0).
    pub sequence_axis: i32,
}

impl<'n> ReverseSequence<'n> {
    /// Reverse of `input` by `sequence_lens`.
    pub fn new(
        input: Tensor<'n>,
        sequence_lens: Tensor<'n>,
        batch_axis: i32,
        sequence_axis: i32,
    ) -> Self {
        ReverseSequence {
            input,
            sequence_lens,
            batch_axis,
            sequence_axis,
        }
    }
}

impl<'n> Kind<'n> for ReverseSequence<'n> {
    const OP: &'static str = "add_reverse_sequence";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input, self.sequence_lens]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_reverse_sequence(
                n,
                self.input.raw(),
                self.sequence_lens.raw(),
                self.batch_axis,
                self.sequence_axis,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_reverse_sequence)?;
        Ok(ReverseSequence {
            input: layer.need_input(0)?,
            sequence_lens: layer.need_input(1)?,
            batch_axis: p.batch_axis,
            sequence_axis: p.sequence_axis,
        })
    }
}

/// Non-maximum suppression per batch item and class ([`nvinfer1::INMSLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_n_m_s_layer.html)):
/// output 0 the selected `(batch, class, box)` rows, output 1 their count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nms<'n> {
    /// `[batch, boxes, 4]` or `[batch, boxes, classes, 4]`.
    pub boxes: Tensor<'n>,
    /// `[batch, boxes, classes]`.
    pub scores: Tensor<'n>,
    /// A scalar Int32 tensor: the most boxes kept per batch item and class.
    pub max_output_boxes_per_class: Tensor<'n>,
    /// The IoU above which a box is suppressed (input 3; none: 0).
    pub iou_threshold: Option<Tensor<'n>>,
    /// The score a box must exceed (input 4; none: 0).
    pub score_threshold: Option<Tensor<'n>>,
    /// How the boxes are written.
    pub bounding_box_format: BoundingBoxFormat,
    /// The most boxes considered per batch item (TensorRT's default depends on the device).
    pub top_k_box_limit: i32,
    /// Int32 or Int64.
    pub indices_type: DataType,
}

impl<'n> Nms<'n> {
    /// NMS of `boxes` by `scores`, at most `max_output_boxes_per_class` per batch item and class; corner-pair
    /// boxes, no thresholds, Int32 indices, TensorRT's default box limit.
    pub fn new(
        boxes: Tensor<'n>,
        scores: Tensor<'n>,
        max_output_boxes_per_class: Tensor<'n>,
    ) -> Self {
        Nms {
            boxes,
            scores,
            max_output_boxes_per_class,
            iou_threshold: None,
            score_threshold: None,
            bounding_box_format: BoundingBoxFormat::CornerPairs,
            top_k_box_limit: 0,
            indices_type: DataType::Int32,
        }
    }
}

impl<'n> Kind<'n> for Nms<'n> {
    const OP: &'static str = "add_nms";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let mut t = vec![self.boxes, self.scores, self.max_output_boxes_per_class];
        t.extend(self.iou_threshold);
        t.extend(self.score_threshold);
        t
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let p = trt_sys::trt_nms_params {
            bounding_box_format: self.bounding_box_format as i32,
            top_k_box_limit: self.top_k_box_limit,
            indices_type: self.indices_type as i32,
        };
        // SAFETY: the tensors belong to `net`.
        let layer = net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_nms(
                n,
                self.boxes.raw(),
                self.scores.raw(),
                self.max_output_boxes_per_class.raw(),
                &p,
            )
        })?;
        set_inputs(
            net,
            layer,
            &[(3, self.iou_threshold), (4, self.score_threshold)],
        )?;
        Ok(layer)
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_nms)?;
        Ok(Nms {
            boxes: layer.need_input(0)?,
            scores: layer.need_input(1)?,
            max_output_boxes_per_class: layer.need_input(2)?,
            iou_threshold: layer.input(3),
            score_threshold: layer.input(4),
            bounding_box_format: enum_field(
                Self::OP,
                "bounding box format",
                p.bounding_box_format,
                BoundingBoxFormat::from_raw,
            )?,
            top_k_box_limit: p.top_k_box_limit,
            indices_type: enum_field(Self::OP, "indices type", p.indices_type, DataType::from_raw)?,
        })
    }
}
