//! The converter audit's findings (issue 9), each of which built an engine with the right shapes
//! and wrong numbers. Each test failed before its fix — `convert`'s verification (the network
//! TensorRT holds, simulated on the CPU) disagreed with candle — and passes after it.

mod common;

use candle2trt::{convert, ConversionOptions, Result, ShapeRange, TraceModule, TraceTensor};
use candle_core::{DType, Device, Tensor};
use common::{check_with, randn};

macro_rules! model {
    ($name:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl TraceModule for $name {
            fn forward<T: TraceTensor>(&self, $x: &T) -> Result<T> {
                $body
            }
        }
    };
}

fn fp16() -> ConversionOptions {
    ConversionOptions::default().with_fp16(true)
}

// fp16 scalar constants. The constant of `div_scalar(v)` was f16(v) — inf for |v| > 65504 — and
// `mul_scalar(1e-8)` multiplied by f16(1e-8) = 0; candle multiplies by 1/v in f32. Before the fix:
// "verification failed at the sample shape [[2, 8]]: output `output_0`: max |simulated - candle|
// = 4.633e-1 > 2.416e-2 (max |candle| = 4.633e-1); first diverging op: `div_scalar`" (x / inf = 0).
model!(DivLarge, |x| x.div_scalar(1e5));
model!(TinyThenHuge, |x| x.mul_scalar(1e-8)?.mul_scalar(1e8));

#[test]
fn fp16_scalar_constants_out_of_f16_range() -> Result<()> {
    let x = (randn(&[2, 8]) * 2e4)?;
    check_with(&DivLarge, std::slice::from_ref(&x), &fp16())?;
    check_with(&TinyThenHuge, &[x], &fp16())?;
    Ok(())
}

// Integer scalar arithmetic: candle's affine on integers converts the factor to an integer first
// (`x / 2.0` on i64 is `x * 0`); the converter built an integer divide by 2. Before the fix:
// "output `output_0`: max |simulated - candle| = 4.000e0 > 1.000e-4 (max |candle| = 0.000e0);
// first diverging op: `div_scalar`".
model!(IntDiv, |x| x.div_scalar(2.0));

#[test]
fn integer_scalar_arithmetic_follows_candle() -> Result<()> {
    let ids = Tensor::new(&[[1i64, 4, 9], [2, 7, 8]], &Device::Cpu)?;
    check_with(&IntDiv, &[ids], &ConversionOptions::default())?;
    Ok(())
}

// `broadcast_pow` with a negative base: candle computes exp(b · ln a) (NaN for a < 0); TensorRT's
// kPOW is C's pow ((-2)^2 = 4). Before the fix: "output `output_0`: max |simulated - candle| =
// inf > 3.474e-2 ...; first diverging op: `broadcast_pow`" (a number where candle has NaN).
struct Pow;
impl candle2trt::TraceModel for Pow {
    fn forward_inputs<T: TraceTensor>(&self, xs: &[T]) -> Result<Vec<T>> {
        Ok(vec![xs[0].broadcast_pow(&xs[1])?])
    }
}

#[test]
fn pow_with_a_negative_base_is_nan_like_candle() -> Result<()> {
    let base = Tensor::new(&[[-2f32, 0.5, 3.0, -1.0]], &Device::Cpu)?;
    let exp = Tensor::new(&[[2f32, 3.0, 0.5, 3.0]], &Device::Cpu)?;
    check_with(&Pow, &[base, exp], &ConversionOptions::default())?;
    Ok(())
}

// `ge` / `le` were built as Not(Less) / Not(Greater): true where an operand is NaN, where candle
// says false. Before the fix: "output `output_0`: max |simulated - candle| = 1.000e0 > 2.010e-2
// ...; first diverging op: `ge`".
struct Cmp;
impl candle2trt::TraceModel for Cmp {
    fn forward_inputs<T: TraceTensor>(&self, xs: &[T]) -> Result<Vec<T>> {
        Ok(vec![xs[0].ge(&xs[1])?, xs[0].le(&xs[1])?])
    }
}

#[test]
fn ge_and_le_are_false_on_nan() -> Result<()> {
    let a = Tensor::new(&[f32::NAN, 1.0, 2.0, f32::NAN], &Device::Cpu)?;
    let b = Tensor::new(&[0f32, 1.0, 3.0, f32::NAN], &Device::Cpu)?;
    let m = check_with(&Cmp, &[a, b], &ConversionOptions::default())?;
    let ge = m.simulated_outputs()[0]
        .to_dtype(DType::U8)?
        .to_vec1::<u8>()?;
    assert_eq!(ge, [0, 1, 0, 0]);
    Ok(())
}

/// A dynamic dimension other than the batch (dim 2 here, 4..=12), traced at 6.
fn dynamic_width(x: &Tensor) -> ConversionOptions {
    let mut min = x.dims().to_vec();
    let mut max = min.clone();
    min[2] = 4;
    max[2] = 12;
    ConversionOptions {
        input_shapes: vec![Some(ShapeRange {
            min,
            opt: x.dims().to_vec(),
            max,
        })],
        ..ConversionOptions::default()
    }
}

