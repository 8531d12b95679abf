//! torchvision's EfficientNet B0–B7 (`torchvision.models.efficientnet`): MBConv blocks with
//! SiLU and squeeze-excitation, scaled in width and depth.
//!
//! Keys: `features.0.{0,1}` (stem), `features.{1..7}.{j}.block.{k}…` (MBConv stages),
//! `features.8.{0,1}` (head 1×1), `classifier.1` (the linear layer after dropout). Inside a
//! block: `block.0` expansion (absent when the ratio is 1), then the depthwise
//! `Conv2dNormActivation`, the squeeze-excitation (`fc1`, `fc2`) and the projection.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Linear, VarBuilder};

use crate::blocks::{
    make_divisible, round_filters, round_repeats, ConvNormAct, ConvNormActConfig, ConvNormActNames,
    MBConv, MBConvConfig, MBConvNames, Sequential, SqueezeExcitationConfig, BN_EPS,
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
        round_filters(channels, self.width_mult, 8)
    }
}

/// The key names of torchvision's `MBConv` (under `features.{s}.{j}`): `block.0` (expansion),
/// `block.1` (depthwise), `block.2.{fc1,fc2}` (squeeze-excitation), `block.3` (projection),
/// each a `Conv2dNormActivation`; one index lower throughout without the expansion.
pub fn mbconv_names(has_expansion: bool) -> MBConvNames {
    let d = usize::from(has_expansion);
    let part = |i: usize| ConvNormActNames::sequential_at(&format!("block.{i}"), 0);
    MBConvNames {
        expand: part(0),
        depthwise: part(d),
        squeeze_excitation: (
            format!("block.{}.fc1", d + 1),
            format!("block.{}.fc2", d + 1),
        ),
        project: part(d + 2),
    }
}

/// `torchvision.models.EfficientNet` (B0–B7).
#[derive(Debug, Clone)]
pub struct EfficientNet {
    stem: ConvNormAct,
    stages: Vec<Sequential<MBConv>>,
    head: ConvNormAct,
    classifier: Linear,
    dropout: f32,
}

impl EfficientNet {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &EfficientNetConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let vb_f = vb.pp("features");
        let silu = Some(Activation::Silu);
        let names = ConvNormActNames::sequential();
        let first_channels = cfg.adjust_channels(B0_STAGES[0].input_channels);
        let stem_cfg = ConvNormActConfig::new(3)
            .stride(2)
            .activation(silu)
            .bn_eps(cfg.bn_eps);
        let stem = ConvNormAct::new(3, first_channels, stem_cfg, names.clone(), vb_f.pp("0"))?;
        let mut stages = Vec::with_capacity(B0_STAGES.len());
        for (s, stage) in B0_STAGES.iter().enumerate() {
            let (input_channels, out_channels) = (
                cfg.adjust_channels(stage.input_channels),
                cfg.adjust_channels(stage.out_channels),
            );
            let repeats = round_repeats(stage.num_layers, cfg.depth_mult);
            stages.push(Sequential::load(repeats, vb_f.pp(s + 1), |j, vb| {
                // The first block of a stage changes channels and stride; the others keep them.
                let (in_channels, stride) = if j == 0 {
                    (input_channels, stage.stride)
                } else {
                    (out_channels, 1)
                };
                let expanded_channels =
                    make_divisible(in_channels as f64 * stage.expand_ratio, 8, None);
                let block = MBConvConfig {
                    in_channels,
                    expanded_channels,
                    out_channels,
                    kernel_size: stage.kernel,
                    stride,
                    activation: Activation::Silu,
                    bn_eps: cfg.bn_eps,
                    tf_same_padding: false,
                    squeeze_excitation: Some(
                        SqueezeExcitationConfig::new((in_channels / 4).max(1))
                            .activation(Activation::Silu),
                    ),
                    residual: true,
                };
                MBConv::new(&block, mbconv_names(block.has_expansion()), vb)
            })?);
        }
        let last_in = cfg.adjust_channels(B0_STAGES[6].out_channels);
        let last_out = 4 * last_in;
        let head_cfg = ConvNormActConfig::new(1)
            .activation(silu)
            .bn_eps(cfg.bn_eps);
        let head_vb = vb_f.pp(B0_STAGES.len() + 1);
        let head = ConvNormAct::new(last_in, last_out, head_cfg, names, head_vb)?;
        let classifier = candle_nn::linear(last_out, cfg.num_classes, vb.pp("classifier.1"))?;
        Ok(Self {
            stem,
            stages,
            head,
            classifier,
            dropout: cfg.dropout,
        })
    }
}

impl TraceModule for EfficientNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = {
            let _scope = x.scope("features");
            let mut x = x.apply_named("0", &self.stem)?;
            for (s, stage) in self.stages.iter().enumerate() {
                x = x.apply_named(&(s + 1).to_string(), stage)?;
            }
            x.apply_named(&(self.stages.len() + 1).to_string(), &self.head)?
        };
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        let _scope = x.scope("classifier");
        x.dropout(self.dropout)?.apply_named("1", &self.classifier)
    }
}
