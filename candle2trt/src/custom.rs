//! Users' own converters, torch2trt's `@tensorrt_converter`: an op the library lacks, added by
//! the model's author as a [`CustomOp`] — how candle computes it, and which TensorRT layers
//! compute the same — applied with [`TraceTensor::custom_op`](crate::TraceTensor::custom_op).
//!
//! A custom converter is checked like a built-in one: under the tracer the candle value comes
//! from [`CustomOp::forward`], the layers from [`CustomOp::build`], and TensorRT's inferred
//! dimensions and type must equal candle's, or the conversion stops with
//! [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) /
//! [`Error::DTypeMismatch`](crate::Error::DTypeMismatch) naming the op and the module path.

use std::rc::Rc;

use candle_core::Tensor;
use trt::DataType;

use crate::error::{OpContext, OpFailure};
use crate::trace::weights::{scalar_weights, tensor_weights};
use crate::trace::{dims, dtype, TracedTensor, Tracer};
use crate::{Error, Result};

/// An op the library has no converter for, written by its user: how candle computes it
/// ([`forward`](CustomOp::forward), used on plain candle tensors and as the reference value
/// under the tracer) and which TensorRT layers compute the same ([`build`](CustomOp::build)).
///
/// Implement it on a struct (which may hold weights), or build one from two closures with
/// [`custom_op`]. Apply it with [`TraceTensor::custom_op`](crate::TraceTensor::custom_op).
pub trait CustomOp {
    /// The op's name, as errors and the layer report show it (`hard_swish`, `clamp_scale`).
    fn name(&self) -> &str;

    /// The candle value of the op on its inputs (`self` first, then the others).
    fn forward(&self, inputs: &[&Tensor]) -> candle_core::Result<Tensor>;

    /// Adds the TensorRT layers that compute the op on `inputs` (same order as
    /// [`forward`](CustomOp::forward)) through `layers`, and returns the result.
    fn build<'n>(
        &self,
        layers: &CustomLayers<'n>,
        inputs: &[trt::Tensor<'n>],
    ) -> Result<trt::Tensor<'n>>;
}

/// A [`CustomOp`] made of two closures, from [`custom_op`].
pub struct FnCustomOp<F, B> {
    name: String,
    forward: F,
    build: B,
}

impl<F, B> std::fmt::Debug for FnCustomOp<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnCustomOp")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A [`CustomOp`] named `name` from two closures: `forward` computes the candle value,
/// `build` adds the TensorRT layers.
///
/// ```
/// use candle2trt::{custom_op, CustomLayers, TraceTensor};
///
/// // clamp(x, 0, 1) · 2, as one custom op.
/// let clamp_scale = custom_op(
///     "clamp_scale",
///     |xs| xs[0].clamp(0f32, 1f32)? * 2.0,
///     |layers: &CustomLayers<'_>, xs| {
///         let clamped = layers.add(trt::Activation::new(xs[0], trt::ActivationType::Clip).params(0.0, 1.0))?;
///         let two = layers.scalar(2.0, clamped)?;
///         layers.add(trt::ElementWise::new(clamped, two, trt::ElementWiseOperation::Prod))
///     },
/// );
/// # fn forward<T: TraceTensor>(x: &T, op: &impl candle2trt::CustomOp) -> candle2trt::Result<T> {
/// #     x.custom_op(&[], op)
/// # }
/// ```
pub fn custom_op<F, B>(name: impl Into<String>, forward: F, build: B) -> FnCustomOp<F, B>
where
    F: Fn(&[&Tensor]) -> candle_core::Result<Tensor>,
    B: for<'n> Fn(&CustomLayers<'n>, &[trt::Tensor<'n>]) -> Result<trt::Tensor<'n>>,
{
    FnCustomOp {
        name: name.into(),
        forward,
        build,
    }
}

impl<F, B> CustomOp for FnCustomOp<F, B>
where
    F: Fn(&[&Tensor]) -> candle_core::Result<Tensor>,
    B: for<'n> Fn(&CustomLayers<'n>, &[trt::Tensor<'n>]) -> Result<trt::Tensor<'n>>,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn forward(&self, inputs: &[&Tensor]) -> candle_core::Result<Tensor> {
        (self.forward)(inputs)
    }
    fn build<'n>(
        &self,
        layers: &CustomLayers<'n>,
        inputs: &[trt::Tensor<'n>],
    ) -> Result<trt::Tensor<'n>> {
        (self.build)(layers, inputs)
    }
}

