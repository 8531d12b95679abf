//! Reductions: `IReduceLayer`, `ISoftMaxLayer`, `ITopKLayer`, `ICumulativeLayer`. Reals accumulate in f64
//! and round once at the output (the accumulation order inside a TensorRT kernel is not documented).

use candle_core::DType;
use trt::{
    Cumulative, CumulativeOperation, DataType, Reduce, ReduceOperation as R, Softmax, TopK,
    TopKOperation,
};

use super::{axes_last, axis, mask_axes, tensor, Ctx};
use crate::error::{invalid, LayerResult};
use crate::value::{is_float, Value};

/// `IReduceLayer` over the axes of the mask, keeping them as length 1 with `keepDimensions`
/// (NvInfer.h: `ReduceOperation`: "Sum / Product / Maximum / Minimum / Average of the elements"). Max and
/// min propagate NaN; an integer average truncates toward zero (see docs/verification.md).
pub(crate) fn reduce(d: &Reduce<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let axes = mask_axes(d.axes, dims.len())?;
    let out_dims: Vec<usize> = (0..dims.len())
        .filter_map(|a| match (axes.contains(&a), d.keep_dims) {
            (true, true) => Some(1),
            (true, false) => None,
            (false, _) => Some(dims[a]),
        })
        .collect();
    if x.dtype() == DataType::Bool {
        return invalid!("reduction of a Bool tensor (\"a reduction across a non-bool tensor\")");
    }
    if is_float(x.dtype()) {
        let (t, _, len) = axes_last(&x.to_f32()?, &axes)?;
        let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
        let rows: Vec<f32> = rows(&v, len)
            .map(|r| {
                (match d.op {
                    R::Sum => r.iter().sum(),
                    R::Prod => r.iter().product(),
                    R::Avg => r.iter().sum::<f64>() / len as f64,
                    R::Max => r.iter().copied().fold(f64::NEG_INFINITY, nan_max),
                    R::Min => r.iter().copied().fold(f64::INFINITY, nan_min),
                    R::None => f64::NAN,
                }) as f32
            })
            .collect();
        if d.op == R::None {
            return invalid!("kNONE is not a reduction");
        }
        Value::round_from_f32(tensor(rows, &out_dims)?, x.dtype())
    } else {
        let (t, _, len) = axes_last(&x.to_i64()?, &axes)?;
        let v = t.flatten_all()?.to_vec1::<i64>()?;
        let mut out = Vec::new();
        for r in rows(&v, len) {
            out.push(match d.op {
                R::Sum => r.iter().fold(0i64, |a, &b| a.wrapping_add(b)),
                R::Prod => r.iter().fold(1i64, |a, &b| a.wrapping_mul(b)),
                R::Avg if len == 0 => return invalid!("average over no elements"),
                R::Avg => r.iter().fold(0i64, |a, &b| a.wrapping_add(b)) / len as i64,
                R::Max => r.iter().copied().max().unwrap_or(i64::MIN),
                R::Min => r.iter().copied().min().unwrap_or(i64::MAX),
                R::None => return invalid!("kNONE is not a reduction"),
            });
        }
        Value::from_i64(tensor(out, &out_dims)?).cast(x.dtype())
    }
}

/// Rows of `len` elements (one empty row per output when `len` is 0).
fn rows<T>(v: &[T], len: usize) -> Box<dyn Iterator<Item = &[T]> + '_> {
    if len == 0 {
        Box::new(std::iter::empty())
    } else {
        Box::new(v.chunks_exact(len))
    }
}

fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// The single axis of a one-bit mask (`ISoftMaxLayer::setAxes`: "Currently, only one axis can be set").
fn single_axis(mask: u32, rank: usize) -> LayerResult<usize> {
    match mask_axes(mask, rank)?.as_slice() {
        [a] => Ok(*a),
        other => invalid!(
            "axes mask {mask:#b} names {} axes (one expected)",
            other.len()
        ),
    }
}

