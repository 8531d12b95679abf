//! [`Op`]: one op in progress, and every graph-building helper the converters share.
//!
//! A converter in `ops/` reads as: `begin` the op, compute candle's value through the plain
//! implementation, add layers, `finish` (which checks TensorRT's dims and type against candle's).
//! A layer is `trt`'s own description (`trt::Convolution`, `trt::Pooling`, ...) added with
//! [`Op::add`]; the helpers below build the few multi-layer patterns the converters share. Every
//! failure becomes an error naming the op ([`Op::named`], built on [`Error::at_op`]); `finish`
//! names the op's layers after the module path and records them for the report.

use std::borrow::Cow;
use std::rc::Rc;

use candle_core::op::CmpOp;
use candle_core::{DType, Tensor};
use trt::{DataType, ElementWiseOperation as Ew, ReduceOperation, SampleMode, UnaryOperation};

use super::weights::{scalar_weights, tensor_weights};
use super::{dims, dtype, TracedTensor, Tracer};
use crate::error::{OpContext, OpFailure, Shapes};
use crate::{Error, Result};

/// One op in progress: its name, operand shapes and the first layer it adds.
pub(crate) struct Op<'a, 'n> {
    pub(crate) tracer: &'a Rc<Tracer<'n>>,
    pub(crate) name: Cow<'static, str>,
    shapes: Vec<Vec<usize>>,
    /// TensorRT's dims of the operands.
    trt_dims: Vec<Vec<i64>>,
    input_dynamic: bool,
    first_layer: usize,
}

