//! Sliding windows: `IConvolutionLayer`, `IDeconvolutionLayer`, `IPoolingLayer`, `IPaddingLayer`.
//!
//! Output sizes and implicit paddings follow NvInfer.h's `PaddingMode` formulas (quoted at
//! [`geometry`]). Convolutions are im2col followed by candle's matrix multiply (f32 accumulation).

use candle_core::Tensor;
use trt::{Convolution, Deconvolution, Dims, Padding, PaddingMode, Pooling, PoolingType, Weights};

use super::{f32s, tensor, Ctx, Prepared};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{from_weights, is_float, Value};

/// The kernel (`[out, in / groups, *kernel]` for a convolution, "GKCRS" in NvInfer.h's
/// `IConvolutionLayer::setKernelWeights`; `[in, out / groups, *kernel]` for a deconvolution, "CKRS" in
/// `IDeconvolutionLayer::setKernelWeights`) and bias as values.
pub(crate) fn prepare_kernel(
    w: &Weights,
    bias: Option<&Weights>,
    out_channels: i64,
    kernel: &Dims,
    groups: i64,
    transposed: bool,
) -> LayerResult<Vec<Option<Value>>> {
    if w.count() == 0 {
        // The kernel comes from input 1 (`setInput(1, ...)`): nothing to prepare.
        let b = bias
            .map(|b| from_weights(b, &[b.count() as usize]))
            .transpose()?;
        return Ok(vec![None, b]);
    }
    let window: i64 = kernel.iter().product();
    let per = if transposed {
        out_channels / groups.max(1)
    } else {
        out_channels
    };
    if window <= 0 || per <= 0 || w.count() % (window * per) != 0 {
        return invalid!(
            "{} kernel weights for {out_channels} maps of {kernel} in {groups} groups",
            w.count()
        );
    }
    let other = (w.count() / (window * per)) as usize;
    let mut dims = if transposed {
        vec![other, per as usize]
    } else {
        vec![per as usize, other]
    };
    dims.extend(kernel.iter().map(|&k| k as usize));
    let k = from_weights(w, &dims)?;
    let b = bias
        .map(|b| from_weights(b, &[b.count() as usize]))
        .transpose()?;
    Ok(vec![Some(k), b])
}

/// Per spatial dim: output size, pre-padding and post-padding that the windows read (post-padding grows
/// where `kEXPLICIT_ROUND_UP` lets the last window run past the padded input).
#[derive(Debug, Clone, Copy)]
struct Geometry {
    out: usize,
    pre: i64,
    post: i64,
}

/// NvInfer.h's `PaddingMode` formulas. `I` input, `B`/`A` pre/post padding, `S` stride, `DK = 1 + D*(F-1)`,
/// `M = I + B + A`:
/// - `kEXPLICIT_ROUND_DOWN`: "O = floor((M - DK) / S) + 1"; `kEXPLICIT_ROUND_UP`: "O = ceil((M - DK) / S) + 1"
/// - `kSAME_UPPER`: "O = ceil(I / S); P = floor((I - 1) / S) * S + DK - I; B = floor(P / 2); A = P - B";
///   `kSAME_LOWER` swaps A and B. P is taken as at least 0 (see docs/verification.md).
/// - Deconvolution, explicit: "O = (I - 1) * S + DK - (B + A)"; SAME: "O = min(I * S, (I - 1) * S + DK);
///   P = max(DK - S, 0)".
fn geometry(
    mode: PaddingMode,
    i: i64,
    dk: i64,
    s: i64,
    b: i64,
    a: i64,
    transposed: bool,
) -> LayerResult<Geometry> {
    if s <= 0 || dk <= 0 {
        return invalid!("stride {s}, window {dk}");
    }
    let same = |p: i64, upper: bool| {
        let small = p.div_euclid(2);
        if upper {
            (small, p - small)
        } else {
            (p - small, small)
        }
    };
    let (out, pre, post) = if transposed {
        match mode {
            PaddingMode::ExplicitRoundDown | PaddingMode::ExplicitRoundUp => {
                ((i - 1) * s + dk - (b + a), b, a)
            }
            PaddingMode::SameUpper | PaddingMode::SameLower => {
                let p = (dk - s).max(0);
                let (b, a) = same(p, mode == PaddingMode::SameUpper);
                ((i * s).min((i - 1) * s + dk), b, a)
            }
        }
    } else {
        match mode {
            PaddingMode::ExplicitRoundDown => {
                let m = i + b + a;
                ((m - dk).div_euclid(s) + 1, b, a)
            }
            PaddingMode::ExplicitRoundUp => {
                let m = i + b + a;
                let o = (m - dk + s - 1).div_euclid(s) + 1;
                // The last window may end past M: its extra positions read as padding.
                let extra = ((o - 1) * s + dk - m).max(0);
                (o, b, a + extra)
            }
            PaddingMode::SameUpper | PaddingMode::SameLower => {
                let o = (i + s - 1) / s;
                let p = ((i - 1) / s * s + dk - i).max(0);
                let (b, a) = same(p, mode == PaddingMode::SameUpper);
                (o, b, a)
            }
        }
    };
    if out <= 0 {
        return invalid!(
            "no output positions (input {i}, window {dk}, stride {s}, padding {b}+{a})"
        );
    }
    Ok(Geometry {
        out: out as usize,
        pre,
        post,
    })
}

