//! Shape ops (reshape, flatten, squeeze, transpose, narrow, chunk/split, strided slices,
//! expand, cat, pad, ...) and casts.
//!
//! Reshapes stay valid under a dynamic profile: a dynamic input dimension that the target
//! repeats at the same position is copied (TensorRT's `0` placeholder), a dynamic dimension
//! that moves goes into the target's hole (`-1`), and slices of dynamic tensors get their
//! sizes from shape tensors.

use std::borrow::Borrow;

use candle_core::shape::{Dim, Dims, ShapeWithOneHole};
use candle_core::{DType, Tensor};
use trt::{DataType, SampleMode};

use crate::error::OpFailure;
use crate::tensor::torch_ref;
use crate::trace::op::Op;
use crate::trace::TracedTensor;
use crate::{Error, Pad2d, PadMode, Result, TraceTensor};

/// TensorRT reshape dimensions for reshaping `x` to `target`.
///
/// A dynamic input dimension that stays in place is copied (`0`). One that moves or merges
/// goes to the single `-1`: the target dimension whose value is the sample size of a dynamic
/// model input (`x.reshape((b, (), 4))` with `b = x.dim(0)?`), else the hole. Anything else
/// would fix the dynamic size to the sample's and is refused.
fn reshape_dims<'n>(
    op: &Op<'_, 'n>,
    x: &TracedTensor<'n>,
    target: &[usize],
    hole: Option<usize>,
) -> Result<Vec<i64>> {
    let in_trt = op.dims(x.trt);
    let in_val = x.value.dims();
    let mut out: Vec<i64> = target.iter().map(|&d| d as i64).collect();
    if !in_trt.contains(&-1) {
        return Ok(out);
    }
    let mut all_copied = true;
    for (i, &d) in in_trt.iter().enumerate() {
        if d == -1 {
            if i < out.len() && target[i] == in_val[i] {
                out[i] = 0;
            } else {
                all_copied = false;
            }
        }
    }
    if all_copied {
        return Ok(out);
    }
    let dynamic_sizes = op.tracer.dynamic_sizes.borrow();
    // Size 1 says nothing (unit dimensions are everywhere): only larger sizes identify the
    // dynamic dimension, which is why a sample batch of 2 or more that no other dimension has
    // gives the most reliable traces.
    let candidates: Vec<usize> = (0..out.len())
        .filter(|&j| out[j] != 0 && target[j] > 1 && dynamic_sizes.contains(&target[j]))
        .collect();
    match (candidates.as_slice(), hole) {
        ([j], _) => out[*j] = -1,
        ([], Some(p)) if out[p] != 0 => out[p] = -1,
        ([], _) => {
            return Err(op.unsupported(format!(
                "reshape to {target:?} would fix a dynamic dimension (TensorRT dims {in_trt:?}) \
                 to the sample's size; keep dynamic dimensions in place or leave a hole `()` \
                 where they go"
            )))
        }
        (_, _) => {
            return Err(op.unsupported(format!(
                "reshape to {target:?}: several target dimensions equal the sample's dynamic \
                 size ({:?}), so which one is dynamic is ambiguous; trace with a sample batch \
                 size no other dimension has",
                *dynamic_sizes
            )))
        }
    }
    Ok(out)
}

pub(crate) fn reshape<'n, S: ShapeWithOneHole + Clone>(
    x: &TracedTensor<'n>,
    shape: S,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("reshape", &[])?;
    let el = x.value.elem_count();
    let target = op.named(shape.clone().into_shape(el))?;
    // A hole is the one dimension that grows when the element count doubles.
    let hole = if el > 0 {
        shape.into_shape(el * 2).ok().and_then(|doubled| {
            doubled
                .dims()
                .iter()
                .zip(target.dims())
                .position(|(a, b)| a != b)
        })
    } else {
        None
    };
    let value = op.named(TraceTensor::reshape(&x.value, target.clone()))?;
    let dims = reshape_dims(&op, x, target.dims(), hole)?;
    let h = op.reshape_static(x.trt, &dims)?;
    op.finish(value, h)
}

