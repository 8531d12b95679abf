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

// Errors carry op, module path and operand shapes by design; they are rare and the tensors the
// `Ok` side carries are handles, so the size of `Result` does not matter here.
#![allow(clippy::result_large_err)]

mod candle_impl;
mod error;
mod module;
mod tensor;

pub use candle_core::op::CmpOp;
pub use error::{Error, ModulePath, Result, Shapes};
pub use module::{TraceModel, TraceModule};
pub use tensor::{ScopeGuard, TraceTensor};
