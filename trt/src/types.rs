//! Value types shared by the builder and the runtime: element sizes, shapes and axis masks. TensorRT's
//! enumerations are in `enums.rs`.

use std::fmt;

use crate::enums::DataType;
use crate::error::{Error, Result};

impl DataType {
    /// Size of one element in bits (4 for the packed 4-bit types).
    pub fn bits(self) -> usize {
        match self {
            DataType::Float | DataType::Int32 => 32,
            DataType::Half | DataType::BF16 => 16,
            DataType::Int8 | DataType::Bool | DataType::UInt8 | DataType::Fp8 | DataType::E8M0 => 8,
            DataType::Int64 => 64,
            DataType::Int4 | DataType::Fp4 => 4,
        }
    }

    /// The variant for TensorRT's value `v`, or an error naming it.
    pub(crate) fn from_i32(v: i32) -> Result<Self> {
        DataType::from_raw(v).ok_or_else(|| {
            Error::invalid("data type", format!("unknown TensorRT DataType value {v}"))
        })
    }
}

/// A tensor shape (`nvinfer1::Dims64`); `-1` marks a dynamic dimension. At most [`Dims::MAX_RANK`] dims.
#[derive(Clone, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Dims(Vec<i64>);

impl Dims {
    /// TensorRT's maximum rank.
    pub const MAX_RANK: usize = trt_sys::TRT_MAX_DIMS as usize;

    /// A shape from its dimensions.
    pub fn new(dims: impl Into<Vec<i64>>) -> Self {
        Dims(dims.into())
    }

    /// The rank-0 shape (a scalar).
    pub fn scalar() -> Self {
        Dims(Vec::new())
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The dimensions.
    pub fn as_slice(&self) -> &[i64] {
        &self.0
    }

    /// Product of the dimensions, or `None` if any is dynamic (negative).
    pub fn volume(&self) -> Option<i64> {
        self.0.iter().try_fold(
            1i64,
            |acc, &d| if d < 0 { None } else { acc.checked_mul(d) },
        )
    }

    pub(crate) fn to_raw(&self, op: &'static str) -> Result<trt_sys::trt_dims> {
        if self.0.len() > Self::MAX_RANK {
            return Err(Error::invalid(
                op,
                format!(
                    "rank {} exceeds TensorRT's maximum of {}",
                    self.0.len(),
                    Self::MAX_RANK
                ),
            ));
        }
        let mut raw = trt_sys::trt_dims {
            nb_dims: self.0.len() as i32,
            d: [0; 8],
        };
        raw.d[..self.0.len()].copy_from_slice(&self.0);
        Ok(raw)
    }

    pub(crate) fn from_raw(raw: &trt_sys::trt_dims) -> Self {
        let n = raw.nb_dims.clamp(0, Self::MAX_RANK as i32) as usize;
        Dims(raw.d[..n].to_vec())
    }

    pub(crate) fn unset() -> trt_sys::trt_dims {
        trt_sys::trt_dims {
            nb_dims: 0,
            d: [0; 8],
        }
    }
}

impl std::ops::Deref for Dims {
    type Target = [i64];
    fn deref(&self) -> &[i64] {
        &self.0
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

impl<const N: usize> From<[i64; N]> for Dims {
    fn from(d: [i64; N]) -> Self {
        Dims(d.to_vec())
    }
}

impl From<&[i64]> for Dims {
    fn from(d: &[i64]) -> Self {
        Dims(d.to_vec())
    }
}

impl From<Vec<i64>> for Dims {
    fn from(d: Vec<i64>) -> Self {
        Dims(d)
    }
}

impl From<&Dims> for Dims {
    fn from(d: &Dims) -> Self {
        d.clone()
    }
}

impl PartialEq<[i64]> for Dims {
    fn eq(&self, other: &[i64]) -> bool {
        self.0 == other
    }
}

impl<const N: usize> PartialEq<[i64; N]> for Dims {
    fn eq(&self, other: &[i64; N]) -> bool {
        self.0 == other
    }
}

/// Bit mask of axes (`1 << axis`), as TensorRT's reduce / softmax / normalization / top-k layers take them.
pub fn axes_mask(axes: &[u32]) -> u32 {
    axes.iter().fold(0, |m, &a| m | (1u32 << a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_round_trip_and_limits() {
        let d = Dims::from([1, 3, 224, 224]);
        let raw = d.to_raw("test").unwrap();
        assert_eq!(Dims::from_raw(&raw), d);
        assert_eq!(d.volume(), Some(3 * 224 * 224));
        assert_eq!(Dims::from([-1, 3]).volume(), None);
        assert_eq!(d.to_string(), "[1, 3, 224, 224]");
        let too_big = Dims::new(vec![1; 9]);
        let err = too_big.to_raw("add_input").unwrap_err();
        assert!(err.to_string().contains("rank 9"), "{err}");
    }

    #[test]
    fn axes_mask_sets_bits() {
        assert_eq!(axes_mask(&[1, 3]), 0b1010);
    }
}
