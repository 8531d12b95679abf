//! A CPU simulator of TensorRT networks: reads a [`trt::Network`] back through TensorRT's own getters
//! ([`trt::Layer::description`]) and evaluates it on candle CPU tensors, each layer type implemented once
//! from the semantics NvInfer.h documents (the header line is cited next to each choice; where the header
//! says nothing, `docs/verification.md` lists the assumption).
//!
//! No GPU here can execute an engine. What TensorRT *holds* can still be checked: the simulation computes
//! what the network TensorRT built computes, under its documented semantics — shape tensors, casts, f16/bf16
//! storage and rounding per declared output type, TF32 rounding of convolution and matrix-multiply inputs
//! where TF32 is allowed, quantize/dequantize rounding and clamping, integer and boolean types — at any input
//! shape inside the optimization profile.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use trt::*;
//! let lib = Library::load()?;
//! let logger = Logger::new(Severity::Warning)?;
//! let builder = Builder::new(lib, &logger)?;
//! let network = builder.create_network()?;
//! let x = network.add_input("x", DataType::Float, [1, 4])?;
//! let y = network.add(Activation::new(x, ActivationType::Relu))?.output(0)?;
//! network.mark_output_named(y, "y")?;
//!
//! let program = trt_sim::Program::from_network(&network, None)?;
//! let input = candle_core::Tensor::new(&[[-1f32, 0.5, -2.0, 3.0]], &candle_core::Device::Cpu)?;
//! let run = program.run(&[input], &trt_sim::RunOptions::default())?;
//! assert_eq!(run.outputs[0].to_f32()?.to_vec2::<f32>()?, [[0.0, 0.5, 0.0, 3.0]]);
//! # Ok(()) }
//! ```
//!
//! The crate depends on `trt` and `candle-core` only — not on the converter — so that what it computes comes
//! from NvInfer.h and not from the code it checks.

mod error;
mod eval;
mod program;
mod run;
mod value;

pub use error::{Error, LayerError, Result};
pub use program::{InputInfo, InputRange, Program, Step, TensorInfo};
pub use run::{Run, RunOptions};
pub use value::{round_fp4_e2m1, round_fp8_e4m3, round_tf32, Value};
