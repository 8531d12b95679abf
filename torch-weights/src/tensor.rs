//! Tensor metadata and materialization from the bytes of a checkpoint.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};

use crate::dtype::StoredDType;
use crate::error::{Error, Result};

/// The bytes of a checkpoint file: memory-mapped, or owned (parsed from memory).
pub(crate) enum Bytes {
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mmap(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bytes::Mmap(m) => write!(f, "Mmap({} bytes)", m.len()),
            Bytes::Owned(v) => write!(f, "Owned({} bytes)", v.len()),
        }
    }
}

/// One tensor of a checkpoint: dtype, shape and where its elements are.
///
/// Nothing is copied until [`TensorInfo::to_tensor`] or [`TensorInfo::contiguous_bytes`] is
/// called; the metadata was validated against the file when the checkpoint was opened.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    dtype: StoredDType,
    shape: Vec<usize>,
    source: Arc<Bytes>,
    /// Byte offset of the storage in `source`.
    storage_start: usize,
    /// Storage length in elements.
    storage_numel: usize,
    /// Element offset of the tensor in its storage.
    offset: usize,
    /// Element strides.
    strides: Vec<usize>,
    big_endian: bool,
}

fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc = acc.saturating_mul(shape[i]);
    }
    strides
}

/// Named tensors in file order.
pub(crate) type NamedTensors = Vec<(String, TensorInfo)>;

/// Parameters of [`TensorInfo::new`], grouped to keep the call sites readable.
pub(crate) struct RawLayout {
    pub dtype: StoredDType,
    pub shape: Vec<u64>,
    pub strides: Option<Vec<u64>>,
    pub offset: u64,
    pub storage_start: usize,
    pub storage_numel: u64,
    pub big_endian: bool,
}

