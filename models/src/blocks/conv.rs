//! Convolutions with PyTorch's or TensorFlow's padding, and conv + batch norm + activation.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, BatchNorm, BatchNormConfig, Conv2d, VarBuilder};

use super::padding::same_pad2d;

/// PyTorch's default `BatchNorm2d` epsilon.
pub const BN_EPS: f64 = 1e-5;

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// PyTorch's `padding=p`: `p` zeros on each side of both spatial dimensions.
    Symmetric(usize),
    /// TensorFlow's `padding="SAME"` (EfficientNet-Lite, models ported from TensorFlow): the
    /// output is `ceil(input / stride)` and the total padding that needs is split with the odd
    /// zero **after** (bottom/right), computed from each input's height and width. See
    /// [`same_padding`](super::same_padding).
    TfSame,
}

/// The shape of a convolution, with PyTorch's `nn.Conv2d` defaults: stride 1, no padding,
/// dilation 1, one group, a bias.
///
/// ```
/// use candle2trt_models::blocks::ConvConfig;
/// // nn.Conv2d(in, out, 3, stride=2, padding=1, bias=False)
/// let cfg = ConvConfig::new(3).stride(2).padding(1).no_bias();
/// // a depthwise 5×5 with TensorFlow's "SAME" padding
/// let dw = ConvConfig::new(5).groups(96).tf_same().no_bias();
/// # let _ = (cfg, dw);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvConfig {
    /// Square kernel size.
    pub kernel_size: usize,
    /// Stride of both spatial dimensions.
    pub stride: usize,
    /// Padding.
    pub padding: Padding,
    /// Dilation of both spatial dimensions.
    pub dilation: usize,
    /// Groups (`groups == channels` for a depthwise convolution).
    pub groups: usize,
    /// Whether the layer has a bias (`<name>.bias`).
    pub bias: bool,
}

impl ConvConfig {
    /// `nn.Conv2d(in, out, kernel_size)`: stride 1, no padding, a bias.
    pub fn new(kernel_size: usize) -> Self {
        Self {
            kernel_size,
            stride: 1,
            padding: Padding::Symmetric(0),
            dilation: 1,
            groups: 1,
            bias: true,
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Sets PyTorch's symmetric padding.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = Padding::Symmetric(padding);
        self
    }

    /// Pads by `(kernel_size - 1) / 2` on each side, torchvision's default for odd kernels
    /// (`Conv2dNormActivation`), which keeps the size at stride 1.
    pub fn centered(self) -> Self {
        let k = (self.kernel_size - 1) * self.dilation + 1;
        self.padding((k - 1) / 2)
    }

    /// Sets TensorFlow's "SAME" padding.
    pub fn tf_same(mut self) -> Self {
        self.padding = Padding::TfSame;
        self
    }

    /// Sets the dilation.
    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = dilation;
        self
    }

    /// Sets the number of groups.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// Drops the bias (`bias=False`, usual before a batch norm).
    pub fn no_bias(mut self) -> Self {
        self.bias = false;
        self
    }
}

/// `nn.Conv2d`, or TensorFlow's "SAME"-padded convolution, loading `vb.weight` (and
/// `vb.bias`).
///
/// With [`Padding::TfSame`] and stride 1 the padding does not depend on the input size
/// (`(k - 1) · dilation` in total); when that total is even it is built into the convolution
/// (no extra layer). Otherwise the per-side padding ([`same_pad2d`](super::same_pad2d)) is
/// the convolution layer's own padding before and after
/// ([`TraceTensor::conv2d_padded`]): still one TensorRT layer. Height and width are read from the input when it is traced,
/// so they must be static dimensions of the engine.
#[derive(Debug, Clone)]
pub struct Conv {
    conv: Conv2d,
    /// `(kernel, stride, dilation)` when the input is padded per side before the convolution.
    pad_before: Option<(usize, usize, usize)>,
}