pub(crate) fn flatten_from<'n, D: Dim>(x: &TracedTensor<'n>, start: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("flatten_from", &[])?;
    let value = op.named(TraceTensor::flatten_from(&x.value, start))?;
    let in_trt = op.dims(x.trt);
    let d = value.rank() - 1;
    let mut dims: Vec<i64> = vec![0; d];
    let tail = &in_trt[d.min(in_trt.len())..];
    dims.push(if tail.contains(&-1) {
        -1
    } else {
        tail.iter().product()
    });
    let h = op.reshape_static(x.trt, &dims)?;
    op.finish(value, h)
}

pub(crate) fn flatten_all<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    let op = x.begin("flatten_all", &[])?;
    let value = op.named(TraceTensor::flatten_all(&x.value))?;
    let in_trt = op.dims(x.trt);
    let dims = if in_trt.contains(&-1) {
        vec![-1]
    } else {
        vec![in_trt.iter().product()]
    };
    let h = op.reshape_static(x.trt, &dims)?;
    op.finish(value, h)
}

pub(crate) fn squeeze<'n, D: Dim>(x: &TracedTensor<'n>, dim: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("squeeze", &[])?;
    let axis = op.named(dim.to_index(x.value.shape(), "squeeze"))?;
    let value = op.named(TraceTensor::squeeze(&x.value, axis))?;
    // candle (like PyTorch) leaves dimensions other than 1 alone.
    let h = if value.rank() == x.value.rank() {
        x.trt
    } else {
        op.squeeze(x.trt, axis)?
    };
    op.finish(value, h)
}

pub(crate) fn unsqueeze<'n, D: Dim>(x: &TracedTensor<'n>, dim: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("unsqueeze", &[])?;
    let axis = op.named(dim.to_index_plus_one(x.value.shape(), "unsqueeze"))?;
    let value = op.named(TraceTensor::unsqueeze(&x.value, axis))?;
    let h = op.unsqueeze(x.trt, axis)?;
    op.finish(value, h)
}

pub(crate) fn transpose<'n, D1: Dim, D2: Dim>(
    x: &TracedTensor<'n>,
    d1: D1,
    d2: D2,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("transpose", &[])?;
    let a = op.named(d1.to_index(x.value.shape(), "transpose"))?;
    let b = op.named(d2.to_index(x.value.shape(), "transpose"))?;
    let value = op.named(TraceTensor::transpose(&x.value, a, b))?;
    let mut perm: Vec<usize> = (0..x.value.rank()).collect();
    perm.swap(a, b);
    let h = if a == b {
        x.trt
    } else {
        op.permute(x.trt, &perm)?
    };
    op.finish(value, h)
}

pub(crate) fn permute<'n, D: Dims>(x: &TracedTensor<'n>, dims: D) -> Result<TracedTensor<'n>> {
    let op = x.begin("permute", &[])?;
    let perm = op.named(dims.to_indexes(x.value.shape(), "permute"))?;
    let value = op.named(TraceTensor::permute(&x.value, perm.clone()))?;
    let h = op.permute(x.trt, &perm)?;
    op.finish(value, h)
}

fn narrow_named<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    axis: usize,
    start: usize,
    len: usize,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.named(TraceTensor::narrow(&x.value, axis, start, len))?;
    let h = if len == x.value.dims()[axis] {
        x.trt
    } else {
        op.narrow(x.trt, x.value.dims(), axis, start as i64, len, None)?
    };
    op.finish(value, h)
}

pub(crate) fn narrow<'n, D: Dim>(
    x: &TracedTensor<'n>,
    dim: D,
    start: usize,
    len: usize,
) -> Result<TracedTensor<'n>> {
    let axis = dim
        .to_index(x.value.shape(), "narrow")
        .map_err(|e| Error::at_op(x.op_context("narrow"), e))?;
    narrow_named(x, "narrow", axis, start, len)
}

