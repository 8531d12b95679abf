//! Sliding-window and resampling layers: convolution, deconvolution, pooling, padding, resize, grid sample.

use serde::Serialize;

use super::kind::{enum_field, ones, set_inputs, zeros, Kind};
use crate::enums::{
    InterpolationMode, PaddingMode, PoolingType, ResizeCoordinateTransformation, ResizeRoundMode,
    ResizeSelector, SampleMode,
};
use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};
use crate::types::Dims;
use crate::weights::Weights;

/// Convolution and deconvolution share their parameters (and their shim struct); one macro writes both.
macro_rules! conv_like {
    ($(#[$doc:meta])* $name:ident, $op:literal, $add:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name<'n> {
            /// The input, `[N, C, *spatial]`.
            pub input: Tensor<'n>,
            /// Output channels.
            pub out_channels: i64,
            /// Spatial kernel size (2 dims for 2-D, 3 for 3-D).
            pub kernel: Dims,
            /// Kernel weights (empty when [`Self::kernel_tensor`] gives them).
            pub kernel_weights: Weights,
            /// Bias, one per output channel.
            pub bias: Option<Weights>,
            /// Stride per spatial dim (TensorRT's default: 1).
            pub stride: Dims,
            /// Padding before each spatial dim (default 0).
            pub pre_padding: Dims,
            /// Padding after each spatial dim (default 0).
            pub post_padding: Dims,
            /// Dilation per spatial dim (default 1).
            pub dilation: Dims,
            /// Groups (default 1; `in_channels` for depthwise).
            pub groups: i64,
            /// Padding mode (default explicit, rounding down).
            pub padding_mode: PaddingMode,
            /// Kernel as a tensor (input 1), e.g. dequantized weights: replaces `kernel_weights`.
            pub kernel_tensor: Option<Tensor<'n>>,
            /// Bias as a tensor (input 2): replaces `bias`.
            pub bias_tensor: Option<Tensor<'n>>,
        }

        impl<'n> $name<'n> {
            /// `out_channels` maps of a `kernel`-sized window with `kernel_weights`; no bias, stride 1, no padding.
            pub fn new(
                input: Tensor<'n>,
                out_channels: i64,
                kernel: impl Into<Dims>,
                kernel_weights: Weights,
            ) -> Self {
                let kernel = kernel.into();
                let rank = kernel.rank();
                $name {
                    input,
                    out_channels,
                    kernel,
                    kernel_weights,
                    bias: None,
                    stride: ones(rank),
                    pre_padding: zeros(rank),
                    post_padding: zeros(rank),
                    dilation: ones(rank),
                    groups: 1,
                    padding_mode: PaddingMode::ExplicitRoundDown,
                    kernel_tensor: None,
                    bias_tensor: None,
                }
            }
            /// Sets the bias.
            pub fn bias(mut self, bias: Weights) -> Self {
                self.bias = Some(bias);
                self
            }
            /// Sets the stride.
            pub fn stride(mut self, stride: impl Into<Dims>) -> Self {
                self.stride = stride.into();
                self
            }
            /// Sets symmetric padding (before and after).
            pub fn padding(mut self, padding: impl Into<Dims>) -> Self {
                self.pre_padding = padding.into();
                self.post_padding = self.pre_padding.clone();
                self
            }
            /// Sets asymmetric padding.
            pub fn pre_post_padding(mut self, pre: impl Into<Dims>, post: impl Into<Dims>) -> Self {
                self.pre_padding = pre.into();
                self.post_padding = post.into();
                self
            }
            /// Sets the dilation.
            pub fn dilation(mut self, dilation: impl Into<Dims>) -> Self {
                self.dilation = dilation.into();
                self
            }
            /// Sets the number of groups.
            pub fn groups(mut self, groups: i64) -> Self {
                self.groups = groups;
                self
            }
            /// Sets the padding mode.
            pub fn padding_mode(mut self, mode: PaddingMode) -> Self {
                self.padding_mode = mode;
                self
            }
            /// Takes the kernel from a tensor (input 1) instead of weights.
            pub fn kernel_tensor(mut self, kernel: Tensor<'n>) -> Self {
                self.kernel_tensor = Some(kernel);
                self
            }

            pub(crate) fn weights(&self) -> Vec<(&'static str, &Weights)> {
                let mut w = vec![("kernel_weights", &self.kernel_weights)];
                w.extend(self.bias.as_ref().map(|b| ("bias", b)));
                w
            }
        }

        impl<'n> Kind<'n> for $name<'n> {
            const OP: &'static str = $op;

            fn tensors(&self) -> Vec<Tensor<'n>> {
                let mut t = vec![self.input];
                t.extend(self.kernel_tensor);
                t.extend(self.bias_tensor);
                t
            }

            fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
                let op = Self::OP;
                let kernel_type = self.kernel_weights.data_type();
                let raw = trt_sys::trt_convolution_params {
                    nb_output_maps: self.out_channels,
                    kernel_size: self.kernel.to_raw(op)?,
                    kernel: net.keep(self.kernel_weights),
                    bias: net.keep(self.bias.unwrap_or_else(|| Weights::empty(kernel_type))),
                    stride: self.stride.to_raw(op)?,
                    pre_padding: self.pre_padding.to_raw(op)?,
                    post_padding: self.post_padding.to_raw(op)?,
                    dilation: self.dilation.to_raw(op)?,
                    nb_groups: self.groups,
                    padding_mode: self.padding_mode as i32,
                };
                // SAFETY: the tensors belong to `net`; the weights' bytes are kept in its arena.
                let layer = net.call(op, |n| unsafe { trt_sys::$add(n, self.input.raw(), &raw) })?;
                set_inputs(net, layer, &[(1, self.kernel_tensor), (2, self.bias_tensor)])?;
                Ok(layer)
            }

            fn read(layer: &Layer<'n>) -> Result<Self> {
                let op = Self::OP;
                let p = layer.get(op, trt_sys::trt_layer_get_convolution)?;
                Ok($name {
                    input: layer.need_input(0)?,
                    out_channels: p.nb_output_maps,
                    kernel: Dims::from_raw(&p.kernel_size),
                    kernel_weights: Weights::copied(&p.kernel, op)?,
                    bias: Some(Weights::copied(&p.bias, op)?).filter(|b| b.count() > 0),
                    stride: Dims::from_raw(&p.stride),
                    pre_padding: Dims::from_raw(&p.pre_padding),
                    post_padding: Dims::from_raw(&p.post_padding),
                    dilation: Dims::from_raw(&p.dilation),
                    groups: p.nb_groups,
                    padding_mode: enum_field(op, "padding mode", p.padding_mode, PaddingMode::from_raw)?,
                    kernel_tensor: layer.input(1),
                    bias_tensor: layer.input(2),
                })
            }
        }
    };
}

