//! The model zoo of candle2trt, like candle-transformers beside candle: real architectures
//! that load PyTorch checkpoints with their exact key names and whose forward is written once,
//! generic over [`candle2trt::TraceTensor`], so the same value runs as plain candle
//! (`T = candle_core::Tensor`) and converts into a TensorRT engine.
//!
//! - [`models`]: torchvision's ResNet, MobileNetV2, VGG, SqueezeNet and EfficientNet,
//!   EfficientNet-Lite (the `efficientnet-lite-pytorch` package), Hugging Face's BERT, and the
//!   project brief's SimpleCNN. [`models::torchvision::by_name`] builds any image classifier
//!   from its name (`resnet50`, `vgg16_bn`, `efficientnet_lite0`, …) as one boxed
//!   [`candle2trt::DynTraceModel`].
//! - [`blocks`]: the pieces they are built from, public for porting more models — convolution
//!   with norm and activation, `Sequential`, squeeze-excitation, inverted residual / MBConv,
//!   TensorFlow "SAME" padding, channel rounding — each with the key names its caller chooses.
//! - [`weights::build_strict`]: PyTorch's `load_state_dict(strict=True)`, with the report of
//!   every missing, unexpected and mis-shaped key.
//!
//! ```no_run
//! use candle2trt::{convert, ConversionOptions};
//! use candle_core::{DType, Device, Tensor};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ckpt = torch_weights::open("resnet18.pt")?;
//! let model = candle2trt_models::weights::build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
//!     candle2trt_models::models::torchvision::by_name("resnet18", vb)
//! })?;
//! let x = Tensor::zeros((1, 3, 224, 224), DType::F32, &Device::Cpu)?;
//! let logits = model.forward_candle(&[x.clone()])?; // plain candle: [(1, 1000)]
//! let engine = convert(&*model, &[x], &ConversionOptions::default())?;
//! # Ok(()) }
//! ```

// Errors carry op, module path and operand shapes (candle2trt's `Error`); they are rare, so the
// size of `Result` does not matter here.
#![allow(clippy::result_large_err)]

pub mod blocks;
mod error;
pub mod models;
pub mod weights;

pub use error::{Error, Result};
