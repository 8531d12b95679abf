//! `IDeconvolutionLayer` over 1 to 3 spatial dims: per image and group, one matrix product gives every
//! (output map, kernel position) row of contributions, which are then added into the output at their
//! positions (col2im), each output map on one thread.

use rayon::prelude::*;
use trt::Deconvolution;

use super::gemm::{gemm_acc, Mat};
use super::window::{valid, Window, RANK};
use super::{bias, f32_slice, windowed_operands, Shape};
use crate::error::{invalid, unsupported, LayerResult};
use crate::eval::{tensor, Ctx, Prepared};
use crate::value::Value;

/// `IDeconvolutionLayer`: the transpose of the convolution with the same parameters — input position `i`
/// spreads `kernel[tap] * x[i]` to the output at `i * S + tap * D` — whose pre/post padding then crop the
/// full result (NvInfer.h: "O = (I - 1) * S + DK - (B + A)"; a negative padding leaves zeros). Kernel: "a
/// contiguous array in CKRS order", `[C, K / G, *window]`. Groups, bias and inputs 1 / 2 as for convolution.
pub(crate) fn deconvolution(
    d: &Deconvolution<'_>,
    p: &Prepared,
    ctx: &Ctx<'_, '_>,
) -> LayerResult<Value> {
    let (x, w, shape, kernel) = windowed_operands!(d, p, ctx, "deconvolution", true);
    let want = shape.c * shape.out_per_group() * w.taps();
    if kernel.elem_count() != want {
        return invalid!(
            "kernel of {} values for {} channels × {} maps × {} ({want} needed)",
            kernel.elem_count(),
            shape.c,
            shape.out_per_group(),
            d.kernel
        );
    }
    let bias = bias(d.bias_tensor, p, ctx, shape.out)?;
    let xf = ctx.mma_input(x)?;
    let out = f32_slice(&xf, |xs| {
        f32_slice(&kernel, |ks| {
            transpose_correlate(xs, ks, bias.as_deref(), &shape, &w)
        })
    })???;
    let mut out_dims = vec![shape.n, shape.out];
    out_dims.extend(w.out_dims());
    Value::round_from_f32(tensor(out, &out_dims)?, x.dtype())
}

/// `[N, K, *out]` from `x` `[N, C, *in]` and `kernel` `[C, K / G, *window]`, each output starting from its bias.
pub(super) fn transpose_correlate(
    x: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    s: &Shape,
    w: &Window,
) -> LayerResult<Vec<f32>> {
    let (in_len, out_len, taps) = (w.in_len(), w.out_len(), w.taps());
    if x.len() != s.n * s.c * in_len {
        return invalid!("input of {} values for {s:?} × {:?}", x.len(), w.input);
    }
    let mut out = vec![0f32; s.n * s.out * out_len];
    if out.is_empty() {
        return Ok(out);
    }
    if let Some(b) = bias {
        out.par_chunks_mut(out_len)
            .enumerate()
            .for_each(|(i, plane)| plane.fill(b[i % s.out]));
    }
    let (cg, kg) = (s.in_per_group(), s.out_per_group());
    let rows = kg * taps;
    let mut cols = vec![0f32; rows * in_len];
    for (b, image) in out.chunks_mut(s.out * out_len).enumerate() {
        for (g, maps) in image.chunks_mut(kg * out_len).enumerate() {
            // cols[(k, tap), i] = sum over the group's channels c of kernel[c, k, tap] * x[c, i]: the kernel's
            // group block `[cg, kg * taps]` read transposed.
            cols.fill(0.0);
            let channels = (b * s.c + g * cg) * in_len;
            let block = &kernel[g * cg * rows..(g + 1) * cg * rows];
            gemm_acc(
                (rows, in_len, cg),
                &mut cols,
                Mat {
                    data: block,
                    rs: 1,
                    cs: rows,
                },
                Mat::rows(&x[channels..channels + cg * in_len], in_len),
                true,
            )?;
            maps.par_chunks_mut(out_len)
                .enumerate()
                .for_each(|(k, plane)| {
                    for tap in 0..taps {
                        let r = k * taps + tap;
                        scatter(plane, &cols[r * in_len..(r + 1) * in_len], w, tap);
                    }
                });
        }
    }
    Ok(out)
}

/// `plane[i * S + tap * D - B] += row[i]` for every input position `i` whose target lies in the (cropped)
/// output.
fn scatter(plane: &mut [f32], row: &[f32], w: &Window, tap: usize) {
    let k = w.tap(tap);
    let [od, oh, ow] = w.out();
    let [id, ih, iw] = w.input;
    // Output o = i * S + offset along each dim.
    let off = |dim: usize| (k[dim] * w.dilation[dim]) as i64 - w.geo[dim].pre;
    // The inputs whose target is inside: i * S + off in 0..O.
    let zs = valid(id, w.stride[0], off(0), od);
    let ys = valid(ih, w.stride[1], off(1), oh);
    let xs = valid(iw, w.stride[2], off(2), ow);
    if xs.is_empty() {
        return;
    }
    let sx = w.stride[RANK - 1];
    for z in zs {
        let oz = (z * w.stride[0]) as i64 + off(0);
        for y in ys.clone() {
            let oy = (y * w.stride[1]) as i64 + off(1);
            let dst = (oz as usize * oh + oy as usize) * ow;
            let src = &row[(z * ih + y) * iw..(z * ih + y + 1) * iw];
            let first = (xs.start * sx) as i64 + off(2);
            let dst = &mut plane[dst + first as usize..];
            for (j, &v) in src[xs.clone()].iter().enumerate() {
                dst[j * sx] += v;
            }
        }
    }
}