conv_like! {
    /// A convolution ([`nvinfer1::IConvolutionLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_convolution_layer.html)).
    /// Kernel layout `[out_channels, in_channels / groups, *kernel]` (PyTorch's).
    Convolution, "add_convolution", trt_network_add_convolution
}

conv_like! {
    /// A transposed convolution ([`nvinfer1::IDeconvolutionLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_deconvolution_layer.html)).
    /// Kernel layout `[in_channels, out_channels / groups, *kernel]` (PyTorch's).
    Deconvolution, "add_deconvolution", trt_network_add_deconvolution
}

/// A pooling layer ([`nvinfer1::IPoolingLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_pooling_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pooling<'n> {
    /// The input, `[N, C, *spatial]`.
    pub input: Tensor<'n>,
    /// Max, average or blend.
    pub pooling_type: PoolingType,
    /// Window size per spatial dim.
    pub window: Dims,
    /// Stride (TensorRT's default: 1 per dim).
    pub stride: Dims,
    /// Padding before (default 0).
    pub pre_padding: Dims,
    /// Padding after (default 0).
    pub post_padding: Dims,
    /// Padding mode. `ExplicitRoundUp` gives O = ceil((M - F) / S) + 1 over the padded size M (NvInfer.h); that is
    /// not PyTorch's `ceil_mode=True`, which also drops a last window starting in the right padding.
    pub padding_mode: PaddingMode,
    /// Average pooling: exclude padding from the count (TensorRT's default true; PyTorch's
    /// `count_include_pad=True` is `false` here).
    pub average_count_excludes_padding: bool,
    /// Blend factor of `MaxAverageBlend` (default 0).
    pub blend_factor: f32,
}

