//! torchvision's ConvNeXt (`torchvision.models.convnext_tiny` and its family).
//!
//! Keys: `features.0.{0,1}` (the 4×4 stride-4 stem convolution and its `LayerNorm2d`),
//! `features.{1,3,5,7}.{j}.{block.0, block.2, block.3, block.5, layer_scale}` (the `CNBlock`s:
//! 7×7 depthwise convolution, LayerNorm over channels, Linear → GELU → Linear, layer scale),
//! `features.{2,4,6}.{0,1}` (downsampling: `LayerNorm2d`, 2×2 stride-2 convolution),
//! `classifier.{0,2}` (`LayerNorm2d`, Linear). LayerNorm epsilon 1e-6, GELU in its exact (erf)
//! form, stochastic depth the identity at inference.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_core::Tensor;
use candle_nn::{Conv2d, Conv2dConfig, LayerNorm, Linear, VarBuilder};

/// The stages of a ConvNeXt: `(channels, blocks)` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvNextConfig {
    /// Channels and number of `CNBlock`s per stage.
    pub stages: [(usize, usize); 4],
    /// Classifier outputs.
    pub num_classes: usize,
}

impl ConvNextConfig {
    /// `convnext_tiny`: stages (96, 3), (192, 3), (384, 9), (768, 3).
    pub fn tiny() -> Self {
        Self {
            stages: [(96, 3), (192, 3), (384, 9), (768, 3)],
            num_classes: 1000,
        }
    }
}

/// torchvision's ConvNeXt normalization epsilon.
const LN_EPS: f64 = 1e-6;

/// `LayerNorm2d`: a LayerNorm over the channels of an NCHW tensor (channels-last, normalized,
/// back).
#[derive(Debug, Clone)]
pub struct LayerNorm2d(LayerNorm);

impl LayerNorm2d {
    /// Loads `vb.weight` and `vb.bias` of `channels` values.
    pub fn new(channels: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self(candle_nn::layer_norm(channels, LN_EPS, vb)?))
    }
}

impl TraceModule for LayerNorm2d {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.permute((0, 2, 3, 1))?;
        TraceModule::forward(&self.0, &x)?.permute((0, 3, 1, 2))
    }
}

/// torchvision's `CNBlock`: `x + layer_scale · block(x)`.
#[derive(Debug, Clone)]
pub struct CnBlock {
    dwconv: Conv2d,
    norm: LayerNorm,
    pwconv1: Linear,
    pwconv2: Linear,
    layer_scale: Tensor,
}

impl CnBlock {
    /// Loads `vb.block.{0,2,3,5}` and `vb.layer_scale` for `dim` channels.
    pub fn new(dim: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        let dw = Conv2dConfig {
            padding: 3,
            groups: dim,
            ..Default::default()
        };
        let b = vb.pp("block");
        Ok(Self {
            dwconv: candle_nn::conv2d(dim, dim, 7, dw, b.pp("0"))?,
            norm: candle_nn::layer_norm(dim, LN_EPS, b.pp("2"))?,
            pwconv1: candle_nn::linear(dim, 4 * dim, b.pp("3"))?,
            pwconv2: candle_nn::linear(4 * dim, dim, b.pp("5"))?,
            layer_scale: vb.get((dim, 1, 1), "layer_scale")?,
        })
    }
}

impl TraceModule for CnBlock {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let y = {
            let _scope = x.scope("block");
            // Conv → Permute(0, 2, 3, 1) → LayerNorm → Linear → GELU → Linear → Permute(0, 3, 1, 2)
            x.apply_named("0", &self.dwconv)?
                .permute((0, 2, 3, 1))?
                .apply_named("2", &self.norm)?
                .apply_named("3", &self.pwconv1)?
                .gelu_erf()?
                .apply_named("5", &self.pwconv2)?
                .permute((0, 3, 1, 2))?
        };
        let scaled = {
            let _scope = y.scope("layer_scale");
            y.broadcast_mul(&y.parameter(&self.layer_scale)?)?
        };
        scaled.add(x)
    }
}

/// One entry of `features`: the stem, a stage of blocks, or a downsampling layer.
#[derive(Debug, Clone)]
enum Feature {
    /// `Conv2d` then `LayerNorm2d` (`.0`, `.1`): the stem.
    ConvNorm(Conv2d, LayerNorm2d),
    /// `LayerNorm2d` then `Conv2d` (`.0`, `.1`): downsampling.
    NormConv(LayerNorm2d, Conv2d),
    /// `CNBlock`s `.0`, `.1`, ….
    Stage(Vec<CnBlock>),
}

/// `torchvision.models.ConvNeXt`.
#[derive(Debug, Clone)]
pub struct ConvNext {
    features: Vec<Feature>,
    head_norm: LayerNorm2d,
    head: Linear,
}

impl ConvNext {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &ConvNextConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let (first, last) = (cfg.stages[0].0, cfg.stages[3].0);
        let f = vb.pp("features");
        let stride = |s: usize| Conv2dConfig {
            stride: s,
            ..Default::default()
        };
        let mut features = vec![Feature::ConvNorm(
            candle_nn::conv2d(3, first, 4, stride(4), f.pp("0.0"))?,
            LayerNorm2d::new(first, f.pp("0.1"))?,
        )];
        for (i, &(dim, blocks)) in cfg.stages.iter().enumerate() {
            let stage = f.pp(features.len());
            features.push(Feature::Stage(
                (0..blocks)
                    .map(|j| CnBlock::new(dim, stage.pp(j)))
                    .collect::<candle_core::Result<_>>()?,
            ));
            if let Some(&(next, _)) = cfg.stages.get(i + 1) {
                let down = f.pp(features.len());
                features.push(Feature::NormConv(
                    LayerNorm2d::new(dim, down.pp("0"))?,
                    candle_nn::conv2d(dim, next, 2, stride(2), down.pp("1"))?,
                ));
            }
        }
        Ok(Self {
            features,
            head_norm: LayerNorm2d::new(last, vb.pp("classifier.0"))?,
            head: candle_nn::linear(last, cfg.num_classes, vb.pp("classifier.2"))?,
        })
    }
}

impl TraceModule for ConvNext {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let mut x = x.clone();
        {
            let _scope = x.scope("features");
            for (i, feature) in self.features.iter().enumerate() {
                let _scope = x.scope(&i.to_string());
                x = match feature {
                    Feature::ConvNorm(conv, norm) => {
                        x.apply_named("0", conv)?.apply_named("1", norm)?
                    }
                    Feature::NormConv(norm, conv) => {
                        x.apply_named("0", norm)?.apply_named("1", conv)?
                    }
                    Feature::Stage(blocks) => {
                        for (j, block) in blocks.iter().enumerate() {
                            x = x.apply_named(&j.to_string(), block)?;
                        }
                        x
                    }
                };
            }
        }
        let _scope = x.scope("classifier");
        x.adaptive_avg_pool2d((1, 1))?
            .apply_named("0", &self.head_norm)?
            .flatten_from(1)?
            .apply_named("2", &self.head)
    }
}