/// Spatial parameters shared by convolution and deconvolution.
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    geo: [Geometry; 2],
}

impl Window {
    /// `(padding, stride, dilation)` when one value of each serves both dims and both sides.
    fn uniform(&self) -> Option<(usize, usize, usize)> {
        let [a, b] = self.geo;
        let same = a.pre == a.post && b.pre == b.post && a.pre == b.pre && a.pre >= 0;
        let uniform =
            same && self.stride[0] == self.stride[1] && self.dilation[0] == self.dilation[1];
        uniform.then_some((a.pre as usize, self.stride[0], self.dilation[0]))
    }
}

fn two(d: &Dims, what: &str) -> LayerResult<[i64; 2]> {
    match d.as_slice() {
        [a, b] => Ok([*a, *b]),
        other => unsupported!(
            "{what} of rank {} (only 2-D windows are simulated)",
            other.len()
        ),
    }
}

/// The spatial parameters of a convolution or deconvolution description.
struct Spec<'a> {
    kernel: &'a Dims,
    stride: &'a Dims,
    dilation: &'a Dims,
    pre: &'a Dims,
    post: &'a Dims,
    mode: PaddingMode,
}

macro_rules! spec {
    ($d:expr) => {
        Spec {
            kernel: &$d.kernel,
            stride: &$d.stride,
            dilation: &$d.dilation,
            pre: &$d.pre_padding,
            post: &$d.post_padding,
            mode: $d.padding_mode,
        }
    };
}

fn window(x: &[usize], spec: &Spec<'_>, transposed: bool) -> LayerResult<Window> {
    let Spec {
        kernel,
        stride,
        dilation,
        pre,
        post,
        mode,
    } = *spec;
    if x.len() != 4 {
        return unsupported!("input of rank {} (4-D [N, C, H, W] expected)", x.len());
    }
    let (k, s, d, b, a) = (
        two(kernel, "kernel")?,
        two(stride, "stride")?,
        two(dilation, "dilation")?,
        two(pre, "padding")?,
        two(post, "padding")?,
    );
    let mut geo = [Geometry {
        out: 0,
        pre: 0,
        post: 0,
    }; 2];
    for i in 0..2 {
        if k[i] <= 0 || d[i] <= 0 {
            return invalid!("kernel {kernel}, dilation {dilation}");
        }
        let dk = 1 + d[i] * (k[i] - 1);
        geo[i] = geometry(mode, x[2 + i] as i64, dk, s[i], b[i], a[i], transposed)?;
    }
    Ok(Window {
        kernel: [k[0] as usize, k[1] as usize],
        stride: [s[0] as usize, s[1] as usize],
        dilation: [d[0] as usize, d[1] as usize],
        geo,
    })
}

