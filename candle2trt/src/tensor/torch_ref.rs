//! Reference implementations, in candle, of PyTorch ops whose meaning candle does not have or
//! does not share: `torch.chunk`'s and `torch.split`'s pieces, the rounding family (`round` to
//! nearest even, `trunc`, Python's `remainder`, C's `fmod`, `floor_divide`), `prod`, the inverse
//! and hyperbolic trigonometric functions, strided slices, `expand` with `-1`, adaptive max
//! pooling, bicubic resizing and layer norm over the last k dimensions.
//!
//! Each follows PyTorch's definition (the formula is quoted next to it); the plain candle
//! [`TraceTensor`](crate::TraceTensor) uses them, and converters read the same piece and size
//! functions so that TensorRT's layers agree with them.

use candle_core::{DType, Device, Tensor, D};

/// `torch.chunk(x, chunks, dim)`'s pieces `(start, len)` of a dimension of `size`: every piece
/// has `ceil(size / chunks)` elements except the last, so there may be fewer than `chunks`
/// pieces (size 6, 4 chunks: 3 pieces of 2) — unlike candle's `chunk`, which spreads the
/// remainder (size 10, 4 chunks: [3, 3, 2, 2] where PyTorch gives [3, 3, 3, 1]).
pub(crate) fn chunk_pieces(size: usize, chunks: usize) -> candle_core::Result<Vec<(usize, usize)>> {
    if chunks == 0 {
        candle_core::bail!("chunk expects `chunks` to be greater than 0, got 0")
    }
    // torch.chunk of an empty dimension gives one empty piece.
    if size == 0 {
        return Ok(vec![(0, 0)]);
    }
    split_pieces(size, size.div_ceil(chunks))
}

/// `torch.split(x, split_size, dim)`'s pieces: `split_size` elements each, the last smaller.
pub(crate) fn split_pieces(
    size: usize,
    split_size: usize,
) -> candle_core::Result<Vec<(usize, usize)>> {
    if split_size == 0 {
        if size == 0 {
            return Ok(vec![(0, 0)]);
        }
        candle_core::bail!("split: split_size 0 for a dimension of size {size}")
    }
    Ok((0..size)
        .step_by(split_size)
        .map(|start| (start, split_size.min(size - start)))
        .collect())
}

/// `torch.split(x, [s0, s1, ...], dim)`'s pieces: the sizes must add up to the dimension.
pub(crate) fn split_sizes_pieces(
    size: usize,
    sizes: &[usize],
) -> candle_core::Result<Vec<(usize, usize)>> {
    let total: usize = sizes.iter().sum();
    if total != size {
        candle_core::bail!(
            "split_with_sizes: sizes {sizes:?} add up to {total}, the dimension has {size}"
        )
    }
    let mut start = 0;
    Ok(sizes
        .iter()
        .map(|&len| {
            let p = (start, len);
            start += len;
            p
        })
        .collect())
}

/// The pieces `(start, len)` of `x` along `dim`, as narrow views.
pub(crate) fn pieces(
    x: &Tensor,
    dim: usize,
    pieces: &[(usize, usize)],
) -> candle_core::Result<Vec<Tensor>> {
    pieces
        .iter()
        .map(|&(start, len)| x.narrow(dim, start, len))
        .collect()
}

/// The elements `start, start + step, ...` below `end` of a dimension of `size`, as
/// `x[start:end:step]` with non-negative bounds (`end` clamped to `size`, as Python's slices):
/// `(start, count)`.
pub(crate) fn slice_count(
    size: usize,
    start: usize,
    end: usize,
    step: usize,
) -> candle_core::Result<(usize, usize)> {
    if step == 0 {
        candle_core::bail!("slice step must be positive, got 0")
    }
    let end = end.min(size);
    let start = start.min(end);
    Ok((start, (end - start).div_ceil(step)))
}

/// `x[..., start:end:step, ...]` along `dim` (PyTorch's `aten::slice(x, dim, start, end, step)`).
pub(crate) fn slice(
    x: &Tensor,
    dim: usize,
    start: usize,
    end: usize,
    step: usize,
) -> candle_core::Result<Tensor> {
    let (start, count) = slice_count(x.dim(dim)?, start, end, step)?;
    if step == 1 || count <= 1 {
        return x.narrow(dim, start, count);
    }
    let ids: Vec<u32> = (0..count).map(|i| (start + i * step) as u32).collect();
    x.index_select(&Tensor::from_vec(ids, count, x.device())?, dim)
}

