//! Window arithmetic shared by convolution, deconvolution and pooling: output sizes and the padding the
//! windows read, per spatial dim, from NvInfer.h's `PaddingMode` formulas.
//!
//! Every kernel runs at three spatial dims: a 1-D or 2-D window is lifted with leading unit dims (size 1, kernel
//! 1, stride 1, dilation 1, no padding), which reads exactly the same elements. NvInfer.h's
//! `INetworkDefinition::addConvolutionNd` / `addPoolingNd` / `addDeconvolutionNd`: "Only 2D or 3D convolution
//! [pooling, deconvolution] is supported"; 1-D layers reach TensorRT as 2-D with a unit dim (the converters do
//! this), and a 1-D window, should one be read back, is computed the same way.

use trt::{Dims, PaddingMode};

use crate::error::{invalid, unsupported, LayerResult};

/// The spatial rank the kernels run at.
pub(super) const RANK: usize = 3;

/// Per spatial dim: output size, pre-padding and post-padding that the windows read (post-padding grows
/// where `kEXPLICIT_ROUND_UP` lets the last window run past the padded input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Geometry {
    pub(super) out: usize,
    pub(super) pre: i64,
    pub(super) post: i64,
}

/// NvInfer.h's `PaddingMode` formulas. `I` input, `B`/`A` pre/post padding, `S` stride, `DK = 1 + D*(F-1)`,
/// `M = I + B + A`:
/// - `kEXPLICIT_ROUND_DOWN`: "O = floor((M - DK) / S) + 1"; `kEXPLICIT_ROUND_UP`: "O = ceil((M - DK) / S) + 1"
/// - `kSAME_UPPER`: "O = ceil(I / S); P = floor((I - 1) / S) * S + DK - I; B = floor(P / 2); A = P - B";
///   `kSAME_LOWER` swaps A and B. P is taken as at least 0 (see docs/verification.md).
/// - Deconvolution, explicit: "O = (I - 1) * S + DK - (B + A)"; SAME: "O = min(I * S, (I - 1) * S + DK);
///   P = max(DK - S, 0)".
pub(super) fn geometry(
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

/// The spatial parameters of a convolution, deconvolution or pooling description.
pub(super) struct Spec<'a> {
    pub(super) kernel: &'a Dims,
    pub(super) stride: &'a Dims,
    /// `None` for pooling (no dilation).
    pub(super) dilation: Option<&'a Dims>,
    pub(super) pre: &'a Dims,
    pub(super) post: &'a Dims,
    pub(super) mode: PaddingMode,
}

/// A layer's windows, lifted to [`RANK`] spatial dims (`[depth, height, width]`).
#[derive(Debug, Clone)]
pub(super) struct Window {
    /// The layer's own spatial rank (1 to 3).
    pub(super) rank: usize,
    pub(super) input: [usize; RANK],
    pub(super) kernel: [usize; RANK],
    pub(super) stride: [usize; RANK],
    pub(super) dilation: [usize; RANK],
    pub(super) geo: [Geometry; RANK],
}

impl Window {
    /// Output size per lifted dim.
    pub(super) fn out(&self) -> [usize; RANK] {
        self.geo.map(|g| g.out)
    }

    /// The output's spatial dims at the layer's own rank.
    pub(super) fn out_dims(&self) -> Vec<usize> {
        self.out()[RANK - self.rank..].to_vec()
    }

    /// Elements of one input plane.
    pub(super) fn in_len(&self) -> usize {
        self.input.iter().product()
    }

    /// Elements of one output plane.
    pub(super) fn out_len(&self) -> usize {
        self.out().iter().product()
    }

    /// Kernel positions per window.
    pub(super) fn taps(&self) -> usize {
        self.kernel.iter().product()
    }

    /// Kernel position `tap` (row-major over the lifted kernel) as per-dim offsets.
    pub(super) fn tap(&self, tap: usize) -> [usize; RANK] {
        let [_, kh, kw] = self.kernel;
        [tap / (kh * kw), (tap / kw) % kh, tap % kw]
    }

    /// Whether each output element reads exactly the input element at its own position (1×1 kernel, unit
    /// stride, no padding): the convolution is then a plain matrix product over channels.
    pub(super) fn is_pointwise(&self) -> bool {
        self.kernel.iter().all(|&k| k == 1)
            && self.stride.iter().all(|&s| s == 1)
            && self.geo.iter().all(|g| g.pre == 0 && g.post == 0)
    }
}

