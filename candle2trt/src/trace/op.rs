//! [`Op`]: one op in progress, and every graph-building helper the converters share.
//!
//! A converter in `ops/` reads as: `begin` the op, compute candle's value through the plain
//! implementation, add layers with the helpers below, `finish` (which checks TensorRT's dims and
//! type against candle's). Each helper adds one or a few layers through [`Net`](super::Net) and
//! turns any failure into an error naming the op ([`Op::named`], built on [`Error::at_op`]).

use std::cell::RefMut;
use std::rc::Rc;

use candle_core::op::CmpOp;
use candle_core::{DType, Tensor};
use trt::{
    ActivationType, DataType, ElementWiseOperation as Ew, MatrixOperation, ReduceOperation,
    SampleMode, UnaryOperation,
};

use super::net::{ConvSpec, Net, PoolSpec, ResizeSpec, ShuffleSpec, SliceSpec, H};
use super::weights::{scalar_weights, tensor_weights};
use super::{TracedTensor, Tracer};
use crate::error::{OpContext, OpFailure, Shapes};
use crate::{Error, Result};

/// One op in progress: its name, operand shapes and the first layer it adds.
pub(crate) struct Op<'a, 'n> {
    pub(crate) tracer: &'a Rc<Tracer<'n>>,
    pub(crate) name: &'static str,
    shapes: Vec<Vec<usize>>,
    input_dynamic: bool,
    first_layer: usize,
}

