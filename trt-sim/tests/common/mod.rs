//! Shared by the simulator's tests: the TensorRT library (networks are defined and read back through it; no
//! engine is built), and running a network in the simulator.
#![allow(dead_code)]

use std::io::Write;
use std::sync::OnceLock;

use candle_core::{Device, Tensor};
use trt::{Library, LoadError, Network};
use trt_sim::{Program, RunOptions, Value};

/// Prints a line to stderr directly (shows through libtest's capture), in one `write` call: `writeln!` on the
/// unbuffered stderr writes the text and its line ending separately, and a result line libtest prints in between
/// (another test finishing) would land inside this one, where `cargo xtask test` cannot read it.
pub fn say(line: &str) {
    let text = format!("{line}\n");
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The loaded library, or `None` with a printed `SKIPPED:` reason where the provisioned TensorRT-RTX library
/// cannot match the headers (the Enterprise-headers CI job); with RTX headers a missing library fails.
pub fn library() -> Option<&'static Library> {
    static RESULT: OnceLock<Result<&'static Library, String>> = OnceLock::new();
    let result = RESULT.get_or_init(|| match Library::load() {
        Ok(lib) => Ok(lib),
        Err(e @ LoadError::VersionMismatch { .. }) => {
            Err(format!("library does not match the headers: {e}"))
        }
        Err(e @ LoadError::NotFound { .. }) if !trt::HEADERS_ARE_RTX => Err(format!(
            "no {} for these standard TensorRT headers: {e}",
            trt::LIBRARY_NAME
        )),
        Err(e) => panic!("TensorRT-RTX library not loadable (run `cargo xtask setup`): {e}"),
    });
    match result {
        Ok(lib) => Some(lib),
        Err(reason) => {
            say(&format!(
                "SKIPPED: {}",
                reason.lines().next().unwrap_or_default()
            ));
            None
        }
    }
}

/// Library + logger + builder + network, or return from the test (skipped).
#[macro_export]
macro_rules! network {
    ($net:ident) => {
        let Some(lib) = common::library() else {
            return;
        };
        let logger = trt::Logger::new(trt::Severity::Warning).expect("logger");
        let builder = trt::Builder::new(lib, &logger).expect("builder");
        let $net = builder.create_network().expect("network");
    };
    ($net:ident, $builder:ident) => {
        let Some(lib) = common::library() else {
            return;
        };
        let logger = trt::Logger::new(trt::Severity::Warning).expect("logger");
        let $builder = trt::Builder::new(lib, &logger).expect("builder");
        let $net = $builder.create_network().expect("network");
    };
}

/// A CPU f32 tensor.
pub fn t(values: &[f32], dims: &[usize]) -> Tensor {
    Tensor::from_slice(values, dims, &Device::Cpu).expect("tensor")
}

/// A CPU i64 tensor.
pub fn ti(values: &[i64], dims: &[usize]) -> Tensor {
    Tensor::from_slice(values, dims, &Device::Cpu).expect("tensor")
}

/// Runs `net` in the simulator (TF32 off unless `tf32`) and returns its outputs.
pub fn run_with(net: &Network<'_>, inputs: &[Tensor], tf32: bool) -> Vec<Value> {
    let program = Program::from_network(net, None).expect("read back");
    let options = RunOptions {
        tf32,
        keep_all: false,
        ..Default::default()
    };
    program
        .run(inputs, &options)
        .unwrap_or_else(|e| panic!("simulation failed: {e}"))
        .outputs
}

/// Runs `net` with TF32 off.
pub fn run(net: &Network<'_>, inputs: &[Tensor]) -> Vec<Value> {
    run_with(net, inputs, false)
}

/// Output 0 of `net` as flat f32s.
pub fn out(net: &Network<'_>, inputs: &[Tensor]) -> Vec<f32> {
    f32s(&run(net, inputs)[0])
}

/// A value's elements as flat f32s.
pub fn f32s(v: &Value) -> Vec<f32> {
    v.to_f32()
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
}

/// A value's elements as flat i64s.
pub fn i64s(v: &Value) -> Vec<i64> {
    v.tensor()
        .to_dtype(candle_core::DType::I64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<i64>()
        .unwrap()
}

/// Asserts `a` and `b` agree within `tol` (absolute) element by element.
pub fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "lengths differ: {a:?} vs {b:?}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol || (x.is_nan() && y.is_nan()),
            "element {i}: {x} vs {y} (tolerance {tol})\n{a:?}\n{b:?}"
        );
    }
}

/// A constant f32 tensor of `dims` in `net`.
pub fn constant<'n>(net: &'n Network<'n>, values: &[f32], dims: &[i64]) -> trt::Tensor<'n> {
    net.add(trt::Constant::new(
        dims.to_vec(),
        trt::Weights::from_f32(values),
    ))
    .and_then(|l| l.output(0))
    .expect("constant")
}

/// A constant i64 tensor of `dims` in `net`.
pub fn constant_i64<'n>(net: &'n Network<'n>, values: &[i64], dims: &[i64]) -> trt::Tensor<'n> {
    net.add(trt::Constant::new(
        dims.to_vec(),
        trt::Weights::from_slice(values),
    ))
    .and_then(|l| l.output(0))
    .expect("constant")
}

/// Marks `t` as an output.
pub fn output(net: &Network<'_>, t: trt::Tensor<'_>) {
    net.mark_output(t).expect("mark output");
}