/// The windows of `spec` over an input whose spatial dims are `spatial` (the layer's last dims).
pub(super) fn window(spatial: &[usize], spec: &Spec<'_>, transposed: bool) -> LayerResult<Window> {
    let rank = spec.kernel.rank();
    if rank == 0 || rank > RANK {
        return unsupported!(
            "{rank}-D windows (NvInfer.h: \"Only 2D or 3D\"; 1-D is simulated as well)"
        );
    }
    let ones = Dims::new(vec![1; rank]);
    let dilation = spec.dilation.unwrap_or(&ones);
    for (what, d) in [
        ("stride", spec.stride),
        ("dilation", dilation),
        ("pre-padding", spec.pre),
        ("post-padding", spec.post),
    ] {
        if d.rank() != rank {
            return invalid!("{what} {d} for a {rank}-D kernel {}", spec.kernel);
        }
    }
    if spatial.len() != rank {
        return invalid!(
            "{rank}-D kernel {} over spatial dims {spatial:?}",
            spec.kernel
        );
    }
    let lift = RANK - rank;
    let mut w = Window {
        rank,
        input: [1; RANK],
        kernel: [1; RANK],
        stride: [1; RANK],
        dilation: [1; RANK],
        geo: [Geometry {
            out: 1,
            pre: 0,
            post: 0,
        }; RANK],
    };
    for i in 0..rank {
        let (k, s, d) = (spec.kernel[i], spec.stride[i], dilation[i]);
        if k <= 0 || d <= 0 || s <= 0 {
            return invalid!(
                "kernel {}, stride {}, dilation {dilation}",
                spec.kernel,
                spec.stride
            );
        }
        let dk = 1 + d * (k - 1);
        let geo = geometry(
            spec.mode,
            spatial[i] as i64,
            dk,
            s,
            spec.pre[i],
            spec.post[i],
            transposed,
        )?;
        let j = lift + i;
        w.input[j] = spatial[i];
        w.kernel[j] = k as usize;
        w.stride[j] = s as usize;
        w.dilation[j] = d as usize;
        w.geo[j] = geo;
    }
    Ok(w)
}

/// The range of positions `p` in `0..count` whose read `p * stride + offset` falls inside `0..len`.
pub(super) fn valid(
    count: usize,
    stride: usize,
    offset: i64,
    len: usize,
) -> std::ops::Range<usize> {
    let s = stride as i64;
    // p * s + offset >= 0  <=>  p >= ceil(-offset / s)
    let lo = (-offset).max(0);
    let lo = (lo + s - 1) / s;
    // p * s + offset <= len - 1  <=>  p <= floor((len - 1 - offset) / s)
    let top = len as i64 - 1 - offset;
    if top < 0 {
        return 0..0;
    }
    let hi = (top / s + 1).min(count as i64);
    let lo = lo.min(hi).max(0);
    lo as usize..hi as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NvInfer.h's "Pooling Example 1": I = 6, B = 3, A = 2, S = 2, F = 3 gives O = 5 rounding down and up;
    /// SAME_UPPER gives O = 3, B = 0, A = 1 and SAME_LOWER B = 1, A = 0. "Example 2" (A = 3), which the header
    /// asks without answering: its formulas give 5 rounding down, 6 rounding up.
    #[test]
    fn header_examples() {
        let g = |mode, a| geometry(mode, 6, 3, 2, 3, a, false).unwrap();
        let geo = |out, pre, post| Geometry { out, pre, post };
        assert_eq!(g(PaddingMode::ExplicitRoundDown, 2), geo(5, 3, 2));
        assert_eq!(g(PaddingMode::ExplicitRoundUp, 2), geo(5, 3, 2));
        assert_eq!(g(PaddingMode::SameUpper, 2), geo(3, 0, 1));
        assert_eq!(g(PaddingMode::SameLower, 2), geo(3, 1, 0));
        assert_eq!(g(PaddingMode::ExplicitRoundDown, 3).out, 5);
        // Round up: the sixth window starts at 10 and ends past M = 12 by one position, read as padding.
        assert_eq!(g(PaddingMode::ExplicitRoundUp, 3), geo(6, 3, 4));
    }

    #[test]
    fn valid_ranges_match_a_scan() {
        for count in 0..6 {
            for stride in 1..4 {
                for offset in -7..7 {
                    for len in 0..6 {
                        let scan: Vec<usize> = (0..count)
                            .filter(|&p| {
                                let i = (p * stride) as i64 + offset;
                                i >= 0 && i < len as i64
                            })
                            .collect();
                        let r = valid(count, stride, offset, len);
                        assert_eq!(
                            r.collect::<Vec<_>>(),
                            scan,
                            "{count} {stride} {offset} {len}"
                        );
                    }
                }
            }
        }
    }
}