impl Conv {
    /// Loads `vb.weight` `(out, in / groups, k, k)` and, with `cfg.bias`, `vb.bias` `(out)`.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        cfg: ConvConfig,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let effective_kernel = (cfg.kernel_size - 1) * cfg.dilation + 1;
        let (padding, pad_before) = match cfg.padding {
            Padding::Symmetric(p) => (p, None),
            Padding::TfSame if cfg.stride == 1 && (effective_kernel - 1) % 2 == 0 => {
                ((effective_kernel - 1) / 2, None)
            }
            Padding::TfSame => (0, Some((cfg.kernel_size, cfg.stride, cfg.dilation))),
        };
        let conv_cfg = candle_nn::Conv2dConfig {
            padding,
            stride: cfg.stride,
            dilation: cfg.dilation,
            groups: cfg.groups,
            ..Default::default()
        };
        let conv = if cfg.bias {
            candle_nn::conv2d(in_channels, out_channels, cfg.kernel_size, conv_cfg, vb)?
        } else {
            candle_nn::conv2d_no_bias(in_channels, out_channels, cfg.kernel_size, conv_cfg, vb)?
        };
        Ok(Self { conv, pad_before })
    }

    /// The candle layer (its padding is the symmetric part only).
    pub fn inner(&self) -> &Conv2d {
        &self.conv
    }
}

impl TraceModule for Conv {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        match self.pad_before {
            Some((k, s, d)) => {
                let pad = same_pad2d(x, (k, k), (s, s), (d, d))?;
                x.conv2d_padded(&self.conv, pad)
            }
            None => TraceModule::forward(&self.conv, x),
        }
    }
}

/// `nn.BatchNorm2d(num_features, eps=eps)`, evaluated with its running statistics; loads
/// `vb.{weight,bias,running_mean,running_var}`.
pub fn batch_norm2d(
    num_features: usize,
    eps: f64,
    vb: VarBuilder,
) -> candle_core::Result<BatchNorm> {
    let cfg = BatchNormConfig {
        eps,
        ..Default::default()
    };
    candle_nn::batch_norm(num_features, cfg, vb)
}

/// The key names of a [`ConvNormAct`]'s parts, relative to the [`VarBuilder`] it is built
/// from; they may be dotted paths (`"block.0.0"`). The same names scope the traced layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvNormActNames {
    /// The convolution (`<conv>.weight`).
    pub conv: String,
    /// The batch norm (`<norm>.weight`, `.bias`, `.running_mean`, `.running_var`).
    pub norm: String,
    /// The scope of the activation (it has no weights); `None` applies it unnamed.
    pub activation: Option<String>,
}

impl ConvNormActNames {
    /// Named parts, e.g. `ConvNormActNames::new("_conv_stem", "_bn0")`; the activation is
    /// unnamed.
    pub fn new(conv: impl Into<String>, norm: impl Into<String>) -> Self {
        Self {
            conv: conv.into(),
            norm: norm.into(),
            activation: None,
        }
    }

    /// A `Sequential` of conv, norm and activation: `0`, `1`, `2`, as torchvision's
    /// `Conv2dNormActivation`.
    pub fn sequential() -> Self {
        Self::sequential_at("", 0)
    }

    /// Consecutive children `first`, `first + 1` (and `first + 2` for the activation) of the
    /// `Sequential` at `prefix` (`""` for the builder's own level): MobileNetV2's projection is
    /// `sequential_at("conv", 2)`, i.e. `conv.2` and `conv.3`.
    pub fn sequential_at(prefix: &str, first: usize) -> Self {
        let name = |i: usize| {
            if prefix.is_empty() {
                i.to_string()
            } else {
                format!("{prefix}.{i}")
            }
        };
        Self {
            conv: name(first),
            norm: name(first + 1),
            activation: Some(name(first + 2)),
        }
    }
}

