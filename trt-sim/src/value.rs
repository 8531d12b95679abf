//! [`Value`]: a candle CPU tensor standing for a TensorRT tensor of a given [`DataType`], and the numeric
//! conversions between TensorRT's types (casts, rounding to f16/bf16/TF32/FP8, integer wrapping).
//!
//! Storage: Float as F32, Half as F16 and BF16 as BF16 (so a Half tensor holds exactly the f16 values the engine
//! would), Int32/Int64/Int8/Int4 as I64, Bool/UInt8 as U8 (Bool: 0 or 1), Fp8/Fp4 as F32 holding values on
//! the format's grid.

use candle_core::{DType, Device, Tensor};
use trt::DataType;

use crate::error::{invalid, unsupported, LayerResult};

/// A tensor's value in the simulation.
#[derive(Debug, Clone)]
pub struct Value {
    tensor: Tensor,
    dtype: DataType,
}

/// The candle dtype that stores values of TensorRT type `dt`.
pub(crate) fn storage_dtype(dt: DataType) -> Option<DType> {
    Some(match dt {
        DataType::Float | DataType::Fp8 | DataType::Fp4 => DType::F32,
        DataType::Half => DType::F16,
        DataType::BF16 => DType::BF16,
        DataType::Int32 | DataType::Int64 | DataType::Int8 | DataType::Int4 => DType::I64,
        DataType::Bool | DataType::UInt8 => DType::U8,
        DataType::E8M0 => return None,
    })
}

/// Whether `dt` holds real numbers (as opposed to integers and booleans).
pub(crate) fn is_float(dt: DataType) -> bool {
    matches!(
        dt,
        DataType::Float | DataType::Half | DataType::BF16 | DataType::Fp8 | DataType::Fp4
    )
}

/// Whether `dt` holds integers (not booleans).
pub(crate) fn is_int(dt: DataType) -> bool {
    matches!(
        dt,
        DataType::Int32 | DataType::Int64 | DataType::Int8 | DataType::Int4 | DataType::UInt8
    )
}

impl Value {
    /// A value of TensorRT type `dtype` from a candle tensor, converted with [`ICastLayer`] semantics where the
    /// candle dtype is not the storage dtype (an F32 tensor given for a Half input is rounded to f16; a U8
    /// tensor for a Bool input becomes 0/1).
    ///
    /// [`ICastLayer`]: https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_cast_layer.html
    pub fn from_candle(tensor: &Tensor, dtype: DataType) -> crate::Result<Self> {
        let tensor = tensor
            .to_device(&Device::Cpu)
            .map_err(|e| crate::Error::Input {
                name: String::new(),
                message: e.to_string(),
            })?;
        let src = match tensor.dtype() {
            DType::F32 | DType::F64 => DataType::Float,
            DType::F16 => DataType::Half,
            DType::BF16 => DataType::BF16,
            DType::I64 | DType::I32 | DType::U32 | DType::I16 => DataType::Int64,
            DType::U8 if dtype == DataType::Bool => DataType::UInt8,
            DType::U8 => DataType::UInt8,
            other => {
                return Err(crate::Error::Input {
                    name: String::new(),
                    message: format!("candle {other:?} tensors are not simulated"),
                })
            }
        };
        let stored = storage_dtype(src).unwrap_or(DType::F32);
        let tensor = tensor.to_dtype(stored).map_err(|e| crate::Error::Input {
            name: String::new(),
            message: e.to_string(),
        })?;
        Value { tensor, dtype: src }
            .cast(dtype)
            .map_err(|e| crate::Error::Input {
                name: String::new(),
                message: e.to_string(),
            })
    }

    /// A value whose tensor already has the storage dtype of `dtype`.
    pub(crate) fn stored(tensor: Tensor, dtype: DataType) -> Self {
        debug_assert_eq!(Some(tensor.dtype()), storage_dtype(dtype));
        Value { tensor, dtype }
    }

    /// A value of real type `dtype` from f32 results, rounded to `dtype` (the one rounding of a layer output).
    pub(crate) fn round_from_f32(t: Tensor, dtype: DataType) -> LayerResult<Self> {
        Value::stored(t, DataType::Float).cast(dtype)
    }

    /// An Int64 value from integer results.
    pub(crate) fn from_i64(t: Tensor) -> Self {
        Value::stored(t, DataType::Int64)
    }

    /// A Bool value from 0/1 bytes.
    pub(crate) fn from_bool(t: Tensor) -> Self {
        Value::stored(t, DataType::Bool)
    }

    /// The candle tensor (F32, F16, BF16, I64 or U8; see the module docs).
    pub fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// The TensorRT type this value has.
    pub fn dtype(&self) -> DataType {
        self.dtype
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        self.tensor.dims()
    }

