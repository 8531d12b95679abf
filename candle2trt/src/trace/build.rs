//! Small graph-building helpers shared by the converters: constants, casts, rank expansion,
//! broadcasting and shape tensors for dynamic dimensions.

use candle_core::{DType, Device, Tensor};
use trt::{DataType, ElementWiseOperation, Weights};

use super::net::ShuffleSpec;
use super::{Op, H};
use crate::Result;

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
pub(crate) fn tensor_weights(t: &Tensor, dt: DataType) -> candle_core::Result<Weights> {
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
        other => candle_core::bail!("no constants of TensorRT type {other:?}"),
    };
    Weights::from_bytes(dt, bytes).map_err(|e| candle_core::Error::Msg(e.to_string()))
}

/// `value` as one element of type `dt`.
fn scalar_weights(value: f64, dt: DataType) -> Result<Weights> {
    let bytes = match dt {
        DataType::Float => (value as f32).to_le_bytes().to_vec(),
        DataType::Half => half::f16::from_f64(value).to_le_bytes().to_vec(),
        DataType::BF16 => half::bf16::from_f64(value).to_le_bytes().to_vec(),
        DataType::Int64 => (value as i64).to_le_bytes().to_vec(),
        DataType::Int32 => (value as i32).to_le_bytes().to_vec(),
        DataType::UInt8 => vec![value as u8],
        DataType::Bool => vec![u8::from(value != 0.0)],
        other => {
            return Err(crate::Error::NotImplemented(format!(
                "scalar constants of TensorRT type {other:?}"
            )))
        }
    };
    Ok(Weights::from_bytes(dt, bytes)?)
}

impl<'n> Op<'_, 'n> {
    /// A constant holding candle tensor `t` as TensorRT type `dt`, with `dims` (default: `t`'s).
    pub(crate) fn constant(&self, t: &Tensor, dt: DataType, dims: Option<&[i64]>) -> Result<H> {
        let w = self.candle(tensor_weights(t, dt))?;
        let own: Vec<i64>;
        let dims = match dims {
            Some(d) => d,
            None => {
                own = t.dims().iter().map(|&d| d as i64).collect();
                &own
            }
        };
        let r = self.net().constant(dims, w);
        self.trt(r)
    }

    /// A constant scalar broadcastable against a tensor of rank `rank` (dims all 1).
    pub(crate) fn scalar(&self, value: f64, dt: DataType, rank: usize) -> Result<H> {
        let w = scalar_weights(value, dt)?;
        let r = self.net().constant(&vec![1; rank], w);
        self.trt(r)
    }

    /// A 1-D Int64 constant (axes, shape pieces).
    pub(crate) fn const_i64(&self, values: &[i64]) -> Result<H> {
        let w = Weights::from_slice(values);
        let r = self.net().constant(&[values.len() as i64], w);
        self.trt(r)
    }

    /// Casts `h` to `to` (no layer when it already has that type).
    pub(crate) fn cast(&self, h: H, to: DataType) -> Result<H> {
        if self.net().dtype(h) == to {
            return Ok(h);
        }
        let r = self.net().cast(h, to);
        self.trt(r)
    }

    /// `a <op> b` for operands of equal rank.
    pub(crate) fn ew(&self, a: H, b: H, op: ElementWiseOperation) -> Result<H> {
        let r = self.net().elementwise(a, b, op);
        self.trt(r)
    }

    /// Element-wise op with numpy broadcasting: the operand of lower rank gets leading 1s.
    pub(crate) fn ew_broadcast(&self, a: H, b: H, op: ElementWiseOperation) -> Result<H> {
        let (ra, rb) = {
            let net = self.net();
            (net.dims(a).len(), net.dims(b).len())
        };
        let r = ra.max(rb);
        let a = self.to_rank(a, r)?;
        let b = self.to_rank(b, r)?;
        self.ew(a, b, op)
    }

    /// `h` with leading dimensions of size 1 added up to `rank`.
    pub(crate) fn to_rank(&self, h: H, rank: usize) -> Result<H> {
        let dims = self.net().dims(h);
        if dims.len() >= rank {
            return Ok(h);
        }
        let extra = rank - dims.len();
        if !dims.contains(&-1) {
            let mut new = vec![1; extra];
            new.extend(&dims);
            return self.reshape_static(h, &new);
        }
        let axes: Vec<i64> = (0..extra as i64).collect();
        let r = self.net().unsqueeze(h, &axes);
        self.trt(r)
    }

    /// A shuffle to `dims` (TensorRT reshape semantics: 0 copies the input dimension, -1 is
    /// inferred).
    pub(crate) fn reshape_static(&self, h: H, dims: &[i64]) -> Result<H> {
        let spec = ShuffleSpec {
            reshape: Some(dims.to_vec()),
            ..Default::default()
        };
        let r = self.net().shuffle(h, &spec);
        self.trt(r)
    }

    /// The shape of `h` with some dimensions replaced: `None` when `h` is fully static (the
    /// caller uses static sizes), else a 1-D Int64 shape tensor computed at run time as
    /// `shape(h) · mask + values`.
    pub(crate) fn shape_with(&self, h: H, replace: &[(usize, i64)]) -> Result<Option<H>> {
        let dims = self.net().dims(h);
        if !dims.contains(&-1) {
            return Ok(None);
        }
        let mut mask = vec![1i64; dims.len()];
        let mut add = vec![0i64; dims.len()];
        for &(axis, v) in replace {
            mask[axis] = 0;
            add[axis] = v;
        }
        let r = self.net().shape(h);
        let shape = self.trt(r)?;
        let mask = self.const_i64(&mask)?;
        let add = self.const_i64(&add)?;
        let masked = self.ew(shape, mask, ElementWiseOperation::Prod)?;
        Ok(Some(self.ew(masked, add, ElementWiseOperation::Sum)?))
    }

    /// Runs `f` on `h` in f32 when the network computes in f16 and `enabled` (the policy for
    /// this kind of op), casting back afterwards.
    pub(crate) fn in_f32(&self, h: H, enabled: bool, f: impl FnOnce(H) -> Result<H>) -> Result<H> {
        let dt = self.net().dtype(h);
        if enabled && matches!(dt, DataType::Half | DataType::BF16) {
            let up = self.cast(h, DataType::Float)?;
            let out = f(up)?;
            self.cast(out, dt)
        } else {
            f(h)
        }
    }
}