/// The configuration of a [`ConvNormAct`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvNormActConfig {
    /// The convolution.
    pub conv: ConvConfig,
    /// The batch norm's epsilon.
    pub bn_eps: f64,
    /// The activation after the norm; `None` for a linear projection.
    pub activation: Option<Activation>,
}

impl ConvNormActConfig {
    /// torchvision's `Conv2dNormActivation(in, out, kernel_size)`: stride 1, padding
    /// `(k - 1) / 2`, no bias, `BatchNorm2d` with eps `1e-5`, ReLU.
    pub fn new(kernel_size: usize) -> Self {
        Self {
            conv: ConvConfig::new(kernel_size).centered().no_bias(),
            bn_eps: BN_EPS,
            activation: Some(Activation::Relu),
        }
    }

    /// Sets the stride.
    pub fn stride(mut self, stride: usize) -> Self {
        self.conv.stride = stride;
        self
    }

    /// Sets the groups (`groups == channels` for a depthwise convolution).
    pub fn groups(mut self, groups: usize) -> Self {
        self.conv.groups = groups;
        self
    }

    /// Uses TensorFlow's "SAME" padding instead of PyTorch's symmetric one.
    pub fn tf_same(mut self) -> Self {
        self.conv = self.conv.tf_same();
        self
    }

    /// Sets the activation (`None`: no activation).
    pub fn activation(mut self, activation: Option<Activation>) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the batch norm's epsilon.
    pub fn bn_eps(mut self, eps: f64) -> Self {
        self.bn_eps = eps;
        self
    }
}

/// Convolution → `BatchNorm2d` → activation, the unit of most CNNs (torchvision's
/// `Conv2dNormActivation`; the `_conv_stem`/`_bn0` pairs of EfficientNet-PyTorch), with the
/// key names the caller gives.
///
/// ```no_run
/// use candle2trt_models::blocks::{ConvNormAct, ConvNormActConfig, ConvNormActNames};
/// use candle_nn::Activation;
/// # fn demo(vb: candle_nn::VarBuilder) -> candle_core::Result<()> {
/// // torchvision: features.0 = Conv2dNormActivation(3, 32, stride=2, activation_layer=ReLU6)
/// let cfg = ConvNormActConfig::new(3).stride(2).activation(Some(Activation::Relu6));
/// let stem = ConvNormAct::new(3, 32, cfg, ConvNormActNames::sequential(), vb.pp("features.0"))?;
/// // EfficientNet-Lite: _conv_stem, _bn0 at the top level, TensorFlow padding
/// let cfg = ConvNormActConfig::new(3).stride(2).tf_same().bn_eps(1e-3);
/// let lite_stem = ConvNormAct::new(3, 32, cfg, ConvNormActNames::new("_conv_stem", "_bn0"), vb)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ConvNormAct {
    conv: Conv,
    norm: BatchNorm,
    activation: Option<Activation>,
    names: ConvNormActNames,
}

impl ConvNormAct {
    /// Loads `vb.<conv>.weight` (and `.bias` when configured) and the norm's four tensors at
    /// `vb.<norm>`.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        cfg: ConvNormActConfig,
        names: ConvNormActNames,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let conv = Conv::new(in_channels, out_channels, cfg.conv, vb.pp(&names.conv))?;
        let norm = batch_norm2d(out_channels, cfg.bn_eps, vb.pp(&names.norm))?;
        Ok(Self {
            conv,
            norm,
            activation: cfg.activation,
            names,
        })
    }

    /// The key names.
    pub fn names(&self) -> &ConvNormActNames {
        &self.names
    }
}

impl TraceModule for ConvNormAct {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x
            .apply_named(&self.names.conv, &self.conv)?
            .apply_named(&self.names.norm, &self.norm)?;
        match (&self.activation, &self.names.activation) {
            (Some(act), Some(name)) => x.apply_named(name, act),
            (Some(act), None) => act.forward(&x),
            (None, _) => Ok(x),
        }
    }
}
