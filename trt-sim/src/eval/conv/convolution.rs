//! `IConvolutionLayer` over 1 to 3 spatial dims: im2col and one matrix product per image and group, a direct
//! loop where each output map reads one input channel (depthwise), the columns skipped for 1×1 kernels.

use rayon::prelude::*;
use trt::Convolution;

use super::gemm::{gemm_acc, Mat};
use super::window::{valid, Window, RANK};
use super::{bias, f32_slice, windowed_operands, Shape};
use crate::error::{invalid, unsupported, LayerResult};
use crate::eval::{tensor, Ctx, Prepared};
use crate::value::Value;

/// `IConvolutionLayer`: "a correlation operation"; groups: "The input tensor channels are divided into
/// nbGroups groups, and a convolution is executed for each group, using a filter per group. The results of the
/// group convolutions are concatenated to form the output." Kernel: "a contiguous array in GKCRS order".
/// Padding: "The start [end] of the input will be zero-padded". Bias: "adds a per-channel constant to each
/// value in the output". Input 1 / 2, when set, are the kernel and the bias ("Input 1 is the kernel tensor",
/// "Input 2 is the bias tensor").
pub(crate) fn convolution(
    d: &Convolution<'_>,
    p: &Prepared,
    ctx: &Ctx<'_, '_>,
) -> LayerResult<Value> {
    let (x, w, shape, kernel) = windowed_operands!(d, p, ctx, "convolution", false);
    let want = shape.out * shape.in_per_group() * w.taps();
    if kernel.elem_count() != want {
        return invalid!(
            "kernel of {} values; {} maps × {} channels × {} need {want}",
            kernel.elem_count(),
            shape.out,
            shape.in_per_group(),
            d.kernel
        );
    }
    let bias = bias(d.bias_tensor, p, ctx, shape.out)?;
    let xf = ctx.mma_input(x)?;
    let out = f32_slice(&xf, |xs| {
        f32_slice(&kernel, |ks| correlate(xs, ks, bias.as_deref(), &shape, &w))
    })???;
    let mut out_dims = vec![shape.n, shape.out];
    out_dims.extend(w.out_dims());
    Value::round_from_f32(tensor(out, &out_dims)?, x.dtype())
}

/// `[N, K, *out]` from `x` `[N, C, *in]` and `kernel` `[K, C / G, *window]`, each output starting from its bias.
pub(super) fn correlate(
    x: &[f32],
    kernel: &[f32],
    bias: Option<&[f32]>,
    s: &Shape,
    w: &Window,
) -> LayerResult<Vec<f32>> {
    let (in_len, out_len) = (w.in_len(), w.out_len());
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
    let taps = w.taps();
    if cg == 1 {
        // Each output map reads one input channel (depthwise, with `kg` maps per channel): a direct loop per
        // output plane, both cores over the planes.
        out.par_chunks_mut(out_len)
            .enumerate()
            .for_each(|(i, plane)| {
                let (b, k) = (i / s.out, i % s.out);
                let channel = b * s.c + k / kg;
                let input = &x[channel * in_len..(channel + 1) * in_len];
                depthwise_plane(plane, input, &kernel[k * taps..(k + 1) * taps], w);
            });
        return Ok(out);
    }
    let rows = cg * taps;
    let one_group = |b: usize, g: usize, dst: &mut [f32], parallel: bool| -> LayerResult<()> {
        let channels = (b * s.c + g * cg) * in_len;
        let input = &x[channels..channels + cg * in_len];
        let weights = Mat::rows(&kernel[g * kg * rows..(g + 1) * kg * rows], rows);
        if w.is_pointwise() {
            // 1×1, unit stride, no padding: the input planes are the columns.
            return gemm_acc(
                (kg, out_len, rows),
                dst,
                weights,
                Mat::rows(input, out_len),
                parallel,
            );
        }
        let cols = im2col(input, cg, w, parallel);
        gemm_acc(
            (kg, out_len, rows),
            dst,
            weights,
            Mat::rows(&cols, out_len),
            parallel,
        )
    };
    for (b, image) in out.chunks_mut(s.out * out_len).enumerate() {
        if s.groups == 1 {
            one_group(b, 0, image, true)?;
        } else {
            // Groups in parallel, one single-threaded product each.
            image
                .par_chunks_mut(kg * out_len)
                .enumerate()
                .try_for_each(|(g, dst)| one_group(b, g, dst, false))?;
        }
    }
    Ok(out)
}