/// A model with two outputs: `f(x)` and `x.relu()`, which keeps the inputs' dynamic dimension, so
/// that the old `DynamicShapeLost` check (every output lost it) stays silent.
macro_rules! with_dynamic_companion {
    ($name:ident, |$x:ident| $body:expr) => {
        struct $name;
        impl candle2trt::TraceModel for $name {
            fn forward_inputs<T: TraceTensor>(&self, xs: &[T]) -> Result<Vec<T>> {
                let $x = &xs[0];
                Ok(vec![$body?, $x.relu()?])
            }
        }
    };
}

// Dynamic dimensions baked at the sample's size. Padding along a dynamic axis used the sample's
// length; before the fix: "verification failed at the profile min shape [[1, 2, 4]]: output
// `output_0` has simulated dims [1, 2, 9] where candle computed [1, 2, 7]; first diverging op:
// `pad_with_zeros`".
with_dynamic_companion!(PadWidth, |x| x.pad_with_zeros(2, 1, 2));

#[test]
fn padding_along_a_dynamic_axis_stays_dynamic() -> Result<()> {
    let x = randn(&[1, 2, 6]);
    check_with(&PadWidth, std::slice::from_ref(&x), &dynamic_width(&x))?;
    Ok(())
}

// Chunks, ceil-mode max pooling and adaptive pools along a dynamic axis used sizes and windows
// computed from the traced size (7 here: the sample's 6 is also the static height). Before the
// fix: "simulating the network at the profile min shape [[1, 2, 4]] failed in `chunk` at
// `<root>`: layer 11 'chunk_1.5' (Slice): coordinate 4 of axis 2 (length 4) is out of bounds";
// "simulating the network at the sample shape [[1, 2, 6, 6]] failed in `adaptive_avg_pool2d`:
// ... (MatrixMultiply): inner dims 7 and 6 differ"; "verification failed at the sample shape
// [[1, 2, 6, 6]]: output `output_0` has simulated dims [1, 2, 2, 3] where candle computed
// [1, 2, 3, 3]; first diverging op: `max_pool2d_ceil`". They are refused by name now.
with_dynamic_companion!(ChunkWidth, |x| {
    let halves = x.chunk(2, 2)?;
    halves[0].add(&halves[1])
});
with_dynamic_companion!(AdaptivePool, |x| x.adaptive_avg_pool2d((2, 2)));
with_dynamic_companion!(CeilPool, |x| x.max_pool2d_with_config(
    &candle2trt::Pool2dConfig::new(3)
        .with_stride(2)
        .with_ceil_mode(true)
));

#[test]
fn windows_and_chunks_over_a_dynamic_axis_are_refused_by_name() {
    for (what, result, op) in [
        (
            "chunk",
            convert(
                &ChunkWidth,
                &[randn(&[1, 2, 6])],
                &dynamic_width(&randn(&[1, 2, 6])),
            ),
            "chunk",
        ),
        (
            "adaptive pool",
            convert(
                &AdaptivePool,
                &[randn(&[1, 2, 6, 6])],
                &dynamic_width(&randn(&[1, 2, 6, 6])),
            ),
            "adaptive_avg_pool2d",
        ),
        (
            "ceil-mode max pool",
            convert(
                &CeilPool,
                &[randn(&[1, 2, 6, 6])],
                &dynamic_width(&randn(&[1, 2, 6, 6])),
            ),
            "max_pool2d_ceil",
        ),
    ] {
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{what}: not refused"));
        assert!(
            matches!(&err, candle2trt::Error::UnsupportedArguments { op: o, .. } if o == op),
            "{what}: {err}"
        );
    }
}

// The reshape guess: `x: [B, 20]` traced at B = 5, then `reshape((B * 4, 5))`: the 5 that is not
// the batch is taken for it, and the engine reshapes to [20, -1]. The converter cannot tell from
// the numbers alone; verification catches it at the profile's min instead of building an engine
// that is wrong at every other batch.
struct ReshapeGuess;
impl TraceModule for ReshapeGuess {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let b = x.dim(0)?;
        x.reshape((b * 4, 5))
    }
}

#[test]
fn an_ambiguous_reshape_is_caught() {
    // Traced at another size than the sample's (the default), the hard-coded size is refused at
    // the reshape itself, with the sizes and how to write it.
    let options = ConversionOptions::default().with_dynamic_batch(1, 5, 8);
    let err = convert(&ReshapeGuess, &[randn(&[5, 20])], &options).expect_err("caught");
    let text = err.to_string();
    assert!(
        text.contains("`reshape`") && text.contains("would fix a dynamic dimension"),
        "{err}"
    );
    println!("{err}");
    // Traced at the sample's own size, the guess passes the trace, and verification catches it
    // at a profile corner.
    let options = ConversionOptions {
        trace_at_sample_shape: true,
        ..options
    };
    let err = convert(&ReshapeGuess, &[randn(&[5, 20])], &options).expect_err("caught");
    match &err {
        candle2trt::Error::VerificationFailed { corner, what, .. } => {
            assert_ne!(*corner, candle2trt::Corner::Sample, "{err}");
            assert!(what.contains("simulated dims"), "{err}");
        }
        other => panic!("not caught by verification: {other}"),
    }
    println!("{err}");
}