/// `IConvolutionLayer`: "a correlation operation"; groups: "The input tensor channels are divided into
/// nbGroups groups, and a convolution is executed for each group, using a filter per group. The results of the
/// group convolutions are concatenated to form the output." Bias: "adds a per-channel constant to each value in
/// the output". Padding reads zeros.
pub(crate) fn convolution(
    d: &Convolution<'_>,
    p: &Prepared,
    ctx: &Ctx<'_, '_>,
) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return unsupported!("convolution of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let w = window(&dims, &spec!(d), false)?;
    let kernel = match ctx.opt(d.kernel_tensor)? {
        Some(k) => ctx.mma_input(k)?,
        None => ctx.mma_weights(p)?,
    };
    let (n, c, h, wd) = (dims[0], dims[1], dims[2], dims[3]);
    let g = usize::try_from(d.groups).unwrap_or(0);
    let k_out = d.out_channels as usize;
    if g == 0 || c % g != 0 || k_out % g != 0 {
        return invalid!(
            "{c} input channels, {k_out} output maps, {} groups",
            d.groups
        );
    }
    let cg = c / g;
    let ck = cg * w.kernel[0] * w.kernel[1];
    if kernel.elem_count() != k_out * ck {
        return invalid!(
            "kernel of {} values; {k_out} maps × {cg} channels × {:?} need {}",
            kernel.elem_count(),
            w.kernel,
            k_out * ck
        );
    }
    let (oh, ow) = (w.geo[0].out, w.geo[1].out);
    let xf = ctx.mma_input(x)?;
    // candle's conv2d runs one convolution per group: for grouped (depthwise) convolutions the
    // batched im2col product below is much faster.
    let mut y = match w.uniform().filter(|_| g == 1) {
        // The same correlation with one padding, stride and dilation for both dims: candle's own
        // kernel (im2col and GEMM) computes it.
        Some((pad, stride, dilation)) => {
            let k4 = kernel.reshape((k_out, cg, w.kernel[0], w.kernel[1]))?;
            xf.conv2d(&k4, pad, stride, dilation, g)?
        }
        None => {
            let kernel = kernel.reshape((g, k_out / g, ck))?;
            let xs = f32s(&xf)?;
            let mut outs = Vec::with_capacity(n);
            for b in 0..n {
                let plane = &xs[b * c * h * wd..(b + 1) * c * h * wd];
                let cols = im2col(plane, [c, h, wd], &w);
                let cols = tensor(cols, &[g, ck, oh * ow])?;
                outs.push(kernel.matmul(&cols)?.reshape((k_out, oh, ow))?);
            }
            Tensor::stack(&outs, 0)?
        }
    };
    let bias = match ctx.opt(d.bias_tensor)? {
        Some(b) => Some(b.to_f32()?),
        None => p.get(1).map(Value::to_f32).transpose()?,
    };
    if let Some(b) = bias {
        y = y.broadcast_add(&b.reshape((1, k_out, 1, 1))?)?;
    }
    Value::round_from_f32(y, x.dtype())
}

/// Columns `[C * KH * KW, OH * OW]` of one image `[C, H, W]`: entry `(c, ki, kj), (oy, ox)` is the input at
/// `(oy * S - B + ki * D, ox * S - B + kj * D)`, zero outside.
fn im2col(x: &[f32], [c, h, w]: [usize; 3], win: &Window) -> Vec<f32> {
    let (oh, ow) = (win.geo[0].out, win.geo[1].out);
    let [kh, kw] = win.kernel;
    let [sy, sx] = win.stride;
    let [dy, dx] = win.dilation;
    let (py, px) = (win.geo[0].pre, win.geo[1].pre);
    let mut cols = vec![0f32; c * kh * kw * oh * ow];
    let mut row = 0;
    for ci in 0..c {
        let plane = &x[ci * h * w..(ci + 1) * h * w];
        for ki in 0..kh {
            for kj in 0..kw {
                let out = &mut cols[row * oh * ow..(row + 1) * oh * ow];
                for oy in 0..oh {
                    let iy = (oy * sy + ki * dy) as i64 - py;
                    if iy < 0 || iy >= h as i64 {
                        continue;
                    }
                    let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                    let dst = &mut out[oy * ow..(oy + 1) * ow];
                    for (ox, o) in dst.iter_mut().enumerate() {
                        let ix = (ox * sx + kj * dx) as i64 - px;
                        if ix >= 0 && ix < w as i64 {
                            *o = src[ix as usize];
                        }
                    }
                }
                row += 1;
            }
        }
    }
    cols
}