/// Columns `[C * taps, out]` of one group's input `[C, *in]`: row `(c, tap)`, column `o` holds the input at
/// `o * S - B + tap * D` per dim, zero outside the input (the zero padding).
fn im2col(input: &[f32], channels: usize, w: &Window, parallel: bool) -> Vec<f32> {
    let (in_len, out_len, taps) = (w.in_len(), w.out_len(), w.taps());
    let mut cols = vec![0f32; channels * taps * out_len];
    let row = |(r, dst): (usize, &mut [f32])| {
        let (c, tap) = (r / taps, r % taps);
        let plane = &input[c * in_len..(c + 1) * in_len];
        for_each_row(w, tap, |src_row, dst_row, xs| {
            let dst = &mut dst[dst_row..dst_row + w.out()[RANK - 1]];
            let src = &plane[src_row..src_row + w.input[RANK - 1]];
            let (sx, off) = (w.stride[RANK - 1], xs.start * w.stride[RANK - 1]);
            let shift = off as i64 + tap_offset(w, tap, RANK - 1);
            let dst = &mut dst[xs.clone()];
            if sx == 1 {
                let start = shift as usize;
                dst.copy_from_slice(&src[start..start + dst.len()]);
            } else {
                for (j, o) in dst.iter_mut().enumerate() {
                    *o = src[(shift + (j * sx) as i64) as usize];
                }
            }
        });
    };
    if parallel {
        cols.par_chunks_mut(out_len).enumerate().for_each(row);
    } else {
        cols.chunks_mut(out_len).enumerate().for_each(row);
    }
    cols
}

/// `plane[out] += weight[tap] * input[window(out, tap)]` over every tap, for one output map reading one input
/// channel.
fn depthwise_plane(plane: &mut [f32], input: &[f32], weights: &[f32], w: &Window) {
    let sx = w.stride[RANK - 1];
    for (tap, &wt) in weights.iter().enumerate() {
        for_each_row(w, tap, |src_row, dst_row, xs| {
            let shift = src_row as i64 + (xs.start * sx) as i64 + tap_offset(w, tap, RANK - 1);
            let dst = &mut plane[dst_row + xs.start..dst_row + xs.end];
            let (start, len) = (shift as usize, dst.len());
            if sx == 1 {
                for (o, &v) in dst.iter_mut().zip(&input[start..start + len]) {
                    *o += wt * v;
                }
            } else {
                for (j, o) in dst.iter_mut().enumerate() {
                    *o += wt * input[start + j * sx];
                }
            }
        });
    }
}

/// The input offset of kernel position `tap` along lifted dim `dim`, minus the pre-padding: output position
/// `o` reads input `o * S + tap_offset`.
fn tap_offset(w: &Window, tap: usize, dim: usize) -> i64 {
    (w.tap(tap)[dim] * w.dilation[dim]) as i64 - w.geo[dim].pre
}

/// For kernel position `tap`, calls `f(input row start, output row start, valid last-dim outputs)` for every
/// output row (depth, height) whose input row exists; the last-dim range holds the outputs whose input column
/// exists. Rows reading padding are skipped (they add zero).
fn for_each_row(w: &Window, tap: usize, mut f: impl FnMut(usize, usize, std::ops::Range<usize>)) {
    let [od, oh, ow] = w.out();
    let [_, ih, iw] = w.input;
    let zs = valid(od, w.stride[0], tap_offset(w, tap, 0), w.input[0]);
    let ys = valid(oh, w.stride[1], tap_offset(w, tap, 1), ih);
    let xs = valid(ow, w.stride[2], tap_offset(w, tap, 2), iw);
    if xs.is_empty() {
        return;
    }
    for z in zs {
        let iz = (z * w.stride[0]) as i64 + tap_offset(w, tap, 0);
        for y in ys.clone() {
            let iy = (y * w.stride[1]) as i64 + tap_offset(w, tap, 1);
            let src = (iz as usize * ih + iy as usize) * iw;
            f(src, (z * oh + y) * ow, xs.clone());
        }
    }
}
