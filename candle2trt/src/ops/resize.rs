//! Resampling: nearest-neighbour, bilinear and bicubic resizing (TensorRT's resize layer, sizes from a
//! shape tensor under a dynamic profile).

use candle_core::Tensor;
use trt::{InterpolationMode, ResizeCoordinateTransformation, ResizeOutput, ResizeRoundMode};

use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

/// A resize layer to `target` (height, width) with `mode` and `coordinates` (PyTorch's
/// `nearest`: floor rounding; cubic: TensorRT's default coefficient -0.75 — NvInfer.h,
/// `setCubicCoeff`: "The default cubic coefficient is -0.75" — which is PyTorch's `A`, and no
/// `exclude_outside`: PyTorch repeats the border pixels).
fn resize<'n>(
    x: &TracedTensor<'n>,
    name: &'static str,
    target: (usize, usize),
    mode: InterpolationMode,
    coordinates: ResizeCoordinateTransformation,
    candle: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<TracedTensor<'n>> {
    let op = x.begin(name, &[])?;
    let value = op.named(candle(&x.value))?;
    let shape_tensor = op.shape_with(x.trt, &[(2, target.0 as i64), (3, target.1 as i64)])?;
    let output = match shape_tensor {
        Some(shape) => ResizeOutput::ShapeTensor(shape),
        None => ResizeOutput::Dims(
            value
                .dims()
                .iter()
                .map(|&d| d as i64)
                .collect::<Vec<_>>()
                .into(),
        ),
    };
    let resize = trt::Resize::new(x.trt, output, mode)
        .coordinate_transformation(coordinates)
        .nearest_rounding(ResizeRoundMode::Floor);
    debug_assert!(resize.cubic_coeff == -0.75 && !resize.exclude_outside);
    let t = op.add(resize)?;
    op.finish(value, t)
}

pub(crate) fn upsample_nearest2d<'n>(
    x: &TracedTensor<'n>,
    th: usize,
    tw: usize,
) -> Result<TracedTensor<'n>> {
    // candle and PyTorch's "nearest": source index floor(i · in / out).
    resize(
        x,
        "upsample_nearest2d",
        (th, tw),
        InterpolationMode::Nearest,
        ResizeCoordinateTransformation::Asymmetric,
        |v| TraceTensor::upsample_nearest2d(v, th, tw),
    )
}

pub(crate) fn upsample_bilinear2d<'n>(
    x: &TracedTensor<'n>,
    th: usize,
    tw: usize,
    align_corners: bool,
) -> Result<TracedTensor<'n>> {
    let coordinates = if align_corners {
        ResizeCoordinateTransformation::AlignCorners
    } else {
        ResizeCoordinateTransformation::HalfPixel
    };
    resize(
        x,
        "upsample_bilinear2d",
        (th, tw),
        InterpolationMode::Linear,
        coordinates,
        |v| TraceTensor::upsample_bilinear2d(v, th, tw, align_corners),
    )
}

pub(crate) fn upsample_bicubic2d<'n>(
    x: &TracedTensor<'n>,
    th: usize,
    tw: usize,
    align_corners: bool,
) -> Result<TracedTensor<'n>> {
    // PyTorch's bicubic source coordinate is the half-pixel one, unclamped (ATen's
    // `area_pixel_compute_source_index` with `cubic=true`), as TensorRT's kHALF_PIXEL.
    let coordinates = if align_corners {
        ResizeCoordinateTransformation::AlignCorners
    } else {
        ResizeCoordinateTransformation::HalfPixel
    };
    resize(
        x,
        "upsample_bicubic2d",
        (th, tw),
        InterpolationMode::Cubic,
        coordinates,
        |v| TraceTensor::upsample_bicubic2d(v, th, tw, align_corners),
    )
}
