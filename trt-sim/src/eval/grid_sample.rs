//! `IGridSampleLayer`. NvInfer.h says only: "This layer uses an input tensor and a grid tensor to produce an
//! interpolated output tensor. The input and grid tensors must be tensors of rank 4 or 5. The only supported
//! SampleMode values are SampleMode::kCLAMP, SampleMode::kFILL, and SampleMode::kREFLECT", with an interpolation
//! mode and align corners. Everything else is an assumption (docs/verification.md), taken from the operator the
//! layer mirrors (PyTorch's `grid_sample`, which ONNX's GridSample copies): grid `[N, out..., s]` holds normalized
//! coordinates in [-1, 1], x (the last spatial dim) first; align corners maps -1 and 1 to the centres of the
//! corner pixels, otherwise to their outer edges; kFILL reads zeros outside, kCLAMP clamps the coordinate into the
//! input, kREFLECT reflects it about the borders (the corner centres with align corners, the edges without) and
//! clamps; nearest rounds half to even; cubic is Keys' kernel with A = -0.75 on a 4×4 neighbourhood, each tap
//! placed by the sample mode.

use trt::{GridSample, InterpolationMode, SampleMode};

use super::{f32s, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, Value};

/// Normalized coordinate `g` to a pixel coordinate on an axis of `n` pixels.
fn unnormalize(g: f64, n: usize, align: bool) -> f64 {
    let n = n as f64;
    if align {
        (g + 1.0) / 2.0 * (n - 1.0)
    } else {
        ((g + 1.0) * n - 1.0) / 2.0
    }
}

/// Reflects `x` into `[lo, hi]` (repeatedly).
fn reflect(x: f64, lo: f64, hi: f64) -> f64 {
    let span = hi - lo;
    if span <= 0.0 {
        return 0.0;
    }
    let d = (x - lo).abs();
    let flips = (d / span).floor();
    let extra = d - flips * span;
    if flips as i64 % 2 == 0 {
        lo + extra
    } else {
        hi - extra
    }
}

/// The coordinate as the sample mode places it (kFILL leaves it; reads outside give zero).
fn place(x: f64, n: usize, mode: SampleMode, align: bool) -> f64 {
    let hi = n as f64 - 1.0;
    match mode {
        SampleMode::Clamp => x.clamp(0.0, hi.max(0.0)),
        SampleMode::Reflect => {
            let r = if align {
                reflect(x, 0.0, hi)
            } else {
                reflect(x, -0.5, n as f64 - 0.5)
            };
            r.clamp(0.0, hi.max(0.0))
        }
        _ => x,
    }
}

/// Keys' cubic convolution weights for the taps at -1, 0, 1, 2 around a fraction `t` (A = -0.75).
fn cubic_weights(t: f64) -> [f64; 4] {
    const A: f64 = -0.75;
    let near = |x: f64| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let far = |x: f64| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]
}

pub(crate) fn grid_sample(d: &GridSample<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (x, grid) = (ctx.get(d.input)?, ctx.get(d.grid)?);
    if !is_float(x.dtype()) || !is_float(grid.dtype()) {
        return invalid!(
            "grid sample of {:?} by a {:?} grid",
            x.dtype(),
            grid.dtype()
        );
    }
    if !matches!(
        d.sample_mode,
        SampleMode::Clamp | SampleMode::Fill | SampleMode::Reflect
    ) {
        return invalid!(
            "sample mode {:?} (kCLAMP, kFILL or kREFLECT only)",
            d.sample_mode
        );
    }
    let (xd, gd) = (x.dims().to_vec(), grid.dims().to_vec());
    let s = xd.len().saturating_sub(2);
    if !(xd.len() == 4 || xd.len() == 5) || gd.len() != xd.len() || gd[0] != xd[0] || gd[s + 1] != s
    {
        return invalid!("grid sample of {xd:?} by a grid of {gd:?}");
    }
    if d.mode == InterpolationMode::Cubic && s != 2 {
        return unsupported!("cubic grid sample of a rank-{} input", xd.len());
    }
    let (n, c) = (xd[0], xd[1]);
    let spatial = &xd[2..];
    let out_sp = &gd[1..=s];
    let npts: usize = out_sp.iter().product();
    let plane: usize = spatial.iter().product();
    let xv: Vec<f64> = f32s(&x.to_f32()?)?.into_iter().map(f64::from).collect();
    let gv: Vec<f64> = f32s(&grid.to_f32()?)?.into_iter().map(f64::from).collect();
    let (align, mode) = (d.align_corners, d.sample_mode);
    // Value at integer pixel `p` (spatial order) of channel plane `base`, zero outside.
    let at = |base: usize, p: &[i64]| -> f64 {
        let mut off = 0usize;
        for (a, &q) in p.iter().enumerate() {
            if q < 0 || q >= spatial[a] as i64 {
                return 0.0;
            }
            off = off * spatial[a] + q as usize;
        }
        xv[base + off]
    };
    let mut out = vec![0f32; n * c * npts];
    for b in 0..n {
        for pt in 0..npts {
            let g = &gv[(b * npts + pt) * s..(b * npts + pt + 1) * s];
            // Grid component j is spatial axis s-1-j (x first).
            let coords: Vec<f64> = (0..s)
                .map(|a| unnormalize(g[s - 1 - a], spatial[a], align))
                .collect();
            for ch in 0..c {
                let base = (b * c + ch) * plane;
                let v = match d.mode {
                    InterpolationMode::Nearest => {
                        let p: Vec<i64> = coords
                            .iter()
                            .enumerate()
                            .map(|(a, &u)| {
                                place(u, spatial[a], mode, align).round_ties_even() as i64
                            })
                            .collect();
                        at(base, &p)
                    }
                    InterpolationMode::Linear => {
                        let u: Vec<f64> = coords
                            .iter()
                            .enumerate()
                            .map(|(a, &u)| place(u, spatial[a], mode, align))
                            .collect();
                        let mut acc = 0.0;
                        for corner in 0..(1usize << s) {
                            let mut w = 1.0;
                            let p: Vec<i64> = (0..s)
                                .map(|a| {
                                    let f = u[a].floor();
                                    let t = u[a] - f;
                                    let hi = (corner >> a) & 1 == 1;
                                    w *= if hi { t } else { 1.0 - t };
                                    f as i64 + i64::from(hi)
                                })
                                .collect();
                            if w != 0.0 {
                                acc += w * at(base, &p);
                            }
                        }
                        acc
                    }
                    InterpolationMode::Cubic => {
                        let (fy, fx) = (coords[0].floor(), coords[1].floor());
                        let (wy, wx) =
                            (cubic_weights(coords[0] - fy), cubic_weights(coords[1] - fx));
                        let mut acc = 0.0;
                        for (i, wyi) in wy.iter().enumerate() {
                            for (j, wxj) in wx.iter().enumerate() {
                                let ty = place(fy - 1.0 + i as f64, spatial[0], mode, align);
                                let tx = place(fx - 1.0 + j as f64, spatial[1], mode, align);
                                acc += wyi * wxj * at(base, &[ty as i64, tx as i64]);
                            }
                        }
                        acc
                    }
                };
                out[(b * c + ch) * npts + pt] = v as f32;
            }
        }
    }
    let mut dims = vec![n, c];
    dims.extend(out_sp);
    Value::round_from_f32(tensor(out, &dims)?, x.dtype())
}
