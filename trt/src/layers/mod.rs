//! Layers as data: one plain description per TensorRT layer kind, used both to add a layer
//! ([`Network::add`](crate::Network::add)) and to read it back from TensorRT
//! ([`Layer::description`](crate::Layer::description)).
//!
//! A description holds everything TensorRT holds for the layer: its input tensors (including those TensorRT takes
//! through `ILayer::setInput`, such as dynamic shapes or kernel tensors), its parameters and its weights. Fields
//! have TensorRT's defaults after `new`; the builder-style methods change one at a time. Reading a layer back goes
//! through TensorRT's own getters, so a round trip compares what was asked with what TensorRT kept.
//!
//! Grouped by family, one file each: `conv` (convolution, deconvolution, pooling, padding, resize, grid sample),
//! `elementwise`, `shape` (shuffle, slice, concatenation, constant, ...), `index` (gather, scatter, ...),
//! `reduce`, `matmul`, `norm`, `quant`, `attention`.

mod attention;
mod conv;
mod elementwise;
mod index;
mod kind;
mod matmul;
mod norm;
mod quant;
mod reduce;
mod shape;

pub use attention::Attention;
pub use conv::{Convolution, Deconvolution, GridSample, Padding, Pooling, Resize, ResizeOutput};
pub use elementwise::{Activation, ElementWise, ParametricRelu, Select, Unary};
pub use index::{Gather, Nms, NonZero, OneHot, ReverseSequence, Scatter};
pub use matmul::{Einsum, MatrixMultiply};
pub use norm::{Lrn, Normalization, Scale};
pub use quant::{Dequantize, Quantize};
pub use reduce::{Cumulative, Reduce, Softmax, TopK};
pub use shape::{
    Cast, Concatenation, Constant, Fill, Identity, Shape, Shuffle, Slice, Squeeze, Unsqueeze,
};

use serde::Serialize;

use crate::enums::LayerType;
use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};
use kind::Kind;

