//! The torchvision classifiers by name: `resnet18` … `resnet152`, `mobilenet_v2`, `vgg11` …
//! `vgg19_bn`, `squeezenet1_0`, `squeezenet1_1`, `efficientnet_b0` … `efficientnet_b7`.
//!
//! [`TraceModule::forward`] is generic, so the models cannot be trait objects; the registry
//! returns the [`TorchvisionModel`] enum instead, which forwards to the model it holds.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::VarBuilder;

use super::efficientnet::{EfficientNet, EfficientNetConfig};
use super::mobilenet_v2::{MobileNetV2, MobileNetV2Config};
use super::resnet::{ResNet, ResNetConfig};
use super::squeezenet::{SqueezeNet, SqueezeNetConfig, SqueezeNetVersion};
use super::vgg::{Vgg, VggConfig};

/// Every torchvision name [`by_name`] knows, in a stable order.
pub const ARCHITECTURES: &[&str] = &[
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "mobilenet_v2",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "squeezenet1_0",
    "squeezenet1_1",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
];

/// A torchvision architecture with its configuration, parsed from its name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Architecture {
    /// `resnet{18,34,50,101,152}`.
    ResNet(ResNetConfig),
    /// `mobilenet_v2`.
    MobileNetV2(MobileNetV2Config),
    /// `vgg{11,13,16,19}[_bn]`.
    Vgg(VggConfig),
    /// `squeezenet1_{0,1}`.
    SqueezeNet(SqueezeNetConfig),
    /// `efficientnet_b{0..7}`.
    EfficientNet(EfficientNetConfig),
}

impl Architecture {
    /// Parses a torchvision name; the error lists the known names.
    pub fn from_name(arch: &str) -> candle_core::Result<Self> {
        let parsed = match arch {
            "resnet18" => Some(Self::ResNet(ResNetConfig::resnet18())),
            "resnet34" => Some(Self::ResNet(ResNetConfig::resnet34())),
            "resnet50" => Some(Self::ResNet(ResNetConfig::resnet50())),
            "resnet101" => Some(Self::ResNet(ResNetConfig::resnet101())),
            "resnet152" => Some(Self::ResNet(ResNetConfig::resnet152())),
            "mobilenet_v2" => Some(Self::MobileNetV2(MobileNetV2Config::default())),
            "squeezenet1_0" => Some(Self::SqueezeNet(SqueezeNetConfig::new(
                SqueezeNetVersion::V1_0,
            ))),
            "squeezenet1_1" => Some(Self::SqueezeNet(SqueezeNetConfig::new(
                SqueezeNetVersion::V1_1,
            ))),
            _ => {
                if let Some(rest) = arch.strip_prefix("vgg") {
                    let (depth, bn) = match rest.strip_suffix("_bn") {
                        Some(depth) => (depth, true),
                        None => (rest, false),
                    };
                    depth
                        .parse()
                        .ok()
                        .and_then(|d| VggConfig::new(d, bn))
                        .map(Self::Vgg)
                } else if let Some(b) = arch.strip_prefix("efficientnet_b") {
                    b.parse()
                        .ok()
                        .and_then(EfficientNetConfig::b)
                        .map(Self::EfficientNet)
                } else {
                    None
                }
            }
        };
        parsed.ok_or_else(|| {
            candle_core::Error::Msg(format!(
                "unknown torchvision architecture {arch:?}; known: {}",
                ARCHITECTURES.join(", ")
            ))
        })
    }

    /// Sets the number of classifier outputs (1000 by default).
    pub fn with_num_classes(mut self, num_classes: usize) -> Self {
        match &mut self {
            Self::ResNet(c) => c.num_classes = num_classes,
            Self::MobileNetV2(c) => c.num_classes = num_classes,
            Self::Vgg(c) => c.num_classes = num_classes,
            Self::SqueezeNet(c) => c.num_classes = num_classes,
            Self::EfficientNet(c) => c.num_classes = num_classes,
        }
        self
    }

    /// Builds the model, loading its weights from `vb`.
    pub fn build(&self, vb: VarBuilder) -> candle_core::Result<TorchvisionModel> {
        Ok(match self {
            Self::ResNet(c) => TorchvisionModel::ResNet(ResNet::new(c, vb)?),
            Self::MobileNetV2(c) => TorchvisionModel::MobileNetV2(MobileNetV2::new(c, vb)?),
            Self::Vgg(c) => TorchvisionModel::Vgg(Vgg::new(c, vb)?),
            Self::SqueezeNet(c) => TorchvisionModel::SqueezeNet(SqueezeNet::new(c, vb)?),
            Self::EfficientNet(c) => TorchvisionModel::EfficientNet(EfficientNet::new(c, vb)?),
        })
    }

    /// The checkpoint key of the classifier's weight, whose first dimension is the number of
    /// classes (a fine-tuned model's checkpoint tells its own).
    pub fn classifier_weight_key(&self) -> &'static str {
        match self {
            Self::ResNet(_) => "fc.weight",
            Self::Vgg(_) => "classifier.6.weight",
            Self::MobileNetV2(_) | Self::SqueezeNet(_) | Self::EfficientNet(_) => {
                "classifier.1.weight"
            }
        }
    }

    /// The smallest square input side the engine tests use: 64 (every model reduces it to a
    /// 2×2 map or more), except VGG at 224, because candle2trt converts VGG's
    /// `AdaptiveAvgPool2d((7, 7))` only when the feature map is a multiple of 7×7. Plain candle
    /// accepts any side ≥ 32.
    pub fn min_convertible_input_size(&self) -> usize {
        match self {
            Self::Vgg(_) => 224,
            _ => 64,
        }
    }
}

/// Any torchvision classifier of this zoo.
#[derive(Debug, Clone)]
pub enum TorchvisionModel {
    /// ResNet-18/34/50/101/152.
    ResNet(ResNet),
    /// MobileNetV2.
    MobileNetV2(MobileNetV2),
    /// VGG-11/13/16/19 (± batch norm).
    Vgg(Vgg),
    /// SqueezeNet 1.0 / 1.1.
    SqueezeNet(SqueezeNet),
    /// EfficientNet B0–B7.
    EfficientNet(EfficientNet),
}

impl TraceModule for TorchvisionModel {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        match self {
            Self::ResNet(m) => m.forward(xs),
            Self::MobileNetV2(m) => m.forward(xs),
            Self::Vgg(m) => m.forward(xs),
            Self::SqueezeNet(m) => m.forward(xs),
            Self::EfficientNet(m) => m.forward(xs),
        }
    }
}

/// Builds the torchvision classifier `arch` (1000 classes), loading its weights from `vb`.
///
/// ```no_run
/// use candle_core::{DType, Device};
/// # fn main() -> anyhow::Result<()> {
/// let ckpt = torch_weights::open("efficientnet_b0.pth")?;
/// let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
/// let model = candle2trt_examples::models::torchvision::by_name("efficientnet_b0", vb)?;
/// # Ok(()) }
/// ```
pub fn by_name(arch: &str, vb: VarBuilder) -> candle_core::Result<TorchvisionModel> {
    Architecture::from_name(arch)?.build(vb)
}
