//! What the vocabulary needs beyond `candle_nn`: a pooling configuration in the style of
//! `candle_nn::Conv2dConfig`, and a group norm whose weights a converter can read
//! (`candle_nn::GroupNorm` keeps them private).

use candle_core::{Tensor, ToUsize2};

use crate::Result;

/// A 2-D pooling window, as `torch.nn.MaxPool2d` / `torch.nn.AvgPool2d` take it: kernel, stride,
/// symmetric padding and `ceil_mode`.
///
/// ```
/// use candle2trt::Pool2dConfig;
///
/// // ResNet's stem: torch.nn.MaxPool2d(3, stride=2, padding=1).
/// let stem = Pool2dConfig::new(3).with_stride(2).with_padding(1);
/// assert_eq!((stem.kernel, stem.stride, stem.padding), ((3, 3), (2, 2), (1, 1)));
/// // SqueezeNet: torch.nn.MaxPool2d(3, stride=2, ceil_mode=True).
/// let squeeze = Pool2dConfig { ceil_mode: true, ..Pool2dConfig::new(3).with_stride(2) };
/// # assert!(squeeze.ceil_mode);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dConfig {
    /// Window size `(h, w)`.
    pub kernel: (usize, usize),
    /// Step between windows `(h, w)`.
    pub stride: (usize, usize),
    /// Padding on each side `(h, w)`: `-inf` for max pooling, zeros for average pooling
    /// (counted in the average as `count_include_pad` says).
    pub padding: (usize, usize),
    /// PyTorch's `ceil_mode=True`: the output size rounds up, so the last window may hang over
    /// the bottom/right edge (it must still start inside the input or the left padding).
    pub ceil_mode: bool,
    /// Padding per side on top of `padding` (TensorFlow's "SAME" pads one more row after than
    /// before), padded like `padding`; TensorRT's pooling layer takes it, still one layer.
    pub side_padding: Pad2d,
    /// Average pooling only: PyTorch's `count_include_pad` (default `true`): whether the zero
    /// padding counts in the average. Padding added by `ceil_mode` never counts, as in PyTorch.
    pub count_include_pad: bool,
}

impl Pool2dConfig {
    /// A `kernel` window with stride = kernel, no padding, floor mode (candle's `max_pool2d`).
    pub fn new(kernel: impl ToUsize2) -> Self {
        let kernel = kernel.to_usize2();
        Self {
            kernel,
            stride: kernel,
            padding: (0, 0),
            ceil_mode: false,
            side_padding: Pad2d::default(),
            count_include_pad: true,
        }
    }

    /// Sets the stride.
    pub fn with_stride(mut self, stride: impl ToUsize2) -> Self {
        self.stride = stride.to_usize2();
        self
    }

    /// Sets the padding.
    pub fn with_padding(mut self, padding: impl ToUsize2) -> Self {
        self.padding = padding.to_usize2();
        self
    }

    /// Sets the padding per side, on top of the symmetric `padding`.
    pub fn with_side_padding(mut self, pad: Pad2d) -> Self {
        self.side_padding = pad;
        self
    }

    /// The padding before and after, `((top, bottom), (left, right))`: `padding` plus
    /// `side_padding`.
    pub fn pre_post(&self) -> ((usize, usize), (usize, usize)) {
        let (p, s) = (self.padding, self.side_padding);
        ((p.0 + s.top, p.0 + s.bottom), (p.1 + s.left, p.1 + s.right))
    }

    /// Sets `ceil_mode`.
    pub fn with_ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Sets `count_include_pad` (average pooling).
    pub fn with_count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }
}

/// A 1-D pooling window, as `torch.nn.MaxPool1d` / `torch.nn.AvgPool1d` take it; applied to
/// `(N, C, L)` as a 2-D window of height 1.
///
/// ```
/// use candle2trt::Pool1dConfig;
///
/// // torch.nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False)
/// let p = Pool1dConfig::new(3).with_stride(2).with_padding(1).with_count_include_pad(false);
/// assert_eq!(p.to_2d().kernel, (1, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool1dConfig {
    /// Window length.
    pub kernel: usize,
    /// Step between windows.
    pub stride: usize,
    /// Padding on each side.
    pub padding: usize,
    /// PyTorch's `ceil_mode`.
    pub ceil_mode: bool,
    /// Average pooling only: PyTorch's `count_include_pad` (default `true`).
    pub count_include_pad: bool,
}

impl Pool1dConfig {
    /// A `kernel` window with stride = kernel, no padding, floor mode, padding counted.
    pub fn new(kernel: usize) -> Self {
        Self {
            kernel,
            stride: kernel,
            padding: 0,
            ceil_mode: false,
            count_include_pad: true,
        }
    }

    /// Sets the stride.
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Sets the padding.
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Sets `ceil_mode`.
    pub fn with_ceil_mode(mut self, ceil_mode: bool) -> Self {
        self.ceil_mode = ceil_mode;
        self
    }

    /// Sets `count_include_pad` (average pooling).
    pub fn with_count_include_pad(mut self, count_include_pad: bool) -> Self {
        self.count_include_pad = count_include_pad;
        self
    }

    /// The same window as a 2-D one of height 1 (`(1, kernel)`, stride `(1, stride)`, ...).
    pub fn to_2d(&self) -> Pool2dConfig {
        Pool2dConfig::new((1, self.kernel))
            .with_stride((1, self.stride))
            .with_padding((0, self.padding))
            .with_ceil_mode(self.ceil_mode)
            .with_count_include_pad(self.count_include_pad)
    }
}

impl Default for Pool2dConfig {
    /// A 1×1 window (the identity), to be completed with `..Default::default()`.
    fn default() -> Self {
        Self::new(1)
    }
}

