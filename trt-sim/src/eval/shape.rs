//! Layers that move, select or create data: `IShuffleLayer`, `ISliceLayer`, `IConcatenationLayer`,
//! `IShapeLayer`, `ISqueezeLayer`, `IUnsqueezeLayer`, `IFillLayer`.

use candle_core::Tensor;
use trt::{
    Concatenation, DataType, Fill, FillOperation, SampleMode, Shape, Shuffle, Slice, Squeeze,
    Unsqueeze,
};

use super::{axis, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, Value};

/// A permutation in TensorRT's sense: output dim `i` is input dim `perm[i]` (NvInfer.h: `Permutation`, "to
/// permute from CHW order to HWC order, the required permutation is [1, 2, 0]" — the example, not the formula
/// beside it; see docs/verification.md).
fn permute(t: &Tensor, perm: &[i32]) -> LayerResult<Tensor> {
    let rank = t.dims().len();
    let p: Vec<usize> = perm.iter().take(rank).map(|&a| a as usize).collect();
    let mut seen = vec![false; rank];
    if p.len() != rank
        || p.iter()
            .any(|&a| a >= rank || std::mem::replace(&mut seen[a], true))
    {
        return invalid!("permutation {perm:?} of a rank-{rank} tensor");
    }
    if p.iter().enumerate().all(|(i, &a)| i == a) {
        return Ok(t.clone());
    }
    Ok(t.permute(p)?)
}

/// `IShuffleLayer`: "applying in sequence: a transpose operation, a reshape operation and a second transpose
/// operation". Reshape dims (`setReshapeDimensions`, or input 1): "Value 0 copies the corresponding dimension
/// from input" when `getZeroIsPlaceholder()` (the default), "Value -1 infers that particular dimension".
pub(crate) fn shuffle(d: &Shuffle<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let mut t = x.tensor().clone();
    if let Some(p) = &d.first_transpose {
        t = permute(&t, p)?;
    }
    let target: Option<Vec<i64>> = match (d.reshape_tensor, &d.reshape) {
        (Some(s), _) => Some(ctx.get(s)?.i64s()?),
        (None, Some(r)) => Some(r.to_vec()),
        (None, None) => None,
    };
    if let Some(target) = target {
        let from = t.dims().to_vec();
        let mut dims: Vec<i64> = target
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v == 0 && d.zero_is_placeholder {
                    // "If number of reshape dimensions is less than input, 0s are resolved by aligning the most
                    // significant dimensions of input."
                    from.get(i).map_or(-2, |&n| n as i64)
                } else {
                    v
                }
            })
            .collect();
        if dims.contains(&-2) {
            return invalid!(
                "reshape {target:?} copies a dim the rank-{} input lacks",
                from.len()
            );
        }
        let volume: usize = from.iter().product();
        let holes = dims.iter().filter(|&&v| v == -1).count();
        let known: i64 = dims.iter().filter(|&&v| v != -1).product();
        if holes > 1 || dims.iter().any(|&v| v < -1) {
            return invalid!("reshape dims {target:?}");
        }
        if holes == 1 {
            if known == 0 || volume as i64 % known != 0 {
                return invalid!("reshape {from:?} to {target:?}: -1 has no whole solution");
            }
            for v in &mut dims {
                if *v == -1 {
                    *v = volume as i64 / known;
                }
            }
        }
        let dims: Vec<usize> = dims.iter().map(|&v| v as usize).collect();
        if dims.iter().product::<usize>() != volume {
            return invalid!("reshape {from:?} to {dims:?} changes the volume");
        }
        t = t.contiguous()?.reshape(dims)?;
    }
    if let Some(p) = &d.second_transpose {
        t = permute(&t, p)?;
    }
    Ok(x.with_tensor(t))
}