impl<'n> Pooling<'n> {
    /// A pooling of `pooling_type` over `window`, stride 1, no padding.
    pub fn new(input: Tensor<'n>, pooling_type: PoolingType, window: impl Into<Dims>) -> Self {
        let window = window.into();
        let rank = window.rank();
        Pooling {
            input,
            pooling_type,
            window,
            stride: ones(rank),
            pre_padding: zeros(rank),
            post_padding: zeros(rank),
            padding_mode: PaddingMode::ExplicitRoundDown,
            average_count_excludes_padding: true,
            blend_factor: 0.0,
        }
    }
    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Dims>) -> Self {
        self.stride = stride.into();
        self
    }
    /// Sets symmetric padding.
    pub fn padding(mut self, padding: impl Into<Dims>) -> Self {
        self.pre_padding = padding.into();
        self.post_padding = self.pre_padding.clone();
        self
    }
    /// Sets asymmetric padding.
    pub fn pre_post_padding(mut self, pre: impl Into<Dims>, post: impl Into<Dims>) -> Self {
        self.pre_padding = pre.into();
        self.post_padding = post.into();
        self
    }
    /// Rounds the output size up (`ExplicitRoundUp`, see [`Pooling::padding_mode`]) or down.
    pub fn round_up(mut self, up: bool) -> Self {
        self.padding_mode = if up {
            PaddingMode::ExplicitRoundUp
        } else {
            PaddingMode::ExplicitRoundDown
        };
        self
    }
    /// Whether average pooling excludes padding from the divisor.
    pub fn exclusive(mut self, exclusive: bool) -> Self {
        self.average_count_excludes_padding = exclusive;
        self
    }
    /// Sets the blend factor (for `MaxAverageBlend`).
    pub fn blend_factor(mut self, blend: f32) -> Self {
        self.blend_factor = blend;
        self
    }
}

impl<'n> Kind<'n> for Pooling<'n> {
    const OP: &'static str = "add_pooling";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let op = Self::OP;
        let raw = trt_sys::trt_pooling_params {
            pooling_type: self.pooling_type as i32,
            window_size: self.window.to_raw(op)?,
            stride: self.stride.to_raw(op)?,
            pre_padding: self.pre_padding.to_raw(op)?,
            post_padding: self.post_padding.to_raw(op)?,
            padding_mode: self.padding_mode as i32,
            average_count_excludes_padding: i32::from(self.average_count_excludes_padding),
            blend_factor: self.blend_factor,
        };
        // SAFETY: the input belongs to `net`.
        net.call(op, |n| unsafe {
            trt_sys::trt_network_add_pooling(n, self.input.raw(), &raw)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let op = Self::OP;
        let p = layer.get(op, trt_sys::trt_layer_get_pooling)?;
        Ok(Pooling {
            input: layer.need_input(0)?,
            pooling_type: enum_field(op, "pooling type", p.pooling_type, PoolingType::from_raw)?,
            window: Dims::from_raw(&p.window_size),
            stride: Dims::from_raw(&p.stride),
            pre_padding: Dims::from_raw(&p.pre_padding),
            post_padding: Dims::from_raw(&p.post_padding),
            padding_mode: enum_field(op, "padding mode", p.padding_mode, PaddingMode::from_raw)?,
            average_count_excludes_padding: p.average_count_excludes_padding != 0,
            blend_factor: p.blend_factor,
        })
    }
}

/// Zero padding of the innermost dims ([`nvinfer1::IPaddingLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_padding_layer.html));
/// negative values crop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Padding<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Padding before each of the innermost dims.
    pub pre: Dims,
    /// Padding after each of the innermost dims.
    pub post: Dims,
}