/// Padding of the two last dimensions of an `(N, C, H, W)` tensor, per side: PyTorch's
/// `F.pad(x, (left, right, top, bottom))`.
///
/// ```
/// use candle2trt::Pad2d;
///
/// // TensorFlow "SAME" for a 3×3 stride-2 window on 224×224: nothing before, one row after.
/// let same = Pad2d::new(0, 1, 0, 1);
/// assert_eq!(same, Pad2d::from_torch([0, 1, 0, 1]));
/// assert_eq!((same.height(), same.width()), ((0, 1), (0, 1)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Pad2d {
    /// Rows before (dimension 2).
    pub top: usize,
    /// Rows after (dimension 2).
    pub bottom: usize,
    /// Columns before (dimension 3).
    pub left: usize,
    /// Columns after (dimension 3).
    pub right: usize,
}

impl Pad2d {
    /// `top`, `bottom` rows and `left`, `right` columns.
    pub fn new(top: usize, bottom: usize, left: usize, right: usize) -> Self {
        Self {
            top,
            bottom,
            left,
            right,
        }
    }

    /// PyTorch's order, as `F.pad` takes it: `[left, right, top, bottom]`.
    pub fn from_torch([left, right, top, bottom]: [usize; 4]) -> Self {
        Self::new(top, bottom, left, right)
    }

    /// `(top, bottom)`.
    pub fn height(&self) -> (usize, usize) {
        (self.top, self.bottom)
    }

    /// `(left, right)`.
    pub fn width(&self) -> (usize, usize) {
        (self.left, self.right)
    }

    /// Whether nothing is padded.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// What [`TraceTensor::pad2d`](crate::TraceTensor::pad2d) fills the border with, as PyTorch's
/// `F.pad(x, pad, mode)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PadMode {
    /// `mode="constant"`: this value.
    Constant(f64),
    /// `mode="reflect"`: mirrored at the edge, the edge itself not repeated (`[1 2 3]` padded
    /// by 2 reads `3 2 [1 2 3] 2 1`); each padding must be smaller than the dimension.
    Reflect,
    /// `mode="replicate"`: the edge repeated (`1 1 [1 2 3] 3 3`).
    Replicate,
}

/// Group normalization (`torch.nn.GroupNorm`) over `(N, C, ...)` inputs: the channels are split
/// into `num_groups` groups, each normalized over its channels and the spatial dimensions, then
/// scaled and shifted per channel.
///
/// `candle_nn::GroupNorm` computes the same but hides its weights; this one exposes them, so
/// the converter can read them. Build it with [`GroupNorm::new`] or [`group_norm`] (from a
/// `VarBuilder`, as `candle_nn::group_norm`).
#[derive(Debug, Clone)]
pub struct GroupNorm {
    weight: Tensor,
    bias: Tensor,
    num_groups: usize,
    eps: f64,
}

impl GroupNorm {
    /// A group norm with per-channel `weight` and `bias` (both `(C,)`); `num_groups` must divide
    /// `C`.
    pub fn new(weight: Tensor, bias: Tensor, num_groups: usize, eps: f64) -> Result<Self> {
        let channels = weight.dims1()?;
        if bias.dims1()? != channels {
            let msg = format!(
                "GroupNorm: weight has {channels} channels, bias {:?}",
                bias.dims()
            );
            return Err(candle_core::Error::Msg(msg).into());
        }
        if num_groups == 0 || channels % num_groups != 0 {
            let msg = format!(
                "GroupNorm: num_groups ({num_groups}) must divide num_channels ({channels})"
            );
            return Err(candle_core::Error::Msg(msg).into());
        }
        Ok(Self {
            weight,
            bias,
            num_groups,
            eps,
        })
    }

    /// The per-channel scale, `(C,)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The per-channel shift, `(C,)`.
    pub fn bias(&self) -> &Tensor {
        &self.bias
    }

    /// The number of groups.
    pub fn num_groups(&self) -> usize {
        self.num_groups
    }

    /// The number of channels `C`.
    pub fn num_channels(&self) -> usize {
        self.weight.dims()[0]
    }

    /// The epsilon added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }
}

/// A [`GroupNorm`] with weights `weight` and `bias` under `vb` (`torch.nn.GroupNorm`'s names;
/// missing ones initialized to 1 and 0), as `candle_nn::group_norm`.
pub fn group_norm(
    num_groups: usize,
    num_channels: usize,
    eps: f64,
    vb: candle_nn::VarBuilder,
) -> Result<GroupNorm> {
    let weight = vb.get_with_hints(num_channels, "weight", candle_nn::Init::Const(1.0))?;
    let bias = vb.get_with_hints(num_channels, "bias", candle_nn::Init::Const(0.0))?;
    GroupNorm::new(weight, bias, num_groups, eps)
}

/// Instance normalization (`torch.nn.InstanceNorm1d/2d/3d(C, eps, affine)`, running statistics
/// off, PyTorch's default) as a [`GroupNorm`] with one group per channel; `weight` and `bias`
/// `(C,)`, or `None` for `affine=False` (scale 1, shift 0). Apply it with
/// [`TraceTensor::instance_norm`](crate::TraceTensor::instance_norm).
pub fn instance_norm(
    num_channels: usize,
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    eps: f64,
    device: &candle_core::Device,
) -> Result<GroupNorm> {
    let ones = || Tensor::ones(num_channels, candle_core::DType::F32, device);
    let zeros = || Tensor::zeros(num_channels, candle_core::DType::F32, device);
    let weight = match weight {
        Some(w) => w,
        None => ones()?,
    };
    let bias = match bias {
        Some(b) => b,
        None => zeros()?,
    };
    GroupNorm::new(weight, bias, num_channels, eps)
}