/// `x.expand(*sizes)`'s shape: `-1` keeps a dimension, new leading dimensions come first, and
/// only size-1 dimensions grow (PyTorch's rules).
pub(crate) fn expand_shape(dims: &[usize], sizes: &[i64]) -> candle_core::Result<Vec<usize>> {
    if sizes.len() < dims.len() {
        candle_core::bail!(
            "expand: {} sizes {sizes:?} for a tensor of rank {} ({dims:?}): the number of sizes \
             must be at least the rank",
            sizes.len(),
            dims.len()
        )
    }
    let lead = sizes.len() - dims.len();
    sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            if i < lead {
                if s < 0 {
                    candle_core::bail!(
                        "expand: size {s} for new leading dimension {i} of {sizes:?}"
                    )
                }
                return Ok(s as usize);
            }
            let d = dims[i - lead];
            match s {
                -1 => Ok(d),
                s if s >= 0 && (s as usize == d || d == 1) => Ok(s as usize),
                s => candle_core::bail!(
                    "expand: size {s} for dimension {i} of size {d} ({dims:?} to {sizes:?}): only \
                     size-1 dimensions expand"
                ),
            }
        })
        .collect()
}

/// `x.expand(*sizes)`.
pub(crate) fn expand(x: &Tensor, sizes: &[i64]) -> candle_core::Result<Tensor> {
    let shape = expand_shape(x.dims(), sizes)?;
    x.broadcast_as(shape)?.contiguous()
}

/// `f` applied to every element in f64, the result in `x`'s dtype on `x`'s device.
pub(crate) fn map_f64(x: &Tensor, f: impl Fn(f64) -> f64) -> candle_core::Result<Tensor> {
    let v: Vec<f64> = x
        .to_device(&Device::Cpu)?
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?
        .into_iter()
        .map(f)
        .collect();
    Tensor::from_vec(v, x.shape(), &Device::Cpu)?
        .to_dtype(x.dtype())?
        .to_device(x.device())
}

/// `f(a, b)` element by element after broadcasting, in f32 (PyTorch's float32 arithmetic), the
/// result in `a`'s dtype on `a`'s device.
pub(crate) fn zip_f32(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(f32, f32) -> f32,
) -> candle_core::Result<Tensor> {
    let shape = a.shape().broadcast_shape_binary_op(b.shape(), "zip")?;
    let flat = |t: &Tensor| -> candle_core::Result<Vec<f32>> {
        t.broadcast_as(shape.clone())?
            .to_device(&Device::Cpu)?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()
    };
    let (x, y) = (flat(a)?, flat(b)?);
    let v: Vec<f32> = x.iter().zip(&y).map(|(&p, &q)| f(p, q)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu)?
        .to_dtype(a.dtype())?
        .to_device(a.device())
}

/// `f(a, b)` element by element for integer tensors, in i64, the result in `a`'s dtype.
pub(crate) fn zip_i64(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(i64, i64) -> candle_core::Result<i64>,
) -> candle_core::Result<Tensor> {
    let shape = a.shape().broadcast_shape_binary_op(b.shape(), "zip")?;
    let flat = |t: &Tensor| -> candle_core::Result<Vec<i64>> {
        t.broadcast_as(shape.clone())?
            .to_device(&Device::Cpu)?
            .to_dtype(DType::I64)?
            .flatten_all()?
            .to_vec1::<i64>()
    };
    let (x, y) = (flat(a)?, flat(b)?);
    let v = x
        .iter()
        .zip(&y)
        .map(|(&p, &q)| f(p, q))
        .collect::<candle_core::Result<Vec<i64>>>()?;
    Tensor::from_vec(v, shape, &Device::Cpu)?
        .to_dtype(a.dtype())?
        .to_device(a.device())
}

fn is_int(dt: DType) -> bool {
    matches!(dt, DType::U8 | DType::U32 | DType::I64)
}

fn int_divisor(q: i64, op: &str) -> candle_core::Result<()> {
    if q == 0 {
        candle_core::bail!("{op}: integer division by zero")
    }
    Ok(())
}

/// `torch.floor_divide(a, b)` (broadcasting): PyTorch's floating-point rule (ATen's
/// `div_floor_floating`): `mod = fmod(a, b)`, `div = (a - mod) / b`, one less when `mod` and `b`
/// differ in sign, then rounded to the nearest integer; floor division for integers.
pub(crate) fn floor_divide(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if is_int(a.dtype()) {
        return zip_i64(a, b, |p, q| {
            int_divisor(q, "floor_divide")?;
            let d = p.wrapping_div(q);
            Ok(if p % q != 0 && ((p < 0) != (q < 0)) {
                d - 1
            } else {
                d
            })
        });
    }
    zip_f32(a, b, |p, q| {
        if q == 0.0 {
            return p / q;
        }
        let m = p % q;
        let mut div = (p - m) / q;
        if m != 0.0 && ((q < 0.0) != (m < 0.0)) {
            div -= 1.0;
        }
        if div == 0.0 {
            return 0.0f32.copysign(p / q);
        }
        let mut floor = div.floor();
        if div - floor > 0.5 {
            floor += 1.0;
        }
        floor
    })
}