impl TensorInfo {
    /// Validates a layout against its source: every element reachable through the shape,
    /// strides and offset must lie inside the storage, and the storage inside the file.
    pub(crate) fn new(
        name: &str,
        source: Arc<Bytes>,
        l: RawLayout,
        max_expanded_bytes: u64,
    ) -> Result<TensorInfo> {
        let es = l.dtype.size_in_bytes() as u64;
        let to_usize = |v: u64, what: &str| {
            usize::try_from(v).map_err(|_| Error::invalid(name, format!("{what} {v} too large")))
        };
        let storage_bytes = l
            .storage_numel
            .checked_mul(es)
            .ok_or_else(|| Error::invalid(name, "storage size overflows"))?;
        let available = (source.len() as u64).saturating_sub(l.storage_start as u64);
        if storage_bytes > available {
            return Err(Error::Truncated {
                what: format!("storage of tensor `{name}`"),
                declared: storage_bytes,
                available,
            });
        }
        let shape: Vec<usize> = l
            .shape
            .iter()
            .map(|&d| to_usize(d, "dimension"))
            .collect::<Result<_>>()?;
        let numel = l
            .shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                Error::invalid(name, format!("element count of shape {shape:?} overflows"))
            })?;
        let strides = match l.strides {
            Some(s) => {
                if s.len() != shape.len() {
                    return Err(Error::invalid(
                        name,
                        format!("{} strides for {} dimensions", s.len(), shape.len()),
                    ));
                }
                s.iter()
                    .map(|&d| to_usize(d, "stride"))
                    .collect::<Result<Vec<_>>>()?
            }
            None => contiguous_strides(&shape),
        };
        if numel > 0 {
            // Last reachable element: offset + Σ (size_i - 1) * stride_i.
            let mut last = l.offset;
            for (&d, &s) in l.shape.iter().zip(strides.iter()) {
                let step = (d - 1)
                    .checked_mul(s as u64)
                    .and_then(|x| last.checked_add(x))
                    .ok_or_else(|| Error::invalid(name, "view extent overflows"))?;
                last = step;
            }
            if last >= l.storage_numel {
                return Err(Error::invalid(
                    name,
                    format!(
                        "view (offset {}, shape {shape:?}, strides {strides:?}) reaches element {last} \
                         of a storage of {} elements",
                        l.offset, l.storage_numel
                    ),
                ));
            }
            let bytes = numel
                .checked_mul(es)
                .ok_or_else(|| Error::invalid(name, "byte size overflows"))?;
            // Stride-0 (expanded) views can describe far more elements than are stored.
            if bytes > storage_bytes && bytes > max_expanded_bytes {
                return Err(Error::TooLarge {
                    tensor: name.to_string(),
                    bytes,
                    limit: max_expanded_bytes,
                });
            }
        } else if l.offset > l.storage_numel {
            return Err(Error::invalid(
                name,
                format!(
                    "offset {} past a storage of {} elements",
                    l.offset, l.storage_numel
                ),
            ));
        }
        Ok(TensorInfo {
            dtype: l.dtype,
            shape,
            source,
            storage_start: l.storage_start,
            storage_numel: to_usize(l.storage_numel, "storage size")?,
            offset: to_usize(l.offset, "offset")?,
            strides,
            big_endian: l.big_endian,
        })
    }

    /// The element type as stored in the file.
    pub fn dtype(&self) -> StoredDType {
        self.dtype
    }

    /// The tensor's dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Size of the tensor's elements in bytes (as stored, once made contiguous).
    pub fn size_in_bytes(&self) -> usize {
        self.numel() * self.dtype.size_in_bytes()
    }

    /// Whether the elements are one contiguous little-endian run in the file, so that
    /// [`TensorInfo::contiguous_bytes`] borrows them without copying.
    pub fn is_contiguous(&self) -> bool {
        !self.big_endian && (self.numel() <= 1 || self.strides == contiguous_strides(&self.shape))
    }

    /// The element strides of the view, in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// The elements in row-major order as little-endian bytes: borrowed from the file (zero
    /// copy) when the tensor is contiguous, gathered otherwise.
    pub fn contiguous_bytes(&self) -> Cow<'_, [u8]> {
        let es = self.dtype.size_in_bytes();
        let base = self.storage_start + self.offset * es;
        let n = self.size_in_bytes();
        if self.is_contiguous() {
            return Cow::Borrowed(&self.source[base..base + n]);
        }
        let storage =
            &self.source[self.storage_start..self.storage_start + self.storage_numel * es];
        let mut out = Vec::with_capacity(n);
        if self.numel() > 0 {
            let rank = self.shape.len();
            let mut idx = vec![0usize; rank];
            let mut pos = self.offset;
            // Innermost run: contiguous along the last axis when its stride is 1.
            let (inner_len, inner_stride) = match rank {
                0 => (1, 1),
                _ => (self.shape[rank - 1], self.strides[rank - 1]),
            };
            let outer = rank.saturating_sub(1);
            let outer_count: usize = self.shape[..outer].iter().product();
            for _ in 0..outer_count {
                if inner_stride == 1 {
                    out.extend_from_slice(&storage[pos * es..(pos + inner_len) * es]);
                } else {
                    for k in 0..inner_len {
                        let p = (pos + k * inner_stride) * es;
                        out.extend_from_slice(&storage[p..p + es]);
                    }
                }
                // Odometer over the outer axes.
                let mut axis = outer;
                while axis > 0 {
                    axis -= 1;
                    idx[axis] += 1;
                    pos += self.strides[axis];
                    if idx[axis] < self.shape[axis] {
                        break;
                    }
                    pos -= self.strides[axis] * self.shape[axis];
                    idx[axis] = 0;
                }
            }
        }
        if self.big_endian && es > 1 {
            for chunk in out.chunks_exact_mut(es) {
                chunk.reverse();
            }
        }
        Cow::Owned(out)
    }

    /// Materializes the tensor on `device` in its stored dtype (`i8` widened to `I16`, `bool`
    /// to `U8`, see [`StoredDType::candle_dtype`]).
    pub fn to_tensor(&self, device: &Device) -> Result<Tensor> {
        let bytes = self.contiguous_bytes();
        let t = match self.dtype {
            StoredDType::I8 => {
                let v: Vec<i16> = bytes.iter().map(|&b| i16::from(b as i8)).collect();
                Tensor::from_vec(v, self.shape.as_slice(), device)?
            }
            StoredDType::Bool => {
                let v: Vec<u8> = bytes.iter().map(|&b| u8::from(b != 0)).collect();
                Tensor::from_vec(v, self.shape.as_slice(), device)?
            }
            dt => {
                let aligned = (bytes.as_ptr() as usize) % dt.size_in_bytes() == 0;
                match bytes {
                    // One copy, from the file's map into the tensor.
                    Cow::Borrowed(b) if aligned => {
                        Tensor::from_raw_buffer(b, dt.candle_dtype(), &self.shape, device)?
                    }
                    // Unaligned (legacy files, odd offsets) or gathered: decode into a typed
                    // vector the tensor then owns, instead of candle's copy-then-copy.
                    b => typed_tensor(&b, dt, &self.shape, device)?,
                }
            }
        };
        Ok(t)
    }

    /// Materializes the tensor on `device` converted to `dtype`.
    pub fn to_tensor_as(&self, dtype: DType, device: &Device) -> Result<Tensor> {
        let t = self.to_tensor(device)?;
        if t.dtype() == dtype {
            Ok(t)
        } else {
            Ok(t.to_dtype(dtype)?)
        }
    }
}

