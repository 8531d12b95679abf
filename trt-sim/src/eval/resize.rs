//! `IResizeLayer`: nearest, linear and cubic resampling, one dimension at a time (each mode is separable).

use candle_core::Tensor;
use trt::{
    InterpolationMode, Resize, ResizeCoordinateTransformation as Ct, ResizeOutput, ResizeRoundMode,
    ResizeSelector,
};

use super::{tensor, Ctx};
use crate::error::{invalid, LayerResult};
use crate::value::{is_float, Value};

/// Output size from `setOutputDimensions`, `setScales` ("Each output dimension is calculated as
/// floor(input dimension * scale)") or the shape tensor of input 1; then every dim whose length changes is
/// resampled.
pub(crate) fn resize(d: &Resize<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let out: Vec<usize> = match &d.output {
        ResizeOutput::Dims(o) => o.iter().map(|&v| v.max(0) as usize).collect(),
        ResizeOutput::Scales(s) => {
            if s.len() != dims.len() {
                return invalid!("{} scales for a rank-{} input", s.len(), dims.len());
            }
            dims.iter()
                .zip(s)
                .map(|(&n, &f)| (n as f64 * f as f64).floor() as usize)
                .collect()
        }
        ResizeOutput::ShapeTensor(t) => ctx
            .get(*t)?
            .i64s()?
            .into_iter()
            .map(|v| v.max(0) as usize)
            .collect(),
    };
    if out.len() != dims.len() {
        return invalid!("output dims {out:?} for a rank-{} input", dims.len());
    }
    if d.mode != InterpolationMode::Nearest && !is_float(x.dtype()) {
        return invalid!("{:?} resize of a {:?} tensor", d.mode, x.dtype());
    }
    let mut t = if is_float(x.dtype()) {
        x.to_f32()?
    } else {
        x.tensor().clone()
    };
    for (axis, (&n_in, &n_out)) in dims.iter().zip(&out).enumerate() {
        if n_in != n_out {
            t = resample(&t, axis, n_in, n_out, d)?;
        }
    }
    if is_float(x.dtype()) {
        Value::round_from_f32(t, x.dtype())
    } else {
        Ok(x.with_tensor(t))
    }
}

/// The input coordinate of output position `o` (NvInfer.h: `ResizeCoordinateTransformation`):
/// - kALIGN_CORNERS: "x_origin = x_resized * (length_origin - 1) / (length_resize - 1)"
/// - kASYMMETRIC: "x_origin = x_resized * (length_origin / length_resize)"
/// - kHALF_PIXEL: "x_origin = (x_resized + 0.5) * (length_origin / length_resize) - 0.5"
///
/// and `ResizeSelector::kUPPER`, "Select the upper left pixel" for a one-pixel output.
fn source(o: usize, n_in: usize, n_out: usize, d: &Resize<'_>) -> f64 {
    if n_out == 1 && d.selector_for_single_pixel == ResizeSelector::Upper {
        return 0.0;
    }
    let (o, i, r) = (o as f64, n_in as f64, n_out as f64);
    match d.coordinate_transformation {
        Ct::AlignCorners if n_out == 1 => 0.0,
        Ct::AlignCorners => o * (i - 1.0) / (r - 1.0),
        Ct::Asymmetric => o * (i / r),
        Ct::HalfPixel => (o + 0.5) * (i / r) - 0.5,
    }
}

/// Resamples `axis` from `n_in` to `n_out` positions.
fn resample(
    t: &Tensor,
    axis: usize,
    n_in: usize,
    n_out: usize,
    d: &Resize<'_>,
) -> LayerResult<Tensor> {
    let last = (n_in - 1) as i64;
    let clamp = |i: i64| i.clamp(0, last) as u32;
    // (index, weight) taps per output position.
    let taps: Vec<Vec<(u32, f64)>> = (0..n_out)
        .map(|o| {
            let x = source(o, n_in, n_out, d);
            match d.mode {
                // kNEAREST, rounded by `ResizeRoundMode` ("applied after coordinate transformation"), then
                // clamped into the input.
                InterpolationMode::Nearest => {
                    let i = match d.nearest_rounding {
                        ResizeRoundMode::Floor => x.floor(),
                        ResizeRoundMode::Ceil => x.ceil(),
                        ResizeRoundMode::HalfUp => (x + 0.5).floor(),
                        ResizeRoundMode::HalfDown => (x - 0.5).ceil(),
                    };
                    vec![(clamp(i as i64), 1.0)]
                }
                // kLINEAR: the two neighbours of the coordinate clamped into [0, n - 1].
                InterpolationMode::Linear => {
                    let x = x.clamp(0.0, last as f64);
                    let lo = x.floor();
                    let w = x - lo;
                    vec![(clamp(lo as i64), 1.0 - w), (clamp(lo as i64 + 1), w)]
                }
                // kCUBIC with coefficient A (`setCubicCoeff`): "weight(x) := for |x| <= 1, ((A + 2) * x - (A + 3))
                // * x * x + 1, for 1 < |x| < 2, ((A * x - 5 * A) * x + 8 * A) * x - 4 * A, others 0"; outside
                // pixels clamp to the border unless `setExcludeOutside`, which gives them weight 0 and
                // renormalizes.
                InterpolationMode::Cubic => {
                    let a = d.cubic_coeff as f64;
                    let weight = |s: f64| {
                        let s = s.abs();
                        if s <= 1.0 {
                            ((a + 2.0) * s - (a + 3.0)) * s * s + 1.0
                        } else if s < 2.0 {
                            ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a
                        } else {
                            0.0
                        }
                    };
                    let base = x.floor();
                    let mut taps: Vec<(u32, f64)> = Vec::new();
                    for k in -1..=2i64 {
                        let i = base as i64 + k;
                        let w = weight(x - i as f64);
                        if d.exclude_outside && (i < 0 || i > last) {
                            continue;
                        }
                        taps.push((clamp(i), w));
                    }
                    if d.exclude_outside {
                        let total: f64 = taps.iter().map(|t| t.1).sum();
                        if total != 0.0 {
                            for t in &mut taps {
                                t.1 /= total;
                            }
                        }
                    }
                    taps
                }
            }
        })
        .collect();
    let n_taps = taps[0].len();
    if taps.iter().all(|t| t.len() == n_taps) && n_taps == 1 {
        let idx: Vec<u32> = taps.iter().map(|t| t[0].0).collect();
        return Ok(t
            .contiguous()?
            .index_select(&tensor(idx, &[n_out])?, axis)?);
    }
    // Weighted sum of gathered taps: out = sum_k W_k * x[idx_k] with W_k broadcast along `axis`.
    let t = t.contiguous()?;
    let rank = t.dims().len();
    let mut wshape = vec![1; rank];
    wshape[axis] = n_out;
    let mut acc: Option<Tensor> = None;
    let max_taps = taps.iter().map(Vec::len).max().unwrap_or(0);
    for k in 0..max_taps {
        let idx: Vec<u32> = taps.iter().map(|t| t.get(k).map_or(0, |p| p.0)).collect();
        let w: Vec<f32> = taps
            .iter()
            .map(|t| t.get(k).map_or(0.0, |p| p.1 as f32))
            .collect();
        let g = t.index_select(&tensor(idx, &[n_out])?, axis)?;
        let term = g.broadcast_mul(&tensor(w, &wshape)?)?;
        acc = Some(match acc {
            Some(a) => (a + term)?,
            None => term,
        });
    }
    acc.ok_or_else(|| crate::error::LayerError::Invalid("resize without taps".into()))
}
