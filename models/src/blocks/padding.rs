//! TensorFlow's "SAME" padding.

use candle2trt::{Pad2d, PadMode, Result, TraceTensor};

/// TensorFlow's "SAME" padding of one spatial dimension of size `size`: the output has
/// `ceil(size / stride)` positions, and the zeros that needs are split `(before, after)` with
/// the odd one after.
///
/// ```
/// use candle2trt_models::blocks::same_padding;
/// assert_eq!(same_padding(224, 3, 2, 1), (0, 1)); // EfficientNet-Lite0's stem
/// assert_eq!(same_padding(56, 5, 2, 1), (1, 2));
/// assert_eq!(same_padding(65, 5, 2, 1), (2, 2));
/// assert_eq!(same_padding(7, 3, 1, 1), (1, 1));
/// ```
pub fn same_padding(size: usize, kernel: usize, stride: usize, dilation: usize) -> (usize, usize) {
    let out = size.div_ceil(stride.max(1));
    let span = (kernel.max(1) - 1) * dilation + 1;
    let total = ((out.max(1) - 1) * stride + span).saturating_sub(size);
    (total / 2, total - total / 2)
}

/// The per-side zeros of TensorFlow's "SAME" padding for an `(N, C, H, W)` input and a window
/// of `kernel`, `stride` and `dilation` (height, width), from the input's height and width (the
/// sample's, when traced: they must be static dimensions of the engine).
pub fn same_pad2d<T: TraceTensor>(
    x: &T,
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
) -> Result<Pad2d> {
    let (top, bottom) = same_padding(x.dim(2)?, kernel.0, stride.0, dilation.0);
    let (left, right) = same_padding(x.dim(3)?, kernel.1, stride.1, dilation.1);
    Ok(Pad2d::new(top, bottom, left, right))
}

/// Pads an `(N, C, H, W)` input with zeros for a TensorFlow "SAME" window of `kernel`,
/// `stride` and `dilation` (height, width), as EfficientNet-PyTorch's
/// `Conv2dStaticSamePadding` does before its convolution: one [`TraceTensor::pad2d`] (one
/// TensorRT layer). Before a convolution, [`TraceTensor::conv2d_padded`] with
/// [`same_pad2d`] pads inside the convolution layer instead ([`Conv`](super::Conv) does).
pub fn pad_same<T: TraceTensor>(
    x: &T,
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
) -> Result<T> {
    let pad = same_pad2d(x, kernel, stride, dilation)?;
    if pad.is_zero() {
        return Ok(x.clone());
    }
    x.pad2d(pad, PadMode::Constant(0.0))
}

#[cfg(test)]
mod tests {
    use super::same_padding;

    /// TensorFlow's formula written the other way round: the padded input holds exactly the
    /// windows of `ceil(size / stride)` outputs, and before ≤ after ≤ before + 1.
    #[test]
    fn same_padding_gives_ceil_outputs_with_the_odd_zero_after() {
        for size in 1..40 {
            for kernel in 1..8 {
                for stride in 1..4 {
                    for dilation in 1..3 {
                        let (b, a) = same_padding(size, kernel, stride, dilation);
                        let span = (kernel - 1) * dilation + 1;
                        let padded = size + b + a;
                        let out = if padded >= span {
                            (padded - span) / stride + 1
                        } else {
                            0
                        };
                        let case = (size, kernel, stride, dilation);
                        assert_eq!(out, size.div_ceil(stride), "{case:?}");
                        assert!(b <= a && a <= b + 1, "{case:?}: {b}, {a}");
                    }
                }
            }
        }
    }
}
