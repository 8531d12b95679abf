//! The op vocabulary: [`TraceTensor`], the tensor trait a model's forward is written against,
//! once, and its two implementations.
//!
//! - `candle.rs`: `candle_core::Tensor`, every method the candle call of the same name;
//! - `traced.rs`: [`TracedTensor`](crate::TracedTensor), every method delegating to its
//!   converter in `ops/`;
//! - `reference.rs`: candle implementations of ops candle lacks (padded and ceil-mode pooling,
//!   adaptive pooling, ...), used by `candle.rs` and read by converters that must agree with them;
//! - `torch_ref.rs`: the same for PyTorch ops whose meaning candle lacks or does not share
//!   (`torch.chunk`'s pieces, the rounding family, `prod`, bicubic resizing, ...);
//! - `nn.rs`: the configs and layers the vocabulary takes beyond `candle_nn`'s
//!   ([`Pool2dConfig`], [`GroupNorm`]).

use std::borrow::Borrow;
use std::cell::RefCell;
use std::rc::Rc;

use candle_core::op::CmpOp;
use candle_core::shape::{Dim, Dims, ShapeWithOneHole};
use candle_core::{DType, Device, Shape, Tensor, ToUsize2};

use crate::Result;

mod candle;
mod nn;
#[cfg(test)]
#[allow(dead_code)] // read by `cargo xtask ops-doc`; the tests read the method names
mod ops_table;
pub(crate) mod reference;
pub(crate) mod torch_ref;
mod traced;

pub use nn::{group_norm, instance_norm, GroupNorm, Pad2d, PadMode, Pool1dConfig, Pool2dConfig};

/// The tensor operations a traceable model may use; the names and arguments mirror candle's.
///
/// A model writes its forward once, generic over `T: TraceTensor`:
///
/// - with `T = candle_core::Tensor`, every method is a direct call of the candle method of the
///   same name: plain candle inference, CPU or CUDA, with no extra work;
/// - with `T = `[`TracedTensor`](crate::TracedTensor), every method computes the same candle
///   value *and* adds the matching TensorRT layers to a network, then checks that TensorRT's
///   inferred dimensions equal candle's (dynamic dimensions excepted).
///
/// Layers from `candle_nn` are applied with [`TraceTensor::apply`] (they implement
/// [`TraceModule`](crate::TraceModule)), or through the explicit methods ([`conv2d`],
/// [`linear`], [`batch_norm`], ...), which read the layer's weights and configuration through
/// its public accessors.
///
/// Shape-reading methods ([`dims`](TraceTensor::dims), [`dim`](TraceTensor::dim)) return the
/// sample's concrete sizes while tracing. Converters keep dynamic dimensions dynamic where the
/// op allows it (e.g. [`reshape`](TraceTensor::reshape) copies a dynamic dimension that the
/// target shape repeats at the same position, [`flatten_from`](TraceTensor::flatten_from)
/// never touches leading dimensions).
///
/// An op without a converter — for instance arbitrary candle code through
/// [`apply_candle_fn`](TraceTensor::apply_candle_fn) — makes tracing fail with
/// [`Error::UnsupportedOp`](crate::Error::UnsupportedOp) naming the op, the module path and the
/// shapes; no value is ever silently baked into the engine as a constant. Parameters enter the
/// graph only through layer methods or [`parameter`](TraceTensor::parameter).
///
/// ```
/// use candle2trt::{Result, TraceModule, TraceTensor};
/// use candle_nn::{Conv2d, Linear};
///
/// struct SimpleCnn {
///     conv: Conv2d,
///     fc: Linear,
/// }
///
/// impl TraceModule for SimpleCnn {
///     fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
///         let xs = xs.apply_named("conv", &self.conv)?.relu()?.max_pool2d(2)?;
///         xs.flatten_from(1)?.apply_named("fc", &self.fc)
///     }
/// }
/// ```
///
/// [`conv2d`]: TraceTensor::conv2d
/// [`linear`]: TraceTensor::linear
/// [`batch_norm`]: TraceTensor::batch_norm
pub trait TraceTensor: Sized + Clone {
    // ----------------------------------------------------------------------------------------
    // Metadata and plumbing
    // ----------------------------------------------------------------------------------------

    /// The tensor's dimensions (while tracing: the sample's concrete sizes).
    fn dims(&self) -> &[usize];

    /// The tensor's shape (while tracing: the sample's concrete shape).
    fn shape(&self) -> &Shape;

    /// The element type of the candle value.
    fn dtype(&self) -> DType;

    /// The device of the candle value.
    fn device(&self) -> &Device;

    /// The candle value: the tensor itself, or the traced tensor's reference value.
    ///
    /// Values computed from it are plain candle values, invisible to the tracer: use it for
    /// inspection and tests, never to compute what the model returns.
    fn as_candle(&self) -> &Tensor;

