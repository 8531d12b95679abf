//! `IPoolingLayer` over the last 1 to 3 dims, every leading plane on its own (both cores over the planes).

use rayon::prelude::*;
use trt::{PaddingMode, Pooling, PoolingType};

use super::f32_slice;
use super::window::{window, Spec, Window, RANK};
use crate::error::{invalid, unsupported, LayerResult};
use crate::eval::tensor;
use crate::eval::Ctx;
use crate::value::{is_float, Value};

/// What one pooling window computes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reduction {
    pub(super) kind: PoolingType,
    /// `averageCountExcludesPadding`.
    pub(super) exclusive: bool,
    pub(super) blend: f32,
}

/// `IPoolingLayer` on the last `window.rank()` dims ("The layer applies a reduction operation within a window
/// over the input"; NvInfer.h's `PoolingType`):
/// - kMAX: "Maximum over elements"; padding does not take part (a window over padding only gives -inf).
/// - kAVERAGE with `averageCountExcludesPadding` (default true): "the overlap area between the window and the
///   unpadded input" is the denominator; without it "the overlap between the pooling window and the padded
///   input". Padding adds zero to the sum.
/// - kMAX_AVERAGE_BLEND: "(1-blendFactor)*maxPool + blendFactor*avgPool".
pub(crate) fn pooling(d: &Pooling<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return unsupported!("pooling of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let rank = d.window.rank();
    if dims.len() <= rank {
        return invalid!(
            "pooling a rank-{} tensor with a {rank}-D window {}",
            dims.len(),
            d.window
        );
    }
    let lead = dims.len() - rank;
    let spec = Spec {
        kernel: &d.window,
        stride: &d.stride,
        dilation: None,
        pre: &d.pre_padding,
        post: &d.post_padding,
        mode: d.padding_mode,
    };
    let w = window(&dims[lead..], &spec, false)?;
    // The padded input's extent (for the count that includes padding) ends at the explicit post-padding, not
    // at the round-up's extra positions (docs/verification.md, assumption 14).
    let mut padded_post = w.geo.map(|g| g.post);
    if d.padding_mode == PaddingMode::ExplicitRoundUp {
        for (i, p) in d.post_padding.iter().enumerate() {
            padded_post[RANK - rank + i] = *p;
        }
    }
    let reduction = Reduction {
        kind: d.pooling_type,
        exclusive: d.average_count_excludes_padding,
        blend: d.blend_factor,
    };
    let planes: usize = dims[..lead].iter().product();
    let out = f32_slice(&x.to_f32()?, |xs| {
        pool(xs, planes, &w, padded_post, reduction)
    })??;
    let mut out_dims = dims[..lead].to_vec();
    out_dims.extend(w.out_dims());
    Value::round_from_f32(tensor(out, &out_dims)?, x.dtype())
}

/// Per lifted dim and output position: the input range the window covers inside the input, and how many of
/// its positions lie inside the padded input `-pre .. I + padded_post`.
fn spans(w: &Window, dim: usize, padded_post: i64) -> Vec<(std::ops::Range<usize>, usize)> {
    let (k, s, i) = (
        w.kernel[dim] as i64,
        w.stride[dim] as i64,
        w.input[dim] as i64,
    );
    let pre = w.geo[dim].pre;
    (0..w.geo[dim].out as i64)
        .map(|o| {
            let start = o * s - pre;
            let inside = start.max(0)..(start + k).min(i);
            let padded = (start + k).min(i + padded_post) - start.max(-pre);
            let inside = if inside.start < inside.end {
                inside.start as usize..inside.end as usize
            } else {
                0..0
            };
            (inside, padded.max(0) as usize)
        })
        .collect()
}

/// `[planes, *out]` from `[planes, *in]`.
pub(super) fn pool(
    x: &[f32],
    planes: usize,
    w: &Window,
    padded_post: [i64; RANK],
    r: Reduction,
) -> LayerResult<Vec<f32>> {
    let (in_len, out_len) = (w.in_len(), w.out_len());
    if x.len() != planes * in_len {
        return invalid!(
            "input of {} values for {planes} planes of {:?}",
            x.len(),
            w.input
        );
    }
    let [zs, ys, xs] = [0, 1, 2].map(|d| spans(w, d, padded_post[d]));
    let [_, ih, iw] = w.input;
    let mut out = vec![0f32; planes * out_len];
    out.par_chunks_mut(out_len.max(1))
        .zip(x.par_chunks(in_len.max(1)))
        .for_each(|(dst, plane)| {
            let mut o = 0;
            for (z, pz) in &zs {
                for (y, py) in &ys {
                    for (xr, px) in &xs {
                        let (mut max, mut sum) = (f32::NEG_INFINITY, 0f64);
                        for iz in z.clone() {
                            for iy in y.clone() {
                                let row = &plane[(iz * ih + iy) * iw..][xr.clone()];
                                for &v in row {
                                    if v > max || v.is_nan() {
                                        max = v;
                                    }
                                    sum += v as f64;
                                }
                            }
                        }
                        let inside = z.len() * y.len() * xr.len();
                        let count = if r.exclusive { inside } else { pz * py * px };
                        let avg = if count == 0 {
                            0.0
                        } else {
                            (sum / count as f64) as f32
                        };
                        dst[o] = match r.kind {
                            PoolingType::Max => max,
                            PoolingType::Average => avg,
                            PoolingType::MaxAverageBlend => (1.0 - r.blend) * max + r.blend * avg,
                        };
                        o += 1;
                    }
                }
            }
        });
    Ok(out)
}
