//! Shared helpers of the real-builder tests: every check builds a TensorRT engine with the
//! TensorRT library (TensorRT-RTX builds on a CPU-only machine) and compares the traced model
//! with plain candle.

#![allow(dead_code)]

use candle2trt::{convert, ConversionOptions, Result, TraceModel, TrtModule};
use candle_core::{DType, Device, Tensor};

/// A random f32 tensor.
pub fn randn(shape: &[usize]) -> Tensor {
    Tensor::randn(0f32, 1.0, shape, &Device::Cpu).expect("randn")
}

/// A random positive f32 tensor (for log, sqrt, pow, ...).
pub fn rand_pos(shape: &[usize]) -> Tensor {
    Tensor::rand(0.1f32, 2.0, shape, &Device::Cpu).expect("rand")
}

/// An integer index tensor.
pub fn ids(values: &[u32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape, &Device::Cpu).expect("ids")
}

/// Maximum absolute difference.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    let a = a.to_dtype(DType::F32).unwrap();
    let b = b.to_dtype(DType::F32).unwrap();
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Converts `model` (a real engine build) and checks: the traced candle values equal plain
/// candle's, and TensorRT's output dims equal candle's (`-1` only where dynamic).
pub fn check_with<M: TraceModel>(
    model: &M,
    inputs: &[Tensor],
    options: &ConversionOptions,
) -> Result<TrtModule> {
    let plain = model.forward_inputs(inputs)?;
    let module = convert(model, inputs, options)?;
    assert!(!module.engine_bytes().is_empty(), "empty engine");
    assert_eq!(plain.len(), module.outputs().len());
    for ((p, r), spec) in plain
        .iter()
        .zip(module.reference_outputs())
        .zip(module.outputs())
    {
        assert_eq!(p.dims(), r.dims());
        assert_eq!(p.dtype(), spec.dtype);
        let d = max_diff(p, r);
        assert!(d <= 1e-6, "traced value differs from plain candle by {d}");
        assert_eq!(spec.dims.len(), p.rank(), "rank of {}", spec.name);
        for (i, (&t, &c)) in spec.dims.iter().zip(p.dims()).enumerate() {
            assert!(
                t == c as i64 || (t == -1 && options_dynamic(options)),
                "output {} dim {i}: TensorRT {t}, candle {c}",
                spec.name
            );
        }
    }
    Ok(module)
}

fn options_dynamic(o: &ConversionOptions) -> bool {
    o.dynamic_batch.is_some() || o.input_shapes.iter().any(Option::is_some)
}

/// [`check_with`] in f32, static shapes.
pub fn check<M: TraceModel>(model: &M, inputs: &[Tensor]) -> Result<TrtModule> {
    check_with(model, inputs, &ConversionOptions::default())
}

/// [`check_with`] under fp16_mode and a dynamic batch 1..=8: also checks that the outputs'
/// batch dimension stays dynamic.
pub fn check_dynamic_fp16<M: TraceModel>(model: &M, inputs: &[Tensor]) -> Result<TrtModule> {
    let options = ConversionOptions::default()
        .with_fp16(true)
        .with_dynamic_batch(1, 2, 8);
    let m = check_with(model, inputs, &options)?;
    assert!(
        m.outputs().iter().all(|o| o.dims[0] == -1),
        "batch not dynamic: {:?}",
        m.outputs()
    );
    Ok(m)
}

/// One-input test model from a generic forward body: `model!(Name, |x| x.relu())`.
#[macro_export]
macro_rules! model {
    ($name:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl candle2trt::TraceModule for $name {
            fn forward<T: candle2trt::TraceTensor>(&self, $x: &T) -> candle2trt::Result<T> {
                $body
            }
        }
    };
}

/// Multi-input test model: `model_n!(Name, |xs| xs[0].add(&xs[1]))`.
#[macro_export]
macro_rules! model_n {
    ($name:ident, |$xs:ident| $body:expr) => {
        struct $name;
        impl candle2trt::TraceModel for $name {
            fn forward_inputs<T: candle2trt::TraceTensor>(
                &self,
                $xs: &[T],
            ) -> candle2trt::Result<Vec<T>> {
                Ok(vec![$body?])
            }
        }
    };
}
