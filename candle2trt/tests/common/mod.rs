//! Shared helpers of the real-builder tests: every check builds a TensorRT engine with the
//! TensorRT library (TensorRT-RTX builds on a CPU-only machine), checks TensorRT's inferred
//! output dims against candle's, and checks the tracer's consistency: the candle values the
//! tracer computed equal plain candle's. Nothing here runs the engine (that needs a GPU
//! TensorRT supports); the engine's numbers are checked by `convert`'s verification (on by
//! default), which simulates the network TensorRT holds on the CPU at the traced shape and at the
//! profile's min and max — [`check_with`] asserts that it ran at each of them.

#![allow(dead_code)]

#[macro_use]
pub mod torch;

use candle2trt::{convert, ConversionOptions, Corner, Error, Result, TraceModel, TrtModule};
use candle_core::{DType, Device, Tensor};

/// The device the tests' tensors (inputs and weights) live on, so the model is traced there:
/// the CPU, or with `CANDLE2TRT_TEST_DEVICE=cuda` (a build with the `cuda` feature, on a machine
/// with a GPU: `cargo xtask test --cuda` runs the converter tests so) candle's CUDA device 0.
pub fn device() -> Device {
    match std::env::var("CANDLE2TRT_TEST_DEVICE").as_deref() {
        Ok("cuda") => Device::new_cuda(0).expect("CANDLE2TRT_TEST_DEVICE=cuda: no CUDA device 0"),
        _ => Device::Cpu,
    }
}

thread_local! {
    /// The state of this test's random numbers: libtest runs each test on a thread of its
    /// own, so every test draws the same values on every run, whatever runs beside it.
    static RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0x5EED) };
}