/// `ISliceLayer`: per dim, `output[i] = input[start + i * stride]` for `i < size` (start, size and stride from
/// the static dims or from inputs 1–3). Out-of-bounds coordinates per `SampleMode`: kSTRICT_BOUNDS "Fail with
/// error", kWRAP "wrap around periodically", kCLAMP "clamped to bounds", kFILL "Use fill input value" (input
/// 4; without it, 0 — see docs/verification.md), kREFLECT "The axis of reflection is the middle of the
/// perimeter pixel".
pub(crate) fn slice(d: &Slice<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let rank = dims.len();
    let param = |t: Option<trt::Tensor<'_>>, fixed: &trt::Dims| -> LayerResult<Vec<i64>> {
        match t {
            Some(t) => ctx.get(t)?.i64s(),
            None => Ok(fixed.to_vec()),
        }
    };
    let mut start = param(d.start_tensor, &d.start)?;
    let mut size = param(d.size_tensor, &d.size)?;
    let mut stride = param(d.stride_tensor, &d.stride)?;
    // Input 5 or `setAxes`: "If axes are provided then starts, ends, and strides must have the same length as axes
    // and specifies a subset of dimensions to slice"; "Negative values for axes indicate indexing from the back of
    // the input tensor. Values must be unique". The other dims are copied whole.
    let axes = match (d.axes_tensor, &d.axes) {
        (Some(t), _) => Some(ctx.get(t)?.i64s()?),
        (None, Some(a)) => Some(a.to_vec()),
        (None, None) => None,
    };
    if let Some(axes) = axes {
        if start.len() != axes.len() || size.len() != axes.len() || stride.len() != axes.len() {
            return invalid!("start {start:?}, size {size:?}, stride {stride:?} for axes {axes:?}");
        }
        let mut full = (
            vec![0; rank],
            dims.iter().map(|&n| n as i64).collect::<Vec<_>>(),
            vec![1; rank],
        );
        let mut seen = vec![false; rank];
        for (k, &a) in axes.iter().enumerate() {
            let a = axis(a, rank)?;
            if std::mem::replace(&mut seen[a], true) {
                return invalid!("axis {a} repeated in slice axes {axes:?}");
            }
            full.0[a] = start[k];
            full.1[a] = size[k];
            full.2[a] = stride[k];
        }
        (start, size, stride) = full;
    }
    if start.len() != rank || size.len() != rank || stride.len() != rank {
        return invalid!(
            "start {start:?}, size {size:?}, stride {stride:?} for a rank-{rank} input"
        );
    }
    let mut t = x.tensor().clone();
    for a in 0..rank {
        let n = dims[a] as i64;
        if size[a] < 0 {
            return invalid!("size {size:?}");
        }
        let mut fill = false;
        let mut idx = Vec::with_capacity(size[a] as usize);
        for i in 0..size[a] {
            let c = start[a] + i * stride[a];
            let j = if (0..n).contains(&c) {
                c
            } else {
                match d.mode {
                    SampleMode::StrictBounds => {
                        return invalid!("coordinate {c} of axis {a} (length {n}) is out of bounds in kSTRICT_BOUNDS mode")
                    }
                    _ if n == 0 => return invalid!("sampling an empty axis {a}"),
                    SampleMode::Wrap => c.rem_euclid(n),
                    SampleMode::Clamp => c.clamp(0, n - 1),
                    SampleMode::Reflect => reflect(c, n),
                    SampleMode::Fill => {
                        fill = true;
                        n
                    }
                }
            };
            idx.push(j as u32);
        }
        let identity = idx.len() == dims[a] && idx.iter().enumerate().all(|(i, &j)| i as u32 == j);
        if identity {
            continue;
        }
        if fill {
            let value = fill_value(d, ctx, x)?;
            let mut pad_dims = t.dims().to_vec();
            pad_dims[a] = 1;
            let pad = value.broadcast_as(pad_dims)?.contiguous()?;
            t = Tensor::cat(&[&t, &pad], a)?;
        }
        let contiguous_run = stride[a] == 1 && !fill && idx.windows(2).all(|w| w[1] == w[0] + 1);
        t = if contiguous_run && !idx.is_empty() {
            t.narrow(a, idx[0] as usize, idx.len())?
        } else {
            t.contiguous()?
                .index_select(&tensor(idx, &[size[a] as usize])?, a)?
        };
    }
    Ok(x.with_tensor(t))
}

/// kREFLECT: reflection about the middle of the border element, repeated.
fn reflect(c: i64, n: i64) -> i64 {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n - 1);
    let m = c.rem_euclid(period);
    if m < n {
        m
    } else {
        period - m
    }
}

/// The kFILL value as a one-element tensor of `x`'s storage type.
fn fill_value(d: &Slice<'_>, ctx: &Ctx<'_, '_>, x: &Value) -> LayerResult<Tensor> {
    let v = match ctx.opt(d.fill_value)? {
        Some(f) => f.cast(x.dtype())?.tensor().flatten_all()?.narrow(0, 0, 1)?,
        None => Value::from_i64(tensor(vec![0i64], &[1])?)
            .cast(x.dtype())?
            .tensor()
            .clone(),
    };
    Ok(v.reshape(())?)
}

/// `IConcatenationLayer`: "The output dimension along the concatenation axis is the sum of the corresponding
/// input dimensions."
pub(crate) fn concatenation(d: &Concatenation<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let values: Vec<&Value> = d
        .inputs
        .iter()
        .map(|&t| ctx.get(t))
        .collect::<LayerResult<_>>()?;
    let Some(first) = values.first() else {
        return invalid!("no inputs");
    };
    if values.iter().any(|v| v.dtype() != first.dtype()) {
        return invalid!("inputs of different types");
    }
    let a = axis(d.axis as i64, first.dims().len())?;
    let ts: Vec<&Tensor> = values.iter().map(|v| v.tensor()).collect();
    Ok(first.with_tensor(Tensor::cat(&ts, a)?))
}

