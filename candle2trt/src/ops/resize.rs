//! Resampling: nearest-neighbour and bilinear upsampling (TensorRT's resize layer, sizes from a
//! shape tensor under a dynamic profile).

use candle_core::Tensor;
use trt::{InterpolationMode, ResizeCoordinateTransformation, ResizeOutput, ResizeRoundMode};

use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

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