    /// The values as an F32 tensor (integers and booleans converted exactly where f32 can hold them).
    pub fn to_f32(&self) -> candle_core::Result<Tensor> {
        self.tensor.to_dtype(DType::F32)
    }

    /// The values as an I64 tensor (reals truncated toward zero).
    pub(crate) fn to_i64(&self) -> LayerResult<Tensor> {
        Ok(self.cast(DataType::Int64)?.tensor)
    }

    /// The values as `i64`s, flattened (shape tensors, axes, sizes).
    pub(crate) fn i64s(&self) -> LayerResult<Vec<i64>> {
        Ok(self.to_i64()?.flatten_all()?.to_vec1::<i64>()?)
    }

    /// The same values with a tensor of the same storage (reshaped, permuted, sliced, ...).
    pub(crate) fn with_tensor(&self, tensor: Tensor) -> Self {
        Value::stored(tensor, self.dtype)
    }

    /// [`ICastLayer`] semantics: reals round to nearest even in a narrower real type; reals become integers by
    /// truncation toward zero, saturated to the target's range (NaN becomes 0); integers and booleans become
    /// reals exactly or rounded to nearest; anything non-zero becomes `true`; Int64 narrows to Int32 by
    /// wrapping. NvInfer.h states only the truncation (`NvInferRuntimeBase.h: DataType::kUINT8`, "{kFLOAT,
    /// kHALF} to kUINT8 conversion will convert the floating point values to integer values by truncating
    /// towards zero"); the rest is listed in docs/verification.md.
    ///
    /// [`ICastLayer`]: https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_cast_layer.html
    pub fn cast(&self, to: DataType) -> LayerResult<Value> {
        let from = self.dtype;
        if from == to {
            return Ok(self.clone());
        }
        let Some(stored) = storage_dtype(to) else {
            return unsupported!("values of type {to:?}");
        };
        let t = &self.tensor;
        let out = match (is_float(from), to) {
            (_, DataType::Bool) => {
                let v = t.to_dtype(DType::F32)?;
                map_f32_to(&v, DType::U8, |x| if x != 0.0 { 1.0 } else { 0.0 })?
            }
            (true, DataType::Float) => t.to_dtype(DType::F32)?,
            (true, DataType::Half | DataType::BF16) => t.to_dtype(DType::F32)?.to_dtype(stored)?,
            (true, DataType::Fp8) => map_f32(&t.to_dtype(DType::F32)?, |x| {
                round_fp8_e4m3(x.clamp(-448.0, 448.0))
            })?,
            (true, DataType::Fp4) => map_f32(&t.to_dtype(DType::F32)?, |x| {
                round_fp4_e2m1(x.clamp(-6.0, 6.0))
            })?,
            (true, _) => {
                let (lo, hi) = int_range(to);
                let v = t.to_dtype(DType::F64)?;
                let v = map_f64(&v, |x| {
                    if x.is_nan() {
                        0.0
                    } else {
                        x.trunc().clamp(lo, hi)
                    }
                })?;
                v.to_dtype(stored)?
            }
            (false, DataType::Float | DataType::Half | DataType::BF16) => {
                t.to_dtype(DType::F32)?.to_dtype(stored)?
            }
            (false, DataType::Fp8 | DataType::Fp4) => {
                return Value::stored(t.to_dtype(DType::F32)?, DataType::Float).cast(to)
            }
            (false, _) => {
                // Integers and booleans: wrap to the target's width (TensorRT does not say; two's complement).
                let v = t.to_dtype(DType::I64)?;
                let v = match to {
                    DataType::Int32 => map_i64(&v, |x| x as i32 as i64)?,
                    DataType::Int8 => map_i64(&v, |x| x as i8 as i64)?,
                    DataType::UInt8 => map_i64(&v, |x| x as u8 as i64)?,
                    DataType::Int4 => map_i64(&v, |x| (x << 60) >> 60)?,
                    _ => v,
                };
                v.to_dtype(stored)?
            }
        };
        Ok(Value::stored(out, to))
    }

    /// The value as TensorRT declares the layer output: reals rounded to the declared real type, integers
    /// wrapped to the declared width. A real where an integer or boolean is declared (or the reverse) is an
    /// error: the simulation computed something other than what TensorRT built.
    pub(crate) fn declare(self, declared: DataType, output: usize) -> LayerResult<Value> {
        if self.dtype == declared {
            return Ok(self);
        }
        let compatible = (is_float(self.dtype) && is_float(declared))
            || (is_int(self.dtype) && is_int(declared));
        if !compatible {
            return Err(crate::error::LayerError::TypeDisagrees {
                output,
                simulated: self.dtype,
                tensorrt: declared,
            });
        }
        self.cast(declared)
    }
}