impl<'n> TracedTensor<'n> {
    /// Starts op `name` on `self` and `others`, which must come from the same trace.
    pub(crate) fn begin<'a>(
        &'a self,
        name: &'static str,
        others: &[&TracedTensor<'n>],
    ) -> Result<Op<'a, 'n>> {
        let mut shapes = vec![self.value.dims().to_vec()];
        shapes.extend(others.iter().map(|o| o.value.dims().to_vec()));
        if others.iter().any(|o| !Rc::ptr_eq(&o.tracer, &self.tracer)) {
            let context = OpContext {
                op: name.to_string(),
                module_path: self.tracer.module_path(),
                shapes: Shapes(shapes),
            };
            return Err(Error::at_op(context, OpFailure::ForeignTensor));
        }
        self.tracer.record_use(self.h);
        for o in others {
            self.tracer.record_use(o.h);
        }
        let (first_layer, input_dynamic) = {
            let net = self.tracer.net();
            let dynamic = std::iter::once(self.h)
                .chain(others.iter().map(|o| o.h))
                .any(|h| net.dims(h).contains(&-1));
            (net.nb_layers(), dynamic)
        };
        Ok(Op {
            tracer: &self.tracer,
            name,
            shapes,
            input_dynamic,
            first_layer,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, checks and the result
// ---------------------------------------------------------------------------------------------

impl<'a, 'n> Op<'a, 'n> {
    /// The op, the module path and the operand shapes.
    pub(crate) fn context(&self) -> OpContext {
        OpContext {
            op: self.name.to_string(),
            module_path: self.tracer.module_path(),
            shapes: Shapes(self.shapes.clone()),
        }
    }

    /// `failure` as an error naming this op.
    pub(crate) fn error(&self, failure: impl Into<OpFailure>) -> Error {
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

    pub(crate) fn net(&self) -> RefMut<'a, Net<'n>> {
        self.tracer.net()
    }

    /// The TensorRT type for a candle dtype, or an error naming this op.
    pub(crate) fn trt_dtype(&self, dtype: DType) -> Result<DataType> {
        self.tracer
            .trt_dtype(dtype)
            .ok_or_else(|| self.unsupported(format!("TensorRT has no {dtype:?} tensors")))
    }

    /// Names the op's layers, checks TensorRT's dims and type against candle's value, and wraps
    /// the result.
    pub(crate) fn finish(self, value: Tensor, h: H) -> Result<TracedTensor<'n>> {
        self.tracer.name_layers(self.name, self.first_layer);
        let (dims, dtype) = {
            let net = self.net();
            let dims = self.named(net.try_dims(h))?;
            (dims, net.dtype(h))
        };
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
                .note_dynamic_lost(self.name, &self.tracer.module_path().to_string());
        }
        Ok(TracedTensor {
            value,
            h,
            tracer: self.tracer.clone(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Constants and casts
// ---------------------------------------------------------------------------------------------

impl Op<'_, '_> {
    /// A constant holding candle tensor `t` as TensorRT type `dt`, with `dims` (default: `t`'s).
    pub(crate) fn constant(&self, t: &Tensor, dt: DataType, dims: Option<&[i64]>) -> Result<H> {
        let w = self.named(tensor_weights(t, dt))?;
        let own: Vec<i64>;
        let dims = match dims {
            Some(d) => d,
            None => {
                own = t.dims().iter().map(|&d| d as i64).collect();
                &own
            }
        };
        let r = self.net().constant(dims, w);
        self.named(r)
    }

    /// A constant scalar broadcastable against a tensor of rank `rank` (dims all 1).
    pub(crate) fn scalar(&self, value: f64, dt: DataType, rank: usize) -> Result<H> {
        let w = self.named(scalar_weights(value, dt))?;
        let r = self.net().constant(&vec![1; rank], w);
        self.named(r)
    }

    /// A 1-D Int64 constant (axes, shape pieces).
    pub(crate) fn const_i64(&self, values: &[i64]) -> Result<H> {
        let w = trt::Weights::from_slice(values);
        let r = self.net().constant(&[values.len() as i64], w);
        self.named(r)
    }

    /// Casts `h` to `to` (no layer when it already has that type).
    pub(crate) fn cast(&self, h: H, to: DataType) -> Result<H> {
        if self.net().dtype(h) == to {
            return Ok(h);
        }
        let r = self.net().cast(h, to);
        self.named(r)
    }

    /// Runs `f` on `h` in f32 when the network computes in f16 and `enabled` (the policy for
    /// this kind of op), casting back afterwards.
    pub(crate) fn in_f32(&self, h: H, enabled: bool, f: impl FnOnce(H) -> Result<H>) -> Result<H> {
        let dt = self.net().dtype(h);
        if enabled && matches!(dt, DataType::Half | DataType::BF16) {
            let up = self.cast(h, DataType::Float)?;
            let out = f(up)?;
            self.cast(out, dt)
        } else {
            f(h)
        }
    }

    /// [`in_f32`](Self::in_f32) under the policy for exp-like ops.
    pub(crate) fn transcendental(&self, h: H, f: impl FnOnce(H) -> Result<H>) -> Result<H> {
        self.in_f32(h, self.tracer.policy.transcendental, f)
    }
}

// ---------------------------------------------------------------------------------------------
// Element-wise layers
// ---------------------------------------------------------------------------------------------

impl Op<'_, '_> {
    /// An activation layer (`alpha`, `beta` as TensorRT defines them for `kind`).
    pub(crate) fn activation(
        &self,
        h: H,
        kind: ActivationType,
        alpha: f64,
        beta: f64,
    ) -> Result<H> {
        let r = self.net().activation(h, kind, alpha as f32, beta as f32);
        self.named(r)
    }

    /// A unary layer.
    pub(crate) fn unary(&self, h: H, kind: UnaryOperation) -> Result<H> {
        let r = self.net().unary(h, kind);
        self.named(r)
    }

    /// `a <op> b` for operands of equal rank.
    pub(crate) fn ew(&self, a: H, b: H, op: Ew) -> Result<H> {
        let r = self.net().elementwise(a, b, op);
        self.named(r)
    }

    /// Element-wise op with numpy broadcasting: the operand of lower rank gets leading 1s.
    pub(crate) fn ew_broadcast(&self, a: H, b: H, op: Ew) -> Result<H> {
        let (ra, rb) = {
            let net = self.net();
            (net.dims(a).len(), net.dims(b).len())
        };
        let r = ra.max(rb);
        let a = self.to_rank(a, r)?;
        let b = self.to_rank(b, r)?;
        self.ew(a, b, op)
    }

    /// `h <op> scalar`, the scalar a constant of `h`'s type and rank.
    pub(crate) fn with_scalar(&self, h: H, op: Ew, value: f64) -> Result<H> {
        let (dt, rank) = {
            let net = self.net();
            (net.dtype(h), net.dims(h).len())
        };
        let c = self.scalar(value, dt, rank)?;
        self.ew(h, c, op)
    }

    /// `h · mul + add`, skipping identity parts.
    pub(crate) fn affine_h(&self, h: H, mul: f64, add: f64) -> Result<H> {
        let mut out = h;
        if mul != 1.0 {
            out = self.with_scalar(out, Ew::Prod, mul)?;
        }
        if add != 0.0 {
            out = self.with_scalar(out, Ew::Sum, add)?;
        }
        if out == h {
            let r = self.net().identity(h);
            out = self.named(r)?;
        }
        Ok(out)
    }

    /// TensorRT's Bool result of a comparison.
    pub(crate) fn compare(&self, a: H, b: H, cmp: CmpOp) -> Result<H> {
        let (ew, negate) = match cmp {
            CmpOp::Eq => (Ew::Equal, false),
            CmpOp::Ne => (Ew::Equal, true),
            CmpOp::Lt => (Ew::Less, false),
            CmpOp::Ge => (Ew::Less, true),
            CmpOp::Gt => (Ew::Greater, false),
            CmpOp::Le => (Ew::Greater, true),
        };
        let c = self.ew_broadcast(a, b, ew)?;
        if negate {
            self.unary(c, UnaryOperation::Not)
        } else {
            Ok(c)
        }
    }

    /// A Bool condition from a candle-style 0/1 (or any non-zero) tensor.
    pub(crate) fn to_bool(&self, h: H) -> Result<H> {
        let dt = self.net().dtype(h);
        if dt == DataType::Bool {
            return Ok(h);
        }
        // UInt8 supports little besides casts in TensorRT.
        let h = if dt == DataType::UInt8 {
            self.cast(h, DataType::Int32)?
        } else {
            h
        };
        let (dt, rank) = {
            let net = self.net();
            (net.dtype(h), net.dims(h).len())
        };
        let zero = self.scalar(0.0, dt, rank)?;
        self.compare(h, zero, CmpOp::Ne)
    }

    /// `on_true` where the Bool `cond` holds, else `on_false`.
    pub(crate) fn select_h(&self, cond: H, on_true: H, on_false: H) -> Result<H> {
        let r = self.net().select(cond, on_true, on_false);
        self.named(r)
    }

    /// `h · scale + shift` with constants of dims `dims` (in `h`'s type).
    pub(crate) fn scale_shift(
        &self,
        h: H,
        scale: Option<&Tensor>,
        shift: Option<&Tensor>,
        dims: &[i64],
    ) -> Result<H> {
        let dt = self.net().dtype(h);
        let mut out = h;
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

    /// `h / sqrt(mean(h², axis) + eps)`.
    pub(crate) fn rms_h(&self, h: H, axis: usize, eps: f64) -> Result<H> {
        let sq = self.ew(h, h, Ew::Prod)?;
        let ms = self.reduce_h(sq, ReduceOperation::Avg, &[axis], true)?;
        let ms = self.with_scalar(ms, Ew::Sum, eps)?;
        let rms = self.unary(ms, UnaryOperation::Sqrt)?;
        self.ew(h, rms, Ew::Div)
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes: reshapes, transposes, slices, concatenation, shape tensors
// ---------------------------------------------------------------------------------------------

impl Op<'_, '_> {
    /// `h` with leading dimensions of size 1 added up to `rank`.
    pub(crate) fn to_rank(&self, h: H, rank: usize) -> Result<H> {
        let dims = self.net().dims(h);
        if dims.len() >= rank {
            return Ok(h);
        }
        let extra = rank - dims.len();
        if !dims.contains(&-1) {
            let mut new = vec![1; extra];
            new.extend(&dims);
            return self.reshape_static(h, &new);
        }
        let axes: Vec<i64> = (0..extra as i64).collect();
        let r = self.net().unsqueeze(h, &axes);
        self.named(r)
    }

    /// A shuffle to `dims` (TensorRT reshape semantics: 0 copies the input dimension, -1 is
    /// inferred).
    pub(crate) fn reshape_static(&self, h: H, dims: &[i64]) -> Result<H> {
        let spec = ShuffleSpec {
            reshape: Some(dims.to_vec()),
            ..Default::default()
        };
        let r = self.net().shuffle(h, &spec);
        self.named(r)
    }

    /// A shuffle to the run-time shape held by the 1-D Int64 shape tensor `shape`.
    pub(crate) fn reshape_dynamic(&self, h: H, shape: H) -> Result<H> {
        let spec = ShuffleSpec {
            reshape_tensor: Some(shape),
            ..Default::default()
        };
        let r = self.net().shuffle(h, &spec);
        self.named(r)
    }

    /// `h` with its dimensions reordered.
    pub(crate) fn permute_h(&self, h: H, perm: &[usize]) -> Result<H> {
        let spec = ShuffleSpec {
            first_transpose: Some(perm.to_vec()),
            ..Default::default()
        };
        let r = self.net().shuffle(h, &spec);
        self.named(r)
    }

    /// `h` with a size-1 dimension inserted at `axis`.
    pub(crate) fn unsqueeze_h(&self, h: H, axis: usize) -> Result<H> {
        let dims = self.net().dims(h);
        if dims.contains(&-1) {
            let r = self.net().unsqueeze(h, &[axis as i64]);
            self.named(r)
        } else {
            let mut new = dims;
            new.insert(axis, 1);
            self.reshape_static(h, &new)
        }
    }

    /// `h` with the size-1 dimension `axis` removed.
    pub(crate) fn squeeze_h(&self, h: H, axis: usize) -> Result<H> {
        let dims = self.net().dims(h);
        if dims.contains(&-1) {
            let r = self.net().squeeze(h, &[axis as i64]);
            self.named(r)
        } else {
            let mut new = dims;
            new.remove(axis);
            self.reshape_static(h, &new)
        }
    }

    /// The slice `start..start+len` of `h` along `axis`.
    pub(crate) fn narrow_h(
        &self,
        h: H,
        static_dims: &[usize],
        axis: usize,
        start: i64,
        len: usize,
        mode: Option<SampleMode>,
    ) -> Result<H> {
        let rank = static_dims.len();
        let mut starts = vec![0i64; rank];
        starts[axis] = start;
        let mut size: Vec<i64> = static_dims.iter().map(|&d| d as i64).collect();
        size[axis] = len as i64;
        let size_tensor = self.shape_with(h, &[(axis, len as i64)])?;
        let spec = SliceSpec {
            start: starts,
            size,
            stride: vec![1; rank],
            size_tensor,
            mode,
        };
        let r = self.net().slice(h, &spec);
        self.named(r)
    }

    /// The entries of `data` along `axis` at the integer `indices`.
    pub(crate) fn gather_h(&self, data: H, indices: H, axis: usize) -> Result<H> {
        let r = self.net().gather(data, indices, axis as i32);
        self.named(r)
    }

    /// Concatenation along `axis` (no layer for a single input).
    pub(crate) fn concat_h(&self, hs: &[H], axis: usize) -> Result<H> {
        if let [h] = hs {
            return Ok(*h);
        }
        let r = self.net().concat(hs, axis as i32);
        self.named(r)
    }

    /// The shape of `h` with some dimensions replaced: `None` when `h` is fully static (the
    /// caller uses static sizes), else a 1-D Int64 shape tensor computed at run time as
    /// `shape(h) · mask + values`.
    pub(crate) fn shape_with(&self, h: H, replace: &[(usize, i64)]) -> Result<Option<H>> {
        let dims = self.net().dims(h);
        if !dims.contains(&-1) {
            return Ok(None);
        }
        let mut mask = vec![1i64; dims.len()];
        let mut add = vec![0i64; dims.len()];
        for &(axis, v) in replace {
            mask[axis] = 0;
            add[axis] = v;
        }
        let r = self.net().shape(h);
        let shape = self.named(r)?;
        let mask = self.const_i64(&mask)?;
        let add = self.const_i64(&add)?;
        let masked = self.ew(shape, mask, Ew::Prod)?;
        Ok(Some(self.ew(masked, add, Ew::Sum)?))
    }
}

// ---------------------------------------------------------------------------------------------
// Convolutions, pooling, reductions, matrix products
// ---------------------------------------------------------------------------------------------

impl Op<'_, '_> {
    /// A convolution of `x` with candle weights `weight` (`[out, in/groups, k...]`) and `bias`,
    /// in `x`'s TensorRT type.
    pub(crate) fn convolution_h(
        &self,
        x: H,
        weight: &Tensor,
        bias: Option<&Tensor>,
        spec: &ConvSpec,
        transposed: bool,
    ) -> Result<H> {
        let dt = self.net().dtype(x);
        let kernel = self.named(tensor_weights(weight, dt))?;
        let bias = match bias {
            Some(b) => Some(self.named(tensor_weights(b, dt))?),
            None => None,
        };
        let r = if transposed {
            self.net().deconvolution(x, spec, kernel, bias)
        } else {
            self.net().convolution(x, spec, kernel, bias)
        };
        self.named(r)
    }

    /// A pooling layer.
    pub(crate) fn pool_h(&self, x: H, spec: &PoolSpec) -> Result<H> {
        let r = self.net().pooling(x, spec);
        self.named(r)
    }

    /// A resize layer.
    pub(crate) fn resize_h(&self, x: H, spec: &ResizeSpec) -> Result<H> {
        let r = self.net().resize(x, spec);
        self.named(r)
    }

    /// TensorRT's normalization layer over the `axes` bit mask (`groups` > 0: group norm).
    pub(crate) fn normalization_h(
        &self,
        x: H,
        scale: H,
        bias: H,
        axes: u32,
        eps: f64,
        groups: i64,
    ) -> Result<H> {
        let r = self
            .net()
            .normalization(x, scale, bias, axes, eps as f32, groups);
        self.named(r)
    }

    /// A reduction over `axes`.
    pub(crate) fn reduce_h(
        &self,
        h: H,
        kind: ReduceOperation,
        axes: &[usize],
        keep: bool,
    ) -> Result<H> {
        let mask = axes.iter().fold(0u32, |m, &a| m | (1u32 << a));
        let r = self.net().reduce(h, kind, mask, keep);
        self.named(r)
    }

    /// A softmax over `axis`.
    pub(crate) fn softmax_h(&self, h: H, axis: usize) -> Result<H> {
        let r = self.net().softmax(h, 1u32 << axis);
        self.named(r)
    }

    /// A matrix product.
    pub(crate) fn matmul_h(
        &self,
        a: H,
        op_a: MatrixOperation,
        b: H,
        op_b: MatrixOperation,
    ) -> Result<H> {
        let r = self.net().matmul(a, op_a, b, op_b);
        self.named(r)
    }
}