impl<'n> TracedTensor<'n> {
    /// Starts op `name` on `self` and `others`, which must come from the same trace.
    pub(crate) fn begin<'a>(
        &'a self,
        name: impl Into<Cow<'static, str>>,
        others: &[&TracedTensor<'n>],
    ) -> Result<Op<'a, 'n>> {
        let name = name.into();
        let mut shapes = vec![self.value.dims().to_vec()];
        shapes.extend(others.iter().map(|o| o.value.dims().to_vec()));
        if others.iter().any(|o| !Rc::ptr_eq(&o.tracer, &self.tracer)) {
            let context = OpContext {
                op: name.to_string(),
                module_path: self.tracer.error_path(),
                shapes: Shapes(shapes),
            };
            return Err(Error::at_op(context, OpFailure::ForeignTensor));
        }
        self.tracer.record_use(self.trt);
        for o in others {
            self.tracer.record_use(o.trt);
        }
        let trt_dims: Vec<Vec<i64>> = std::iter::once(self.trt)
            .chain(others.iter().map(|o| o.trt))
            .map(dims)
            .collect();
        let input_dynamic = trt_dims.iter().any(|d| d.contains(&-1));
        let first_layer = self.tracer.network.nb_layers();
        Ok(Op {
            tracer: &self.tracer,
            name,
            shapes,
            trt_dims,
            input_dynamic,
            first_layer,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, checks and the result
// ---------------------------------------------------------------------------------------------

impl<'n> Op<'_, 'n> {
    /// The op, the module path and the operand shapes.
    pub(crate) fn context(&self) -> OpContext {
        OpContext {
            op: self.name.to_string(),
            module_path: self.tracer.error_path(),
            shapes: Shapes(self.shapes.clone()),
        }
    }

    /// `failure` as an error naming this op. Where the operands' dynamic dimensions were traced
    /// at another size than the sample's, candle's refusals and unsupported arguments also say
    /// so (the shapes at the sample's sizes, and how to write the shape).
    pub(crate) fn error(&self, failure: impl Into<OpFailure>) -> Error {
        let failure = failure.into();
        let note = || self.tracer.retrace_note(&self.shapes, &self.trt_dims);
        let failure = match failure {
            OpFailure::Candle(e) => match note() {
                Some(note) => OpFailure::Candle(e.context(note)),
                None => OpFailure::Candle(e),
            },
            OpFailure::Arguments(reason) => match note() {
                Some(note) => OpFailure::Arguments(format!("{reason} ({note})")),
                None => OpFailure::Arguments(reason),
            },
            other => other,
        };
        Error::at_op(self.context(), failure)
    }

    /// `r`, its error (candle's, TensorRT's, or the plain implementation's) naming this op.
    pub(crate) fn named<T, E: Into<OpFailure>>(&self, r: std::result::Result<T, E>) -> Result<T> {
        r.map_err(|e| self.error(e))
    }

    /// This op cannot be converted with these arguments.
    pub(crate) fn unsupported(&self, reason: impl Into<String>) -> Error {
        self.error(OpFailure::Arguments(reason.into()))
    }

    /// Adds the layer `description` (`trt`'s own: `trt::Pooling::new(..)`, ...) and returns its
    /// output; the layer is named and recorded when the op finishes.
    pub(crate) fn add(
        &self,
        description: impl Into<trt::LayerDesc<'n>>,
    ) -> Result<trt::Tensor<'n>> {
        self.named(self.tracer.add_one(description))
    }

    /// TensorRT's dims for `t` (`-1`: dynamic; empty when shape inference failed).
    pub(crate) fn dims(&self, t: trt::Tensor<'n>) -> Vec<i64> {
        dims(t)
    }

    /// TensorRT's type for `t`.
    pub(crate) fn dtype(&self, t: trt::Tensor<'n>) -> DataType {
        dtype(t)
    }

    /// The number of layers in the network so far.
    pub(crate) fn nb_layers(&self) -> usize {
        self.tracer.network.nb_layers()
    }

    /// The TensorRT type for a candle dtype, or an error naming this op.
    pub(crate) fn trt_dtype(&self, dtype: DType) -> Result<DataType> {
        self.tracer
            .trt_dtype(dtype)
            .ok_or_else(|| self.unsupported(format!("TensorRT has no {dtype:?} tensors")))
    }

    /// Names the op's layers, checks TensorRT's dims and type against candle's value, and wraps
    /// the result.
    pub(crate) fn finish(self, value: Tensor, t: trt::Tensor<'n>) -> Result<TracedTensor<'n>> {
        self.tracer.name_layers(&self.name, self.first_layer);
        let dims = self.named(t.dims())?.as_slice().to_vec();
        let dtype = dtype(t);
        let candle = value.dims();
        let agree = dims.len() == candle.len()
            && dims
                .iter()
                .zip(candle)
                .all(|(&t, &c)| t == -1 || t == c as i64);
        if !agree {
            return Err(self.error(OpFailure::ShapeMismatch {
                candle: candle.to_vec(),
                tensorrt: dims,
            }));
        }
        let expected = self.trt_dtype(value.dtype())?;
        let dtype_ok = dtype == expected || (value.dtype() == DType::U8 && dtype == DataType::Bool);
        if !dtype_ok {
            return Err(self.error(OpFailure::DTypeMismatch {
                candle: value.dtype(),
                tensorrt: format!("{dtype:?}"),
            }));
        }
        if self.input_dynamic && !dims.contains(&-1) {
            self.tracer
                .note_dynamic_lost(&self.name, &self.tracer.error_path().to_string());
        }
        let last_layer = self.tracer.network.nb_layers();
        self.tracer
            .record_op(self.name.clone(), t, self.first_layer..last_layer, &value);
        Ok(TracedTensor {
            value,
            trt: t,
            tracer: self.tracer.clone(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Constants and casts
// ---------------------------------------------------------------------------------------------

impl<'n> Op<'_, 'n> {
    /// A constant holding candle tensor `t` as TensorRT type `dt`, with `dims` (default: `t`'s).
    pub(crate) fn constant(
        &self,
        t: &Tensor,
        dt: DataType,
        dims: Option<&[i64]>,
    ) -> Result<trt::Tensor<'n>> {
        let w = self.weights(t, dt)?;
        let dims = match dims {
            Some(d) => d.to_vec(),
            None => t.dims().iter().map(|&d| d as i64).collect(),
        };
        self.add(trt::Constant::new(dims, w))
    }

    /// A constant scalar broadcastable against a tensor of rank `rank` (dims all 1).
    pub(crate) fn scalar(&self, value: f64, dt: DataType, rank: usize) -> Result<trt::Tensor<'n>> {
        let w = self.named(scalar_weights(value, dt))?;
        self.add(trt::Constant::new(vec![1; rank], w))
    }

    /// A 1-D Int64 constant (axes, shape pieces).
    pub(crate) fn const_i64(&self, values: &[i64]) -> Result<trt::Tensor<'n>> {
        self.add(trt::Constant::i64(values))
    }

    /// Candle tensor `t` as TensorRT weights of type `dt`.
    pub(crate) fn weights(&self, t: &Tensor, dt: DataType) -> Result<trt::Weights> {
        self.named(tensor_weights(t, dt))
    }

    /// The convolution weights (kernel, bias) of candle tensors `weight` and `bias` in TensorRT
    /// type `dt`.
    pub(crate) fn kernel_weights(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        dt: DataType,
    ) -> Result<(trt::Weights, Option<trt::Weights>)> {
        let kernel = self.weights(weight, dt)?;
        let bias = bias.map(|b| self.weights(b, dt)).transpose()?;
        Ok((kernel, bias))
    }

    /// Casts `t` to `to` (no layer when it already has that type).
    pub(crate) fn cast(&self, t: trt::Tensor<'n>, to: DataType) -> Result<trt::Tensor<'n>> {
        if dtype(t) == to {
            return Ok(t);
        }
        self.add(trt::Cast::new(t, to))
    }

    /// Runs `f` on `t` in f32 when the network computes in f16 and `enabled` (the policy for
    /// this kind of op), casting back afterwards.
    pub(crate) fn in_f32(
        &self,
        t: trt::Tensor<'n>,
        enabled: bool,
        f: impl FnOnce(trt::Tensor<'n>) -> Result<trt::Tensor<'n>>,
    ) -> Result<trt::Tensor<'n>> {
        let dt = dtype(t);
        if enabled && matches!(dt, DataType::Half | DataType::BF16) {
            let up = self.cast(t, DataType::Float)?;
            let out = f(up)?;
            self.cast(out, dt)
        } else {
            f(t)
        }
    }

    /// [`in_f32`](Self::in_f32) under the policy for exp-like ops.
    pub(crate) fn transcendental(
        &self,
        t: trt::Tensor<'n>,
        f: impl FnOnce(trt::Tensor<'n>) -> Result<trt::Tensor<'n>>,
    ) -> Result<trt::Tensor<'n>> {
        self.in_f32(t, self.tracer.policy.transcendental, f)
    }
}

// ---------------------------------------------------------------------------------------------
// Element-wise layers
// ---------------------------------------------------------------------------------------------

impl<'n> Op<'_, 'n> {
    /// A unary layer.
    pub(crate) fn unary(
        &self,
        t: trt::Tensor<'n>,
        kind: UnaryOperation,
    ) -> Result<trt::Tensor<'n>> {
        self.add(trt::Unary::new(t, kind))
    }

    /// `a <op> b` for operands of equal rank.
    pub(crate) fn ew(
        &self,
        a: trt::Tensor<'n>,
        b: trt::Tensor<'n>,
        op: Ew,
    ) -> Result<trt::Tensor<'n>> {
        self.add(trt::ElementWise::new(a, b, op))
    }

    /// Element-wise op with numpy broadcasting: the operand of lower rank gets leading 1s.
    pub(crate) fn ew_broadcast(
        &self,
        a: trt::Tensor<'n>,
        b: trt::Tensor<'n>,
        op: Ew,
    ) -> Result<trt::Tensor<'n>> {
        let r = dims(a).len().max(dims(b).len());
        let a = self.to_rank(a, r)?;
        let b = self.to_rank(b, r)?;
        self.ew(a, b, op)
    }

    /// `t <op> scalar`, the scalar a constant of `t`'s type and rank.
    pub(crate) fn with_scalar(
        &self,
        t: trt::Tensor<'n>,
        op: Ew,
        value: f64,
    ) -> Result<trt::Tensor<'n>> {
        // A constant that f16 cannot hold (it would be inf, 0 or a subnormal) is applied in f32,
        // as candle does with an f32 value.
        if dtype(t) == DataType::Half && !fits_f16(value) {
            return self.in_f32(t, true, |t| self.with_scalar(t, op, value));
        }
        let c = self.scalar(value, dtype(t), dims(t).len())?;
        self.ew(t, c, op)
    }