/// Plain numeric element types: every bit pattern is a valid value.
trait Pod: Copy {
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! pod {
    ($($t:ty),*) => {$(
        impl Pod for $t {
            fn from_le(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
pod!(f64, f32, half::f16, half::bf16, i64, i32, i16, u32);

/// Little-endian elements into a `Vec<T>`, whatever the alignment of `bytes`.
fn decode<T: Pod>(bytes: &[u8]) -> Vec<T> {
    let size = std::mem::size_of::<T>();
    let n = bytes.len() / size;
    if cfg!(target_endian = "little") {
        let mut v: Vec<T> = Vec::with_capacity(n);
        // SAFETY: `v` has room for `n` elements, i.e. `n * size` bytes, all written by the copy
        // before `set_len`; the source is a distinct allocation (or map) of at least that many
        // bytes; `T: Pod` is a plain numeric type for which any bytes are a valid value, and on
        // a little-endian host its in-memory layout is the file's little-endian layout.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), n * size);
            v.set_len(n);
        }
        v
    } else {
        bytes.chunks_exact(size).map(T::from_le).collect()
    }
}

fn typed_tensor(
    bytes: &[u8],
    dtype: StoredDType,
    shape: &[usize],
    device: &Device,
) -> Result<Tensor> {
    let t = match dtype {
        StoredDType::F64 => Tensor::from_vec(decode::<f64>(bytes), shape, device),
        StoredDType::F32 => Tensor::from_vec(decode::<f32>(bytes), shape, device),
        StoredDType::F16 => Tensor::from_vec(decode::<half::f16>(bytes), shape, device),
        StoredDType::BF16 => Tensor::from_vec(decode::<half::bf16>(bytes), shape, device),
        StoredDType::I64 => Tensor::from_vec(decode::<i64>(bytes), shape, device),
        StoredDType::I32 => Tensor::from_vec(decode::<i32>(bytes), shape, device),
        StoredDType::I16 => Tensor::from_vec(decode::<i16>(bytes), shape, device),
        StoredDType::U32 => Tensor::from_vec(decode::<u32>(bytes), shape, device),
        StoredDType::U8 | StoredDType::I8 | StoredDType::Bool => {
            Tensor::from_vec(bytes.to_vec(), shape, device)
        }
    }?;
    Ok(t)
}
