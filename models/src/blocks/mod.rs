//! Building blocks for porting PyTorch CNNs: each is a [`candle2trt::TraceModule`] whose
//! weights load from the key names the caller gives, so one block serves torchvision's naming
//! (`features.3.conv.1.0.weight`) and other packages' (`_blocks.3._depthwise_conv.weight`).
//!
//! | PyTorch | here |
//! | --- | --- |
//! | `nn.Conv2d`, TensorFlow "SAME" convolutions | [`Conv`], [`ConvConfig`], [`Padding`] |
//! | `nn.BatchNorm2d` | [`batch_norm2d`] |
//! | `Conv2dNormActivation`, conv + BN + activation pairs | [`ConvNormAct`], [`ConvNormActConfig`], [`ConvNormActNames`] |
//! | `nn.Sequential` | [`Sequential`] (children named by index) |
//! | `SqueezeExcitation` | [`SqueezeExcitation`] |
//! | `InvertedResidual`, `MBConv`, `MBConvBlock` | [`MBConv`], [`MBConvConfig`], [`MBConvNames`] |
//! | TensorFlow's "SAME" padding | [`same_padding`], [`same_pad2d`], [`pad_same`] |
//! | `_make_divisible`, `round_filters`, `round_repeats` | [`make_divisible`], [`round_filters`], [`round_repeats`] |
//!
//! Loading a whole model strictly (every key used, none missing, shapes equal) is
//! [`crate::weights::build_strict`].

mod conv;
mod mbconv;
mod padding;
mod rounding;
mod se;
mod sequential;

pub use conv::{
    batch_norm2d, Conv, ConvConfig, ConvNormAct, ConvNormActConfig, ConvNormActNames, Padding,
    BN_EPS,
};
pub use mbconv::{InvertedResidual, MBConv, MBConvConfig, MBConvNames};
pub use padding::{pad_same, same_pad2d, same_padding};
pub use rounding::{make_divisible, round_filters, round_repeats};
pub use se::{SqueezeExcitation, SqueezeExcitationConfig};
pub use sequential::Sequential;