    /// `t · mul + add`, skipping identity parts.
    pub(crate) fn affine(&self, t: trt::Tensor<'n>, mul: f64, add: f64) -> Result<trt::Tensor<'n>> {
        let mut out = t;
        if mul != 1.0 {
            out = self.with_scalar(out, Ew::Prod, mul)?;
        }
        if add != 0.0 {
            out = self.with_scalar(out, Ew::Sum, add)?;
        }
        if out == t {
            out = self.add(trt::Identity::new(t))?;
        }
        Ok(out)
    }

    /// TensorRT's Bool result of a comparison. `>=` and `<=` are `>` or `=` (and `<` or `=`):
    /// built as not-`<` they would be true where an operand is NaN, where candle says false.
    pub(crate) fn compare(
        &self,
        a: trt::Tensor<'n>,
        b: trt::Tensor<'n>,
        cmp: CmpOp,
    ) -> Result<trt::Tensor<'n>> {
        let (ew, negate) = match cmp {
            CmpOp::Eq => (Ew::Equal, false),
            CmpOp::Ne => (Ew::Equal, true),
            CmpOp::Lt => (Ew::Less, false),
            CmpOp::Gt => (Ew::Greater, false),
            CmpOp::Ge | CmpOp::Le => {
                let strict = if cmp == CmpOp::Ge {
                    Ew::Greater
                } else {
                    Ew::Less
                };
                let s = self.ew_broadcast(a, b, strict)?;
                let e = self.ew_broadcast(a, b, Ew::Equal)?;
                return self.ew(s, e, Ew::Or);
            }
        };
        let c = self.ew_broadcast(a, b, ew)?;
        if negate {
            self.unary(c, UnaryOperation::Not)
        } else {
            Ok(c)
        }
    }

