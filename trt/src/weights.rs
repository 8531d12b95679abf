//! [`Weights`]: typed constant data handed to the network (`nvinfer1::Weights`).

use crate::enums::DataType;
use crate::error::{Error, Result};

/// Types whose slices can become [`Weights`] directly.
pub trait WeightElement: Copy + 'static {
    /// The TensorRT data type of this element type.
    const DATA_TYPE: DataType;
}

impl WeightElement for f32 {
    const DATA_TYPE: DataType = DataType::Float;
}
impl WeightElement for i32 {
    const DATA_TYPE: DataType = DataType::Int32;
}
impl WeightElement for i64 {
    const DATA_TYPE: DataType = DataType::Int64;
}
impl WeightElement for i8 {
    const DATA_TYPE: DataType = DataType::Int8;
}
impl WeightElement for u8 {
    const DATA_TYPE: DataType = DataType::UInt8;
}
impl WeightElement for bool {
    const DATA_TYPE: DataType = DataType::Bool;
}

#[derive(Clone)]
pub(crate) enum Storage {
    Empty,
    Owned(Vec<u8>),
    Static(&'static [u8]),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Empty => &[],
            Storage::Owned(v) => v,
            Storage::Static(s) => s,
        }
    }
}

/// Constant data for a layer (kernel, bias, constant tensor, ...): element type, element count and bytes.
///
/// Weights given to a [`crate::Network`] are kept by the network (owned bytes move into its arena; borrowed
/// `'static` bytes are referenced) until the network is dropped, so they outlive every build. Half, BF16,
/// FP8 and packed 4-bit data come in as raw little-endian bytes through [`Weights::from_bytes`].
#[derive(Clone)]
pub struct Weights {
    data_type: DataType,
    count: i64,
    pub(crate) storage: Storage,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Weights({:?} x {})", self.data_type, self.count)
    }
}

/// Equal when type, count and bytes are.
impl PartialEq for Weights {
    fn eq(&self, other: &Self) -> bool {
        self.data_type == other.data_type
            && self.count == other.count
            && self.as_bytes() == other.as_bytes()
    }
}

/// Serializes as a summary (`data_type`, `count`, `digest`), never the values: see
/// [`Network::dump`](crate::Network::dump) for those.
impl serde::Serialize for Weights {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Weights", 3)?;
        st.serialize_field("data_type", &self.data_type)?;
        st.serialize_field("count", &self.count)?;
        st.serialize_field("digest", &self.digest())?;
        st.end()
    }
}

impl Weights {
    /// No weights (e.g. a convolution without bias).
    pub fn empty(data_type: DataType) -> Self {
        Weights {
            data_type,
            count: 0,
            storage: Storage::Empty,
        }
    }

