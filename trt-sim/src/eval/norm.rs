//! `INormalizationLayer` and `IScaleLayer`.

use candle_core::{DType, Tensor};
use trt::{Normalization, Scale, ScaleMode};

use super::{axes_last, axis, mask_axes, tensor, Ctx, Prepared};
use crate::error::{invalid, LayerResult};
use crate::value::{is_float, Value};

/// `INormalizationLayer`: "Y = (X - Mean(X, axes)) / Sqrt(Variance(X) + epsilon) * S + B", "Variance(X) =
/// Mean((X - Mean(X, axes)) ^ 2, axes)". With `nbGroups` ≠ 1, "The input tensor channels are divided into
/// nbGroups groups, and normalization is performed per group" (the channel dim is dim 1). S and B broadcast to
/// the input (`addNormalizationV2`); `[1, G, 1, ...]` ones of the older `addNormalization` apply per group.
/// Mean and variance in f64.
pub(crate) fn normalization(d: &Normalization<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (x, s, b) = (ctx.get(d.input)?, ctx.get(d.scale)?, ctx.get(d.bias)?);
    if !is_float(x.dtype()) {
        return invalid!("normalization of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let rank = dims.len();
    let g = usize::try_from(d.groups).unwrap_or(0);
    let eps = d.epsilon as f64;
    let xf = x.to_f32()?;
    let normalized = if g == 1 {
        let axes = mask_axes(d.axes, rank)?;
        let (t, kept, len) = axes_last(&xf, &axes)?;
        let out = normalize_rows(&t, len, eps)?;
        let mut moved = kept;
        moved.extend(axes.iter().map(|&a| dims[a]));
        let kept_axes: Vec<usize> = (0..rank).filter(|a| !axes.contains(a)).collect();
        let mut perm = kept_axes;
        perm.extend(&axes);
        let mut inverse = vec![0; rank];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i;
        }
        tensor(out, &moved)?.permute(inverse)?.contiguous()?
    } else {
        if rank < 2 || g == 0 || dims[1] % g != 0 {
            return invalid!("{} groups of {dims:?}", d.groups);
        }
        let rest: usize = dims[1..].iter().product::<usize>() / g;
        let t = xf.reshape((dims[0], g, rest))?;
        tensor(normalize_rows(&t, rest, eps)?, &[dims[0], g, rest])?
    };
    let (sf, bf) = (s.to_f32()?, b.to_f32()?);
    let fits = |t: &Tensor| {
        t.rank() == rank && t.dims().iter().zip(&dims).all(|(&a, &n)| a == 1 || a == n)
    };
    let y = if fits(&sf) && fits(&bf) {
        normalized
            .reshape(dims.as_slice())?
            .broadcast_mul(&sf)?
            .broadcast_add(&bf)?
    } else if g > 1 && sf.elem_count() == g && bf.elem_count() == g {
        let grouped = normalized.reshape((dims[0], g, ()))?;
        let (sg, bg) = (sf.reshape((1, g, 1))?, bf.reshape((1, g, 1))?);
        grouped
            .broadcast_mul(&sg)?
            .broadcast_add(&bg)?
            .reshape(dims.as_slice())?
    } else {
        return invalid!(
            "scale {:?} and bias {:?} for input {dims:?}",
            s.dims(),
            b.dims()
        );
    };
    Value::round_from_f32(y, x.dtype())
}

/// Each row of `len` elements of contiguous `t`, normalized (no scale, no bias).
fn normalize_rows(t: &Tensor, len: usize, eps: f64) -> LayerResult<Vec<f32>> {
    let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    let mut out = Vec::with_capacity(v.len());
    if len == 0 {
        return Ok(out);
    }
    for r in v.chunks_exact(len) {
        let mean = r.iter().sum::<f64>() / len as f64;
        let var = r.iter().map(|&x| (x - mean) * (x - mean)).sum::<f64>() / len as f64;
        let inv = 1.0 / (var + eps).sqrt();
        out.extend(r.iter().map(|&x| ((x - mean) * inv) as f32));
    }
    Ok(out)
}

/// `IScaleLayer`: "output = (input * scale + shift) ^ power", with "The default shift is 0, the default power
/// is 1, and the default scale is 1"; kUNIFORM "Identical coefficients across all elements", kCHANNEL
/// "Per-channel coefficients" on the channel axis, kELEMENTWISE coefficients for the dims from the channel
/// axis on.
pub(crate) fn scale(d: &Scale<'_>, p: &Prepared, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return invalid!("scale of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let c = axis(d.channel_axis as i64, dims.len())?;
    let shape: Vec<usize> = match d.mode {
        ScaleMode::Uniform => vec![1; dims.len()],
        ScaleMode::Channel => (0..dims.len())
            .map(|a| if a == c { dims[a] } else { 1 })
            .collect(),
        ScaleMode::Elementwise => (0..dims.len())
            .map(|a| if a >= c { dims[a] } else { 1 })
            .collect(),
    };
    let need: usize = shape.iter().product();
    let coeff = |i: usize| -> LayerResult<Option<Tensor>> {
        match p.get(i) {
            Some(v) if v.tensor().elem_count() == need => {
                Ok(Some(v.to_f32()?.reshape(shape.as_slice())?))
            }
            Some(v) => invalid!(
                "{} coefficients where {:?} needs {need}",
                v.tensor().elem_count(),
                d.mode
            ),
            None => Ok(None),
        }
    };
    let mut y = x.to_f32()?;
    if let Some(s) = coeff(1)? {
        y = y.broadcast_mul(&s)?;
    }
    if let Some(s) = coeff(0)? {
        y = y.broadcast_add(&s)?;
    }
    if let Some(pw) = coeff(2)? {
        let n: usize = dims.iter().product();
        let base = super::f32s(&y)?;
        let e = super::flat::<f32>(&pw, &dims)?;
        let v: Vec<f32> = base.iter().zip(&e).map(|(&b, &e)| b.powf(e)).collect();
        debug_assert_eq!(v.len(), n);
        y = tensor(v, &dims)?;
    }
    Value::round_from_f32(y, x.dtype())
}