    /// A Bool condition from a candle-style 0/1 (or any non-zero) tensor.
    pub(crate) fn to_bool(&self, t: trt::Tensor<'n>) -> Result<trt::Tensor<'n>> {
        let dt = dtype(t);
        if dt == DataType::Bool {
            return Ok(t);
        }
        // UInt8 supports little besides casts in TensorRT.
        let t = if dt == DataType::UInt8 {
            self.cast(t, DataType::Int32)?
        } else {
            t
        };
        let zero = self.scalar(0.0, dtype(t), dims(t).len())?;
        self.compare(t, zero, CmpOp::Ne)
    }

    /// `t · scale + shift` with constants of dims `dims` (in `t`'s type).
    pub(crate) fn scale_shift(
        &self,
        t: trt::Tensor<'n>,
        scale: Option<&Tensor>,
        shift: Option<&Tensor>,
        dims: &[i64],
    ) -> Result<trt::Tensor<'n>> {
        let dt = dtype(t);
        let mut out = t;
        if let Some(s) = scale {
            let c = self.constant(s, dt, Some(dims))?;
            out = self.ew(out, c, Ew::Prod)?;
        }
        if let Some(b) = shift {
            let c = self.constant(b, dt, Some(dims))?;
            out = self.ew(out, c, Ew::Sum)?;
        }
        Ok(out)
    }