/// The next `n` uniform values in `[0, 1)` of this thread's sequence (splitmix64).
fn uniform01(n: usize) -> Vec<f64> {
    RNG.with(|state| {
        (0..n)
            .map(|_| {
                let mut z = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
                state.set(z);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    })
}

/// A random f32 tensor, standard normal (Box–Muller), reproducible: a test draws the same
/// values on every run.
pub fn randn(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let u = uniform01(2 * n);
    let values: Vec<f32> = u
        .chunks(2)
        .map(|p| {
            let r = (-2.0 * (1.0 - p[0]).ln()).sqrt();
            (r * (std::f64::consts::TAU * p[1]).cos()) as f32
        })
        .collect();
    Tensor::from_vec(values, shape, &device()).expect("randn")
}

/// A random positive f32 tensor in `[0.1, 2)` (for log, sqrt, pow, ...), reproducible.
pub fn rand_pos(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = uniform01(n)
        .into_iter()
        .map(|u| (0.1 + 1.9 * u) as f32)
        .collect();
    Tensor::from_vec(values, shape, &device()).expect("rand")
}

/// An integer index tensor.
pub fn ids(values: &[u32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape, &device()).expect("ids")
}

/// Maximum absolute difference; a NaN in both at the same place counts as equal, a NaN on one
/// side only as an infinite difference.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    let a = a.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    let b = b.to_dtype(DType::F32).unwrap().flatten_all().unwrap();
    let (a, b) = (a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
    a.iter().zip(&b).fold(0f32, |m, (&x, &y)| {
        let d = match (x.is_nan(), y.is_nan()) {
            (true, true) => 0.0,
            (false, false) if x == y => 0.0,
            (false, false) => (x - y).abs(),
            _ => f32::INFINITY,
        };
        m.max(d)
    })
}

/// Converts `model` (a real engine build) and checks: tracer consistency (the candle values
/// computed under the tracer equal plain candle's), and TensorRT's output dims against candle's.
///
/// An output dimension may be dynamic (`-1`) only where it depends on a dynamic input dimension:
/// plain candle runs the model a second time with every dynamic input dimension resized, and an
/// output axis must be `-1` in the engine exactly when its size changed.
pub fn check_with<M: TraceModel>(
    model: &M,
    inputs: &[Tensor],
    options: &ConversionOptions,
) -> Result<TrtModule> {
    let plain = model.forward_inputs(inputs)?;
    let module = convert(model, inputs, options)?;
    assert!(!module.engine_bytes().is_empty(), "empty engine");
    assert_eq!(plain.len(), module.outputs().len());
    let dynamic = module.inputs().iter().any(|i| i.dims.contains(&-1));
    assert_eq!(
        dynamic,
        options_dynamic(options),
        "dynamic inputs vs options"
    );
    check_verified(&module, inputs);
    let resized = if dynamic {
        model.forward_inputs(&resize_dynamic_dims(&module, inputs))?
    } else {
        plain.clone()
    };
    for (((p, q), r), spec) in plain
        .iter()
        .zip(&resized)
        .zip(module.reference_outputs())
        .zip(module.outputs())
    {
        assert_eq!(p.dims(), r.dims());
        assert_eq!(p.dtype(), spec.dtype);
        let d = max_diff(p, r);
        // Dynamic dimensions are traced at another size than the sample's, and candle's CPU
        // kernels (conv1d's im2col + gemm) round differently at another batch: relative 1e-6.
        let scale = max_diff(p, &p.zeros_like().expect("zeros")).max(1.0);
        assert!(
            d <= 1e-6 * scale,
            "tracer consistency: the traced candle value differs from plain candle's by {d} \
             (largest magnitude {scale})"
        );
        assert_eq!(spec.dims.len(), p.rank(), "rank of {}", spec.name);
        for (i, ((&t, &c), &c2)) in spec.dims.iter().zip(p.dims()).zip(q.dims()).enumerate() {
            let depends = c != c2;
            assert!(
                (t == -1 && depends) || (t == c as i64 && !depends),
                "output {} dim {i}: TensorRT {t}; candle {c}, and {c2} with the dynamic input \
                 dimensions resized",
                spec.name
            );
        }
    }
    Ok(module)
}

/// Asserts that verification simulated the engine at the sample's dims and, for dynamic inputs,
/// at the profile's min and max dims, each within tolerance (a failure would have been an error).
pub fn check_verified(module: &TrtModule, inputs: &[Tensor]) {
    let report = module
        .verification()
        .expect("verification is on by default");
    let sample: Vec<Vec<usize>> = inputs.iter().map(|x| x.dims().to_vec()).collect();
    let checked: Vec<&Vec<Vec<usize>>> = report.checks.iter().map(|c| &c.input_dims).collect();
    assert_eq!(report.checks[0].corner, Corner::Sample);
    assert_eq!(report.checks[0].input_dims, sample);
    for pick in [0usize, 2] {
        let corner: Vec<Vec<usize>> = inputs
            .iter()
            .zip(module.inputs())
            .map(|(x, spec)| match &spec.profile {
                Some(p) => [&p.min, &p.opt, &p.max][pick].clone(),
                None => x.dims().to_vec(),
            })
            .collect();
        assert!(
            checked.contains(&&corner),
            "no check at {corner:?}: {checked:?}"
        );
    }
    for c in &report.checks {
        for o in &c.outputs {
            // Each element within its bound, or (INT8/FP8) the SNR above the floor.
            let passed = match report.min_snr_db {
                Some(floor) => o.snr_db >= floor,
                None => o.worst_ratio <= 1.0,
            };
            assert!(passed, "{o:?}");
        }
    }
    assert_eq!(module.simulated_outputs().len(), module.outputs().len());
}

/// The inputs with every dynamic dimension (`-1` in the engine's input) resized to another size
/// within the profile (the sample repeated cyclically); equal sample sizes get equal new sizes.
fn resize_dynamic_dims(module: &TrtModule, inputs: &[Tensor]) -> Vec<Tensor> {
    let mut sizes: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::with_capacity(inputs.len());
    for (x, spec) in inputs.iter().zip(module.inputs()) {
        let mut x = x.clone();
        for (d, &td) in spec.dims.iter().enumerate() {
            if td != -1 {
                continue;
            }
            let profile = spec
                .profile
                .as_ref()
                .expect("a dynamic input has a profile");
            let n = x.dims()[d];
            let m = match sizes.iter().find(|(s, _)| *s == n) {
                Some(&(_, m)) => m,
                None => {
                    let m = if n < profile.max[d] { n + 1 } else { n - 1 };
                    sizes.push((n, m));
                    m
                }
            };
            let ids: Vec<u32> = (0..m).map(|i| (i % n) as u32).collect();
            let ids = Tensor::from_vec(ids, m, x.device()).expect("ids");
            x = x.index_select(&ids, d).expect("resize a dynamic dimension");
        }
        out.push(x);
    }
    out
}

fn options_dynamic(o: &ConversionOptions) -> bool {
    o.dynamic_batch.is_some() || o.input_shapes.iter().any(Option::is_some)
}

/// Whether `e` is TensorRT-RTX's refusal to run engines on this GPU's compute capability (the
/// only GPU lent to this project, an H100 with compute capability 9.0): a known refusal a test
/// may skip on. Any other error is a failure.
pub fn is_gpu_refusal(e: &Error) -> bool {
    e.tensorrt_message()
        .is_some_and(|m| m.contains("The engine cannot run on this GPU"))
}

/// The one skip line a test prints before returning early: `SKIPPED: <reason>`.
pub fn skip(reason: impl std::fmt::Display) {
    println!("SKIPPED: {reason}");
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
