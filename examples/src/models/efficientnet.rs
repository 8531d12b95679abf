//! torchvision's EfficientNet B0–B7 (`torchvision.models.efficientnet`): MBConv blocks with
//! SiLU and squeeze-excitation, scaled in width and depth.
//!
//! Keys: `features.0.{0,1}` (stem), `features.{1..7}.{j}.block.{k}…` (MBConv stages),
//! `features.8.{0,1}` (head 1×1), `classifier.1` (the linear layer after dropout). Inside a
//! block: `block.0` expansion (absent when the ratio is 1), then the depthwise
//! `Conv2dNormActivation`, the squeeze-excitation (`fc1`, `fc2`) and the projection.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Conv2d, Linear, VarBuilder};

use super::common::{
    conv2d, make_divisible, sequential, Conv2dNormActivation, ConvNormActConfig, BN_EPS,
};

/// One stage of `inverted_residual_setting` (torchvision's `MBConvConfig` before scaling).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MBConvStage {
    /// Expansion ratio of the hidden channels.
    pub expand_ratio: f64,
    /// Depthwise kernel size.
    pub kernel: usize,
    /// Stride of the first block.
    pub stride: usize,
    /// Input channels (before width scaling).
    pub input_channels: usize,
    /// Output channels (before width scaling).
    pub out_channels: usize,
    /// Number of blocks (before depth scaling).
    pub num_layers: usize,
}

const fn stage(
    expand_ratio: f64,
    kernel: usize,
    stride: usize,
    input_channels: usize,
    out_channels: usize,
    num_layers: usize,
) -> MBConvStage {
    MBConvStage {
        expand_ratio,
        kernel,
        stride,
        input_channels,
        out_channels,
        num_layers,
    }
}

/// EfficientNet-B0's stages, which B1–B7 scale.
pub const B0_STAGES: [MBConvStage; 7] = [
    stage(1.0, 3, 1, 32, 16, 1),
    stage(6.0, 3, 2, 16, 24, 2),
    stage(6.0, 5, 2, 24, 40, 2),
    stage(6.0, 3, 2, 40, 80, 3),
    stage(6.0, 5, 1, 80, 112, 3),
    stage(6.0, 5, 2, 112, 192, 4),
    stage(6.0, 3, 1, 192, 320, 1),
];

/// An EfficientNet's scaling and head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EfficientNetConfig {
    /// Channel multiplier.
    pub width_mult: f64,
    /// Block-count multiplier.
    pub depth_mult: f64,
    /// Classifier dropout (identity at inference; kept for the record).
    pub dropout: f32,
    /// Batch-norm epsilon (`1e-3` for B5–B7, whose weights were ported from TensorFlow).
    pub bn_eps: f64,
    /// Classifier outputs.
    pub num_classes: usize,
}

impl EfficientNetConfig {
    /// `efficientnet_b{variant}` for `variant` in 0..=7; `None` otherwise.
    pub fn b(variant: usize) -> Option<Self> {
        let (width_mult, depth_mult, dropout) = match variant {
            0 => (1.0, 1.0, 0.2),
            1 => (1.0, 1.1, 0.2),
            2 => (1.1, 1.2, 0.3),
            3 => (1.2, 1.4, 0.3),
            4 => (1.4, 1.8, 0.4),
            5 => (1.6, 2.2, 0.4),
            6 => (1.8, 2.6, 0.5),
            7 => (2.0, 3.1, 0.5),
            _ => return None,
        };
        Some(Self {
            width_mult,
            depth_mult,
            dropout,
            bn_eps: if variant >= 5 { 1e-3 } else { BN_EPS },
            num_classes: 1000,
        })
    }

    /// `MBConvConfig.adjust_channels`.
    fn adjust_channels(&self, channels: usize) -> usize {
        make_divisible(channels as f64 * self.width_mult, 8, None)
    }

    /// `MBConvConfig.adjust_depth`.
    fn adjust_depth(&self, num_layers: usize) -> usize {
        (num_layers as f64 * self.depth_mult).ceil() as usize
    }
}

/// `torchvision.ops.SqueezeExcitation` with SiLU: global average → 1×1 conv → SiLU → 1×1 conv
/// → sigmoid, scaling the input's channels.
#[derive(Debug, Clone)]
pub struct SqueezeExcitation {
    fc1: Conv2d,
    fc2: Conv2d,
}

impl SqueezeExcitation {
    /// `SqueezeExcitation(input_channels, squeeze_channels)`.
    pub fn new(
        input_channels: usize,
        squeeze_channels: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            fc1: conv2d(
                input_channels,
                squeeze_channels,
                1,
                1,
                0,
                1,
                true,
                vb.pp("fc1"),
            )?,
            fc2: conv2d(
                squeeze_channels,
                input_channels,
                1,
                1,
                0,
                1,
                true,
                vb.pp("fc2"),
            )?,
        })
    }
}

impl TraceModule for SqueezeExcitation {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let scale = x.adaptive_avg_pool2d((1, 1))?;
        let scale = scale.apply_named("fc1", &self.fc1)?.silu()?;
        let scale = scale.apply_named("fc2", &self.fc2)?.sigmoid()?;
        scale.broadcast_mul(x)
    }
}

/// `torchvision.models.efficientnet.MBConv`: expand (1×1) → depthwise → squeeze-excitation →
/// project (1×1, linear); residual when the shape is unchanged. Stochastic depth is the
/// identity at inference.
#[derive(Debug, Clone)]
pub struct MBConv {
    expand: Option<Conv2dNormActivation>,
    depthwise: Conv2dNormActivation,
    se: SqueezeExcitation,
    project: Conv2dNormActivation,
    use_res_connect: bool,
}