pub(crate) fn narrow_like<'n, D: Dim, L: Dim>(
    x: &TracedTensor<'n>,
    dim: D,
    start: usize,
    like: &TracedTensor<'n>,
    like_dim: L,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("narrow_like", &[like])?;
    let axis = op.named(dim.to_index(x.value.shape(), "narrow_like"))?;
    let like_axis = op.named(like_dim.to_index(like.value.shape(), "narrow_like"))?;
    let len = like.value.dims()[like_axis];
    let value = op.named(TraceTensor::narrow(&x.value, axis, start, len))?;
    if op.dims(like.trt)[like_axis] != -1 {
        let h = if len == x.value.dims()[axis] {
            x.trt
        } else {
            op.narrow(x.trt, x.value.dims(), axis, start as i64, len, None)?
        };
        return op.finish(value, h);
    }
    // The size at run time: x's dimensions with `axis` replaced by shape(like)[like_axis], one
    // 1-element piece per dimension (constants where x is static, so TensorRT keeps them static).
    let rank = x.value.rank();
    let x_dims = op.dims(x.trt);
    let dim_of = |t: trt::Tensor<'n>, i: usize| -> Result<trt::Tensor<'n>> {
        let shape = op.add(trt::Shape::new(t))?;
        let index = op.const_i64(&[i as i64])?;
        op.add(trt::Gather::new(shape, index, 0))
    };
    let mut pieces = Vec::with_capacity(rank);
    for (i, &d) in x_dims.iter().enumerate() {
        pieces.push(if i == axis {
            dim_of(like.trt, like_axis)?
        } else if d == -1 {
            dim_of(x.trt, i)?
        } else {
            op.const_i64(&[d])?
        });
    }
    let size_tensor = op.concat(&pieces, 0)?;
    let mut starts = vec![0i64; rank];
    starts[axis] = start as i64;
    let mut size: Vec<i64> = x.value.dims().iter().map(|&d| d as i64).collect();
    size[axis] = len as i64;
    let mut slice = trt::Slice::new(x.trt, starts, size, vec![1; rank]);
    slice.size_tensor = Some(size_tensor);
    let h = op.add(slice)?;
    op.finish(value, h)
}

/// The pieces of `x` along `dim` (`pieces_of` gives `(start, len)` from the dimension's size),
/// each one slice named `name`. Refused along a dynamic dimension: the pieces would be fixed to
/// the sample's.
fn split_pieces<'n, D: Dim>(
    x: &TracedTensor<'n>,
    name: &'static str,
    dim: D,
    pieces_of: impl FnOnce(usize) -> candle_core::Result<Vec<(usize, usize)>>,
) -> Result<Vec<TracedTensor<'n>>> {
    let axis = dim
        .to_index(x.value.shape(), name)
        .map_err(|e| Error::at_op(x.op_context(name), e))?;
    if x.tensorrt_dims().get(axis) == Some(&-1) {
        return Err(Error::at_op(
            x.op_context(name),
            OpFailure::Arguments(format!(
                "pieces along dimension {axis}, which is dynamic: their sizes would be fixed to \
                 the sample's; narrow with explicit sizes, or split a static dimension"
            )),
        ));
    }
    let pieces =
        pieces_of(x.value.dims()[axis]).map_err(|e| Error::at_op(x.op_context(name), e))?;
    pieces
        .into_iter()
        .map(|(start, len)| narrow_named(x, name, axis, start, len))
        .collect()
}

/// `torch.chunk`'s pieces (not candle's: see [`torch_ref::chunk_pieces`]).
pub(crate) fn chunk<'n, D: Dim>(
    x: &TracedTensor<'n>,
    chunks: usize,
    dim: D,
) -> Result<Vec<TracedTensor<'n>>> {
    split_pieces(x, "chunk", dim, |n| torch_ref::chunk_pieces(n, chunks))
}

pub(crate) fn split<'n, D: Dim>(
    x: &TracedTensor<'n>,
    split_size: usize,
    dim: D,
) -> Result<Vec<TracedTensor<'n>>> {
    split_pieces(x, "split", dim, |n| torch_ref::split_pieces(n, split_size))
}

pub(crate) fn split_with_sizes<'n, D: Dim>(
    x: &TracedTensor<'n>,
    sizes: &[usize],
    dim: D,
) -> Result<Vec<TracedTensor<'n>>> {
    split_pieces(x, "split_with_sizes", dim, |n| {
        torch_ref::split_sizes_pieces(n, sizes)
    })
}