impl<'n> Padding<'n> {
    /// Pads (or crops, where negative) the innermost dims of `input`.
    pub fn new(input: Tensor<'n>, pre: impl Into<Dims>, post: impl Into<Dims>) -> Self {
        Padding {
            input,
            pre: pre.into(),
            post: post.into(),
        }
    }
}

impl<'n> Kind<'n> for Padding<'n> {
    const OP: &'static str = "add_padding";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let (pre, post) = (self.pre.to_raw(Self::OP)?, self.post.to_raw(Self::OP)?);
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_padding(n, self.input.raw(), &pre, &post)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_padding)?;
        Ok(Padding {
            input: layer.need_input(0)?,
            pre: Dims::from_raw(&p.pre_padding),
            post: Dims::from_raw(&p.post_padding),
        })
    }
}

/// How a resize layer's output size is given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ResizeOutput<'n> {
    /// Static output dims.
    Dims(Dims),
    /// Scale factor per dim: output dim = floor(input dim * scale).
    Scales(Vec<f32>),
    /// A 1-D Int32/Int64 tensor of output dims (input 1), for dynamic shapes.
    ShapeTensor(Tensor<'n>),
}

/// A resize layer ([`nvinfer1::IResizeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_resize_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resize<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Output size.
    pub output: ResizeOutput<'n>,
    /// Interpolation.
    pub mode: InterpolationMode,
    /// Coordinate transformation (TensorRT's default: `Asymmetric`, x_in = x_out / scale; PyTorch's
    /// `align_corners=False` is `HalfPixel`).
    pub coordinate_transformation: ResizeCoordinateTransformation,
    /// Selector for single-pixel outputs (default `Formula`).
    pub selector_for_single_pixel: ResizeSelector,
    /// Nearest rounding mode (default `Floor`, PyTorch's `nearest`).
    pub nearest_rounding: ResizeRoundMode,
    /// Cubic coefficient (default -0.75, PyTorch's); TensorRT takes it in cubic mode only.
    pub cubic_coeff: f32,
    /// Exclude outside pixels (cubic; default false).
    pub exclude_outside: bool,
}

impl<'n> Resize<'n> {
    /// A resize of `input` to `output` with `mode` and TensorRT's defaults otherwise.
    pub fn new(input: Tensor<'n>, output: ResizeOutput<'n>, mode: InterpolationMode) -> Self {
        Resize {
            input,
            output,
            mode,
            coordinate_transformation: ResizeCoordinateTransformation::Asymmetric,
            selector_for_single_pixel: ResizeSelector::Formula,
            nearest_rounding: ResizeRoundMode::Floor,
            cubic_coeff: -0.75,
            exclude_outside: false,
        }
    }
    /// Sets the coordinate transformation.
    pub fn coordinate_transformation(mut self, t: ResizeCoordinateTransformation) -> Self {
        self.coordinate_transformation = t;
        self
    }
    /// Sets the nearest rounding mode.
    pub fn nearest_rounding(mut self, r: ResizeRoundMode) -> Self {
        self.nearest_rounding = r;
        self
    }
    /// Sets the single-pixel selector.
    pub fn selector_for_single_pixel(mut self, s: ResizeSelector) -> Self {
        self.selector_for_single_pixel = s;
        self
    }
}