/// `IShapeLayer`: "a 1D tensor of type Int64 with the dimensions of the input tensor".
pub(crate) fn shape(d: &Shape<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let v: Vec<i64> = x.dims().iter().map(|&n| n as i64).collect();
    let n = v.len();
    Ok(Value::from_i64(tensor(v, &[n])?))
}

/// `ISqueezeLayer`: "removing unit dimensions of the first input tensor on a set of axes specified by the
/// second input tensor" (negative axes count from the back).
pub(crate) fn squeeze(d: &Squeeze<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let rank = x.dims().len();
    let mut axes = match d.axes {
        Some(a) => ctx
            .get(a)?
            .i64s()?
            .into_iter()
            .map(|a| axis(a, rank))
            .collect::<LayerResult<Vec<_>>>()?,
        // "When the axes input is a nullptr, all dimensions of the first input whose size is statically 1 in the
        // network definition are removed."
        None => {
            let declared = d.input.dims().map_err(|e| {
                crate::error::LayerError::Invalid(format!("the input's declared dims: {e}"))
            })?;
            (0..declared.rank()).filter(|&i| declared[i] == 1).collect()
        }
    };
    axes.sort_unstable();
    axes.dedup();
    let mut dims = Vec::with_capacity(rank);
    for (i, &n) in x.dims().iter().enumerate() {
        if axes.contains(&i) {
            if n != 1 {
                return invalid!("squeezing axis {i} of length {n}");
            }
        } else {
            dims.push(n);
        }
    }
    Ok(x.with_tensor(x.tensor().reshape(dims)?))
}

/// `IUnsqueezeLayer`: "inserting unit-length dimensions to the output at the axes specified by the second input
/// tensor" (axes index the output; negative ones count from its back).
pub(crate) fn unsqueeze(d: &Unsqueeze<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let raw = ctx.get(d.axes)?.i64s()?;
    let out_rank = x.dims().len() + raw.len();
    let mut axes = raw
        .into_iter()
        .map(|a| axis(a, out_rank))
        .collect::<LayerResult<Vec<_>>>()?;
    axes.sort_unstable();
    axes.dedup();
    if axes.len() + x.dims().len() != out_rank {
        return invalid!("repeated unsqueeze axes");
    }
    let mut src = x.dims().iter();
    let dims: Vec<usize> = (0..out_rank)
        .map(|i| {
            if axes.contains(&i) {
                1
            } else {
                src.next().copied().unwrap_or(1)
            }
        })
        .collect();
    Ok(x.with_tensor(x.tensor().reshape(dims)?))
}

/// `IFillLayer`, kLINSPACE: "Element [i,j] of the output is Alpha + Beta[0]*i + Beta[1]*j"; "A static beta b
/// is implicitly a 1D tensor, i.e. Beta = [b]". Shape, alpha and beta from inputs 0–2 where set. The random
/// fills cannot be reproduced and are not simulated.
pub(crate) fn fill(d: &Fill<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    if d.op != FillOperation::Linspace {
        return unsupported!("{:?} fills (random numbers)", d.op);
    }
    let dims: Vec<usize> = match ctx.opt(d.shape)? {
        Some(s) => s.i64s()?.into_iter().map(|v| v.max(0) as usize).collect(),
        None => d.dims.iter().map(|&v| v.max(0) as usize).collect(),
    };
    let real = is_float(d.output_type);
    let (alpha, beta): (f64, Vec<f64>) = match (ctx.opt(d.alpha_tensor)?, ctx.opt(d.beta_tensor)?) {
        (Some(a), Some(b)) => (
            a.to_f32()?
                .flatten_all()?
                .to_dtype(candle_core::DType::F64)?
                .to_vec1::<f64>()?
                .first()
                .copied()
                .unwrap_or(0.0),
            b.to_f32()?
                .flatten_all()?
                .to_dtype(candle_core::DType::F64)?
                .to_vec1::<f64>()?,
        ),
        _ => (d.alpha, vec![d.beta]),
    };
    if beta.len() != dims.len() {
        return invalid!("{} deltas for a rank-{} output", beta.len(), dims.len());
    }
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut index = vec![0usize; dims.len()];
    for _ in 0..n {
        out.push(
            alpha
                + index
                    .iter()
                    .zip(&beta)
                    .map(|(&i, &b)| i as f64 * b)
                    .sum::<f64>(),
        );
        for k in (0..dims.len()).rev() {
            index[k] += 1;
            if index[k] < dims[k] {
                break;
            }
            index[k] = 0;
        }
    }
    if real {
        let v: Vec<f32> = out.iter().map(|&v| v as f32).collect();
        Value::round_from_f32(tensor(v, &dims)?, d.output_type)
    } else {
        let v: Vec<i64> = out.iter().map(|&v| v as i64).collect();
        let dt = if d.output_type == DataType::Bool {
            DataType::Int64
        } else {
            d.output_type
        };
        Value::from_i64(tensor(v, &dims)?).cast(dt)
    }
}