/// `IDeconvolutionLayer`: the transpose of the convolution with the same parameters — each input position
/// spreads `kernel * x` over the output at `i * S + k * D`; pre/post padding then crop the full result
/// (NvInfer.h: "O = (I - 1) * S + DK - (B + A)"). Groups as for convolution.
pub(crate) fn deconvolution(
    d: &Deconvolution<'_>,
    p: &Prepared,
    ctx: &Ctx<'_, '_>,
) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return unsupported!("deconvolution of a {:?} tensor", x.dtype());
    }
    let dims = x.dims().to_vec();
    let w = window(&dims, &spec!(d), true)?;
    let kernel = match ctx.opt(d.kernel_tensor)? {
        Some(k) => ctx.mma_input(k)?,
        None => ctx.mma_weights(p)?,
    };
    let (n, c, h, wd) = (dims[0], dims[1], dims[2], dims[3]);
    let g = usize::try_from(d.groups).unwrap_or(0);
    let k_out = d.out_channels as usize;
    if g == 0 || c % g != 0 || k_out % g != 0 {
        return invalid!(
            "{c} input channels, {k_out} output maps, {} groups",
            d.groups
        );
    }
    let (cg, kg) = (c / g, k_out / g);
    let [kh, kw] = w.kernel;
    if kernel.elem_count() != c * kg * kh * kw {
        return invalid!(
            "kernel of {} values for {c} channels × {kg} maps × {:?}",
            kernel.elem_count(),
            w.kernel
        );
    }
    // [g, cg, kg*kh*kw] -> transposed per group: [g, kg*kh*kw, cg].
    let kt = kernel
        .reshape((g, cg, kg * kh * kw))?
        .transpose(1, 2)?
        .contiguous()?;
    let [sy, sx] = w.stride;
    let [dy, dx] = w.dilation;
    let full_h = (h - 1) * sy + 1 + dy * (kh - 1);
    let full_w = (wd - 1) * sx + 1 + dx * (kw - 1);
    let xs = ctx.mma_input(x)?;
    let mut outs = Vec::with_capacity(n);
    for b in 0..n {
        let xb = xs.get(b)?.reshape((g, cg, h * wd))?;
        let cols = f32s(&kt.matmul(&xb)?)?; // [g, kg*kh*kw, h*wd]
        let mut full = vec![0f32; k_out * full_h * full_w];
        for (row, chunk) in cols.chunks_exact(h * wd).enumerate() {
            let (k, ki, kj) = (row / (kh * kw), (row / kw) % kh, row % kw);
            let plane = &mut full[k * full_h * full_w..(k + 1) * full_h * full_w];
            for iy in 0..h {
                let oy = iy * sy + ki * dy;
                for ix in 0..wd {
                    plane[oy * full_w + ix * sx + kj * dx] += chunk[iy * wd + ix];
                }
            }
        }
        let mut y = tensor(full, &[k_out, full_h, full_w])?;
        for (axis, geo) in [(1, w.geo[0]), (2, w.geo[1])] {
            y = crop(&y, axis, geo.pre, geo.post)?;
        }
        outs.push(y);
    }
    let mut y = Tensor::stack(&outs, 0)?;
    let bias = match ctx.opt(d.bias_tensor)? {
        Some(b) => Some(b.to_f32()?),
        None => p.get(1).map(Value::to_f32).transpose()?,
    };
    if let Some(b) = bias {
        y = y.broadcast_add(&b.reshape((1, k_out, 1, 1))?)?;
    }
    Value::round_from_f32(y, x.dtype())
}

/// Removes `pre` elements at the start and `post` at the end of `axis` (negative amounts pad with zeros).
fn crop(t: &Tensor, axis: usize, pre: i64, post: i64) -> LayerResult<Tensor> {
    let mut t = t.pad_with_zeros(axis, (-pre).max(0) as usize, (-post).max(0) as usize)?;
    let (pre, post) = (pre.max(0) as usize, post.max(0) as usize);
    let len = t.dims()[axis];
    if pre + post >= len {
        return invalid!("cropping {pre} + {post} of {len} leaves nothing");
    }
    t = t.narrow(axis, pre, len - pre - post)?;
    Ok(t)
}