impl<'n> Kind<'n> for Resize<'n> {
    const OP: &'static str = "add_resize";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let mut t = vec![self.input];
        if let ResizeOutput::ShapeTensor(s) = self.output {
            t.push(s);
        }
        t
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let op = Self::OP;
        let mut raw = trt_sys::trt_resize_params {
            mode: self.mode as i32,
            coordinate_transformation: self.coordinate_transformation as i32,
            selector_for_single_pixel: self.selector_for_single_pixel as i32,
            nearest_rounding: self.nearest_rounding as i32,
            output_dims: Dims::unset(),
            nb_scales: 0,
            scales: [0.0; 8],
            shape_tensor: std::ptr::null_mut(),
            cubic_coeff: self.cubic_coeff,
            exclude_outside: i32::from(self.exclude_outside),
        };
        match &self.output {
            ResizeOutput::Dims(d) => raw.output_dims = d.to_raw(op)?,
            ResizeOutput::Scales(s) => {
                if s.is_empty() || s.len() > Dims::MAX_RANK {
                    return Err(Error::invalid(
                        op,
                        format!("{} scales; expected 1..={}", s.len(), Dims::MAX_RANK),
                    ));
                }
                raw.nb_scales = s.len() as i32;
                raw.scales[..s.len()].copy_from_slice(s);
            }
            ResizeOutput::ShapeTensor(t) => raw.shape_tensor = t.raw(),
        }
        // SAFETY: the tensors belong to `net`.
        net.call(op, |n| unsafe {
            trt_sys::trt_network_add_resize(n, self.input.raw(), &raw)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let op = Self::OP;
        let p = layer.get(op, trt_sys::trt_layer_get_resize)?;
        let output = match layer.tensor(p.shape_tensor) {
            Some(t) => ResizeOutput::ShapeTensor(t),
            None if p.nb_scales > 0 => {
                ResizeOutput::Scales(p.scales[..p.nb_scales as usize].to_vec())
            }
            None => ResizeOutput::Dims(Dims::from_raw(&p.output_dims)),
        };
        Ok(Resize {
            input: layer.need_input(0)?,
            output,
            mode: enum_field(
                op,
                "interpolation mode",
                p.mode,
                InterpolationMode::from_raw,
            )?,
            coordinate_transformation: enum_field(
                op,
                "coordinate transformation",
                p.coordinate_transformation,
                ResizeCoordinateTransformation::from_raw,
            )?,
            selector_for_single_pixel: enum_field(
                op,
                "selector",
                p.selector_for_single_pixel,
                ResizeSelector::from_raw,
            )?,
            nearest_rounding: enum_field(
                op,
                "nearest rounding",
                p.nearest_rounding,
                ResizeRoundMode::from_raw,
            )?,
            cubic_coeff: p.cubic_coeff,
            exclude_outside: p.exclude_outside != 0,
        })
    }
}

/// Grid sampling ([`nvinfer1::IGridSampleLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_grid_sample_layer.html),
/// `torch.nn.functional.grid_sample`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridSample<'n> {
    /// The input, `[N, C, H, W]`.
    pub input: Tensor<'n>,
    /// The sampling grid, `[N, H_out, W_out, 2]`.
    pub grid: Tensor<'n>,
    /// Interpolation.
    pub mode: InterpolationMode,
    /// Whether -1 and 1 are the centers of the corner pixels.
    pub align_corners: bool,
    /// What out-of-bounds coordinates read.
    pub sample_mode: SampleMode,
}

impl<'n> GridSample<'n> {
    /// Samples `input` at `grid`.
    pub fn new(
        input: Tensor<'n>,
        grid: Tensor<'n>,
        mode: InterpolationMode,
        align_corners: bool,
        sample_mode: SampleMode,
    ) -> Self {
        GridSample {
            input,
            grid,
            mode,
            align_corners,
            sample_mode,
        }
    }
}

impl<'n> Kind<'n> for GridSample<'n> {
    const OP: &'static str = "add_grid_sample";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input, self.grid]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_grid_sample(
                n,
                self.input.raw(),
                self.grid.raw(),
                self.mode as i32,
                i32::from(self.align_corners),
                self.sample_mode as i32,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let op = Self::OP;
        let p = layer.get(op, trt_sys::trt_layer_get_grid_sample)?;
        Ok(GridSample {
            input: layer.need_input(0)?,
            grid: layer.need_input(1)?,
            mode: enum_field(
                op,
                "interpolation mode",
                p.mode,
                InterpolationMode::from_raw,
            )?,
            align_corners: p.align_corners != 0,
            sample_mode: enum_field(op, "sample mode", p.sample_mode, SampleMode::from_raw)?,
        })
    }
}