    /// Number of dimensions.
    fn rank(&self) -> usize {
        self.dims().len()
    }

    /// The size of one dimension (`D::Minus1` for the last one, as in candle).
    fn dim<D: Dim>(&self, dim: D) -> Result<usize> {
        let i = dim.to_index(self.shape(), "dim")?;
        Ok(self.dims()[i])
    }

    /// Enters a named scope of the module path, e.g. `layer1.0`; the scope ends when the guard
    /// is dropped. Error messages name the innermost path. No-op on plain candle tensors.
    fn scope(&self, name: &str) -> ScopeGuard;

    /// Enters a scope named by call order: the `k`-th module applied without a name inside the
    /// current scope is named `k` (`0`, `1`, …), as PyTorch names `Sequential` children. No-op
    /// on plain candle tensors. [`apply`](TraceTensor::apply) uses it.
    fn unnamed_scope(&self) -> ScopeGuard {
        ScopeGuard::noop()
    }

    /// Applies a module as a child without a name of its own: `m.forward(self)` inside a scope
    /// named by call order ([`unnamed_scope`](TraceTensor::unnamed_scope): the first module
    /// applied this way in a scope is `0`, the next `1`, …), so that every layer has a module
    /// path. Name a child after its PyTorch attribute with
    /// [`apply_named`](TraceTensor::apply_named); call `m.forward(&x)` directly for a struct
    /// that only groups layers (its layers then keep the names they give themselves).
    fn apply<M: crate::TraceModule + ?Sized>(&self, m: &M) -> Result<Self> {
        let _scope = self.unnamed_scope();
        m.forward(self)
    }

    /// Applies a module inside a named scope, so errors and the layer report name it
    /// (`self.apply_named("conv1", &self.conv1)` → `layer1.0.conv1`).
    fn apply_named<M: crate::TraceModule + ?Sized>(&self, name: &str, m: &M) -> Result<Self> {
        let _scope = self.scope(name);
        m.forward(self)
    }

    /// Escape hatch: runs arbitrary candle code on the value. Works on plain candle tensors;
    /// under the tracer it fails with [`Error::UnsupportedOp`](crate::Error::UnsupportedOp)
    /// naming `name`, because TensorRT cannot see what the closure does: give such an op a
    /// converter with [`custom_op`](TraceTensor::custom_op).
    fn apply_candle_fn<F>(&self, name: &str, f: F) -> Result<Self>
    where
        F: FnOnce(&Tensor) -> candle_core::Result<Tensor>;

    /// Applies an op the library has no converter for, with its user's own converter
    /// (torch2trt's `@tensorrt_converter`): `op`'s [`forward`](crate::CustomOp::forward) on
    /// plain candle tensors; under the tracer also its [`build`](crate::CustomOp::build), whose
    /// TensorRT result is checked against candle's value like a built-in converter's (dims and
    /// type, errors naming `op`'s name and the module path). `others` are the op's further
    /// inputs, after `self`. See [`custom_op`](crate::custom_op) and
    /// `examples/06_custom_op.rs`.
    fn custom_op<O: crate::CustomOp + ?Sized>(&self, others: &[&Self], op: &O) -> Result<Self>;

    /// Brings a parameter (a weight that does not depend on the model inputs) into the graph:
    /// on plain candle a clone of `value`, under the tracer a TensorRT constant. This is the
    /// only way a tensor other than a model input or a layer weight enters a traced graph.
    fn parameter(&self, value: &Tensor) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Activations and unary ops
    // ----------------------------------------------------------------------------------------

