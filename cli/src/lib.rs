//! The library half of the `candle2trt` command: everything that can be tested without running
//! the binary.
//!
//! - [`triton`]: `config.pbtxt` from a plain description of an engine's I/O, and the atomic
//!   model-repository writer of `candle2trt export-triton`;
//! - [`zoo`]: the adapter between the command line and the model zoo;
//! - [`progress`]: TensorRT's build progress as `indicatif` bars;
//! - [`args`]: parsers of option values (`--batch 1:4:8`, `--workspace 1GiB`);
//! - [`onnx`]: ONNX files read from the protobuf wire format (test data, a model's graph);
//! - [`simulate`]: `candle2trt simulate`'s matching of test data to a network and its comparison.

// candle2trt's `Error` carries op, module path and shapes; it is rare, its size does not matter.
#![allow(clippy::result_large_err)]

pub mod args;
pub mod onnx;
pub mod progress;
pub mod simulate;
pub mod triton;
pub mod zoo;
