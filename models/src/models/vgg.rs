//! torchvision's VGG (`torchvision.models.vgg`): VGG-11/13/16/19, with or without batch norm.
//!
//! Keys: `features.{i}` numbered as in torchvision's `make_layers` (every conv, batch norm,
//! ReLU and max pool takes an index), `classifier.{0,3,6}` (the three linear layers).

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{BatchNorm, Linear, VarBuilder};

use crate::blocks::{batch_norm2d, Conv, ConvConfig, BN_EPS};

/// One entry of a VGG configuration: a 3×3 convolution with this many output channels, or a
/// 2×2 max pool (`"M"` in torchvision's `cfgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VggLayer {
    /// `Conv2d(in, channels, 3, padding=1)` (+ `BatchNorm2d`) + `ReLU`.
    Conv(usize),
    /// `MaxPool2d(kernel_size=2, stride=2)`.
    MaxPool,
}

use VggLayer::{Conv as C, MaxPool as M};

/// Configuration "A": VGG-11.
#[rustfmt::skip]
pub const VGG11: &[VggLayer] = &[C(64), M, C(128), M, C(256), C(256), M, C(512), C(512), M, C(512), C(512), M];
/// Configuration "B": VGG-13.
#[rustfmt::skip]
pub const VGG13: &[VggLayer] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), M, C(512), C(512), M, C(512), C(512), M,
];
/// Configuration "D": VGG-16.
#[rustfmt::skip]
pub const VGG16: &[VggLayer] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), C(256), M, C(512), C(512), C(512), M,
    C(512), C(512), C(512), M,
];
/// Configuration "E": VGG-19.
#[rustfmt::skip]
pub const VGG19: &[VggLayer] = &[
    C(64), C(64), M, C(128), C(128), M, C(256), C(256), C(256), C(256), M, C(512), C(512),
    C(512), C(512), M, C(512), C(512), C(512), C(512), M,
];

/// A VGG's architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VggConfig {
    /// The feature extractor's layers.
    pub layers: &'static [VggLayer],
    /// Batch norm after every convolution (`vgg16_bn`, …).
    pub batch_norm: bool,
    /// Classifier outputs.
    pub num_classes: usize,
}

impl VggConfig {
    /// A VGG with `depth` 11, 13, 16 or 19 weight layers; `None` for another depth.
    pub fn new(depth: usize, batch_norm: bool) -> Option<Self> {
        let layers = match depth {
            11 => VGG11,
            13 => VGG13,
            16 => VGG16,
            19 => VGG19,
            _ => return None,
        };
        Some(Self {
            layers,
            batch_norm,
            num_classes: 1000,
        })
    }
}

/// A `features` convolution with its torchvision index: `Conv2d` (3×3, padding 1) at
/// `index`, `BatchNorm2d` at `index + 1` in the `_bn` variants, ReLU, and the `MaxPool2d(2)`
/// that follows it in the configuration, if any, at the next index.
#[derive(Debug, Clone)]
struct VggConv {
    index: usize,
    conv: Conv,
    bn: Option<BatchNorm>,
    /// The index of the max pool after the ReLU.
    pool: Option<usize>,
}

/// `torchvision.models.VGG`.
#[derive(Debug, Clone)]
pub struct Vgg {
    features: Vec<VggConv>,
    classifier: [Linear; 3],
}

impl Vgg {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &VggConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let vb_features = vb.pp("features");
        let (mut features, mut index, mut in_channels) = (Vec::<VggConv>::new(), 0, 3);
        for layer in cfg.layers {
            match *layer {
                VggLayer::MaxPool => {
                    let last = features.last_mut().ok_or_else(|| {
                        candle_core::Error::Msg("a VGG configuration starts with a max pool".into())
                    })?;
                    last.pool = Some(index);
                    index += 1;
                }
                VggLayer::Conv(channels) => {
                    let conv_cfg = ConvConfig::new(3).padding(1);
                    let conv = Conv::new(in_channels, channels, conv_cfg, vb_features.pp(index))?;
                    let bn = cfg
                        .batch_norm
                        .then(|| batch_norm2d(channels, BN_EPS, vb_features.pp(index + 1)))
                        .transpose()?;
                    features.push(VggConv {
                        index,
                        conv,
                        bn,
                        pool: None,
                    });
                    // conv, [bn,] relu
                    index += if cfg.batch_norm { 3 } else { 2 };
                    in_channels = channels;
                }
            }
        }
        let vb_c = vb.pp("classifier");
        let classifier = [
            candle_nn::linear(512 * 7 * 7, 4096, vb_c.pp("0"))?,
            candle_nn::linear(4096, 4096, vb_c.pp("3"))?,
            candle_nn::linear(4096, cfg.num_classes, vb_c.pp("6"))?,
        ];
        Ok(Self {
            features,
            classifier,
        })
    }
}

impl TraceModule for Vgg {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let mut x = x.clone();
        {
            let _scope = x.scope("features");
            for VggConv {
                index,
                conv,
                bn,
                pool,
            } in &self.features
            {
                x = x.apply_named(&index.to_string(), conv)?;
                if let Some(bn) = bn {
                    x = x.apply_named(&(index + 1).to_string(), bn)?;
                }
                x = x.relu()?;
                if let Some(pool) = pool {
                    let _scope = x.scope(&pool.to_string());
                    x = x.max_pool2d(2)?;
                }
            }
        }
        let x = x.adaptive_avg_pool2d((7, 7))?.flatten_from(1)?;
        let _scope = x.scope("classifier");
        let x = x
            .apply_named("0", &self.classifier[0])?
            .relu()?
            .dropout(0.5)?;
        let x = x
            .apply_named("3", &self.classifier[1])?
            .relu()?
            .dropout(0.5)?;
        x.apply_named("6", &self.classifier[2])
    }
}
