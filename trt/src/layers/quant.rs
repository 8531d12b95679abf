//! Explicit quantization: quantize and dequantize (symmetric, per-tensor or per-channel).

use serde::Serialize;

use super::kind::{enum_field, null_or, Kind};
use crate::enums::DataType;
use crate::error::Result;
use crate::network::{Layer, Network, Tensor};
use crate::types::Dims;

/// Quantize and dequantize take the same parameters; one macro writes both.
macro_rules! q_or_dq {
    ($(#[$doc:meta])* $name:ident, $op:literal, $add:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name<'n> {
            /// The input.
            pub input: Tensor<'n>,
            /// The scale: a scalar (per-tensor) or 1-D (per-channel along `axis`).
            pub scale: Tensor<'n>,
            /// Output type.
            pub output_type: DataType,
            /// The per-channel axis; `None` (TensorRT's -1) is per-tensor.
            pub axis: Option<i32>,
            /// An explicit zero point (input 2; must be all zeros: TensorRT quantizes symmetrically).
            pub zero_point: Option<Tensor<'n>>,
            /// The quantization block (`setBlockShape`; `None`: TensorRT's default, empty Dims; -1 entries block
            /// a whole dim).
            pub block_shape: Option<Dims>,
        }

        impl<'n> $name<'n> {
            /// Per-tensor (`axis = None`, scalar scale) or per-channel along `axis` (1-D scale), to `output_type`.
            pub fn new(
                input: Tensor<'n>,
                scale: Tensor<'n>,
                output_type: DataType,
                axis: Option<i32>,
            ) -> Self {
                $name {
                    input,
                    scale,
                    output_type,
                    axis,
                    zero_point: None,
                    block_shape: None,
                }
            }
            /// Sets the quantization block shape.
            pub fn block_shape(mut self, block_shape: impl Into<Dims>) -> Self {
                self.block_shape = Some(block_shape.into());
                self
            }
            /// Sets an explicit zero point.
            pub fn zero_point(mut self, zero_point: Tensor<'n>) -> Self {
                self.zero_point = Some(zero_point);
                self
            }
        }

        impl<'n> Kind<'n> for $name<'n> {
            const OP: &'static str = $op;

            fn tensors(&self) -> Vec<Tensor<'n>> {
                let mut t = vec![self.input, self.scale];
                t.extend(self.zero_point);
                t
            }

            fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
                // SAFETY: the tensors belong to `net`.
                let layer = net.call(Self::OP, |n| unsafe {
                    trt_sys::$add(
                        n,
                        self.input.raw(),
                        self.scale.raw(),
                        null_or(self.zero_point),
                        self.output_type as i32,
                        self.axis.unwrap_or(-1),
                    )
                })?;
                if let Some(b) = &self.block_shape {
                    let b = b.to_raw(Self::OP)?;
                    // SAFETY: `layer` was just added to `net`.
                    net.status("set_block_shape", || unsafe {
                        trt_sys::trt_layer_set_block_shape(layer, &b)
                    })?;
                }
                Ok(layer)
            }

            fn read(layer: &Layer<'n>) -> Result<Self> {
                let p = layer.get(Self::OP, trt_sys::trt_layer_get_quantize)?;
                let block = layer.get(Self::OP, trt_sys::trt_layer_get_block_shape)?;
                Ok($name {
                    input: layer.need_input(0)?,
                    scale: layer.need_input(1)?,
                    output_type: enum_field(Self::OP, "output type", p.output_type, DataType::from_raw)?,
                    axis: (p.axis >= 0).then_some(p.axis),
                    zero_point: layer.input(2),
                    block_shape: (block.nb_dims > 0).then(|| Dims::from_raw(&block)),
                })
            }
        }
    };
}

q_or_dq! {
    /// A quantize layer ([`nvinfer1::IQuantizeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_quantize_layer.html)):
    /// `clamp(round_half_even(x / scale))` to Int8, Fp8, Int4, ...
    Quantize, "add_quantize", trt_network_add_quantize
}

q_or_dq! {
    /// A dequantize layer ([`nvinfer1::IDequantizeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_dequantize_layer.html)):
    /// `q * scale` to Float, Half or BF16.
    Dequantize, "add_dequantize", trt_network_add_dequantize
}