impl MBConv {
    /// One block with already-scaled channel counts, loading `vb.block.*`.
    pub fn new(
        stage: &MBConvStage,
        input_channels: usize,
        out_channels: usize,
        stride: usize,
        bn_eps: f64,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let vb = vb.pp("block");
        let silu = ConvNormActConfig {
            activation: Some(Activation::Silu),
            bn_eps,
            ..Default::default()
        };
        let expanded_channels = make_divisible(input_channels as f64 * stage.expand_ratio, 8, None);
        let mut index = 0;
        let expand = if expanded_channels != input_channels {
            index += 1;
            let cfg = ConvNormActConfig {
                kernel_size: 1,
                ..silu
            };
            Some(Conv2dNormActivation::new(
                input_channels,
                expanded_channels,
                cfg,
                vb.pp("0"),
            )?)
        } else {
            None
        };
        let cfg = ConvNormActConfig {
            kernel_size: stage.kernel,
            stride,
            groups: expanded_channels,
            ..silu
        };
        let depthwise =
            Conv2dNormActivation::new(expanded_channels, expanded_channels, cfg, vb.pp(index))?;
        let squeeze_channels = (input_channels / 4).max(1);
        let se = SqueezeExcitation::new(expanded_channels, squeeze_channels, vb.pp(index + 1))?;
        let cfg = ConvNormActConfig {
            kernel_size: 1,
            activation: None,
            ..silu
        };
        let project =
            Conv2dNormActivation::new(expanded_channels, out_channels, cfg, vb.pp(index + 2))?;
        Ok(Self {
            expand,
            depthwise,
            se,
            project,
            use_res_connect: stride == 1 && input_channels == out_channels,
        })
    }
}

impl TraceModule for MBConv {
    fn forward<T: TraceTensor>(&self, input: &T) -> Result<T> {
        let result = {
            let _scope = input.scope("block");
            let (mut x, mut index) = (input.clone(), 0);
            if let Some(expand) = &self.expand {
                x = x.apply_named("0", expand)?;
                index += 1;
            }
            let x = x.apply_named(&index.to_string(), &self.depthwise)?;
            let x = x.apply_named(&(index + 1).to_string(), &self.se)?;
            x.apply_named(&(index + 2).to_string(), &self.project)?
        };
        if self.use_res_connect {
            // StochasticDepth(p, "row") is the identity in eval mode.
            result.add(input)
        } else {
            Ok(result)
        }
    }
}

/// One entry of `EfficientNet.features`.
#[derive(Debug, Clone)]
enum Feature {
    ConvNormAct(Conv2dNormActivation),
    Stage(Vec<MBConv>),
}

impl TraceModule for Feature {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        match self {
            Feature::ConvNormAct(m) => m.forward(x),
            Feature::Stage(blocks) => sequential(x, blocks),
        }
    }
}

/// `torchvision.models.EfficientNet` (B0–B7).
#[derive(Debug, Clone)]
pub struct EfficientNet {
    features: Vec<Feature>,
    classifier: Linear,
    dropout: f32,
}

impl EfficientNet {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &EfficientNetConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let vb_f = vb.pp("features");
        let silu = ConvNormActConfig {
            activation: Some(Activation::Silu),
            bn_eps: cfg.bn_eps,
            ..Default::default()
        };
        let first_channels = cfg.adjust_channels(B0_STAGES[0].input_channels);
        let stem = ConvNormActConfig { stride: 2, ..silu };
        let mut features = vec![Feature::ConvNormAct(Conv2dNormActivation::new(
            3,
            first_channels,
            stem,
            vb_f.pp("0"),
        )?)];
        for stage in &B0_STAGES {
            let vb_s = vb_f.pp(features.len());
            let (input_channels, out_channels) = (
                cfg.adjust_channels(stage.input_channels),
                cfg.adjust_channels(stage.out_channels),
            );
            let blocks = (0..cfg.adjust_depth(stage.num_layers))
                .map(|j| {
                    // The first block of a stage changes channels and stride; the others keep them.
                    let (input_channels, stride) = if j == 0 {
                        (input_channels, stage.stride)
                    } else {
                        (out_channels, 1)
                    };
                    MBConv::new(
                        stage,
                        input_channels,
                        out_channels,
                        stride,
                        cfg.bn_eps,
                        vb_s.pp(j),
                    )
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            features.push(Feature::Stage(blocks));
        }
        let last_in = cfg.adjust_channels(B0_STAGES[6].out_channels);
        let last_out = 4 * last_in;
        let head = ConvNormActConfig {
            kernel_size: 1,
            ..silu
        };
        features.push(Feature::ConvNormAct(Conv2dNormActivation::new(
            last_in,
            last_out,
            head,
            vb_f.pp(features.len()),
        )?));
        let classifier = candle_nn::linear(last_out, cfg.num_classes, vb.pp("classifier.1"))?;
        Ok(Self {
            features,
            classifier,
            dropout: cfg.dropout,
        })
    }
}

impl TraceModule for EfficientNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = {
            let _scope = x.scope("features");
            sequential(x, &self.features)?
        };
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        let _scope = x.scope("classifier");
        x.dropout(self.dropout)?.apply_named("1", &self.classifier)
    }
}
