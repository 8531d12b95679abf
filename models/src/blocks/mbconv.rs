//! The inverted residual (MobileNetV2) and MBConv (EfficientNet) block.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, VarBuilder};

use super::conv::{ConvNormAct, ConvNormActConfig, ConvNormActNames, BN_EPS};
use super::se::{SqueezeExcitation, SqueezeExcitationConfig};

/// The configuration of an [`MBConv`] block, with already-scaled channel counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MBConvConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Channels after the expansion (the expansion is left out when equal to `in_channels`).
    pub expanded_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Depthwise kernel size.
    pub kernel_size: usize,
    /// Depthwise stride.
    pub stride: usize,
    /// The activation after the expansion and the depthwise convolution (projection: none).
    pub activation: Activation,
    /// The batch norms' epsilon.
    pub bn_eps: f64,
    /// TensorFlow "SAME" padding (EfficientNet-PyTorch) instead of PyTorch's `(k - 1) / 2`.
    pub tf_same_padding: bool,
    /// Squeeze-and-excitation after the depthwise convolution, if any.
    pub squeeze_excitation: Option<SqueezeExcitationConfig>,
    /// Whether the input is added back when the shape is unchanged (stride 1, `in == out`);
    /// EfficientNet's `id_skip`.
    pub residual: bool,
}

impl MBConvConfig {
    /// MobileNetV2's `InvertedResidual(in, out, stride, expand_ratio)`: 3×3 depthwise, ReLU6,
    /// no squeeze-excitation, `BatchNorm2d` eps `1e-5`.
    pub fn inverted_residual(
        in_channels: usize,
        out_channels: usize,
        stride: usize,
        expand_ratio: usize,
    ) -> Self {
        Self {
            in_channels,
            expanded_channels: in_channels * expand_ratio,
            out_channels,
            kernel_size: 3,
            stride,
            activation: Activation::Relu6,
            bn_eps: BN_EPS,
            tf_same_padding: false,
            squeeze_excitation: None,
            residual: true,
        }
    }

    /// Whether the block has an expansion convolution.
    pub fn has_expansion(&self) -> bool {
        self.expanded_channels != self.in_channels
    }

    /// Whether the input is added to the output.
    pub fn uses_residual(&self) -> bool {
        self.residual && self.stride == 1 && self.in_channels == self.out_channels
    }
}

/// The key names of an [`MBConv`]'s parts, relative to the block's [`VarBuilder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MBConvNames {
    /// The 1×1 expansion (unused when the block has none).
    pub expand: ConvNormActNames,
    /// The depthwise convolution.
    pub depthwise: ConvNormActNames,
    /// The squeeze-and-excitation's two convolutions (unused without one).
    pub squeeze_excitation: (String, String),
    /// The linear 1×1 projection.
    pub project: ConvNormActNames,
}

/// The inverted residual with linear bottleneck (MobileNetV2) and its EfficientNet variant,
/// MBConv: an optional 1×1 expansion, a depthwise convolution, an optional
/// squeeze-and-excitation, a linear 1×1 projection; the input is added back when the shape is
/// unchanged. Dropout-like stochastic depth is the identity at inference.
///
/// Key names are given by [`MBConvNames`]: torchvision's MobileNetV2 puts the parts at
/// `conv.0`, `conv.1`, `conv.{2,3}`; its EfficientNet at `block.0` … `block.3`;
/// EfficientNet-PyTorch uses `_expand_conv`/`_bn0`, `_depthwise_conv`/`_bn1`,
/// `_project_conv`/`_bn2`.
#[derive(Debug, Clone)]
pub struct MBConv {
    expand: Option<ConvNormAct>,
    depthwise: ConvNormAct,
    se: Option<SqueezeExcitation>,
    project: ConvNormAct,
    residual: bool,
}

/// MobileNetV2's name for the block.
pub type InvertedResidual = MBConv;

impl MBConv {
    /// Builds the block from the tensors named by `names` under `vb`.
    pub fn new(
        cfg: &MBConvConfig,
        names: MBConvNames,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let with_padding = |c: ConvNormActConfig| if cfg.tf_same_padding { c.tf_same() } else { c };
        let act = Some(cfg.activation);
        let expand = if cfg.has_expansion() {
            let c = ConvNormActConfig::new(1).bn_eps(cfg.bn_eps).activation(act);
            Some(ConvNormAct::new(
                cfg.in_channels,
                cfg.expanded_channels,
                with_padding(c),
                names.expand,
                vb.clone(),
            )?)
        } else {
            None
        };
        let c = ConvNormActConfig::new(cfg.kernel_size)
            .stride(cfg.stride)
            .groups(cfg.expanded_channels)
            .bn_eps(cfg.bn_eps)
            .activation(act);
        let depthwise = ConvNormAct::new(
            cfg.expanded_channels,
            cfg.expanded_channels,
            with_padding(c),
            names.depthwise,
            vb.clone(),
        )?;
        let se = cfg
            .squeeze_excitation
            .map(|se| {
                let (reduce, expand) = names.squeeze_excitation;
                SqueezeExcitation::new(cfg.expanded_channels, se, reduce, expand, vb.clone())
            })
            .transpose()?;
        let c = ConvNormActConfig::new(1)
            .bn_eps(cfg.bn_eps)
            .activation(None);
        let project = ConvNormAct::new(
            cfg.expanded_channels,
            cfg.out_channels,
            with_padding(c),
            names.project,
            vb,
        )?;
        Ok(Self {
            expand,
            depthwise,
            se,
            project,
            residual: cfg.uses_residual(),
        })
    }
}

impl TraceModule for MBConv {
    fn forward<T: TraceTensor>(&self, input: &T) -> Result<T> {
        let mut x = input.clone();
        if let Some(expand) = &self.expand {
            x = expand.forward(&x)?;
        }
        x = self.depthwise.forward(&x)?;
        if let Some(se) = &self.se {
            x = se.forward(&x)?;
        }
        let x = self.project.forward(&x)?;
        if self.residual {
            x.add(input)
        } else {
            Ok(x)
        }
    }
}