    /// `t / sqrt(mean(t², axis) + eps)`.
    pub(crate) fn rms(&self, t: trt::Tensor<'n>, axis: usize, eps: f64) -> Result<trt::Tensor<'n>> {
        let sq = self.ew(t, t, Ew::Prod)?;
        let ms = self.reduce(sq, ReduceOperation::Avg, &[axis], true)?;
        let ms = self.with_scalar(ms, Ew::Sum, eps)?;
        let rms = self.unary(ms, UnaryOperation::Sqrt)?;
        self.ew(t, rms, Ew::Div)
    }

    /// A reduction over `axes`.
    pub(crate) fn reduce(
        &self,
        t: trt::Tensor<'n>,
        kind: ReduceOperation,
        axes: &[usize],
        keep: bool,
    ) -> Result<trt::Tensor<'n>> {
        let mask = axes.iter().fold(0u32, |m, &a| m | (1u32 << a));
        self.add(trt::Reduce::new(t, kind, mask, keep))
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes: reshapes, transposes, slices, concatenation, shape tensors
// ---------------------------------------------------------------------------------------------

impl<'n> Op<'_, 'n> {
    /// `t` with leading dimensions of size 1 added up to `rank`.
    pub(crate) fn to_rank(&self, t: trt::Tensor<'n>, rank: usize) -> Result<trt::Tensor<'n>> {
        let d = dims(t);
        if d.len() >= rank {
            return Ok(t);
        }
        let extra = rank - d.len();
        if !d.contains(&-1) {
            let mut new = vec![1; extra];
            new.extend(&d);
            return self.reshape_static(t, &new);
        }
        let axes: Vec<i64> = (0..extra as i64).collect();
        let axes = self.const_i64(&axes)?;
        self.add(trt::Unsqueeze::new(t, axes))
    }

    /// A shuffle to `dims` (TensorRT reshape semantics: 0 copies the input dimension, -1 is
    /// inferred).
    pub(crate) fn reshape_static(
        &self,
        t: trt::Tensor<'n>,
        dims: &[i64],
    ) -> Result<trt::Tensor<'n>> {
        self.add(trt::Shuffle::reshape(t, dims))
    }

    /// A shuffle to the run-time shape held by the 1-D Int64 shape tensor `shape`.
    pub(crate) fn reshape_dynamic(
        &self,
        t: trt::Tensor<'n>,
        shape: trt::Tensor<'n>,
    ) -> Result<trt::Tensor<'n>> {
        self.add(trt::Shuffle::reshape_dynamic(t, shape))
    }

