//! Sliding windows: `IConvolutionLayer`, `IDeconvolutionLayer`, `IPoolingLayer` over 1 to 3 spatial dims, and
//! `IPaddingLayer`.
//!
//! The kernels are this crate's own, written from NvInfer.h (not candle's `conv2d` or pooling, which the
//! reference forward uses: a shared misreading would be invisible): output sizes and implicit paddings follow
//! the `PaddingMode` formulas (`window`); convolutions are im2col and one f32 matrix product per image and
//! group (`gemm`, candle's own CPU GEMM library, only for the product), or a direct loop where each output map
//! reads one input channel (depthwise); deconvolutions one product and a scatter into the output; pooling a
//! direct loop. Both cores: rayon, already in candle's dependency tree.

use candle_core::{Storage, Tensor};
use trt::{Dims, Padding, Weights};

use super::{Ctx, Prepared};
use crate::error::{invalid, LayerResult};
use crate::value::{from_weights, Value};

mod convolution;
mod deconvolution;
mod gemm;
mod pooling;
mod window;

pub(crate) use convolution::convolution;
pub(crate) use deconvolution::deconvolution;
pub(crate) use pooling::pooling;

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

/// The channel counts of a convolution or deconvolution.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// Images.
    pub(super) n: usize,
    /// Input channels.
    pub(super) c: usize,
    /// Output maps.
    pub(super) out: usize,
    pub(super) groups: usize,
}

impl Shape {
    /// Checked: NvInfer.h's groups divide the input channels and the output maps.
    pub(super) fn new(n: usize, c: usize, out: i64, groups: i64) -> LayerResult<Self> {
        let (k, g) = (
            usize::try_from(out).unwrap_or(0),
            usize::try_from(groups).unwrap_or(0),
        );
        if g == 0 || k == 0 || c % g != 0 || k % g != 0 {
            return invalid!("{c} input channels, {out} output maps, {groups} groups");
        }
        Ok(Shape {
            n,
            c,
            out: k,
            groups: g,
        })
    }

    pub(super) fn in_per_group(&self) -> usize {
        self.c / self.groups
    }

    pub(super) fn out_per_group(&self) -> usize {
        self.out / self.groups
    }
}

/// The spatial parameters of a convolution or deconvolution description.
macro_rules! spec {
    ($d:expr) => {
        super::window::Spec {
            kernel: &$d.kernel,
            stride: &$d.stride,
            dilation: Some(&$d.dilation),
            pre: &$d.pre_padding,
            post: &$d.post_padding,
            mode: $d.padding_mode,
        }
    };
}
pub(super) use spec;

/// What a convolution and a deconvolution `d` read alike: the Float input, its window from `d`'s geometry
/// (`transposed` for a deconvolution), the channel shape, and the kernel (input 1 where set, else the prepared
/// weights), operands of a product rounded to TF32 where allowed. Returns early from the caller on a refusal.
macro_rules! windowed_operands {
    ($d:expr, $p:expr, $ctx:expr, $op:expr, $transposed:expr) => {{
        let x = $ctx.get($d.input)?;
        if !crate::value::is_float(x.dtype()) {
            return unsupported!("{} of a {:?} tensor", $op, x.dtype());
        }
        let dims = x.dims().to_vec();
        let rank = $d.kernel.rank();
        if dims.len() != rank + 2 {
            return invalid!(
                "input {dims:?} for a {rank}-D kernel {} ([N, C, *spatial] expected)",
                $d.kernel
            );
        }
        let w = super::window::window(&dims[2..], &super::spec!($d), $transposed)?;
        let shape = super::Shape::new(dims[0], dims[1], $d.out_channels, $d.groups)?;
        let kernel = match $ctx.opt($d.kernel_tensor)? {
            Some(k) => $ctx.mma_input(k)?,
            None => $ctx.mma_weights($p)?,
        };
        (x, w, shape, kernel)
    }};
}
pub(super) use windowed_operands;

/// The bias (input 2, else the prepared weights) as `maps` f32 values; not rounded to TF32 (it is added, not
/// multiplied).
pub(super) fn bias(
    input: Option<trt::Tensor<'_>>,
    p: &Prepared,
    ctx: &Ctx<'_, '_>,
    maps: usize,
) -> LayerResult<Option<Vec<f32>>> {
    let b = match ctx.opt(input)? {
        Some(b) => Some(b.to_f32()?),
        None => p.get(1).map(Value::to_f32).transpose()?,
    };
    let Some(b) = b else {
        return Ok(None);
    };
    if b.elem_count() != maps {
        return invalid!("bias of {} values for {maps} output maps", b.elem_count());
    }
    Ok(Some(b.flatten_all()?.to_vec1::<f32>()?))
}

/// Calls `f` with the values of F32 tensor `t` in row-major order, without copying a contiguous tensor (the
/// prepared weights are read in place on every run).
pub(super) fn f32_slice<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> LayerResult<R> {
    let t = t.to_dtype(candle_core::DType::F32)?.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        return invalid!("a tensor outside the CPU");
    };
    let all = cpu.as_slice::<f32>()?;
    let start = layout.start_offset();
    match all.get(start..start + t.elem_count()) {
        Some(values) => Ok(f(values)),
        None => invalid!(
            "a tensor of {} values in storage of {}",
            t.elem_count(),
            all.len()
        ),
    }
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