/// `IPoolingLayer` on the last two dims.
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
    if dims.len() < 3 {
        return invalid!("pooling of a rank-{} tensor", dims.len());
    }
    let r = dims.len();
    let (k, s, b, a) = (
        two(&d.window, "window")?,
        two(&d.stride, "stride")?,
        two(&d.pre_padding, "padding")?,
        two(&d.post_padding, "padding")?,
    );
    let mut geo = [Geometry {
        out: 0,
        pre: 0,
        post: 0,
    }; 2];
    for i in 0..2 {
        if k[i] <= 0 {
            return invalid!("window {}", d.window);
        }
        geo[i] = geometry(
            d.padding_mode,
            dims[r - 2 + i] as i64,
            k[i],
            s[i],
            b[i],
            a[i],
            false,
        )?;
    }
    // The padded input's extent (for the non-exclusive count): explicit padding only, not the round-up extra.
    let explicit_post = |i: usize| match d.padding_mode {
        PaddingMode::ExplicitRoundUp => a[i],
        _ => geo[i].post,
    };
    let (h, w) = (dims[r - 2], dims[r - 1]);
    let (oh, ow) = (geo[0].out, geo[1].out);
    let planes: usize = dims[..r - 2].iter().product();
    let xs = f32s(&x.to_f32()?)?;
    let mut out = Vec::with_capacity(planes * oh * ow);
    let (ky, kx) = (k[0] as usize, k[1] as usize);
    let blend = d.blend_factor;
    for p in 0..planes {
        let plane = &xs[p * h * w..(p + 1) * h * w];
        for oy in 0..oh {
            let y0 = (oy as i64) * s[0] - geo[0].pre;
            for ox in 0..ow {
                let x0 = (ox as i64) * s[1] - geo[1].pre;
                let (mut max, mut sum, mut inside) = (f32::NEG_INFINITY, 0f64, 0usize);
                let mut padded = 0usize;
                for dy in 0..ky as i64 {
                    let iy = y0 + dy;
                    let in_padded_y = iy >= -geo[0].pre && iy < h as i64 + explicit_post(0);
                    for dx in 0..kx as i64 {
                        let ix = x0 + dx;
                        if in_padded_y && ix >= -geo[1].pre && ix < w as i64 + explicit_post(1) {
                            padded += 1;
                        }
                        if iy >= 0 && iy < h as i64 && ix >= 0 && ix < w as i64 {
                            let v = plane[iy as usize * w + ix as usize];
                            if v > max || v.is_nan() {
                                max = v;
                            }
                            sum += v as f64;
                            inside += 1;
                        }
                    }
                }
                let count = if d.average_count_excludes_padding {
                    inside
                } else {
                    padded
                };
                let avg = if count == 0 {
                    0.0
                } else {
                    (sum / count as f64) as f32
                };
                out.push(match d.pooling_type {
                    PoolingType::Max => max,
                    PoolingType::Average => avg,
                    PoolingType::MaxAverageBlend => (1.0 - blend) * max + blend * avg,
                });
            }
        }
    }
    let mut out_dims = dims[..r - 2].to_vec();
    out_dims.extend([oh, ow]);
    Value::round_from_f32(tensor(out, &out_dims)?, x.dtype())
}

/// `IPaddingLayer`: "adds zero-padding at the start and end of the input tensor. It supports padding only the
/// last two dimensions. Applying negative padding results in cropping of the input."
pub(crate) fn padding(d: &Padding<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let r = x.dims().len();
    let n = d.pre.len();
    if n != d.post.len() || n > r {
        return invalid!("padding {} / {} of a rank-{r} tensor", d.pre, d.post);
    }
    // Zero of the storage type pads reals, integers and booleans alike.
    let mut t = x.tensor().clone();
    for i in 0..n {
        t = crop(&t, r - n + i, -d.pre[i], -d.post[i])?;
    }
    Ok(x.with_tensor(t))
}
