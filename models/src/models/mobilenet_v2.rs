//! torchvision's MobileNetV2 (`torchvision.models.mobilenetv2`): inverted residuals with
//! depthwise 3×3 convolutions, ReLU6, linear bottlenecks.
//!
//! Keys: `features.0.{0,1}` (stem), `features.{1..17}.conv.…` (inverted residuals),
//! `features.18.{0,1}` (last 1×1), `classifier.1` (the linear layer after dropout).

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Linear, VarBuilder};

use crate::blocks::{
    make_divisible, ConvNormAct, ConvNormActConfig, ConvNormActNames, InvertedResidual,
    MBConvConfig, MBConvNames, Sequential,
};

/// MobileNetV2's hyper-parameters (torchvision's constructor arguments).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MobileNetV2Config {
    /// Classifier outputs.
    pub num_classes: usize,
    /// Channel multiplier.
    pub width_mult: f64,
    /// Channel counts are rounded to multiples of this.
    pub round_nearest: usize,
}

impl Default for MobileNetV2Config {
    /// `mobilenet_v2()`: 1000 classes, width 1.0, rounding to 8.
    fn default() -> Self {
        Self {
            num_classes: 1000,
            width_mult: 1.0,
            round_nearest: 8,
        }
    }
}

/// The inverted-residual settings: expansion `t`, output channels `c`, repeats `n`, stride `s`.
const INVERTED_RESIDUAL_SETTING: [(usize, usize, usize, usize); 7] = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
];

/// The key names of torchvision's `InvertedResidual` (under `features.{i}`): `conv.0`
/// (expansion, a `Conv2dNormActivation`), `conv.1` (depthwise), `conv.{2,3}` (projection conv
/// and norm); one index lower throughout without the expansion.
pub fn inverted_residual_names(has_expansion: bool) -> MBConvNames {
    let d = usize::from(has_expansion);
    MBConvNames {
        expand: ConvNormActNames::sequential_at("conv.0", 0),
        depthwise: ConvNormActNames::sequential_at(&format!("conv.{d}"), 0),
        squeeze_excitation: (String::new(), String::new()),
        project: ConvNormActNames::sequential_at("conv", d + 1),
    }
}

/// `torchvision.models.MobileNetV2`.
#[derive(Debug, Clone)]
pub struct MobileNetV2 {
    stem: ConvNormAct,
    blocks: Sequential<InvertedResidual>,
    head: ConvNormAct,
    classifier: Linear,
}

impl MobileNetV2 {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &MobileNetV2Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let round = |c: f64| make_divisible(c, cfg.round_nearest, None);
        let mut input_channel = round(32.0 * cfg.width_mult);
        let last_channel = round(1280.0 * cfg.width_mult.max(1.0));
        let vb_features = vb.pp("features");
        let relu6 = Some(Activation::Relu6);
        let stem_cfg = ConvNormActConfig::new(3).stride(2).activation(relu6);
        let names = ConvNormActNames::sequential();
        let stem = ConvNormAct::new(
            3,
            input_channel,
            stem_cfg,
            names.clone(),
            vb_features.pp("0"),
        )?;
        // One (expansion, out channels, stride) per block.
        let mut settings = Vec::new();
        for (t, c, n, s) in INVERTED_RESIDUAL_SETTING {
            for i in 0..n {
                settings.push((
                    t,
                    round(c as f64 * cfg.width_mult),
                    if i == 0 { s } else { 1 },
                ));
            }
        }
        let blocks = Sequential::load_from(1, settings.len(), vb_features.clone(), |i, vb| {
            let (t, output_channel, stride) = settings[i];
            let block_cfg =
                MBConvConfig::inverted_residual(input_channel, output_channel, stride, t);
            input_channel = output_channel;
            let names = inverted_residual_names(block_cfg.has_expansion());
            InvertedResidual::new(&block_cfg, names, vb)
        })?;
        let head_cfg = ConvNormActConfig::new(1).activation(relu6);
        let head_vb = vb_features.pp(settings.len() + 1);
        let head = ConvNormAct::new(input_channel, last_channel, head_cfg, names, head_vb)?;
        let classifier = candle_nn::linear(last_channel, cfg.num_classes, vb.pp("classifier.1"))?;
        Ok(Self {
            stem,
            blocks,
            head,
            classifier,
        })
    }
}

impl TraceModule for MobileNetV2 {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = {
            let _scope = x.scope("features");
            let x = self.blocks.forward(&x.apply_named("0", &self.stem)?)?;
            let head = (self.blocks.first_index() + self.blocks.len()).to_string();
            x.apply_named(&head, &self.head)?
        };
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        let _scope = x.scope("classifier");
        x.dropout(0.2)?.apply_named("1", &self.classifier)
    }
}