    /// `max(x, 0)`.
    fn relu(&self) -> Result<Self>;
    /// `min(max(x, 0), 6)`, as `torch.nn.ReLU6`.
    fn relu6(&self) -> Result<Self> {
        self.clamp(0.0, 6.0)
    }
    /// `x` for `x ≥ 0`, `negative_slope · x` otherwise.
    fn leaky_relu(&self, negative_slope: f64) -> Result<Self>;
    /// GELU as PyTorch's `F.gelu(x)` / `nn.GELU()`: the exact erf form, PyTorch's default
    /// (candle's `Tensor::gelu` is the tanh approximation: that one is
    /// [`gelu_tanh`](TraceTensor::gelu_tanh)).
    fn gelu(&self) -> Result<Self> {
        self.gelu_erf()
    }
    /// GELU, tanh approximation (PyTorch's `F.gelu(x, approximate="tanh")`, candle's `gelu`).
    fn gelu_tanh(&self) -> Result<Self>;
    /// GELU, exact erf form (PyTorch's default `nn.GELU()`), the same as
    /// [`gelu`](TraceTensor::gelu).
    fn gelu_erf(&self) -> Result<Self>;
    /// `x · sigmoid(x)` (SiLU / swish).
    fn silu(&self) -> Result<Self>;
    /// `1 / (1 + exp(-x))`.
    fn sigmoid(&self) -> Result<Self>;
    /// Hyperbolic tangent.
    fn tanh(&self) -> Result<Self>;
    /// ELU with the given `alpha`.
    fn elu(&self, alpha: f64) -> Result<Self>;
    /// `clamp((x + 3) / 6, 0, 1)`, as `torch.nn.Hardsigmoid`.
    fn hard_sigmoid(&self) -> Result<Self>;
    /// `x · hard_sigmoid(x)`, as `torch.nn.Hardswish`.
    fn hard_swish(&self) -> Result<Self>;
    /// `log(1 + exp(x))`, as `torch.nn.Softplus()` (beta 1).
    fn softplus(&self) -> Result<Self>;
    /// `min(max(x, min), max)`.
    fn clamp(&self, min: f64, max: f64) -> Result<Self>;
    /// `x · mul + add`.
    fn affine(&self, mul: f64, add: f64) -> Result<Self>;
    /// `exp(x)`.
    fn exp(&self) -> Result<Self>;
    /// Natural logarithm.
    fn log(&self) -> Result<Self>;
    /// Square root.
    fn sqrt(&self) -> Result<Self>;
    /// `1 / sqrt(x)`.
    fn rsqrt(&self) -> Result<Self>;
    /// `x²`.
    fn sqr(&self) -> Result<Self>;
    /// `1 / x`.
    fn recip(&self) -> Result<Self>;
    /// `|x|`.
    fn abs(&self) -> Result<Self>;
    /// `-x`.
    fn neg(&self) -> Result<Self>;
    /// Sine.
    fn sin(&self) -> Result<Self>;
    /// Cosine.
    fn cos(&self) -> Result<Self>;
    /// The error function.
    fn erf(&self) -> Result<Self>;
    /// `x^e` for a scalar exponent.
    fn powf(&self, e: f64) -> Result<Self>;
    /// `torch.tan`.
    fn tan(&self) -> Result<Self>;
    /// `torch.asin`.
    fn asin(&self) -> Result<Self>;
    /// `torch.acos`.
    fn acos(&self) -> Result<Self>;
    /// `torch.atan`.
    fn atan(&self) -> Result<Self>;
    /// `torch.sinh`.
    fn sinh(&self) -> Result<Self>;
    /// `torch.cosh`.
    fn cosh(&self) -> Result<Self>;
    /// `torch.asinh`.
    fn asinh(&self) -> Result<Self>;
    /// `torch.acosh`.
    fn acosh(&self) -> Result<Self>;
    /// `torch.atanh`.
    fn atanh(&self) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Rounding (PyTorch's rules)
    // ----------------------------------------------------------------------------------------

    /// `torch.floor`: the largest integer not above `x`.
    fn floor(&self) -> Result<Self>;
    /// `torch.ceil`: the smallest integer not below `x`.
    fn ceil(&self) -> Result<Self>;
    /// `torch.round`: the nearest integer, **ties to even** (`round(2.5) = 2`,
    /// `round(-0.5) = -0`), as PyTorch; candle's own `Tensor::round` rounds ties away from zero.
    fn round(&self) -> Result<Self>;
    /// `torch.trunc`: rounds toward zero.
    fn trunc(&self) -> Result<Self>;
    /// `torch.sign`: `1` for positive, `-1` for negative, `0` for zero.
    fn sign(&self) -> Result<Self>;
    /// `torch.floor_divide(a, b)` with broadcasting: `floor(a / b)` (PyTorch ≥ 1.13's rule; for
    /// floats PyTorch's own `fmod`-based formula, so `floor_divide(a, b) · b + remainder(a, b)`
    /// is `a`).
    fn floor_divide(&self, rhs: &Self) -> Result<Self>;
    /// `torch.remainder(a, b)` with broadcasting: Python's `a % b`, the result has the sign of
    /// `b` (`remainder(-7, 2) = 1`).
    fn remainder(&self, rhs: &Self) -> Result<Self>;
    /// `torch.fmod(a, b)` with broadcasting: C's `fmod`, the result has the sign of `a`
    /// (`fmod(-7, 2) = -1`).
    fn fmod(&self, rhs: &Self) -> Result<Self>;
    /// `torch.remainder(x, v)` for a scalar `v` (the scalar enters as a constant).
    fn remainder_scalar(&self, v: f64) -> Result<Self> {
        self.remainder(&self.parameter(&torch_ref::scalar_like(self.as_candle(), v)?)?)
    }
    /// `torch.fmod(x, v)` for a scalar `v`.
    fn fmod_scalar(&self, v: f64) -> Result<Self> {
        self.fmod(&self.parameter(&torch_ref::scalar_like(self.as_candle(), v)?)?)
    }
    /// `torch.floor_divide(x, v)` for a scalar `v`.
    fn floor_divide_scalar(&self, v: f64) -> Result<Self> {
        self.floor_divide(&self.parameter(&torch_ref::scalar_like(self.as_candle(), v)?)?)
    }
    /// Identity: dropout is inactive at inference.
    fn dropout(&self, _p: f32) -> Result<Self> {
        Ok(self.clone())
    }

    // ----------------------------------------------------------------------------------------
    // Scalar arithmetic
    // ----------------------------------------------------------------------------------------

    /// `x + v`.
    fn add_scalar(&self, v: f64) -> Result<Self> {
        self.affine(1.0, v)
    }
    /// `x - v`.
    fn sub_scalar(&self, v: f64) -> Result<Self> {
        self.affine(1.0, -v)
    }
    /// `x · v`.
    fn mul_scalar(&self, v: f64) -> Result<Self> {
        self.affine(v, 0.0)
    }
    /// `x / v`.
    fn div_scalar(&self, v: f64) -> Result<Self> {
        self.affine(1.0 / v, 0.0)
    }
    /// `max(x, v)`.
    fn maximum_scalar(&self, v: f64) -> Result<Self>;
    /// `min(x, v)`.
    fn minimum_scalar(&self, v: f64) -> Result<Self>;
    /// `v - x`, PyTorch's `1 - x` (`torch.rsub(x, v)`).
    fn rsub_scalar(&self, v: f64) -> Result<Self> {
        // -x + v rounds exactly as v - x: negation is exact.
        self.affine(-1.0, v)
    }
    /// `v / x`, PyTorch's `100 / x` (`Tensor.__rtruediv__`): a true division of the constant
    /// `v` by `x`, not `v · (1 / x)`.
    fn rdiv_scalar(&self, v: f64) -> Result<Self> {
        self.parameter(&torch_ref::scalar_like(self.as_candle(), v)?)?
            .broadcast_div(self)
    }
    /// `v ^ x`, PyTorch's `2 ** x` (`Tensor.__rpow__`).
    fn rpow_scalar(&self, v: f64) -> Result<Self> {
        self.parameter(&torch_ref::scalar_like(self.as_candle(), v)?)?
            .broadcast_pow(self)
    }

    // ----------------------------------------------------------------------------------------
    // Binary element-wise ops
    // ----------------------------------------------------------------------------------------

    /// Element-wise `a + b`, same shapes.
    fn add(&self, rhs: &Self) -> Result<Self>;
    /// Element-wise `a - b`, same shapes.
    fn sub(&self, rhs: &Self) -> Result<Self>;
    /// Element-wise `a · b`, same shapes.
    fn mul(&self, rhs: &Self) -> Result<Self>;
    /// Element-wise `a / b`, same shapes.
    fn div(&self, rhs: &Self) -> Result<Self>;
    /// `a + b` with numpy-style broadcasting.
    fn broadcast_add(&self, rhs: &Self) -> Result<Self>;
    /// `a - b` with broadcasting.
    fn broadcast_sub(&self, rhs: &Self) -> Result<Self>;
    /// `a · b` with broadcasting.
    fn broadcast_mul(&self, rhs: &Self) -> Result<Self>;
    /// `a / b` with broadcasting.
    fn broadcast_div(&self, rhs: &Self) -> Result<Self>;
    /// `a ^ b` with broadcasting.
    fn broadcast_pow(&self, rhs: &Self) -> Result<Self>;
    /// `max(a, b)` with broadcasting.
    fn broadcast_maximum(&self, rhs: &Self) -> Result<Self>;
    /// `min(a, b)` with broadcasting.
    fn broadcast_minimum(&self, rhs: &Self) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Comparisons and selection (results are `u8` 0/1 tensors, as in candle)
    // ----------------------------------------------------------------------------------------

    /// Element-wise comparison with broadcasting; candle's result is a `u8` 0/1 tensor.
    fn broadcast_cmp(&self, rhs: &Self, op: CmpOp) -> Result<Self>;
    /// Element-wise comparison with a scalar.
    fn cmp_scalar(&self, rhs: f64, op: CmpOp) -> Result<Self>;
    /// `a == b` (broadcasting).
    fn broadcast_eq(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Eq)
    }
    /// `a != b` (broadcasting).
    fn broadcast_ne(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Ne)
    }
    /// `a < b` (broadcasting).
    fn broadcast_lt(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Lt)
    }
    /// `a <= b` (broadcasting).
    fn broadcast_le(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Le)
    }
    /// `a > b` (broadcasting).
    fn broadcast_gt(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Gt)
    }
    /// `a >= b` (broadcasting).
    fn broadcast_ge(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Ge)
    }
    /// `a == b`, same shapes.
    fn eq(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Eq)
    }
    /// `a != b`, same shapes.
    fn ne(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Ne)
    }
    /// `a < b`, same shapes.
    fn lt(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Lt)
    }
    /// `a <= b`, same shapes.
    fn le(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Le)
    }
    /// `a > b`, same shapes.
    fn gt(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Gt)
    }
    /// `a >= b`, same shapes.
    fn ge(&self, rhs: &Self) -> Result<Self> {
        self.broadcast_cmp(rhs, CmpOp::Ge)
    }
    /// `self` is the condition (non-zero = true): picks `on_true` or `on_false` per element.
    /// All three have the same shape, as in candle.
    fn where_cond(&self, on_true: &Self, on_false: &Self) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Matrix products
    // ----------------------------------------------------------------------------------------

    /// Matrix product over the last two dimensions; batch dimensions must be equal.
    fn matmul(&self, rhs: &Self) -> Result<Self>;
    /// Matrix product with broadcasting of the batch dimensions.
    fn broadcast_matmul(&self, rhs: &Self) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Shape ops
    // ----------------------------------------------------------------------------------------

    /// Reshapes; `()` marks one inferred dimension, as in candle (`x.reshape((b, ()))`).
    /// Under a dynamic profile, a target dimension equal to a dynamic input dimension at the
    /// same position is copied, and the hole absorbs the rest.
    fn reshape<S: ShapeWithOneHole + Clone>(&self, shape: S) -> Result<Self>;
    /// Merges the dimensions from `start_dim` to the last into one.
    fn flatten_from<D: Dim>(&self, start_dim: D) -> Result<Self>;
    /// Merges all dimensions into one.
    fn flatten_all(&self) -> Result<Self>;
    /// Removes a dimension of size 1.
    fn squeeze<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Inserts a dimension of size 1.
    fn unsqueeze<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Swaps two dimensions.
    fn transpose<D1: Dim, D2: Dim>(&self, dim1: D1, dim2: D2) -> Result<Self>;
    /// Swaps the last two dimensions.
    fn t(&self) -> Result<Self> {
        let r = self.rank();
        if r < 2 {
            return Err(candle_core::Error::Msg(format!(
                "t() needs a tensor of rank 2 or more, got shape {:?}",
                self.dims()
            ))
            .into());
        }
        self.transpose(r - 2, r - 1)
    }
    /// Reorders the dimensions.
    fn permute<D: Dims>(&self, dims: D) -> Result<Self>;
    /// The sub-tensor `start..start + len` along `dim`.
    fn narrow<D: Dim>(&self, dim: D, start: usize, len: usize) -> Result<Self>;
    /// The sub-tensor `start..start + n` along `dim`, where `n = like.dim(like_dim)`: under the
    /// tracer `n` is read from `like` at run time when that dimension is dynamic, so a table
    /// sliced to a sequence length (BERT's position embeddings, PyTorch's
    /// `self.position_ids[:, :seq_len]`) follows a dynamic sequence length. [`narrow`](Self::narrow)
    /// with `like.dim(like_dim)?` would fix `n` to the traced size.
    fn narrow_like<D: Dim, L: Dim>(
        &self,
        dim: D,
        start: usize,
        like: &Self,
        like_dim: L,
    ) -> Result<Self>;
    /// `torch.chunk(x, chunks, dim)`: pieces of `ceil(n / chunks)` elements along `dim`, the
    /// last smaller, so there may be fewer than `chunks` pieces (n = 10, 4 chunks: sizes
    /// [3, 3, 3, 1]; n = 6, 4 chunks: three pieces of 2). candle's `Tensor::chunk` spreads the
    /// remainder instead ([3, 3, 2, 2]); this method keeps PyTorch's meaning.
    fn chunk<D: Dim>(&self, chunks: usize, dim: D) -> Result<Vec<Self>>;
    /// `torch.split(x, split_size, dim)`: pieces of `split_size` elements along `dim`, the
    /// last smaller.
    fn split<D: Dim>(&self, split_size: usize, dim: D) -> Result<Vec<Self>>;
    /// `torch.split(x, [s0, s1, ...], dim)` (`torch.split_with_sizes`): pieces of the given
    /// sizes, which must add up to the dimension.
    fn split_with_sizes<D: Dim>(&self, sizes: &[usize], dim: D) -> Result<Vec<Self>>;
    /// `x[..., start:end:step, ...]` along `dim` (PyTorch's `aten::slice`): every `step`-th
    /// element from `start` below `end` (`end` is clamped to the size, so `usize::MAX` means
    /// "to the end"). One strided TensorRT slice.
    fn slice<D: Dim>(&self, dim: D, start: usize, end: usize, step: usize) -> Result<Self>;
    /// `x.expand(*sizes)`: `-1` keeps a dimension, a size-1 dimension grows to the given size,
    /// and extra sizes in front add new leading dimensions (PyTorch's rules).
    fn expand(&self, sizes: &[i64]) -> Result<Self>;
    /// Concatenates along `dim`.
    fn cat<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self>;
    /// Stacks along a new dimension `dim`.
    fn stack<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self>;
    /// Selects entries of `self` along `dim` with the integer `indexes` (1-D).
    fn index_select<D: Dim>(&self, indexes: &Self, dim: D) -> Result<Self>;
    /// Converts the element type. Under `fp16_mode` float types map to the network's
    /// compute precision.
    fn to_dtype(&self, dtype: DType) -> Result<Self>;
    /// Makes the layout contiguous (a no-op for TensorRT).
    fn contiguous(&self) -> Result<Self>;
    /// Pads `dim` with `left` and `right` zeros.
    fn pad_with_zeros<D: Dim>(&self, dim: D, left: usize, right: usize) -> Result<Self>;
    /// Pads the two last dimensions of an `(N, C, H, W)` tensor per side, as PyTorch's
    /// `F.pad(x, (left, right, top, bottom), mode)`: one TensorRT slice layer (constant, reflect
    /// or replicate), where padding dimension by dimension takes one per dimension.
    fn pad2d(&self, pad: Pad2d, mode: PadMode) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Reductions and softmax
    // ----------------------------------------------------------------------------------------

    /// Sum over `dims`, keeping them as size 1.
    fn sum_keepdim<D: Dims>(&self, dims: D) -> Result<Self>;
    /// Sum over `dims`, removing them.
    fn sum<D: Dims>(&self, dims: D) -> Result<Self>;
    /// Mean over `dims`, keeping them as size 1.
    fn mean_keepdim<D: Dims>(&self, dims: D) -> Result<Self>;
    /// Mean over `dims`, removing them.
    fn mean<D: Dims>(&self, dims: D) -> Result<Self>;
    /// Maximum over `dim`, keeping it as size 1.
    fn max_keepdim<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Maximum over `dim`, removing it.
    fn max<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Minimum over `dim`, keeping it as size 1.
    fn min_keepdim<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Minimum over `dim`, removing it.
    fn min<D: Dim>(&self, dim: D) -> Result<Self>;
    /// `torch.prod(x, dim)`: the product over `dim`, removing it.
    fn prod<D: Dim>(&self, dim: D) -> Result<Self>;
    /// `torch.prod(x, dim, keepdim=True)`.
    fn prod_keepdim<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Softmax over `dim`.
    fn softmax<D: Dim>(&self, dim: D) -> Result<Self>;
    /// Scaled dot-product attention, PyTorch's `F.scaled_dot_product_attention(q, k, v,
    /// attn_mask, scale=scale)` with an additive float mask: `softmax(q·scale·kᵀ + mask)·v` on
    /// `(batch, heads, tokens, head_dim)` tensors (`self` is `q`; the mask broadcasts to
    /// `(batch, heads, q_tokens, kv_tokens)`). Under the tracer it is one fused TensorRT
    /// attention (`IAttention`, decomposable where no fused kernel fits) with `q` scaled first,
    /// since TensorRT's attention does not scale `q·kᵀ`; in f32 under `fp16_mode` when the
    /// softmax policy asks for it. With a mask under `fp16_mode` it is decomposed into matrix
    /// products and a softmax (TensorRT-RTX 1.7 does not build that fused case).
    fn scaled_dot_product_attention(
        &self,
        key: &Self,
        value: &Self,
        mask: Option<&Self>,
        scale: f64,
    ) -> Result<Self>;
    /// Softmax over the last dimension.
    fn softmax_last_dim(&self) -> Result<Self> {
        self.softmax(candle_core::D::Minus1)
    }
    /// Log-softmax over `dim`.
    fn log_softmax<D: Dim>(&self, dim: D) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Pooling and resampling (NCHW)
    // ----------------------------------------------------------------------------------------

    /// Max pooling with a square or `(h, w)` kernel, stride = kernel.
    fn max_pool2d<K: ToUsize2>(&self, kernel: K) -> Result<Self> {
        self.max_pool2d_with_config(&Pool2dConfig::new(kernel))
    }
    /// Max pooling with an explicit stride.
    fn max_pool2d_with_stride<K: ToUsize2>(&self, kernel: K, stride: K) -> Result<Self> {
        self.max_pool2d_with_config(&Pool2dConfig::new(kernel).with_stride(stride))
    }
    /// Max pooling as `torch.nn.MaxPool2d(kernel, stride, padding, ceil_mode=...)`: padded
    /// positions never win; with `ceil_mode` the last window may hang over the bottom/right edge
    /// (SqueezeNet).
    fn max_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self>;
    /// Average pooling, stride = kernel.
    fn avg_pool2d<K: ToUsize2>(&self, kernel: K) -> Result<Self> {
        self.avg_pool2d_with_config(&Pool2dConfig::new(kernel))
    }
    /// Average pooling with an explicit stride.
    fn avg_pool2d_with_stride<K: ToUsize2>(&self, kernel: K, stride: K) -> Result<Self> {
        self.avg_pool2d_with_config(&Pool2dConfig::new(kernel).with_stride(stride))
    }
    /// Average pooling as `torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode,
    /// count_include_pad)`: with `count_include_pad` (PyTorch's default) zero padding counts in
    /// the average, without it only input elements do; with `ceil_mode` a window hanging over
    /// the bottom/right edge averages over the part inside the padded input, as PyTorch.
    fn avg_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self>;
    /// Adaptive max pooling to `(out_h, out_w)` (`torch.nn.AdaptiveMaxPool2d`), windows of
    /// unequal sizes included.
    fn adaptive_max_pool2d(&self, output_size: (usize, usize)) -> Result<Self>;
    /// `torch.nn.MaxPool1d` on `(N, C, L)`: a 2-D pooling of height 1.
    fn max_pool1d(&self, config: &Pool1dConfig) -> Result<Self> {
        self.unsqueeze(2)?
            .max_pool2d_with_config(&config.to_2d())?
            .squeeze(2)
    }
    /// `torch.nn.AvgPool1d` on `(N, C, L)`: a 2-D pooling of height 1.
    fn avg_pool1d(&self, config: &Pool1dConfig) -> Result<Self> {
        self.unsqueeze(2)?
            .avg_pool2d_with_config(&config.to_2d())?
            .squeeze(2)
    }
    /// `torch.nn.AdaptiveAvgPool1d(out)` on `(N, C, L)`.
    fn adaptive_avg_pool1d(&self, out: usize) -> Result<Self> {
        self.unsqueeze(2)?.adaptive_avg_pool2d((1, out))?.squeeze(2)
    }
    /// `torch.nn.AdaptiveMaxPool1d(out)` on `(N, C, L)`.
    fn adaptive_max_pool1d(&self, out: usize) -> Result<Self> {
        self.unsqueeze(2)?.adaptive_max_pool2d((1, out))?.squeeze(2)
    }
    /// Adaptive average pooling to `(out_h, out_w)` (`torch.nn.AdaptiveAvgPool2d`): a mean
    /// (1×1), an average pool (sizes multiples of the output) or, for windows of unequal sizes,
    /// two matrix products with constant averaging matrices.
    fn adaptive_avg_pool2d(&self, output_size: (usize, usize)) -> Result<Self>;
    /// Nearest-neighbour upsampling to `(h, w)`.
    fn upsample_nearest2d(&self, target_h: usize, target_w: usize) -> Result<Self>;
    /// Bilinear upsampling to `(h, w)`.
    fn upsample_bilinear2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self>;
    /// Bicubic resizing to `(h, w)`, `F.interpolate(x, size=(h, w), mode="bicubic",
    /// align_corners=...)`: Keys' cubic with PyTorch's `A = -0.75`, border pixels repeated.
    fn upsample_bicubic2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self>;

    // ----------------------------------------------------------------------------------------
    // Layers (weights read through candle_nn's accessors)
    // ----------------------------------------------------------------------------------------

    /// 1-D convolution (`(N, C, L)`), with stride, padding, dilation, groups and bias.
    fn conv1d(&self, layer: &candle_nn::Conv1d) -> Result<Self>;
    /// 2-D convolution (`(N, C, H, W)`), with stride, padding, dilation, groups and bias.
    fn conv2d(&self, layer: &candle_nn::Conv2d) -> Result<Self>;
    /// 2-D convolution after zero padding per side, as PyTorch's
    /// `conv(F.pad(x, (left, right, top, bottom)))` (TensorFlow's "SAME" padding): one TensorRT
    /// convolution with separate padding before and after (`pad` adds to the layer's own
    /// symmetric padding). A following batch norm folds into it like into
    /// [`conv2d`](TraceTensor::conv2d).
    fn conv2d_padded(&self, layer: &candle_nn::Conv2d, pad: Pad2d) -> Result<Self>;
    /// 2-D transposed convolution.
    fn conv_transpose2d(&self, layer: &candle_nn::ConvTranspose2d) -> Result<Self>;
    /// `x · Wᵀ + b` over the last dimension.
    fn linear(&self, layer: &candle_nn::Linear) -> Result<Self>;
    /// Batch normalization with running statistics (inference). Under the tracer it is folded
    /// into the preceding convolution when the input comes straight from one.
    fn batch_norm(&self, layer: &candle_nn::BatchNorm) -> Result<Self>;
    /// Layer normalization, `torch.nn.LayerNorm(normalized_shape)`: over the last `k`
    /// dimensions, `k` the rank of the layer's weight (a weight of shape `(H, W)` normalizes
    /// over `H` and `W`, as PyTorch); also RMS-style `LayerNorm`s.
    fn layer_norm(&self, layer: &candle_nn::LayerNorm) -> Result<Self>;
    /// RMS normalization over the last dimension.
    fn rms_norm(&self, layer: &candle_nn::RmsNorm) -> Result<Self>;
    /// Group normalization (`torch.nn.GroupNorm`) with a [`GroupNorm`] layer (whose weights,
    /// unlike `candle_nn::GroupNorm`'s, are readable).
    fn group_norm(&self, layer: &GroupNorm) -> Result<Self>;
    /// Instance normalization, `torch.nn.InstanceNorm2d(C, affine=...)` (and 1-D, 3-D):
    /// each channel of each sample normalized over its spatial dimensions, which is a group
    /// norm with one group per channel; build the layer with [`instance_norm`](crate::instance_norm).
    fn instance_norm(&self, layer: &GroupNorm) -> Result<Self> {
        if layer.num_groups() != layer.num_channels() {
            return Err(candle_core::Error::Msg(format!(
                "instance_norm: the layer has {} groups for {} channels; build it with \
                 candle2trt::instance_norm (one group per channel)",
                layer.num_groups(),
                layer.num_channels()
            ))
            .into());
        }
        self.group_norm(layer)
    }
    /// Embedding lookup: `self` holds integer ids.
    fn embedding(&self, layer: &candle_nn::Embedding) -> Result<Self>;
}

