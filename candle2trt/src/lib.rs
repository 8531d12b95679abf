//! candle → TensorRT: torch2trt's workflow for candle models.
//!
//! A model's forward is written once, generic over [`TraceTensor`]. On `candle_core::Tensor`
//! it is plain candle inference; under the tracer it also builds a TensorRT network, layer by
//! layer, checking at every op that TensorRT's inferred dimensions equal candle's.
//!
//! The pieces:
//!
//! - [`TraceTensor`]: the tensor operations, named as in candle;
//! - [`TraceModule`] / [`TraceModel`]: models whose forward is generic over it (the `candle_nn`
//!   layers with converters implement [`TraceModule`]);
//! - [`Error`] / [`Result`]: every failure, typed, with op, module path and shapes where known.

mod candle_impl;
mod convert;
mod engine;
mod error;
mod module;
mod ops;
mod options;
#[cfg(feature = "cuda")]
mod runtime;
mod tensor;
mod trace;

pub use candle_core::op::CmpOp;
pub use convert::convert;
pub use engine::{IoSpec, TrtModule};
pub use error::{Error, ModulePath, Result, Shapes};
pub use module::{TraceModel, TraceModule};
pub use options::{ConversionOptions, Fp32Policy, ShapeRange};
pub use tensor::{ScopeGuard, TraceTensor};
pub use trace::{LayerInfo, TracedTensor};
