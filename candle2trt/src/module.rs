//! [`TraceModule`] and [`TraceModel`]: models whose forward is generic over [`TraceTensor`];
//! [`DynTraceModel`], their object-safe companion.

use candle_core::Tensor;
use candle_nn::Activation;

use crate::{Result, TraceTensor, TracedTensor};

/// A module with one input and one output whose forward runs on any [`TraceTensor`]: plain
/// candle tensors or the tracer's.
///
/// The `candle_nn` layers the converters know implement it, so `x.apply(&conv)` works as in
/// candle. A user model implements it the same way (see [`TraceTensor`]'s example).
pub trait TraceModule {
    /// The forward pass.
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T>;
}

/// A model with any number of inputs and outputs (e.g. BERT: ids, attention mask, token types →
/// hidden states, pooled output). Every [`TraceModule`] is a one-input, one-output
/// `TraceModel`; [`convert`](crate::convert) takes any of them (through [`DynTraceModel`]).
pub trait TraceModel {
    /// The forward pass over the model inputs, in order; returns the outputs in order.
    fn forward_inputs<T: TraceTensor>(&self, inputs: &[T]) -> Result<Vec<T>>;
}

impl<M: TraceModule> TraceModel for M {
    fn forward_inputs<T: TraceTensor>(&self, inputs: &[T]) -> Result<Vec<T>> {
        match inputs {
            [x] => Ok(vec![self.forward(x)?]),
            _ => Err(crate::Error::ModelInterface(format!(
                "this model takes one input, {} were given",
                inputs.len()
            ))),
        }
    }
}

/// The object-safe companion of [`TraceModel`]: the two forwards a model needs, one per
/// [`TraceTensor`] implementation, so that models of different types can live behind one
/// `Box<dyn DynTraceModel>` (a registry that picks an architecture by name, a benchmark list).
///
/// Every [`TraceModel`] (hence every [`TraceModule`]) implements it; there is nothing to write.
/// [`convert`](crate::convert) takes any `DynTraceModel`, boxed ones included (`&*boxed`).
///
/// ```
/// use candle2trt::{DynTraceModel, Result, TraceModule, TraceTensor};
/// use candle_core::{Device, Tensor};
///
/// struct Double;
/// impl TraceModule for Double {
///     fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
///         x.add(x)
///     }
/// }
/// struct Relu;
/// impl TraceModule for Relu {
///     fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
///         x.relu()
///     }
/// }
///
/// # fn main() -> Result<()> {
/// let models: Vec<Box<dyn DynTraceModel>> = vec![Box::new(Double), Box::new(Relu)];
/// let x = Tensor::new(&[-1f32, 2.0], &Device::Cpu)?;
/// let y = models[0].forward_candle(&[x])?;
/// assert_eq!(y[0].to_vec1::<f32>()?, [-2.0, 4.0]);
/// # Ok(()) }
/// ```
pub trait DynTraceModel {
    /// [`TraceModel::forward_inputs`] on plain candle tensors.
    fn forward_candle(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>>;

    /// [`TraceModel::forward_inputs`] under the tracer.
    fn forward_traced<'n>(&self, inputs: &[TracedTensor<'n>]) -> Result<Vec<TracedTensor<'n>>>;
}

impl<M: TraceModel + ?Sized> DynTraceModel for M {
    fn forward_candle(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        self.forward_inputs(inputs)
    }

    fn forward_traced<'n>(&self, inputs: &[TracedTensor<'n>]) -> Result<Vec<TracedTensor<'n>>> {
        self.forward_inputs(inputs)
    }
}

impl<M: TraceModule + ?Sized> TraceModule for &M {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        (**self).forward(xs)
    }
}

macro_rules! layer_module {
    ($($ty:ty => $method:ident),* $(,)?) => {$(
        impl TraceModule for $ty {
            fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
                xs.$method(self)
            }
        }
    )*};
}

layer_module! {
    candle_nn::Conv1d => conv1d,
    candle_nn::Conv2d => conv2d,
    candle_nn::ConvTranspose2d => conv_transpose2d,
    candle_nn::Linear => linear,
    candle_nn::BatchNorm => batch_norm,
    candle_nn::LayerNorm => layer_norm,
    candle_nn::RmsNorm => rms_norm,
    candle_nn::Embedding => embedding,
}

impl TraceModule for candle_nn::Dropout {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        Ok(xs.clone())
    }
}

impl TraceModule for Activation {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        match *self {
            Activation::Gelu => xs.gelu_erf(),
            Activation::NewGelu | Activation::GeluPytorchTanh => xs.gelu_tanh(),
            Activation::Relu => xs.relu(),
            Activation::Relu2 => xs.relu()?.sqr(),
            Activation::Relu6 => xs.relu6(),
            Activation::Silu | Activation::Swish => xs.silu(),
            Activation::Sigmoid => xs.sigmoid(),
            Activation::HardSigmoid => xs.hard_sigmoid(),
            Activation::HardSwish => xs.hard_swish(),
            Activation::Mish => xs.mul(&xs.softplus()?.tanh()?),
            Activation::Swiglu => {
                let halves = xs.chunk(2, candle_core::D::Minus1)?;
                halves[0].silu()?.mul(&halves[1])
            }
            Activation::Elu(alpha) => xs.elu(alpha),
            Activation::LeakyRelu(slope) => xs.leaky_relu(slope),
        }
    }
}