/// The range of TensorRT integer type `dt` as reals.
fn int_range(dt: DataType) -> (f64, f64) {
    match dt {
        DataType::Int32 => (i32::MIN as f64, i32::MAX as f64),
        DataType::Int8 => (-128.0, 127.0),
        DataType::Int4 => (-8.0, 7.0),
        DataType::UInt8 => (0.0, 255.0),
        // i64::MAX as f64 rounds up to 2^63; the conversion to i64 saturates.
        _ => (i64::MIN as f64, i64::MAX as f64),
    }
}

/// TF32: round an f32 to a 10-bit mantissa, to nearest even (`NvInfer.h: BuilderFlag::kTF32`, "rounding the
/// inputs to 10-bit mantissas"). Infinities and NaNs pass unchanged.
pub fn round_tf32(x: f32) -> f32 {
    if !x.is_finite() {
        return x;
    }
    let bits = x.to_bits();
    let lsb = (bits >> 13) & 1;
    f32::from_bits(bits.wrapping_add(0x0fff + lsb) & !0x1fff)
}

/// Rounds to the nearest FP8 E4M3 value (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; largest 448,
/// smallest subnormal 2^-9), ties to even. `x` is expected inside ±448 (quantization clamps first).
pub fn round_fp8_e4m3(x: f32) -> f32 {
    round_to_grid(x, 3, -6, 448.0)
}

/// Rounds to the nearest FP4 E2M1 value (largest 6, mantissa 1 bit, minimum normal exponent 0), ties to even.
pub fn round_fp4_e2m1(x: f32) -> f32 {
    round_to_grid(x, 1, 0, 6.0)
}

/// Round-to-nearest-even onto a small float grid with `mantissa` bits, normal exponents from `min_exp`, and
/// largest finite value `max`.
fn round_to_grid(x: f32, mantissa: i32, min_exp: i32, max: f64) -> f32 {
    if x.is_nan() || x == 0.0 {
        return x;
    }
    let a = (x as f64).abs();
    let exp = (a.log2().floor() as i32).max(min_exp);
    let step = 2f64.powi(exp - mantissa);
    let q = ((a / step).round_ties_even() * step).min(max);
    (q.copysign(x as f64)) as f32
}

/// Round half to even (`NvInfer.h: IQuantizeLayer`, "rounding-to-nearest ties-to-even").
pub(crate) fn round_half_even(x: f32) -> f32 {
    x.round_ties_even()
}

/// `f` applied to every element of an F32 tensor.
pub(crate) fn map_f32(t: &Tensor, f: impl Fn(f32) -> f32) -> candle_core::Result<Tensor> {
    let v: Vec<f32> = t.flatten_all()?.to_vec1::<f32>()?;
    let out: Vec<f32> = v.into_iter().map(f).collect();
    Tensor::from_vec(out, t.dims(), &Device::Cpu)
}

/// `f` applied to every element of an F32 tensor, stored as `dtype`.
fn map_f32_to(t: &Tensor, dtype: DType, f: impl Fn(f32) -> f32) -> candle_core::Result<Tensor> {
    map_f32(t, f)?.to_dtype(dtype)
}

/// `f` applied to every element of an F64 tensor.
fn map_f64(t: &Tensor, f: impl Fn(f64) -> f64) -> candle_core::Result<Tensor> {
    let v: Vec<f64> = t.flatten_all()?.to_vec1::<f64>()?;
    let out: Vec<f64> = v.into_iter().map(f).collect();
    Tensor::from_vec(out, t.dims(), &Device::Cpu)
}

/// `f` applied to every element of an I64 tensor.
pub(crate) fn map_i64(t: &Tensor, f: impl Fn(i64) -> i64) -> candle_core::Result<Tensor> {
    let v: Vec<i64> = t.flatten_all()?.to_vec1::<i64>()?;
    let out: Vec<i64> = v.into_iter().map(f).collect();
    Tensor::from_vec(out, t.dims(), &Device::Cpu)
}

