//! Model zoo used by the examples, tests and benches: real architectures that load PyTorch
//! checkpoints with their exact key names and whose forward is written once, generic over
//! [`candle2trt::TraceTensor`].
//!
//! - [`models::resnet`], [`models::mobilenet_v2`], [`models::vgg`], [`models::squeezenet`],
//!   [`models::efficientnet`]: torchvision classifiers; [`models::torchvision::by_name`] builds
//!   any of them from its torchvision name (`resnet50`, `vgg16_bn`, `efficientnet_b0`, …);
//! - [`models::bert`]: the Hugging Face `BertModel` encoder (a [`candle2trt::TraceModel`] with
//!   three inputs and two outputs);
//! - [`models::simple_cnn`]: the model of the project brief.
//!
//! The same value runs as plain candle (`T = candle_core::Tensor`) and under candle2trt's
//! tracer, which turns it into a TensorRT network.
//!
//! ```no_run
//! use candle2trt::TraceModule;
//! use candle_core::{DType, Device, Tensor};
//! # fn main() -> anyhow::Result<()> {
//! let vb = torch_weights::open("resnet18.pt")?.var_builder(DType::F32, &Device::Cpu);
//! let model = candle2trt_examples::models::torchvision::by_name("resnet18", vb)?;
//! let x = Tensor::zeros((1, 3, 224, 224), DType::F32, &Device::Cpu)?;
//! let logits = model.forward(&x)?; // (1, 1000)
//! # Ok(()) }
//! ```

// Errors carry op, module path and operand shapes (candle2trt's `Error`); they are rare, so the
// size of `Result` does not matter here.
#![allow(clippy::result_large_err)]
// Layer enums (`Block`, `Feature`, `TorchvisionModel`) hold a few dozen values built once per
// model; boxing the larger variants would add indirection for no gain.
#![allow(clippy::large_enum_variant)]

pub mod cli;
pub mod fixtures;
pub mod models;
pub mod weights;
