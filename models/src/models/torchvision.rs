//! The image classifiers by name: torchvision's `resnet18` … `resnet152`, `mobilenet_v2`,
//! `vgg11` … `vgg19_bn`, `squeezenet1_0`, `squeezenet1_1`, `efficientnet_b0` …
//! `efficientnet_b7`, `vit_b_16`, `convnext_tiny`, and `efficientnet_lite0` …
//! `efficientnet_lite4` (the `efficientnet-lite-pytorch` package).
//!
//! [`by_name`] returns one [`BoxedModel`]: a `Box<dyn DynTraceModel>`, whichever the
//! architecture.

use candle2trt::DynTraceModel;
use candle_nn::VarBuilder;

use super::convnext::{ConvNext, ConvNextConfig};
use super::efficientnet::{EfficientNet, EfficientNetConfig};
use super::efficientnet_lite::{EfficientNetLite, EfficientNetLiteConfig};
use super::mobilenet_v2::{MobileNetV2, MobileNetV2Config};
use super::resnet::{ResNet, ResNetConfig};
use super::squeezenet::{SqueezeNet, SqueezeNetConfig, SqueezeNetVersion};
use super::vgg::{Vgg, VggConfig};
use super::vit::{VisionTransformer, VitConfig};

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
    "efficientnet_lite0",
    "efficientnet_lite1",
    "efficientnet_lite2",
    "efficientnet_lite3",
    "efficientnet_lite4",
    "vit_b_16",
    "convnext_tiny",
];

/// A model of the zoo behind one type: plain candle through
/// [`DynTraceModel::forward_candle`], conversion through `candle2trt::convert(&*model, …)`.
pub type BoxedModel = Box<dyn DynTraceModel + Send + Sync>;

/// An architecture of the registry with its configuration, parsed from its name.
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
    /// `efficientnet_lite{0..4}`.
    EfficientNetLite(EfficientNetLiteConfig),
    /// `vit_b_16`.
    Vit(VitConfig),
    /// `convnext_tiny`.
    ConvNext(ConvNextConfig),
}

impl Architecture {
    /// Parses a name of [`ARCHITECTURES`]; the error lists the known names.
    pub fn from_name(arch: &str) -> crate::Result<Self> {
        let parsed = match arch {
            "resnet18" => Some(Self::ResNet(ResNetConfig::resnet18())),
            "resnet34" => Some(Self::ResNet(ResNetConfig::resnet34())),
            "resnet50" => Some(Self::ResNet(ResNetConfig::resnet50())),
            "resnet101" => Some(Self::ResNet(ResNetConfig::resnet101())),
            "resnet152" => Some(Self::ResNet(ResNetConfig::resnet152())),
            "mobilenet_v2" => Some(Self::MobileNetV2(MobileNetV2Config::default())),
            "vit_b_16" => Some(Self::Vit(VitConfig::vit_b_16())),
            "convnext_tiny" => Some(Self::ConvNext(ConvNextConfig::tiny())),
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
                } else if let Some(v) = arch.strip_prefix("efficientnet_lite") {
                    v.parse()
                        .ok()
                        .and_then(EfficientNetLiteConfig::lite)
                        .map(Self::EfficientNetLite)
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
        parsed.ok_or_else(|| crate::Error::UnknownArchitecture {
            name: arch.to_string(),
            known: ARCHITECTURES.to_vec(),
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
            Self::EfficientNetLite(c) => c.num_classes = num_classes,
            Self::Vit(c) => c.num_classes = num_classes,
            Self::ConvNext(c) => c.num_classes = num_classes,
        }
        self
    }

    /// Builds the model, loading its weights from `vb`.
    pub fn build(&self, vb: VarBuilder) -> candle_core::Result<BoxedModel> {
        Ok(match self {
            Self::ResNet(c) => Box::new(ResNet::new(c, vb)?),
            Self::MobileNetV2(c) => Box::new(MobileNetV2::new(c, vb)?),
            Self::Vgg(c) => Box::new(Vgg::new(c, vb)?),
            Self::SqueezeNet(c) => Box::new(SqueezeNet::new(c, vb)?),
            Self::EfficientNet(c) => Box::new(EfficientNet::new(c, vb)?),
            Self::EfficientNetLite(c) => Box::new(EfficientNetLite::new(c, vb)?),
            Self::Vit(c) => Box::new(VisionTransformer::new(c, vb)?),
            Self::ConvNext(c) => Box::new(ConvNext::new(c, vb)?),
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
            Self::EfficientNetLite(_) => "_fc.weight",
            Self::Vit(_) => "heads.head.weight",
            Self::ConvNext(_) => "classifier.2.weight",
        }
    }

    /// The square input side the pretrained weights were trained at: 224, except
    /// EfficientNet-Lite1 … Lite4 (240, 260, 280, 300).
    pub fn input_size(&self) -> usize {
        match self {
            Self::EfficientNetLite(c) => c.resolution,
            _ => 224,
        }
    }

    /// The smallest square input side the engine tests use: 64 (every model reduces it to a
    /// 2×2 map or more), except VGG at 224, because candle2trt converts VGG's
    /// `AdaptiveAvgPool2d((7, 7))` only when the feature map is a multiple of 7×7, and the
    /// Vision Transformer at its `image_size`, which its position embeddings fix. Plain candle
    /// accepts any side ≥ 32 (the Vision Transformer: only its `image_size`).
    pub fn min_convertible_input_size(&self) -> usize {
        match self {
            Self::Vgg(_) => 224,
            Self::Vit(c) => c.image_size,
            _ => 64,
        }
    }
}

/// Builds the classifier `arch` of [`ARCHITECTURES`] (1000 classes), loading its weights from
/// `vb`.
///
/// ```no_run
/// use candle_core::{DType, Device, Tensor};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let ckpt = torch_weights::open("efficientnet_b0.pth")?;
/// let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
/// let model = candle2trt_models::models::torchvision::by_name("efficientnet_b0", vb)?;
/// let x = Tensor::zeros((1, 3, 224, 224), DType::F32, &Device::Cpu)?;
/// let logits = model.forward_candle(&[x])?.remove(0);
/// # Ok(()) }
/// ```
pub fn by_name(arch: &str, vb: VarBuilder) -> crate::Result<BoxedModel> {
    Ok(Architecture::from_name(arch)?.build(vb)?)
}
