//! candle → TensorRT: torch2trt's workflow for candle models.
//!
//! ```text
//! PyTorch checkpoint ──torch-weights──▶ candle model (forward generic over TraceTensor)
//!     model.forward(&candle_core::Tensor)      plain candle: the reference, CPU or CUDA
//!     convert(&model, &[x], &options)          traced: TensorRT network ─▶ engine ─▶ TrtModule
//!     trt_module.forward(&[cuda_tensor])       the engine on candle CUDA tensors (feature `cuda`)
//! ```
//!
//! # Writing a traceable model
//!
//! candle does not expose its op graph, so the tracer cannot watch a model from the outside as
//! torch2trt does. Instead the forward is written once, generic over [`TraceTensor`], whose
//! methods carry candle's names and arguments. For `T = candle_core::Tensor` every method is
//! the candle call itself. For `T = `[`TracedTensor`] every method computes the same candle
//! value (so the conversion yields reference outputs for free) **and** adds TensorRT layers,
//! then checks that TensorRT's inferred dimensions equal candle's: a converter bug is reported
//! at the op that caused it, at conversion time, on a machine without a GPU.
//!
//! `candle_nn` layers (`Conv1d`, `Conv2d`, `ConvTranspose2d`, `Linear`, `BatchNorm`,
//! `LayerNorm`, `RmsNorm`, `Embedding`, `Activation`, `Dropout`) implement [`TraceModule`];
//! their converters read weights and configuration through the layers' public accessors. Where
//! `candle_nn` has no readable equivalent, this crate has one: [`GroupNorm`] (built with
//! [`group_norm`] from a `VarBuilder`), and [`Pool2dConfig`] for PyTorch's pooling options
//! (padding, `ceil_mode`), as `candle_nn::Conv2dConfig` is for convolutions.
//! [`TraceTensor::scope`] and [`TraceTensor::apply_named`] build module paths
//! (`layer1.0.conv1`) that errors and the layer report name.
//!
//! An op without a converter is never baked into the engine as a constant computed from the
//! sample input (torch2trt's most reported failure): [`TraceTensor::apply_candle_fn`] runs
//! arbitrary candle code on plain tensors and fails under the tracer with
//! [`Error::UnsupportedOp`], naming the op, the module path and the shapes. Such an op gets a
//! converter from its user, as torch2trt's `@tensorrt_converter`: a [`CustomOp`] (the candle
//! value, and the TensorRT layers built with the `trt` API) applied with
//! [`TraceTensor::custom_op`], checked like the built-in converters. Model inputs never
//! become constants; weights enter the network only through layer converters and
//! [`TraceTensor::parameter`].
//!
//! # Precision
//!
//! TensorRT 11 and TensorRT-RTX build strongly typed networks (no FP16/INT8 builder flags).
//! With [`ConversionOptions::fp16_mode`] the converters store weights in f16, cast the inputs
//! to f16 and the outputs back (the engine's I/O keeps the model's dtypes), and keep softmax,
//! layer/group/RMS norms, sum/mean reductions and exp-like ops in f32 ([`Fp32Policy`]).
//! `int8_mode` takes calibration batches ([`ConversionOptions::int8_calibration_batches`]);
//! the calibration itself is not implemented yet and says so.
//!
//! # Dynamic shapes
//!
//! [`ConversionOptions::with_dynamic_batch`] (or per-input [`ShapeRange`]s) gives the engine
//! one optimization profile. Converters keep dynamic dimensions dynamic: reshapes copy them
//! (TensorRT's `0`) or put them in the hole (`-1`), slices and resizes take their sizes from
//! shape tensors. A reshape that would fix a dynamic dimension to the sample's size is an
//! error, and so is a network whose outputs lost the inputs' dynamic dimension. Dynamic
//! dimensions are traced at the smallest size (2, 3, 5, ...) that is neither the sample's nor
//! a static input dimension's (a batch-1 sample of `(1, 3, 224, 224)` is tiled to 2), so that
//! reshape targets read from `dims()` identify them and a size hard-coded from the sample fails
//! at its op; the reference outputs are the sample's. An error at an op with dynamic operands
//! then shows the operand shapes at the sample's sizes as well and says how to write the shape.
//!
//! The trace runs candle's forward on the device of the sample inputs and the model's weights:
//! load both on `Device::cuda_if_available(0)` (feature `cuda`) to trace on the GPU.
//!
//! # A converted submodule inside a candle model
//!
//! A [`TrtModule`] takes and returns candle CUDA tensors on candle's stream, so the hybrid
//! approach is plain code: convert the part TensorRT should run, keep the rest in candle.
//!
//! ```no_run
//! use candle2trt::{convert, ConversionOptions, TrtModule};
//! use candle_core::{Module, Tensor};
//!
//! struct Hybrid {
//!     backbone: TrtModule,       // convert(&backbone, &[sample], &options)?
//!     head: candle_nn::Linear,   // stays in candle
//! }
//!
//! impl Hybrid {
//!     fn forward(&self, x: &Tensor) -> candle2trt::Result<Tensor> {
//!         let features = self.backbone.forward(&[x])?.remove(0);
//!         Ok(self.head.forward(&features)?)
//!     }
//! }
//! ```
//!
//! # Engine files
//!
//! [`TrtModule::save`] writes the engine with its [`EngineMeta`] (I/O names, dtypes, shapes and
//! profiles, the layer list, the TensorRT version, the precision and the options that shaped the
//! engine) as a header, atomically; [`TrtModule::load`] checks the file before TensorRT sees it.
//! [`TrtModule::load_or_convert`] is an engine cache: the header's [`Fingerprint`] (weights,
//! network, options, versions) decides whether the file is loaded or rebuilt.
//!
//! # Errors
//!
//! [`Error`] has structured variants: op, module path, operand shapes ([`OpContext`]), and,
//! where TensorRT refused something, TensorRT's [`trt::Error`] as the error's `source`
//! ([`Error::tensorrt_message`] gives TensorRT's own words). Nothing in this crate panics on
//! user input.

mod cache;
mod convert;
mod custom;
mod engine;
mod error;
mod module;
mod ops;
mod options;
pub mod quant;
mod tensor;
mod trace;
mod verify;

pub use candle_core::op::CmpOp;
pub use convert::{convert, with_network};
pub use custom::{custom_op, CustomLayers, CustomOp, FnCustomOp};
pub use engine::{CacheOutcome, EngineMeta, Fingerprint, IoSpec, LayerInfo, Precision, TrtModule};
pub use error::{Error, ModulePath, OpContext, Result, Shapes};
pub use module::{DynTraceModel, TraceModel, TraceModule};
pub use options::{
    ConversionOptions, Fp32Policy, ShapeRange, SharedProgressMonitor, Tolerance, Verify,
};
#[doc(hidden)]
pub use options::{FaultInjection, LayerMutation};
pub use tensor::{
    group_norm, instance_norm, GroupNorm, Pad2d, PadMode, Pool1dConfig, Pool2dConfig, ScopeGuard,
    TraceTensor,
};
pub use trace::TracedTensor;
pub use verify::{Corner, Divergence, OutputError, ShapeCheck, VerificationReport};
