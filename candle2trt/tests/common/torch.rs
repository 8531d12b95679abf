//! PyTorch's own values for the vocabulary's ops: `fixtures/pytorch_ops/cases.safetensors`,
//! written by `fixtures/pytorch_ops/make.py` (torch 2.x, CPU, float32). A case `name` holds its
//! inputs `name.in0`, `name.in1`, ... and PyTorch's outputs `name.out0`, `name.out1`, ....
//!
//! [`check_torch`] runs a model on a case's inputs through plain candle and through a converted
//! engine's simulation (a real TensorRT build, simulated by `trt-sim`), and compares both with
//! PyTorch's outputs.

use std::collections::HashMap;
use std::sync::OnceLock;

use candle2trt::{Result, TraceModel};
use candle_core::{DType, Tensor};

/// A case's inputs and PyTorch's outputs.
pub struct Case {
    /// `name.in0`, `name.in1`, ...
    pub ins: Vec<Tensor>,
    /// `name.out0`, `name.out1`, ...
    pub outs: Vec<Tensor>,
}

fn fixture() -> &'static HashMap<String, Tensor> {
    static FIXTURE: OnceLock<HashMap<String, Tensor>> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/pytorch_ops/cases.safetensors"
        );
        candle_core::safetensors::load(path, &candle_core::Device::Cpu)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    })
}

/// The case `name` (on the tests' device); panics when the fixture lacks it.
pub fn case(name: &str) -> Case {
    let f = fixture();
    let dev = super::device();
    let list = |kind: &str| -> Vec<Tensor> {
        (0..)
            .map_while(|i| f.get(&format!("{name}.{kind}{i}")))
            .map(|t| t.to_device(&dev).expect("to device"))
            .collect()
    };
    let c = Case {
        ins: list("in"),
        outs: list("out"),
    };
    assert!(
        !c.ins.is_empty() && !c.outs.is_empty(),
        "no case {name} in the fixture: rerun fixtures/pytorch_ops/make.py"
    );
    c
}

/// How far from PyTorch's value a result may be.
#[derive(Debug, Clone, Copy)]
pub enum Tol {
    /// Bit-equal (NaN equal to NaN): selections, copies and exactly rounded integer results.
    Exact,
    /// `|got - want| ≤ k · f32::EPSILON · scale`, `scale` the largest magnitude among the
    /// case's first input and PyTorch's output (at least 1): `k` counts the roundings in which
    /// the two computations may differ, each at most half an ulp of the largest value involved.
    Eps(f32),
    /// An absolute bound derived by the caller.
    Abs(f32),
}

/// The largest magnitude in `t`.
pub fn max_abs(t: &Tensor) -> f32 {
    t.to_dtype(DType::F32)
        .and_then(|t| t.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>())
        .expect("max_abs")
}

fn assert_close(got: &Tensor, want: &Tensor, bound: f32, what: &str) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let d = super::max_diff(got, want);
    assert!(
        d <= bound,
        "{what}: differs from PyTorch by {d} (bound {bound})\n got {got}\nwant {want}"
    );
}

/// Runs `model` on the first `n_inputs` inputs of case `name` through plain candle and through a
/// converted, simulated engine (`common::check_with`: a real build, verification on, TF32 off),
/// and compares every output of both with PyTorch's within `tol`.
pub fn check_torch<M: TraceModel>(model: &M, name: &str, n_inputs: usize, tol: Tol) -> Result<()> {
    let c = case(name);
    let inputs = &c.ins[..n_inputs];
    let scale = c
        .outs
        .iter()
        .map(max_abs)
        .fold(max_abs(&inputs[0]), f32::max)
        .max(1.0);
    let bound = match tol {
        Tol::Exact => 0.0,
        Tol::Eps(k) => k * f32::EPSILON * scale,
        Tol::Abs(b) => b,
    };
    let plain = model.forward_inputs(inputs)?;
    assert_eq!(plain.len(), c.outs.len(), "{name}: number of outputs");
    for (i, (p, w)) in plain.iter().zip(&c.outs).enumerate() {
        assert_close(p, w, bound, &format!("{name}: plain candle output {i}"));
    }
    // Without TF32 (on by default, TensorRT's default for f32 matrix products and
    // convolutions): the engine's f32 arithmetic is what is compared with PyTorch's f32; TF32's
    // 10-bit mantissa would add its own, larger error (2⁻¹¹ relative per operand).
    let options = candle2trt::ConversionOptions::default().with_tf32(false);
    let module = super::check_with(model, inputs, &options)?;
    let sim = module.simulated_outputs();
    assert_eq!(sim.len(), c.outs.len(), "{name}: number of engine outputs");
    for (i, (s, w)) in sim.iter().zip(&c.outs).enumerate() {
        assert_close(s, w, bound, &format!("{name}: simulated engine output {i}"));
    }
    Ok(())
}

/// A test model of any number of inputs and outputs from a generic body:
/// `torch_model!(M, |xs| Ok(xs[0].chunk(4, 1)?))`.
#[macro_export]
macro_rules! torch_model {
    ($name:ident, |$xs:ident| $body:expr) => {
        struct $name;
        impl candle2trt::TraceModel for $name {
            fn forward_inputs<T: candle2trt::TraceTensor>(
                &self,
                $xs: &[T],
            ) -> candle2trt::Result<Vec<T>> {
                $body
            }
        }
    };
}

/// One test per case: `torch_cases! { floor: "floor", 1, Tol::Exact, |xs| one(xs[0].floor()); }`.
#[macro_export]
macro_rules! torch_cases {
    ($($test:ident: $case:literal, $n:expr, $tol:expr, |$xs:ident| $body:expr;)*) => {$(
        #[test]
        fn $test() -> candle2trt::Result<()> {
            $crate::torch_model!(M, |$xs| $body);
            $crate::common::torch::check_torch(&M, $case, $n, $tol)
        }
    )*};
}

/// A one-output body's result as the list of outputs.
pub fn one<T>(r: Result<T>) -> Result<Vec<T>> {
    Ok(vec![r?])
}