/// `x[start:end:step]` along `dim`: one slice layer with stride `step` (NvInfer.h, ISliceLayer:
/// "output[i] = input[start + i * stride]"). Other dimensions keep their run-time sizes.
pub(crate) fn slice<'n, D: Dim>(
    x: &TracedTensor<'n>,
    dim: D,
    start: usize,
    end: usize,
    step: usize,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("slice", &[])?;
    let axis = op.named(dim.to_index(x.value.shape(), "slice"))?;
    let value = op.named(TraceTensor::slice(&x.value, axis, start, end, step))?;
    if op.dims(x.trt)[axis] == -1 {
        return Err(op.unsupported(format!(
            "a strided slice along dimension {axis}, which is dynamic: its length would be \
             fixed to the sample's"
        )));
    }
    let (first, count) = op.named(torch_ref::slice_count(
        x.value.dims()[axis],
        start,
        end,
        step,
    ))?;
    let rank = x.value.rank();
    let mut starts = vec![0i64; rank];
    starts[axis] = first as i64;
    let mut size: Vec<i64> = x.value.dims().iter().map(|&d| d as i64).collect();
    size[axis] = count as i64;
    let mut stride = vec![1i64; rank];
    stride[axis] = step as i64;
    let mut layer = trt::Slice::new(x.trt, starts, size, stride);
    layer.size_tensor = op.shape_with(x.trt, &[(axis, count as i64)])?;
    let h = op.add(layer)?;
    op.finish(value, h)
}

/// `x.expand(*sizes)`: new leading dimensions of size 1 (a reshape), then one slice layer
/// reading every expanded dimension with stride 0 (ISliceLayer: "output[i] = input[start + i *
/// stride]", so stride 0 repeats element 0). Kept dimensions keep their run-time sizes.
pub(crate) fn expand<'n>(x: &TracedTensor<'n>, sizes: &[i64]) -> Result<TracedTensor<'n>> {
    let op = x.begin("expand", &[])?;
    let value = op.named(TraceTensor::expand(&x.value, sizes))?;
    let target = value.dims().to_vec();
    let rank = target.len();
    let h = op.to_rank(x.trt, rank)?;
    let in_dims: Vec<usize> = std::iter::repeat_n(1, rank - x.value.rank())
        .chain(x.value.dims().iter().copied())
        .collect();
    let grown: Vec<(usize, i64)> = (0..rank)
        .filter(|&i| in_dims[i] != target[i])
        .map(|i| (i, target[i] as i64))
        .collect();
    if grown.is_empty() {
        return op.finish(value, h);
    }
    let size: Vec<i64> = target.iter().map(|&d| d as i64).collect();
    let stride: Vec<i64> = (0..rank)
        .map(|i| i64::from(in_dims[i] == target[i]))
        .collect();
    let mut layer = trt::Slice::new(h, vec![0; rank], size, stride);
    layer.size_tensor = op.shape_with(h, &grown)?;
    let h = op.add(layer)?;
    op.finish(value, h)
}

fn same_trace<'a, 'n, A: Borrow<TracedTensor<'n>>>(
    tensors: &'a [A],
    op: &str,
) -> Result<(&'a TracedTensor<'n>, Vec<&'a TracedTensor<'n>>)>
where
    'n: 'a,
{
    let all: Vec<&TracedTensor<'n>> = tensors.iter().map(|t| t.borrow()).collect();
    match all.split_first() {
        Some((first, rest)) => Ok((first, rest.to_vec())),
        None => Err(Error::Candle(candle_core::Error::Msg(format!(
            "{op} needs at least one tensor"
        )))),
    }
}

pub(crate) fn cat<'n, A: Borrow<TracedTensor<'n>>, D: Dim>(
    tensors: &[A],
    dim: D,
) -> Result<TracedTensor<'n>> {
    let (first, rest) = same_trace(tensors, "cat")?;
    let op = first.begin("cat", &rest)?;
    let axis = op.named(dim.to_index(first.value.shape(), "cat"))?;
    let values: Vec<&Tensor> = std::iter::once(first)
        .chain(rest.iter().copied())
        .map(|t| &t.value)
        .collect();
    let value = op.named(Tensor::cat(&values, axis))?;
    let ts: Vec<trt::Tensor<'n>> = std::iter::once(first)
        .chain(rest.iter().copied())
        .map(|t| t.trt)
        .collect();
    let h = op.concat(&ts, axis)?;
    op.finish(value, h)
}