/// `ISoftMaxLayer`: `exp(x - max) / sum(exp(x - max))` along the axis of the mask.
pub(crate) fn softmax(d: &Softmax<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return invalid!("softmax of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let a = single_axis(d.axes, dims.len())?;
    let (t, kept, len) = axes_last(&x.to_f32()?, &[a])?;
    let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    let mut out = Vec::with_capacity(v.len());
    for r in rows(&v, len) {
        let m = r.iter().copied().fold(f64::NEG_INFINITY, nan_max);
        let e: Vec<f64> = r.iter().map(|&x| (x - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|&x| (x / s) as f32));
    }
    let mut moved = kept;
    moved.push(len);
    let y = unmove(tensor(out, &moved)?, a, dims.len())?;
    Value::round_from_f32(y, x.dtype())
}

/// Moves the last axis of `t` back to position `a` (undoing `axes_last` for one axis).
fn unmove(t: candle_core::Tensor, a: usize, rank: usize) -> LayerResult<candle_core::Tensor> {
    if a == rank - 1 {
        return Ok(t);
    }
    let mut perm: Vec<usize> = (0..rank - 1).collect();
    perm.insert(a, rank - 1);
    Ok(t.permute(perm)?.contiguous()?)
}

/// `ITopKLayer`: the `k` largest (kMAX) or smallest (kMIN) elements along the axis of the mask, in that order,
/// with their indices (output 1, of the indices type). Ties keep the lower index first (not documented).
pub(crate) fn top_k(d: &TopK<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Vec<Value>> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let a = single_axis(d.axes, dims.len())?;
    // "For dynamic k, use the setInput() method to pass in k as a tensor with index 1, which overrides the static k
    // value in calculations."
    let k = match ctx.opt(d.k_tensor)? {
        Some(t) => match t.i64s()?.as_slice() {
            [k] if *k >= 0 => *k as usize,
            other => return invalid!("k tensor {other:?} (a scalar >= 0 expected)"),
        },
        None if d.k < 0 => return invalid!("static k = {}", d.k),
        None => d.k as usize,
    };
    if k > dims[a] {
        return invalid!("k = {k} exceeds the axis length {}", dims[a]);
    }
    let (t, kept, len) = axes_last(&x.to_f32()?.to_dtype(DType::F64)?, &[a])?;
    let v = t.flatten_all()?.to_vec1::<f64>()?;
    let (mut vals, mut idx) = (Vec::new(), Vec::new());
    for r in rows(&v, len) {
        let mut order: Vec<usize> = (0..len).collect();
        order.sort_by(|&i, &j| {
            let o = r[i].partial_cmp(&r[j]).unwrap_or(std::cmp::Ordering::Equal);
            let o = if d.op == TopKOperation::Max {
                o.reverse()
            } else {
                o
            };
            o.then(i.cmp(&j))
        });
        for &i in &order[..k] {
            vals.push(r[i] as f32);
            idx.push(i as i64);
        }
    }
    let mut moved = kept;
    moved.push(k);
    let values = unmove(tensor(vals, &moved)?, a, dims.len())?;
    let indices = unmove(tensor(idx, &moved)?, a, dims.len())?;
    let values = if is_float(x.dtype()) {
        Value::round_from_f32(values, x.dtype())?
    } else {
        Value::stored(values.to_dtype(DType::I64)?, DataType::Int64).cast(x.dtype())?
    };
    Ok(vec![values, Value::from_i64(indices).cast(d.indices_type)?])
}

/// `ICumulativeLayer`, kSUM (initial value "+0.0" / "0") along the axis of the 0-D axis tensor; `exclusive`
/// leaves the current element out, `reverse` runs from the end.
pub(crate) fn cumulative(d: &Cumulative<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let a = axis(
        ctx.get(d.axis)?.i64s()?.first().copied().unwrap_or(0),
        dims.len(),
    )?;
    let CumulativeOperation::Sum = d.op;
    let real = is_float(x.dtype());
    let src = if real {
        x.to_f32()?.to_dtype(DType::F64)?
    } else {
        x.to_i64()?.to_dtype(DType::F64)?
    };
    let (t, kept, len) = axes_last(&src, &[a])?;
    let v = t.flatten_all()?.to_vec1::<f64>()?;
    let mut out = vec![0f64; v.len()];
    for (r, o) in rows(&v, len).zip(out.chunks_exact_mut(len.max(1))) {
        let mut acc = 0f64;
        let order: Box<dyn Iterator<Item = usize>> = if d.reverse {
            Box::new((0..len).rev())
        } else {
            Box::new(0..len)
        };
        for i in order {
            if d.exclusive {
                o[i] = acc;
                acc += r[i];
            } else {
                acc += r[i];
                o[i] = acc;
            }
        }
    }
    let mut moved = kept;
    moved.push(len);
    let y = unmove(tensor(out, &moved)?, a, dims.len())?;
    if real {
        Value::round_from_f32(y.to_dtype(DType::F32)?, x.dtype())
    } else {
        Value::from_i64(y.to_dtype(DType::I64)?).cast(x.dtype())
    }
}