/// What a [`CustomOp::build`] adds layers through: the network of the trace, with errors that
/// name the custom op, its module path and its operand shapes.
///
/// Layers are `trt`'s own descriptions (`trt::Activation::new(..)`, `trt::ElementWise::new(..)`,
/// ...). They are named after the module path and the op, and listed in the engine's layer
/// report, like those of the built-in converters.
pub struct CustomLayers<'n> {
    tracer: Rc<Tracer<'n>>,
    context: OpContext,
}

impl std::fmt::Debug for CustomLayers<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomLayers")
            .field("op", &self.context.op)
            .field("module_path", &self.context.module_path)
            .finish_non_exhaustive()
    }
}

impl<'n> CustomLayers<'n> {
    fn error(&self, failure: impl Into<OpFailure>) -> Error {
        Error::at_op(self.context.clone(), failure)
    }

    /// Adds a layer and returns its first output.
    pub fn add(&self, description: impl Into<trt::LayerDesc<'n>>) -> Result<trt::Tensor<'n>> {
        self.tracer.add_one(description).map_err(|e| self.error(e))
    }

    /// Adds a layer and returns it (for layers with several outputs: `layer.output(i)`).
    pub fn add_layer(&self, description: impl Into<trt::LayerDesc<'n>>) -> Result<trt::Layer<'n>> {
        self.tracer
            .network
            .add(description)
            .map_err(|e| self.error(e))
    }

    /// A constant holding candle tensor `value` (its dims), in the type the network computes
    /// `value`'s dtype in (f16 for f32 values under `fp16_mode`).
    pub fn constant(&self, value: &Tensor) -> Result<trt::Tensor<'n>> {
        let dt = self.tracer.trt_dtype(value.dtype()).ok_or_else(|| {
            self.error(OpFailure::Arguments(format!(
                "TensorRT has no {:?} tensors",
                value.dtype()
            )))
        })?;
        let w = tensor_weights(value, dt).map_err(|e| self.error(e))?;
        let d: Vec<i64> = value.dims().iter().map(|&d| d as i64).collect();
        self.add(trt::Constant::new(d, w))
    }

    /// A scalar constant of `like`'s type and rank (all dims 1), to broadcast against it in an
    /// element-wise layer.
    pub fn scalar(&self, value: f64, like: trt::Tensor<'n>) -> Result<trt::Tensor<'n>> {
        let w = scalar_weights(value, dtype(like)).map_err(|e| self.error(e))?;
        self.add(trt::Constant::new(vec![1; dims(like).len()], w))
    }

    /// TensorRT's dims of `t` (`-1`: a dynamic dimension).
    pub fn dims(&self, t: trt::Tensor<'n>) -> Vec<i64> {
        dims(t)
    }

    /// TensorRT's type of `t`.
    pub fn data_type(&self, t: trt::Tensor<'n>) -> DataType {
        dtype(t)
    }

    /// The type the network computes candle's f32 values in: `Half` under `fp16_mode`.
    pub fn float_type(&self) -> DataType {
        self.tracer.float
    }
}

/// The converter of [`TraceTensor::custom_op`](crate::TraceTensor::custom_op).
pub(crate) fn traced<'n, O: CustomOp + ?Sized>(
    x: &TracedTensor<'n>,
    others: &[&TracedTensor<'n>],
    custom: &O,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(custom.name().to_string(), others)?;
    let values: Vec<&Tensor> = std::iter::once(&x.value)
        .chain(others.iter().map(|o| &o.value))
        .collect();
    let value = op.named(custom.forward(&values))?;
    let inputs: Vec<trt::Tensor<'n>> = std::iter::once(x.trt)
        .chain(others.iter().map(|o| o.trt))
        .collect();
    let layers = CustomLayers {
        tracer: op.tracer.clone(),
        context: op.context(),
    };
    // A candle error inside `build` (reading a weight's dims, ...) gets the op's context too.
    let t = op.named(custom.build(&layers, &inputs))?;
    op.finish(value, t)
}

/// The plain-candle side of [`TraceTensor::custom_op`](crate::TraceTensor::custom_op).
pub(crate) fn plain<O: CustomOp + ?Sized>(
    x: &Tensor,
    others: &[&Tensor],
    custom: &O,
) -> Result<Tensor> {
    let values: Vec<&Tensor> = std::iter::once(x).chain(others.iter().copied()).collect();
    Ok(custom.forward(&values)?)
}