    /// A copy of `values`.
    pub fn from_slice<T: WeightElement>(values: &[T]) -> Self {
        let len = std::mem::size_of_val(values);
        let mut bytes = vec![0u8; len];
        // SAFETY: T is one of the plain-old-data element types above (no padding, every byte initialized);
        // `bytes` has exactly `len` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(values.as_ptr().cast::<u8>(), bytes.as_mut_ptr(), len)
        };
        Weights {
            data_type: T::DATA_TYPE,
            count: values.len() as i64,
            storage: Storage::Owned(bytes),
        }
    }

    /// A copy of `values` as Float weights.
    pub fn from_f32(values: &[f32]) -> Self {
        Self::from_slice(values)
    }

    /// Raw bytes of `data_type` elements (little-endian; two 4-bit elements per byte for Int4/Fp4).
    pub fn from_bytes(data_type: DataType, bytes: Vec<u8>) -> Result<Self> {
        let count = Self::count_for(data_type, bytes.len())?;
        Ok(Weights {
            data_type,
            count,
            storage: if bytes.is_empty() {
                Storage::Empty
            } else {
                Storage::Owned(bytes)
            },
        })
    }

    /// Borrowed `'static` bytes (e.g. `include_bytes!` or a leaked memory map): no copy is made.
    pub fn from_static(data_type: DataType, bytes: &'static [u8]) -> Result<Self> {
        let count = Self::count_for(data_type, bytes.len())?;
        Ok(Weights {
            data_type,
            count,
            storage: Storage::Static(bytes),
        })
    }

    fn count_for(data_type: DataType, len: usize) -> Result<i64> {
        let bits = len * 8;
        if bits % data_type.bits() != 0 {
            return Err(Error::invalid(
                "weights",
                format!("{len} bytes is not a whole number of {data_type:?} elements"),
            ));
        }
        Ok((bits / data_type.bits()) as i64)
    }

    /// Element type.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// Number of elements.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    /// A copy of weights TensorRT holds (read back from a layer). `op` names the read in errors.
    pub(crate) fn copied(raw: &trt_sys::trt_weights, op: &'static str) -> Result<Self> {
        let data_type = DataType::from_raw(raw.data_type).ok_or_else(|| {
            Error::invalid(
                op,
                format!("weights of unknown data type {}", raw.data_type),
            )
        })?;
        if raw.count <= 0 || raw.values.is_null() {
            return Ok(Weights::empty(data_type));
        }
        let len = (raw.count as usize * data_type.bits()).div_ceil(8);
        // SAFETY: TensorRT's weights hold `count` elements of `data_type` at `values`, alive while the network
        // lives (the caller holds a layer of it); copied at once.
        let bytes = unsafe { std::slice::from_raw_parts(raw.values.cast::<u8>(), len) }.to_vec();
        Ok(Weights {
            data_type,
            count: raw.count,
            storage: Storage::Owned(bytes),
        })
    }

    /// The values as `f64`, for the numeric types (`None` for Fp8, Fp4, Int4 and E8M0).
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        let b = self.as_bytes();
        let n = self.count as usize;
        let take = |size: usize| b.chunks_exact(size).take(n);
        Some(match self.data_type {
            DataType::Float => take(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            DataType::Half => take(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f64())
                .collect(),
            DataType::BF16 => take(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f64())
                .collect(),
            DataType::Int32 => take(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            DataType::Int64 => take(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64)
                .collect(),
            DataType::Int8 => take(1).map(|c| c[0] as i8 as f64).collect(),
            DataType::UInt8 | DataType::Bool => take(1).map(|c| c[0] as f64).collect(),
            DataType::Fp8 | DataType::Fp4 | DataType::Int4 | DataType::E8M0 => return None,
        })
    }

    /// A 64-bit FNV-1a digest of the bytes, as 16 hex digits: tells weights apart in a dump (not cryptographic).
    pub fn digest(&self) -> String {
        let hash = self
            .as_bytes()
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        format!("{hash:016x}")
    }

    /// The raw descriptor; the pointer is valid while `self.storage` is neither dropped nor mutated.
    pub(crate) fn raw(&self) -> trt_sys::trt_weights {
        let bytes = self.storage.bytes();
        trt_sys::trt_weights {
            data_type: self.data_type as i32,
            values: if bytes.is_empty() {
                std::ptr::null()
            } else {
                bytes.as_ptr().cast()
            },
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_types() {
        let w = Weights::from_f32(&[1.0, 2.0, 3.0]);
        assert_eq!(
            (w.data_type(), w.count(), w.as_bytes().len()),
            (DataType::Float, 3, 12)
        );
        let h = Weights::from_bytes(DataType::Half, vec![0; 8]).unwrap();
        assert_eq!(h.count(), 4);
        let q = Weights::from_bytes(DataType::Int4, vec![0; 3]).unwrap();
        assert_eq!(q.count(), 6);
        assert!(Weights::from_bytes(DataType::Float, vec![0; 6]).is_err());
        static DATA: [u8; 4] = [0, 0, 128, 63];
        let s = Weights::from_static(DataType::Float, &DATA).unwrap();
        assert_eq!(s.count(), 1);
        assert!(Weights::empty(DataType::Float).raw().values.is_null());
    }
}
