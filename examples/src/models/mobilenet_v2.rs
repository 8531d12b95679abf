//! torchvision's MobileNetV2 (`torchvision.models.mobilenetv2`): inverted residuals with
//! depthwise 3×3 convolutions, ReLU6, linear bottlenecks.
//!
//! Keys: `features.0.{0,1}` (stem), `features.{1..17}.conv.…` (inverted residuals),
//! `features.18.{0,1}` (last 1×1), `classifier.1` (the linear layer after dropout).

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, BatchNorm, Conv2d, Linear, VarBuilder};

use super::common::{
    batch_norm2d, conv2d, make_divisible, Conv2dNormActivation, ConvNormActConfig, BN_EPS,
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

/// `torchvision.models.mobilenetv2.InvertedResidual`: an optional 1×1 expansion, a depthwise
/// 3×3, a linear 1×1 projection (`conv.{k}` and `conv.{k+1}` are the projection's conv and
/// norm); the input is added back when the shape is unchanged.
#[derive(Debug, Clone)]
pub struct InvertedResidual {
    expand: Option<Conv2dNormActivation>,
    depthwise: Conv2dNormActivation,
    project: Conv2d,
    project_bn: BatchNorm,
    use_res_connect: bool,
}

impl InvertedResidual {
    /// `InvertedResidual(inp, oup, stride, expand_ratio)`, loading `vb.conv.*`.
    pub fn new(
        inp: usize,
        oup: usize,
        stride: usize,
        expand_ratio: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let hidden_dim = inp * expand_ratio;
        let vb = vb.pp("conv");
        let relu6 = ConvNormActConfig {
            activation: Some(Activation::Relu6),
            ..Default::default()
        };
        let mut index = 0;
        let expand = if expand_ratio != 1 {
            index += 1;
            let cfg = ConvNormActConfig {
                kernel_size: 1,
                ..relu6
            };
            Some(Conv2dNormActivation::new(inp, hidden_dim, cfg, vb.pp("0"))?)
        } else {
            None
        };
        let cfg = ConvNormActConfig {
            stride,
            groups: hidden_dim,
            ..relu6
        };
        let depthwise = Conv2dNormActivation::new(hidden_dim, hidden_dim, cfg, vb.pp(index))?;
        let project = conv2d(hidden_dim, oup, 1, 1, 0, 1, false, vb.pp(index + 1))?;
        let project_bn = batch_norm2d(oup, BN_EPS, vb.pp(index + 2))?;
        Ok(Self {
            expand,
            depthwise,
            project,
            project_bn,
            use_res_connect: stride == 1 && inp == oup,
        })
    }
}

impl TraceModule for InvertedResidual {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let _scope = x.scope("conv");
        let (mut out, mut index) = (x.clone(), 0);
        if let Some(expand) = &self.expand {
            out = out.apply_named("0", expand)?;
            index += 1;
        }
        let out = out.apply_named(&index.to_string(), &self.depthwise)?;
        let out = out.apply_named(&(index + 1).to_string(), &self.project)?;
        let out = out.apply_named(&(index + 2).to_string(), &self.project_bn)?;
        if self.use_res_connect {
            x.add(&out)
        } else {
            Ok(out)
        }
    }
}

/// One entry of `MobileNetV2.features`.
#[derive(Debug, Clone)]
enum Feature {
    ConvNormAct(Conv2dNormActivation),
    InvertedResidual(InvertedResidual),
}

impl TraceModule for Feature {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        match self {
            Feature::ConvNormAct(m) => m.forward(x),
            Feature::InvertedResidual(m) => m.forward(x),
        }
    }
}

/// `torchvision.models.MobileNetV2`.
#[derive(Debug, Clone)]
pub struct MobileNetV2 {
    features: Vec<Feature>,
    classifier: Linear,
}

impl MobileNetV2 {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &MobileNetV2Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let round = |c: f64| make_divisible(c, cfg.round_nearest, None);
        let mut input_channel = round(32.0 * cfg.width_mult);
        let last_channel = round(1280.0 * cfg.width_mult.max(1.0));
        let vb_features = vb.pp("features");
        let stem = ConvNormActConfig {
            stride: 2,
            activation: Some(Activation::Relu6),
            ..Default::default()
        };
        let mut features = vec![Feature::ConvNormAct(Conv2dNormActivation::new(
            3,
            input_channel,
            stem,
            vb_features.pp("0"),
        )?)];
        for (t, c, n, s) in INVERTED_RESIDUAL_SETTING {
            let output_channel = round(c as f64 * cfg.width_mult);
            for i in 0..n {
                let stride = if i == 0 { s } else { 1 };
                let vb = vb_features.pp(features.len());
                features.push(Feature::InvertedResidual(InvertedResidual::new(
                    input_channel,
                    output_channel,
                    stride,
                    t,
                    vb,
                )?));
                input_channel = output_channel;
            }
        }
        let last = ConvNormActConfig {
            kernel_size: 1,
            activation: Some(Activation::Relu6),
            ..Default::default()
        };
        features.push(Feature::ConvNormAct(Conv2dNormActivation::new(
            input_channel,
            last_channel,
            last,
            vb_features.pp(features.len()),
        )?));
        let classifier = candle_nn::linear(last_channel, cfg.num_classes, vb.pp("classifier.1"))?;
        Ok(Self {
            features,
            classifier,
        })
    }
}

impl TraceModule for MobileNetV2 {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = {
            let _scope = x.scope("features");
            super::common::sequential(x, &self.features)?
        };
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        let _scope = x.scope("classifier");
        x.dropout(0.2)?.apply_named("1", &self.classifier)
    }
}