impl crate::TraceModule for GroupNorm {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        xs.group_norm(self)
    }
}

/// The guard returned by [`TraceTensor::scope`]: the scope ends when it is dropped.
#[must_use = "the scope ends when the guard is dropped"]
pub struct ScopeGuard {
    pub(crate) stack: Option<Rc<RefCell<Vec<String>>>>,
    /// Where the path of the scope is recorded when it ends (the last module the trace left).
    last: Option<Rc<RefCell<String>>>,
}

impl ScopeGuard {
    /// A guard that does nothing (plain candle tensors).
    pub fn noop() -> Self {
        Self {
            stack: None,
            last: None,
        }
    }

    /// Pushes `name` on `stack`; the guard pops it and records the path it ends in `last`.
    pub(crate) fn push(
        stack: &Rc<RefCell<Vec<String>>>,
        last: &Rc<RefCell<String>>,
        name: &str,
    ) -> Self {
        stack.borrow_mut().push(name.to_string());
        Self {
            stack: Some(stack.clone()),
            last: Some(last.clone()),
        }
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        if let Some(stack) = self.stack.take() {
            let mut stack = stack.borrow_mut();
            if let Some(last) = &self.last {
                // Ending `features` right after `features.3` keeps the deeper path.
                let path = stack.join(".");
                let mut last = last.borrow_mut();
                if !last.starts_with(&format!("{path}.")) {
                    *last = path;
                }
            }
            stack.pop();
        }
    }
}