pub(crate) fn stack<'n, A: Borrow<TracedTensor<'n>>, D: Dim>(
    tensors: &[A],
    dim: D,
) -> Result<TracedTensor<'n>> {
    let (first, rest) = same_trace(tensors, "stack")?;
    let op = first.begin("stack", &rest)?;
    let axis = op.named(dim.to_index_plus_one(first.value.shape(), "stack"))?;
    let values: Vec<&Tensor> = std::iter::once(first)
        .chain(rest.iter().copied())
        .map(|t| &t.value)
        .collect();
    let value = op.named(Tensor::stack(&values, axis))?;
    let mut hs = Vec::with_capacity(values.len());
    for t in std::iter::once(first).chain(rest.iter().copied()) {
        hs.push(op.unsqueeze(t.trt, axis)?);
    }
    let h = op.concat(&hs, axis)?;
    op.finish(value, h)
}

pub(crate) fn to_dtype<'n>(x: &TracedTensor<'n>, dtype: DType) -> Result<TracedTensor<'n>> {
    let op = x.begin("to_dtype", &[])?;
    let value = op.named(TraceTensor::to_dtype(&x.value, dtype))?;
    let to = op.trt_dtype(dtype)?;
    let from = op.dtype(x.trt);
    // Bool → UInt8 is no TensorRT cast; a comparison result stays Bool (it maps to candle's u8).
    let h = if from == DataType::Bool && to == DataType::UInt8 {
        x.trt
    } else {
        op.cast(x.trt, to)?
    };
    op.finish(value, h)
}

pub(crate) fn contiguous<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    let op = x.begin("contiguous", &[])?;
    let value = op.named(x.value.contiguous())?;
    op.finish(value, x.trt)
}

pub(crate) fn pad_with_zeros<'n, D: Dim>(
    x: &TracedTensor<'n>,
    dim: D,
    left: usize,
    right: usize,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("pad_with_zeros", &[])?;
    let axis = op.named(dim.to_index(x.value.shape(), "pad_with_zeros"))?;
    let value = op.named(TraceTensor::pad_with_zeros(&x.value, axis, left, right))?;
    let h = if left + right == 0 {
        x.trt
    } else {
        op.pad(x.trt, x.value.dims(), axis, left, right)?
    };
    op.finish(value, h)
}

/// `F.pad(x, (left, right, top, bottom), mode)` as one slice layer: it starts `top`/`left`
/// before the input and reads out of bounds as `mode` says (TensorRT's `kFILL`, `kREFLECT`,
/// `kCLAMP`). Under a dynamic profile its size comes from a shape tensor.
pub(crate) fn pad2d<'n>(
    x: &TracedTensor<'n>,
    pad: Pad2d,
    mode: PadMode,
) -> Result<TracedTensor<'n>> {
    let op = x.begin("pad2d", &[])?;
    let value = op.named(TraceTensor::pad2d(&x.value, pad, mode))?;
    if pad.is_zero() {
        let h = op.add(trt::Identity::new(x.trt))?;
        return op.finish(value, h);
    }
    let rank = x.value.rank();
    let (h_axis, w_axis) = (rank - 2, rank - 1);
    let mut start = vec![0i64; rank];
    start[h_axis] = -(pad.top as i64);
    start[w_axis] = -(pad.left as i64);
    let size: Vec<i64> = value.dims().iter().map(|&d| d as i64).collect();
    let mut slice = trt::Slice::new(x.trt, start, size.clone(), vec![1; rank]);
    slice.size_tensor = op.shape_with(x.trt, &[(h_axis, size[h_axis]), (w_axis, size[w_axis])])?;
    slice.mode = match mode {
        PadMode::Constant(_) => SampleMode::Fill,
        PadMode::Reflect => SampleMode::Reflect,
        PadMode::Replicate => SampleMode::Clamp,
    };
    if let PadMode::Constant(v) = mode {
        if v != 0.0 {
            // The fill value is a scalar (0-D) of the input's type.
            slice.fill_value = Some(op.scalar(v, op.dtype(x.trt), 0)?);
        }
    }
    let h = op.add(slice)?;
    op.finish(value, h)
}