/// A value from TensorRT weights (a constant layer's, a convolution's kernel) with `dims`.
pub(crate) fn from_weights(w: &trt::Weights, dims: &[usize]) -> LayerResult<Value> {
    let dt = w.data_type();
    let n: usize = dims.iter().product();
    if w.count() as usize != n {
        return invalid!(
            "{} weights of type {dt:?} for dims {dims:?} ({n} elements)",
            w.count()
        );
    }
    let b = w.as_bytes();
    let dev = &Device::Cpu;
    let t = match dt {
        DataType::Float => {
            let v: Vec<f32> = b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Half => {
            let v: Vec<half::f16> = b
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]))
                .collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::BF16 => {
            let v: Vec<half::bf16> = b
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]))
                .collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Int32 => {
            let v: Vec<i64> = b
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
                .collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Int64 => {
            let v: Vec<i64> = b
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Int8 => {
            let v: Vec<i64> = b.iter().map(|&x| x as i8 as i64).collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::UInt8 => Tensor::from_vec(b.to_vec(), dims, dev)?,
        DataType::Bool => {
            let v: Vec<u8> = b.iter().map(|&x| u8::from(x != 0)).collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Fp8 => {
            let v: Vec<f32> = b.iter().map(|&x| fp8_e4m3_value(x)).collect();
            Tensor::from_vec(v, dims, dev)?
        }
        DataType::Int4 | DataType::Fp4 | DataType::E8M0 => {
            return unsupported!("weights of type {dt:?}");
        }
    };
    Ok(Value::stored(t, dt))
}

/// The value of an FP8 E4M3 byte (NaN for S.1111.111; no infinities).
fn fp8_e4m3_value(b: u8) -> f32 {
    let sign = if b & 0x80 != 0 { -1.0 } else { 1.0 };
    let exp = ((b >> 3) & 0x0f) as i32;
    let man = (b & 0x07) as f32;
    if exp == 0x0f && b & 0x07 == 0x07 {
        return f32::NAN;
    }
    let v = if exp == 0 {
        man / 8.0 * 2f32.powi(-6)
    } else {
        (1.0 + man / 8.0) * 2f32.powi(exp - 7)
    };
    sign * v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tf32_rounds_to_ten_mantissa_bits_ties_to_even() {
        // 1 + 2^-10 is a TF32 value; 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1).
        assert_eq!(round_tf32(1.0 + 2f32.powi(-10)), 1.0 + 2f32.powi(-10));
        assert_eq!(round_tf32(1.0 + 2f32.powi(-11)), 1.0);
        // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): rounds up.
        assert_eq!(round_tf32(1.0 + 3.0 * 2f32.powi(-11)), 1.0 + 2f32.powi(-9));
        assert_eq!(
            round_tf32(1.0 + 2f32.powi(-11) + 2f32.powi(-20)),
            1.0 + 2f32.powi(-10)
        );
        assert_eq!(round_tf32(-1.0 - 2f32.powi(-12)), -1.0);
        assert!(round_tf32(f32::NAN).is_nan());
        assert_eq!(round_tf32(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn fp8_grid() {
        assert_eq!(round_fp8_e4m3(448.0), 448.0);
        assert_eq!(round_fp8_e4m3(1.0625), 1.0); // halfway between 1 and 1.125: even
        assert_eq!(round_fp8_e4m3(1.1), 1.125);
        assert_eq!(round_fp8_e4m3(-3.3), -3.25);
        assert_eq!(round_fp8_e4m3(2f32.powi(-9)), 2f32.powi(-9));
        assert_eq!(round_fp8_e4m3(2f32.powi(-11)), 0.0);
        assert_eq!(fp8_e4m3_value(0x7e), 448.0);
        assert_eq!(fp8_e4m3_value(0x38), 1.0);
        assert_eq!(round_fp4_e2m1(2.6), 3.0);
        assert_eq!(round_fp4_e2m1(0.25), 0.0);
    }

    #[test]
    fn casts_follow_the_documented_rules() {
        let x = Tensor::new(&[2.7f32, -2.7, 1e10, f32::NAN, 0.0], &Device::Cpu).unwrap();
        let v = Value::stored(x, DataType::Float);
        let i = v.cast(DataType::Int32).unwrap();
        assert_eq!(
            i.tensor().to_vec1::<i64>().unwrap(),
            [2, -2, i32::MAX as i64, 0, 0]
        );
        let b = v.cast(DataType::Bool).unwrap();
        assert_eq!(b.tensor().to_vec1::<u8>().unwrap(), [1, 1, 1, 1, 0]);
        let h = Value::stored(
            Tensor::new(&[70000f32, 1.0 + 2f32.powi(-11)], &Device::Cpu).unwrap(),
            DataType::Float,
        )
        .cast(DataType::Half)
        .unwrap();
        let back = h.to_f32().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(back, [f32::INFINITY, 1.0]);
        let wide = Value::from_i64(Tensor::new(&[1i64 << 33, -1], &Device::Cpu).unwrap());
        let narrow = wide.cast(DataType::Int32).unwrap();
        assert_eq!(narrow.tensor().to_vec1::<i64>().unwrap(), [0, -1]);
    }
}
