//! candle tensors and scalars as TensorRT weights (little-endian bytes of a TensorRT type).

use candle_core::{DType, Device, Tensor};
use trt::{DataType, Weights};

use crate::error::OpFailure;

/// Plain-old-data element types whose memory is their little-endian bytes on this target.
trait Pod: Copy {}
impl Pod for f32 {}
impl Pod for half::f16 {}
impl Pod for half::bf16 {}
impl Pod for i64 {}
impl Pod for i32 {}

/// The bytes of `values` in one copy (weights can have hundreds of millions of elements).
fn pod_bytes<T: Pod>(values: &[T]) -> Vec<u8> {
    let len = std::mem::size_of_val(values);
    let mut bytes = vec![0u8; len];
    // SAFETY: `T` is one of the `Pod` types above: no padding, every bit pattern initialized;
    // `bytes` has exactly `len` bytes and does not overlap `values`.
    unsafe { std::ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), bytes.as_mut_ptr(), len) };
    bytes
}

/// Host bytes of `t` converted to TensorRT type `dt`.
pub(crate) fn tensor_weights(t: &Tensor, dt: DataType) -> Result<Weights, OpFailure> {
    // TensorRT reads weights as little-endian; `pod_bytes` copies native memory.
    #[cfg(not(target_endian = "little"))]
    compile_error!("candle2trt assumes a little-endian target");
    let t = t.to_device(&Device::Cpu)?.flatten_all()?;
    let bytes: Vec<u8> = match dt {
        DataType::Float => pod_bytes(&t.to_dtype(DType::F32)?.to_vec1::<f32>()?),
        DataType::Half => pod_bytes(&t.to_dtype(DType::F16)?.to_vec1::<half::f16>()?),
        DataType::BF16 => pod_bytes(&t.to_dtype(DType::BF16)?.to_vec1::<half::bf16>()?),
        DataType::Int64 => pod_bytes(&t.to_dtype(DType::I64)?.to_vec1::<i64>()?),
        DataType::Int32 => {
            let v: Vec<i32> = t
                .to_dtype(DType::I64)?
                .to_vec1::<i64>()?
                .into_iter()
                .map(|v| v as i32)
                .collect();
            pod_bytes(&v)
        }
        DataType::Bool | DataType::UInt8 => {
            let v = t.to_dtype(DType::F32)?.to_vec1::<f32>()?;
            if dt == DataType::Bool {
                v.iter().map(|&x| u8::from(x != 0.0)).collect()
            } else {
                v.iter().map(|&x| x as u8).collect()
            }
        }
        other => {
            return Err(OpFailure::Arguments(format!(
                "no constants of TensorRT type {other:?}"
            )))
        }
    };
    Ok(Weights::from_bytes(dt, bytes)?)
}

/// `value` as one element of type `dt`.
pub(crate) fn scalar_weights(value: f64, dt: DataType) -> Result<Weights, OpFailure> {
    let bytes = match dt {
        DataType::Float => (value as f32).to_le_bytes().to_vec(),
        DataType::Half => half::f16::from_f64(value).to_le_bytes().to_vec(),
        DataType::BF16 => half::bf16::from_f64(value).to_le_bytes().to_vec(),
        DataType::Int64 => (value as i64).to_le_bytes().to_vec(),
        DataType::Int32 => (value as i32).to_le_bytes().to_vec(),
        DataType::UInt8 => vec![value as u8],
        DataType::Bool => vec![u8::from(value != 0.0)],
        other => {
            return Err(OpFailure::Arguments(format!(
                "no scalar constants of TensorRT type {other:?}"
            )))
        }
    };
    Ok(Weights::from_bytes(dt, bytes)?)
}