    /// `t` with its dimensions reordered.
    pub(crate) fn permute(&self, t: trt::Tensor<'n>, perm: &[usize]) -> Result<trt::Tensor<'n>> {
        let perm: Vec<i32> = perm.iter().map(|&a| a as i32).collect();
        self.add(trt::Shuffle::transpose(t, perm))
    }

    /// `t` with a size-1 dimension inserted at `axis`.
    pub(crate) fn unsqueeze(&self, t: trt::Tensor<'n>, axis: usize) -> Result<trt::Tensor<'n>> {
        let mut new = dims(t);
        if new.contains(&-1) {
            let axes = self.const_i64(&[axis as i64])?;
            self.add(trt::Unsqueeze::new(t, axes))
        } else {
            new.insert(axis, 1);
            self.reshape_static(t, &new)
        }
    }

    /// `t` with the size-1 dimension `axis` removed.
    pub(crate) fn squeeze(&self, t: trt::Tensor<'n>, axis: usize) -> Result<trt::Tensor<'n>> {
        let mut new = dims(t);
        if new.contains(&-1) {
            let axes = self.const_i64(&[axis as i64])?;
            self.add(trt::Squeeze::new(t, axes))
        } else {
            new.remove(axis);
            self.reshape_static(t, &new)
        }
    }

    /// The slice `start..start+len` of `t` along `axis` (`mode`: TensorRT's default, strict
    /// bounds, when `None`).
    pub(crate) fn narrow(
        &self,
        t: trt::Tensor<'n>,
        static_dims: &[usize],
        axis: usize,
        start: i64,
        len: usize,
        mode: Option<SampleMode>,
    ) -> Result<trt::Tensor<'n>> {
        let rank = static_dims.len();
        let mut starts = vec![0i64; rank];
        starts[axis] = start;
        let mut size: Vec<i64> = static_dims.iter().map(|&d| d as i64).collect();
        size[axis] = len as i64;
        let size_tensor = self.shape_with(t, &[(axis, len as i64)])?;
        let mut slice = trt::Slice::new(t, starts, size, vec![1; rank]);
        slice.size_tensor = size_tensor;
        slice.mode = mode.unwrap_or(SampleMode::StrictBounds);
        self.add(slice)
    }

    /// Concatenation along `axis` (no layer for a single input).
    pub(crate) fn concat(&self, ts: &[trt::Tensor<'n>], axis: usize) -> Result<trt::Tensor<'n>> {
        if let [t] = ts {
            return Ok(*t);
        }
        self.add(trt::Concatenation::new(ts.to_vec(), axis as i32))
    }

    /// The shape of `t` with some dimensions replaced: `None` when `t` is fully static (the
    /// caller uses static sizes), else a 1-D Int64 shape tensor computed at run time as
    /// `shape(t) · mask + values`.
    pub(crate) fn shape_with(
        &self,
        t: trt::Tensor<'n>,
        replace: &[(usize, i64)],
    ) -> Result<Option<trt::Tensor<'n>>> {
        let d = dims(t);
        if !d.contains(&-1) {
            return Ok(None);
        }
        let mut mask = vec![1i64; d.len()];
        let mut add = vec![0i64; d.len()];
        for &(axis, v) in replace {
            mask[axis] = 0;
            add[axis] = v;
        }
        Ok(Some(self.shape_affine(t, &mask, &add)?))
    }

    /// `shape(t) · mask + add`, computed at run time.
    fn shape_affine(
        &self,
        t: trt::Tensor<'n>,
        mask: &[i64],
        add: &[i64],
    ) -> Result<trt::Tensor<'n>> {
        let shape = self.add(trt::Shape::new(t))?;
        let mask = self.const_i64(mask)?;
        let add = self.const_i64(add)?;
        let masked = self.ew(shape, mask, Ew::Prod)?;
        self.ew(masked, add, Ew::Sum)
    }

    /// `t` with `left` and `right` zeros along `axis`: a slice from `-left` in kFILL mode. Along
    /// a dynamic axis the length is computed at run time (`shape(t)[axis] + left + right`), not
    /// fixed to the sample's.
    pub(crate) fn pad(
        &self,
        t: trt::Tensor<'n>,
        static_dims: &[usize],
        axis: usize,
        left: usize,
        right: usize,
    ) -> Result<trt::Tensor<'n>> {
        let rank = static_dims.len();
        let mut starts = vec![0i64; rank];
        starts[axis] = -(left as i64);
        let mut size: Vec<i64> = static_dims.iter().map(|&d| d as i64).collect();
        size[axis] += (left + right) as i64;
        let size_tensor = if dims(t).get(axis) == Some(&-1) {
            let mut add = vec![0i64; rank];
            add[axis] = (left + right) as i64;
            Some(self.shape_affine(t, &vec![1; rank], &add)?)
        } else {
            self.shape_with(t, &[(axis, size[axis])])?
        };
        let mut slice = trt::Slice::new(t, starts, size, vec![1; rank]);
        slice.size_tensor = size_tensor;
        slice.mode = SampleMode::Fill;
        self.add(slice)
    }
}

/// Whether `v` is 0 or an f16 normal number (so f16(v) has f16's relative precision).
fn fits_f16(v: f64) -> bool {
    let a = v.abs();
    a == 0.0 || (f64::from(half::f16::MIN_POSITIVE) <= a && a <= f64::from(half::f16::MAX))
}