impl std::fmt::Debug for ScopeGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("active", &self.stack.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// The methods of the trait's source, plumbing excepted.
    fn trait_methods() -> Vec<&'static str> {
        const PLUMBING: &[&str] = &[
            "dims",
            "shape",
            "dtype",
            "device",
            "as_candle",
            "rank",
            "dim",
            "scope",
            "unnamed_scope",
            "apply",
            "apply_named",
            "apply_candle_fn",
            "custom_op",
            "parameter",
        ];
        let src = include_str!("mod.rs");
        let start = src.find("pub trait TraceTensor").expect("trait");
        let end = src
            .find("impl crate::TraceModule for GroupNorm")
            .expect("end of trait");
        src[start..end]
            .lines()
            .filter_map(|l| l.strip_prefix("    fn "))
            .map(|l| {
                let end = l.find(['(', '<']).unwrap_or(l.len());
                &l[..end]
            })
            .filter(|m| !PLUMBING.contains(m))
            .collect()
    }

    /// `docs/ops.md`'s table (`ops_table.rs`) has one row per method of the vocabulary, in the
    /// trait's order, and no row for a method that does not exist.
    #[test]
    fn ops_table_lists_every_method() {
        let table: Vec<&str> = super::ops_table::OPS.iter().map(|o| o.method).collect();
        assert_eq!(table, trait_methods());
    }
}