/// `torch.remainder(a, b)` (broadcasting), Python's `%`: the result has the sign of `b`
/// (ATen: `mod = fmod(a, b); if mod != 0 and (b < 0) != (mod < 0): mod += b`).
pub(crate) fn remainder(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if is_int(a.dtype()) {
        return zip_i64(a, b, |p, q| {
            int_divisor(q, "remainder")?;
            let m = p % q;
            Ok(if m != 0 && ((q < 0) != (m < 0)) {
                m + q
            } else {
                m
            })
        });
    }
    zip_f32(a, b, |p, q| {
        let m = p % q;
        if m != 0.0 && ((q < 0.0) != (m < 0.0)) {
            m + q
        } else {
            m
        }
    })
}

/// `torch.fmod(a, b)` (broadcasting), C's `fmod`: the result has the sign of `a`.
pub(crate) fn fmod(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if is_int(a.dtype()) {
        return zip_i64(a, b, |p, q| {
            int_divisor(q, "fmod")?;
            Ok(p % q)
        });
    }
    // Rust's `%` on floats is C's fmod (exact).
    zip_f32(a, b, |p, q| p % q)
}

/// A scalar of `x`'s dtype and device, broadcastable against it.
pub(crate) fn scalar_like(x: &Tensor, v: f64) -> candle_core::Result<Tensor> {
    Tensor::new(&[v], x.device())?
        .to_dtype(x.dtype())?
        .reshape(vec![1; x.rank()])
}

/// `torch.prod(x, dim, keepdim)`: the product along `dim`, multiplied in order.
pub(crate) fn prod(x: &Tensor, dim: usize, keepdim: bool) -> candle_core::Result<Tensor> {
    let n = x.dim(dim)?;
    // The empty product is 1.
    let mut acc = if n == 0 {
        let mut dims = x.dims().to_vec();
        dims[dim] = 1;
        Tensor::ones(dims, x.dtype(), x.device())?
    } else {
        x.narrow(dim, 0, 1)?
    };
    for i in 1..n {
        acc = (acc * x.narrow(dim, i, 1)?)?;
    }
    if keepdim {
        Ok(acc)
    } else {
        acc.squeeze(dim)
    }
}

/// PyTorch's adaptive window `i` of `out` over `size`: `floor(i·size/out) .. ceil((i+1)·size/out)`.
pub(crate) fn adaptive_window(i: usize, size: usize, out: usize) -> (usize, usize) {
    (i * size / out, ((i + 1) * size).div_ceil(out))
}

