//! `INormalizationLayer`, `IScaleLayer` and `ILRNLayer`.

use candle_core::{DType, Tensor};
use trt::{Lrn, Normalization, Scale, ScaleMode};

use super::{axes_last, axis, mask_axes, tensor, Ctx, Prepared};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, Value};

/// `INormalizationLayer`: "Y = (X - Mean(X, axes)) / Sqrt(Variance(X) + epsilon) * S + B", "Variance(X) =
/// Mean((X - Mean(X, axes)) ^ 2, axes)". With `nbGroups` ≠ 1, "The input tensor channels are divided into
/// nbGroups groups, and normalization is performed per group" (the channel dim is dim 1). S and B broadcast to
/// the input (`addNormalizationV2`, read back through `isV2`); with the older `addNormalization` and groups, their
/// `[1, G, 1, ...]` coefficients apply per group.
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
    // `isV2`: addNormalizationV2's scale and bias "are expected to be [1, C, 1, 1]" for group norm (broadcast to the
    // input); the original addNormalization's are "[1, G, 1, 1] for GroupNormalization" (one per group).
    let per_group = g > 1 && !d.v2;
    let y = if !per_group && fits(&sf) && fits(&bf) {
        normalized
            .reshape(dims.as_slice())?
            .broadcast_mul(&sf)?
            .broadcast_add(&bf)?
    } else if per_group && sf.elem_count() == g && bf.elem_count() == g {
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

/// `ILRNLayer`. NvInfer.h gives no formula ("The output size is the same as the input size"; the window "must be
/// odd"); the simulation takes the cross-channel LRN of Caffe and ONNX that the layer is named after (an assumption,
/// docs/verification.md): `y = x / (k + alpha / window * sum(x^2 over the window of channels centred on c))^beta`,
/// the window cut at the channel ends. Only 4-D `[N, C, H, W]` inputs, where the channel axis is both dim 1 and
/// dim -3; others are refused. Sums in f64.
pub(crate) fn lrn(d: &Lrn<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return invalid!("LRN of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let &[n, c, h, w] = dims.as_slice() else {
        return unsupported!("LRN of a rank-{} tensor (only [N, C, H, W])", dims.len());
    };
    if d.window < 1 || d.window % 2 == 0 {
        return invalid!("LRN window {} (odd expected)", d.window);
    }
    let half = (d.window as usize - 1) / 2;
    let v = x
        .to_f32()?
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    let plane = h * w;
    let (alpha, beta, k) = (d.alpha as f64, d.beta as f64, d.k as f64);
    let mut out = Vec::with_capacity(v.len());
    for b in 0..n {
        for ch in 0..c {
            let (lo, hi) = (ch.saturating_sub(half), (ch + half).min(c - 1));
            for p in 0..plane {
                let sum: f64 = (lo..=hi).map(|j| v[(b * c + j) * plane + p].powi(2)).sum();
                let xv = v[(b * c + ch) * plane + p];
                out.push((xv / (k + alpha / d.window as f64 * sum).powf(beta)) as f32);
            }
        }
    }
    Value::round_from_f32(tensor(out, &dims)?, x.dtype())
}