macro_rules! layer_descs {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) = $layer_type:ident,)+) => {
        /// A TensorRT layer as plain data: what [`Network::add`](crate::Network::add) takes and
        /// [`Layer::description`](crate::Layer::description) returns. Serializes (serde) with the kind as
        /// `"kind"`, tensors as their names and weights summarised (see [`Weights`](crate::Weights)).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind")]
        pub enum LayerDesc<'n> {
            $($(#[$doc])* $variant($ty),)+
            /// The entry layer of a fused attention (TensorRT adds it with the attention): the same
            /// [`Attention`] as its exit layer, which is the one [`Network::add`](crate::Network::add) returns.
            /// It cannot be added by itself.
            AttentionInput(Attention<'n>),
            /// A layer kind these bindings do not describe (plugins, loops, conditionals, ...): read only.
            Other {
                /// TensorRT's layer type.
                layer_type: LayerType,
            },
        }

        $(impl<'n> From<$ty> for LayerDesc<'n> {
            fn from(d: $ty) -> Self {
                LayerDesc::$variant(d)
            }
        })+

        impl<'n> LayerDesc<'n> {
            /// The TensorRT layer type this description adds.
            pub fn layer_type(&self) -> LayerType {
                match self {
                    $(LayerDesc::$variant(_) => LayerType::$layer_type,)+
                    LayerDesc::AttentionInput(_) => LayerType::AttentionInput,
                    LayerDesc::Other { layer_type } => *layer_type,
                }
            }

            /// Every tensor the layer takes (inputs, and shape/kernel/zero-point tensors TensorRT takes through
            /// `setInput`).
            pub fn tensors(&self) -> Vec<Tensor<'n>> {
                match self {
                    $(LayerDesc::$variant(d) => d.tensors(),)+
                    LayerDesc::AttentionInput(d) => d.tensors(),
                    LayerDesc::Other { .. } => Vec::new(),
                }
            }

            pub(crate) fn op(&self) -> &'static str {
                match self {
                    $(LayerDesc::$variant(_) => <$ty as Kind<'n>>::OP,)+
                    LayerDesc::AttentionInput(_) | LayerDesc::Other { .. } => "add",
                }
            }

            pub(crate) fn add_to(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
                match self {
                    $(LayerDesc::$variant(d) => d.add(net),)+
                    LayerDesc::AttentionInput(_) | LayerDesc::Other { .. } => Err(Error::invalid(
                        "add",
                        format!("a {:?} layer cannot be added from a description", self.layer_type()),
                    )),
                }
            }

            pub(crate) fn read(layer: &Layer<'n>, layer_type: LayerType) -> Result<Self> {
                Ok(match layer_type {
                    $(LayerType::$layer_type => LayerDesc::$variant(<$ty as Kind<'n>>::read(layer)?),)+
                    LayerType::AttentionInput => LayerDesc::AttentionInput(Attention::read(layer)?),
                    other => LayerDesc::Other { layer_type: other },
                })
            }

            /// The weights the layer holds, by field name (convolution kernels and biases, constants, scale
            /// coefficients).
            pub fn weights(&self) -> Vec<(&'static str, &crate::Weights)> {
                match self {
                    LayerDesc::Convolution(d) => d.weights(),
                    LayerDesc::Deconvolution(d) => d.weights(),
                    LayerDesc::Constant(d) => vec![("weights", &d.weights)],
                    LayerDesc::Scale(d) => d.weights(),
                    _ => Vec::new(),
                }
            }
        }
    };
}

layer_descs! {
    /// Convolution (`IConvolutionLayer`).
    Convolution(Convolution<'n>) = Convolution,
    /// Transposed convolution (`IDeconvolutionLayer`).
    Deconvolution(Deconvolution<'n>) = Deconvolution,
    /// Pooling (`IPoolingLayer`).
    Pooling(Pooling<'n>) = Pooling,
    /// Constant padding (`IPaddingLayer`).
    Padding(Padding<'n>) = Padding,
    /// Resize (`IResizeLayer`).
    Resize(Resize<'n>) = Resize,
    /// Grid sample (`IGridSampleLayer`).
    GridSample(GridSample<'n>) = GridSample,
    /// Element-wise binary operation (`IElementWiseLayer`).
    ElementWise(ElementWise<'n>) = ElementWise,
    /// Unary operation (`IUnaryLayer`).
    Unary(Unary<'n>) = Unary,
    /// Activation (`IActivationLayer`).
    Activation(Activation<'n>) = Activation,
    /// Select (`ISelectLayer`).
    Select(Select<'n>) = Select,
    /// Parametric ReLU (`IParametricReLULayer`).
    ParametricRelu(ParametricRelu<'n>) = ParametricRelu,
    /// Shuffle (`IShuffleLayer`).
    Shuffle(Shuffle<'n>) = Shuffle,
    /// Slice (`ISliceLayer`).
    Slice(Slice<'n>) = Slice,
    /// Concatenation (`IConcatenationLayer`).
    Concatenation(Concatenation<'n>) = Concatenation,
    /// Gather (`IGatherLayer`).
    Gather(Gather<'n>) = Gather,
    /// Shape (`IShapeLayer`).
    Shape(Shape<'n>) = Shape,
    /// Squeeze (`ISqueezeLayer`).
    Squeeze(Squeeze<'n>) = Squeeze,
    /// Unsqueeze (`IUnsqueezeLayer`).
    Unsqueeze(Unsqueeze<'n>) = Unsqueeze,
    /// Fill (`IFillLayer`).
    Fill(Fill<'n>) = Fill,
    /// Cast (`ICastLayer`).
    Cast(Cast<'n>) = Cast,
    /// Identity (`IIdentityLayer`).
    Identity(Identity<'n>) = Identity,
    /// Constant (`IConstantLayer`).
    Constant(Constant) = Constant,
    /// Scatter (`IScatterLayer`).
    Scatter(Scatter<'n>) = Scatter,
    /// One-hot (`IOneHotLayer`).
    OneHot(OneHot<'n>) = OneHot,
    /// Non-zero (`INonZeroLayer`).
    NonZero(NonZero<'n>) = NonZero,
    /// Reverse sequence (`IReverseSequenceLayer`).
    ReverseSequence(ReverseSequence<'n>) = ReverseSequence,
    /// Non-maximum suppression (`INMSLayer`).
    Nms(Nms<'n>) = Nms,
    /// Reduce (`IReduceLayer`).
    Reduce(Reduce<'n>) = Reduce,
    /// Softmax (`ISoftMaxLayer`).
    Softmax(Softmax<'n>) = Softmax,
    /// Top-k (`ITopKLayer`).
    TopK(TopK<'n>) = TopK,
    /// Cumulative (`ICumulativeLayer`).
    Cumulative(Cumulative<'n>) = Cumulative,
    /// Matrix multiply (`IMatrixMultiplyLayer`).
    MatrixMultiply(MatrixMultiply<'n>) = MatrixMultiply,
    /// Einstein summation (`IEinsumLayer`).
    Einsum(Einsum<'n>) = Einsum,
    /// Normalization (`INormalizationLayer`).
    Normalization(Normalization<'n>) = Normalization,
    /// Scale (`IScaleLayer`).
    Scale(Scale<'n>) = Scale,
    /// Local response normalization (`ILRNLayer`).
    Lrn(Lrn<'n>) = Lrn,
    /// Quantize (`IQuantizeLayer`).
    Quantize(Quantize<'n>) = Quantize,
    /// Dequantize (`IDequantizeLayer`).
    Dequantize(Dequantize<'n>) = Dequantize,
    /// Fused attention (`IAttention`), read from and returned as its exit (attention-output) layer.
    Attention(Attention<'n>) = AttentionOutput,
}

/// The generic path: every description goes to TensorRT through [`Network::add`] and comes back through
/// [`Layer::description`].
impl<'b> Network<'b> {
    /// Adds a layer from its description and returns it. Every tensor of the description must belong to this
    /// network. The one path from a [`LayerDesc`] to TensorRT: [`Layer::description`] reads the same type back.
    ///
    /// ```no_run
    /// # fn main() -> trt::Result<()> {
    /// # let lib = trt::Library::load()?;
    /// # let logger = trt::Logger::new(trt::Severity::Warning)?;
    /// # let builder = trt::Builder::new(lib, &logger)?;
    /// use trt::{Activation, ActivationType, DataType};
    /// let network = builder.create_network()?;
    /// let x = network.add_input("x", DataType::Float, [2, 3])?;
    /// let relu = network.add(Activation::new(x, ActivationType::Relu))?;
    /// assert_eq!(relu.description()?, Activation::new(x, ActivationType::Relu).into());
    /// # Ok(()) }
    /// ```
    pub fn add<'s>(&'s self, description: impl Into<LayerDesc<'s>>) -> Result<Layer<'s>> {
        let description = description.into();
        let op = description.op();
        for t in description.tensors() {
            self.own(t, op)?;
        }
        let raw = description.add_to(self)?;
        Ok(self.layer(raw))
    }
}

impl<'n> Layer<'n> {
    /// The layer as TensorRT holds it, read through TensorRT's getters into the description type that adds it:
    /// parameters, weights (copied) and input tensors, including those set with `setInput`.
    pub fn description(&self) -> Result<LayerDesc<'n>> {
        // SAFETY: `raw` is live.
        let raw = unsafe { trt_sys::trt_layer_type(self.raw()) };
        let layer_type = LayerType::from_raw(raw).ok_or_else(|| {
            Error::invalid(
                "layer_description",
                format!("layer '{}' has unknown type {raw}", self.name()),
            )
        })?;
        LayerDesc::read(self, layer_type)
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    #[test]
    fn a_getter_for_another_kind_is_refused_by_the_shim() {
        // Like the integration tests: TensorRT-RTX headers come with the provisioned library; for other
        // headers there may be none here.
        let lib = match Library::load() {
            Ok(lib) => lib,
            // Absent only where the search found none (or one of another version); a library the user named
            // that does not load fails (the rule of `tests/common`'s `absent_library_reason`).
            Err(e @ (LoadError::NotFound { .. } | LoadError::VersionMismatch { .. }))
                if !HEADERS_ARE_RTX && SearchConfig::from_env().named().is_none() =>
            {
                let first = e.to_string().lines().next().unwrap_or_default().to_owned();
                let h = header_version();
                eprintln!(
                    "SKIPPED: no TensorRT {}.{} library: Enterprise headers {h}: {first}",
                    h.major, h.minor
                );
                return;
            }
            Err(e) => panic!("TensorRT-RTX library not loadable (run `cargo xtask setup`): {e}"),
        };
        let logger = Logger::new(Severity::Warning).unwrap();
        let builder = Builder::new(lib, &logger).unwrap();
        let net = builder.create_network().unwrap();
        let x = net.add_input("x", DataType::Float, [2]).unwrap();
        let relu = net.add(Activation::new(x, ActivationType::Relu)).unwrap();
        relu.set_name("relu").unwrap();
        let err = relu
            .get("read pooling", trt_sys::trt_layer_get_pooling)
            .unwrap_err();
        assert!(err.to_string().contains("'relu'"), "{err}");
        assert!(err.to_string().contains("is not a pooling layer"), "{err}");
        assert_eq!(
            relu.description().unwrap(),
            LayerDesc::Activation(Activation::new(x, ActivationType::Relu))
        );
    }
}