/// `torch.nn.AdaptiveMaxPool2d((out_h, out_w))` on `(N, C, H, W)`: the maximum of each
/// adaptive window (windows may have unequal sizes and overlap).
pub(crate) fn adaptive_max_pool2d(
    x: &Tensor,
    (out_h, out_w): (usize, usize),
) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    if out_h == 0 || out_w == 0 {
        candle_core::bail!(
            "adaptive_max_pool2d: output size must be positive, got ({out_h}, {out_w})"
        )
    }
    // Max is separable: rows first, then columns.
    let rows = (0..out_h)
        .map(|i| {
            let (a, b) = adaptive_window(i, h, out_h);
            x.narrow(2, a, b - a)?.max_keepdim(2)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let rows = Tensor::cat(&rows, 2)?;
    let cols = (0..out_w)
        .map(|j| {
            let (a, b) = adaptive_window(j, w, out_w);
            rows.narrow(3, a, b - a)?.max_keepdim(3)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::cat(&cols, 3)
}

/// The `(n_out, n_in)` matrix of PyTorch's bicubic interpolation along one axis (ATen's
/// `upsample_bicubic2d`): source coordinate `(o + 0.5)·in/out - 0.5` (`o·(in-1)/(out-1)` with
/// `align_corners`), not clamped; four taps at `floor(x) - 1 .. floor(x) + 2` clamped to the
/// border, Keys' cubic convolution weights with `A = -0.75`.
pub(crate) fn bicubic_matrix(
    n_in: usize,
    n_out: usize,
    align_corners: bool,
) -> candle_core::Result<Tensor> {
    const A: f64 = -0.75;
    let cubic1 = |s: f64| ((A + 2.0) * s - (A + 3.0)) * s * s + 1.0;
    let cubic2 = |s: f64| ((A * s - 5.0 * A) * s + 8.0 * A) * s - 4.0 * A;
    let mut m = vec![0f64; n_out * n_in];
    let last = n_in as i64 - 1;
    for o in 0..n_out {
        let x = if align_corners {
            if n_out > 1 {
                o as f64 * (n_in as f64 - 1.0) / (n_out as f64 - 1.0)
            } else {
                0.0
            }
        } else {
            (o as f64 + 0.5) * n_in as f64 / n_out as f64 - 0.5
        };
        let base = x.floor();
        let t = x - base;
        let weights = [cubic2(t + 1.0), cubic1(t), cubic1(1.0 - t), cubic2(2.0 - t)];
        for (k, w) in weights.iter().enumerate() {
            let i = (base as i64 - 1 + k as i64).clamp(0, last) as usize;
            m[o * n_in + i] += w;
        }
    }
    Tensor::from_vec(m, (n_out, n_in), &Device::Cpu)?.to_dtype(DType::F32)
}

/// `F.interpolate(x, size=(h, w), mode="bicubic", align_corners=...)` on `(N, C, H, W)`: one
/// matrix per axis, `M_h · x · M_wᵀ`.
pub(crate) fn upsample_bicubic2d(
    x: &Tensor,
    (out_h, out_w): (usize, usize),
    align_corners: bool,
) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let dt = x.dtype();
    let m_h = bicubic_matrix(h, out_h, align_corners)?
        .to_dtype(dt)?
        .to_device(x.device())?;
    let m_w = bicubic_matrix(w, out_w, align_corners)?
        .to_dtype(dt)?
        .to_device(x.device())?;
    let rows = x.broadcast_matmul(&m_w.t()?.contiguous()?)?;
    m_h.broadcast_matmul(&rows)
}

/// `F.layer_norm(x, normalized_shape, weight, bias, eps)` over the last `k` dimensions, where
/// `k` is the rank of `weight` (PyTorch's `normalized_shape`): biased variance, as PyTorch.
/// Without `remove_mean` (candle's RMS-style `LayerNorm`), `x / sqrt(mean(x²) + eps)`.
pub(crate) fn layer_norm(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    eps: f64,
    remove_mean: bool,
) -> candle_core::Result<Tensor> {
    let k = weight.rank();
    let rank = x.rank();
    if k == 0 || k > rank || x.dims()[rank - k..] != *weight.dims() {
        candle_core::bail!(
            "layer_norm: weight of shape {:?} (normalized_shape) does not match the last \
             dimensions of the input {:?}",
            weight.dims(),
            x.dims()
        )
    }
    let dt = x.dtype();
    let lead = &x.dims()[..rank - k];
    let mut shape: Vec<usize> = lead.to_vec();
    shape.push(weight.elem_count());
    let flat = x.to_dtype(DType::F32)?.reshape(shape)?;
    let centered = if remove_mean {
        flat.broadcast_sub(&flat.mean_keepdim(D::Minus1)?)?
    } else {
        flat
    };
    let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centered
        .broadcast_div(&(var + eps)?.sqrt()?)?
        .reshape(x.dims())?;
    let mut y = normed.broadcast_mul(&weight.to_dtype(DType::F32)?)?;
    if let Some(b) = bias {
        y = y.broadcast_add(&b.to_dtype(DType::F32)?)?;
    }
    y.to_dtype(dt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// torch.chunk(arange(10), 4) → sizes [3, 3, 3, 1]; torch.chunk(arange(6), 4) → [2, 2, 2].
    #[test]
    fn chunk_pieces_are_torch_chunks() {
        let sizes = |n, k| -> Vec<usize> {
            chunk_pieces(n, k)
                .unwrap()
                .into_iter()
                .map(|p| p.1)
                .collect()
        };
        assert_eq!(sizes(10, 4), [3, 3, 3, 1]);
        assert_eq!(sizes(6, 4), [2, 2, 2]);
        assert_eq!(sizes(3, 5), [1, 1, 1]);
        assert_eq!(sizes(8, 4), [2, 2, 2, 2]);
        assert!(chunk_pieces(4, 0).is_err());
        assert!(split_sizes_pieces(10, &[2, 5]).is_err());
        assert_eq!(slice_count(11, 1, 9, 3).unwrap(), (1, 3));
        assert_eq!(slice_count(11, 2, usize::MAX, 4).unwrap(), (2, 3));
    }

    /// Python: -7 % 2 == 1, -7 // 2 == -4; C: fmod(-7, 2) == -1.
    #[test]
    fn integer_sign_rules() {
        let dev = Device::Cpu;
        let a = Tensor::new(&[-7i64, 7, -7, 7], &dev).unwrap();
        let b = Tensor::new(&[2i64, -2, -2, 2], &dev).unwrap();
        let v = |t: Tensor| t.to_vec1::<i64>().unwrap();
        assert_eq!(v(remainder(&a, &b).unwrap()), [1, -1, -1, 1]);
        assert_eq!(v(fmod(&a, &b).unwrap()), [-1, 1, -1, 1]);
        assert_eq!(v(floor_divide(&a, &b).unwrap()), [-4, -4, 3, 3]);
    }
}
