//! ONNX's `TensorProto` (onnx.proto3, `message TensorProto`), decoded by hand: `dims` (1), `data_type` (2),
//! the typed fields `float_data` (4), `int32_data` (5), `string_data` (6), `int64_data` (7), `double_data` (10),
//! `uint64_data` (11), `name` (8), `raw_data` (9, little-endian), `data_location` (14). Which typed field holds
//! which type is onnx.proto's rule: `int32_data` holds INT32, INT16, INT8, UINT16, UINT8, BOOL, and the bit
//! patterns of FLOAT16 and BFLOAT16; `uint64_data` holds UINT32 and UINT64.

use candle_core::{DType, Device, Tensor};

use super::wire::{self, Payload, Reader};
use super::OnnxError;

/// An ONNX element type (`TensorProto.DataType`), with the number onnx.proto gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElemType {
    /// FLOAT = 1.
    Float,
    /// UINT8 = 2.
    Uint8,
    /// INT8 = 3.
    Int8,
    /// UINT16 = 4.
    Uint16,
    /// INT16 = 5.
    Int16,
    /// INT32 = 6.
    Int32,
    /// INT64 = 7.
    Int64,
    /// BOOL = 9.
    Bool,
    /// FLOAT16 = 10.
    Float16,
    /// DOUBLE = 11.
    Double,
    /// UINT32 = 12.
    Uint32,
    /// UINT64 = 13.
    Uint64,
    /// BFLOAT16 = 16.
    Bfloat16,
}

impl ElemType {
    /// The type numbered `code` by onnx.proto; the types this reader does not hold (string, complex, the 8- and
    /// 4-bit floats, 4-bit integers) are refused, named.
    pub fn from_code(code: u64) -> Result<Self, OnnxError> {
        Ok(match code {
            1 => ElemType::Float,
            2 => ElemType::Uint8,
            3 => ElemType::Int8,
            4 => ElemType::Uint16,
            5 => ElemType::Int16,
            6 => ElemType::Int32,
            7 => ElemType::Int64,
            9 => ElemType::Bool,
            10 => ElemType::Float16,
            11 => ElemType::Double,
            12 => ElemType::Uint32,
            13 => ElemType::Uint64,
            16 => ElemType::Bfloat16,
            other => {
                let name = match other {
                    0 => "UNDEFINED",
                    8 => "STRING",
                    14 => "COMPLEX64",
                    15 => "COMPLEX128",
                    17 => "FLOAT8E4M3FN",
                    18 => "FLOAT8E4M3FNUZ",
                    19 => "FLOAT8E5M2",
                    20 => "FLOAT8E5M2FNUZ",
                    21 => "UINT4",
                    22 => "INT4",
                    23 => "FLOAT4E2M1",
                    _ => "an unknown type",
                };
                return Err(OnnxError::UnsupportedType {
                    code: other,
                    name: name.to_string(),
                });
            }
        })
    }

    /// onnx.proto's name of the type (`FLOAT`, `INT64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ElemType::Float => "FLOAT",
            ElemType::Uint8 => "UINT8",
            ElemType::Int8 => "INT8",
            ElemType::Uint16 => "UINT16",
            ElemType::Int16 => "INT16",
            ElemType::Int32 => "INT32",
            ElemType::Int64 => "INT64",
            ElemType::Bool => "BOOL",
            ElemType::Float16 => "FLOAT16",
            ElemType::Double => "DOUBLE",
            ElemType::Uint32 => "UINT32",
            ElemType::Uint64 => "UINT64",
            ElemType::Bfloat16 => "BFLOAT16",
        }
    }

    /// Whether the type holds real numbers.
    pub fn is_real(self) -> bool {
        matches!(
            self,
            ElemType::Float | ElemType::Float16 | ElemType::Double | ElemType::Bfloat16
        )
    }

    /// Bytes per element in `raw_data`.
    fn raw_size(self) -> usize {
        match self {
            ElemType::Uint8 | ElemType::Int8 | ElemType::Bool => 1,
            ElemType::Uint16 | ElemType::Int16 | ElemType::Float16 | ElemType::Bfloat16 => 2,
            ElemType::Float | ElemType::Int32 | ElemType::Uint32 => 4,
            ElemType::Int64 | ElemType::Double | ElemType::Uint64 => 8,
        }
    }
}

/// Element values, widened without loss: every real type fits an `f64` exactly, every integer type (UINT64 up
/// to `i64::MAX`, larger ones refused) an `i64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// FLOAT, DOUBLE, FLOAT16, BFLOAT16.
    Real(Vec<f64>),
    /// The integer types and BOOL (0 or 1).
    Int(Vec<i64>),
}

impl Values {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Values::Real(v) => v.len(),
            Values::Int(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A decoded `TensorProto`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxTensor {
    /// Its name (empty when the file gives none).
    pub name: String,
    /// Its element type.
    pub elem_type: ElemType,
    /// Its dims (empty: a scalar).
    pub dims: Vec<usize>,
    /// Its values, row-major.
    pub values: Values,
}

/// IEEE half-precision bits to f32 (exact).
fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exp = u32::from((bits >> 10) & 0x1f);
    let man = u32::from(bits & 0x3ff);
    let magnitude = match (exp, man) {
        (0, 0) => 0,
        // Subnormal: man · 2^-24, exact in f32.
        (0, m) => return sign_of(bits) * (m as f32) * 2f32.powi(-24),
        (0x1f, 0) => 0x7f80_0000,
        (0x1f, m) => 0x7fc0_0000 | (m << 13),
        (e, m) => ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(sign | magnitude)
}

fn sign_of(bits: u16) -> f32 {
    if bits >> 15 == 1 {
        -1.0
    } else {
        1.0
    }
}

/// bfloat16 bits to f32: the upper half of an f32.
fn bf16_to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// Decodes one serialized `TensorProto`.
pub fn decode_tensor(buf: &[u8]) -> Result<OnnxTensor, OnnxError> {
    const WHAT: &str = "TensorProto";
    let mut r = Reader::new(buf, WHAT);
    let mut dims = Vec::new();
    let mut data_type = None;
    let mut name = String::new();
    let mut raw: Option<&[u8]> = None;
    let mut float_data = Vec::new();
    let mut double_data = Vec::new();
    let mut int_data = Vec::new(); // int32_data, int64_data and uint64_data: varints
    let mut strings = 0usize;
    while let Some((number, p)) = r.field()? {
        match number {
            1 => wire::push_varints(p, "TensorProto.dims", &mut dims)?,
            2 => data_type = Some(wire::varint(p, "TensorProto.data_type")?),
            3 => {
                return Err(OnnxError::Unsupported(
                    "a segmented tensor (TensorProto.segment)".into(),
                ))
            }
            4 => wire::push_fixed32(p, "TensorProto.float_data", &mut float_data)?,
            5 | 7 | 11 => wire::push_varints(p, "TensorProto typed data", &mut int_data)?,
            6 => strings += 1,
            8 => name = wire::string(p, "TensorProto.name")?,
            9 => raw = Some(wire::bytes(p, "TensorProto.raw_data")?),
            10 => wire::push_fixed64(p, "TensorProto.double_data", &mut double_data)?,
            13 => {
                return Err(OnnxError::Unsupported(
                    "a tensor with external data (TensorProto.external_data)".into(),
                ))
            }
            14 if matches!(p, Payload::Varint(1)) => {
                return Err(OnnxError::Unsupported(
                    "a tensor with external data (data_location EXTERNAL)".into(),
                ))
            }
            // doc_string (12), data_location DEFAULT, metadata_props (16): nothing to read.
            _ => {}
        }
    }
    let code = data_type.unwrap_or(0);
    let elem_type = ElemType::from_code(code).map_err(|e| match e {
        OnnxError::UnsupportedType {
            code,
            name: type_name,
        } if strings > 0 || code == 8 => OnnxError::UnsupportedType {
            code,
            name: format!("{type_name} (string tensors hold no numbers to compare)"),
        },
        other => other,
    })?;
    let dims = dims
        .into_iter()
        .map(|d| {
            usize::try_from(d as i64).map_err(|_| OnnxError::Malformed {
                what: WHAT,
                offset: 0,
                message: format!("negative dimension {}", d as i64),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| OnnxError::Malformed {
            what: WHAT,
            offset: 0,
            message: format!("dims {dims:?} overflow"),
        })?;
    let values = match raw {
        Some(bytes) => from_raw(elem_type, bytes)?,
        None => from_typed(elem_type, &float_data, &double_data, &int_data)?,
    };
    if values.len() != count {
        return Err(OnnxError::Malformed {
            what: WHAT,
            offset: 0,
            message: format!(
                "'{name}': dims {dims:?} hold {count} elements, the data {}",
                values.len()
            ),
        });
    }
    Ok(OnnxTensor {
        name,
        elem_type,
        dims,
        values,
    })
}

fn too_large(v: u64) -> OnnxError {
    OnnxError::Unsupported(format!(
        "UINT64 value {v} above i64::MAX (values are compared as i64)"
    ))
}

/// `raw_data`: fixed-size little-endian elements (onnx.proto: "stored in as fixed-width, little-endian order").
fn from_raw(t: ElemType, bytes: &[u8]) -> Result<Values, OnnxError> {
    let size = t.raw_size();
    if bytes.len() % size != 0 {
        return Err(OnnxError::Malformed {
            what: "TensorProto.raw_data",
            offset: 0,
            message: format!(
                "{} bytes are not a whole number of {}-byte {} elements",
                bytes.len(),
                size,
                t.name()
            ),
        });
    }
    let mut a = [0u8; 8];
    let mut words = bytes.chunks_exact(size).map(|c| {
        a = [0; 8];
        a[..size].copy_from_slice(c);
        u64::from_le_bytes(a)
    });
    Ok(match t {
        ElemType::Float => {
            Values::Real(words.map(|w| f64::from(f32::from_bits(w as u32))).collect())
        }
        ElemType::Double => Values::Real(words.map(f64::from_bits).collect()),
        ElemType::Float16 => Values::Real(words.map(|w| f64::from(f16_to_f32(w as u16))).collect()),
        ElemType::Bfloat16 => {
            Values::Real(words.map(|w| f64::from(bf16_to_f32(w as u16))).collect())
        }
        ElemType::Int8 => Values::Int(words.map(|w| i64::from(w as u8 as i8)).collect()),
        ElemType::Int16 => Values::Int(words.map(|w| i64::from(w as u16 as i16)).collect()),
        ElemType::Int32 => Values::Int(words.map(|w| i64::from(w as u32 as i32)).collect()),
        ElemType::Int64 => Values::Int(words.map(|w| w as i64).collect()),
        ElemType::Uint8 | ElemType::Uint16 | ElemType::Uint32 => {
            Values::Int(words.map(|w| w as i64).collect())
        }
        ElemType::Bool => Values::Int(words.map(|w| i64::from(w != 0)).collect()),
        ElemType::Uint64 => Values::Int(
            words
                .by_ref()
                .map(|w| i64::try_from(w).map_err(|_| too_large(w)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The typed fields: `float_data`, `double_data`, or the varints of `int32_data` / `int64_data` /
/// `uint64_data` (only the one for the type is present in a file ONNX wrote).
fn from_typed(
    t: ElemType,
    floats: &[u32],
    doubles: &[u64],
    ints: &[u64],
) -> Result<Values, OnnxError> {
    Ok(match t {
        ElemType::Float => Values::Real(
            floats
                .iter()
                .map(|&b| f64::from(f32::from_bits(b)))
                .collect(),
        ),
        ElemType::Double => Values::Real(doubles.iter().map(|&b| f64::from_bits(b)).collect()),
        // onnx.proto: "float16 and bfloat16 values must be bit-wise converted to an uint16_t" in int32_data.
        ElemType::Float16 => Values::Real(
            ints.iter()
                .map(|&w| f64::from(f16_to_f32(w as u16)))
                .collect(),
        ),
        ElemType::Bfloat16 => Values::Real(
            ints.iter()
                .map(|&w| f64::from(bf16_to_f32(w as u16)))
                .collect(),
        ),
        // int32 varints are sign-extended to 64 bits on the wire; the narrower types are their values.
        ElemType::Int8 | ElemType::Int16 | ElemType::Int32 | ElemType::Int64 => {
            Values::Int(ints.iter().map(|&w| w as i64).collect())
        }
        ElemType::Uint8 | ElemType::Uint16 | ElemType::Uint32 => {
            Values::Int(ints.iter().map(|&w| w as i64).collect())
        }
        ElemType::Bool => Values::Int(ints.iter().map(|&w| i64::from(w != 0)).collect()),
        ElemType::Uint64 => Values::Int(
            ints.iter()
                .map(|&w| i64::try_from(w).map_err(|_| too_large(w)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl OnnxTensor {
    /// The UINT16 values of this tensor read as the bit patterns of `real` (FLOAT16 or BFLOAT16); `None` for
    /// any other pair of types. ONNX's test generator stores BFLOAT16 data this way (numpy has no bfloat16,
    /// so `numpy_helper.from_array` writes the `uint16` view it is given), while the graph declares BFLOAT16.
    pub fn bits_as(&self, real: ElemType) -> Option<OnnxTensor> {
        let Values::Int(v) = &self.values else {
            return None;
        };
        let convert: fn(u16) -> f32 = match (self.elem_type, real) {
            (ElemType::Uint16, ElemType::Bfloat16) => bf16_to_f32,
            (ElemType::Uint16, ElemType::Float16) => f16_to_f32,
            _ => return None,
        };
        Some(OnnxTensor {
            name: self.name.clone(),
            elem_type: real,
            dims: self.dims.clone(),
            values: Values::Real(v.iter().map(|&b| f64::from(convert(b as u16))).collect()),
        })
    }

    /// The values as a candle CPU tensor in the dtype TensorRT's matching type is stored in by the simulator's
    /// inputs: FLOAT → F32, DOUBLE → F64, FLOAT16 → F16, BFLOAT16 → BF16, UINT8 and BOOL → U8, the other
    /// integers → I64.
    pub fn to_candle(&self) -> candle_core::Result<Tensor> {
        let dev = &Device::Cpu;
        let dims = self.dims.as_slice();
        match &self.values {
            Values::Real(v) => {
                let t = Tensor::from_vec(v.clone(), dims, dev)?;
                let dtype = match self.elem_type {
                    ElemType::Double => DType::F64,
                    ElemType::Float16 => DType::F16,
                    ElemType::Bfloat16 => DType::BF16,
                    _ => DType::F32,
                };
                // Exact: each value was read from this type.
                t.to_dtype(dtype)
            }
            Values::Int(v) => match self.elem_type {
                ElemType::Uint8 | ElemType::Bool => {
                    Tensor::from_vec(v.iter().map(|&x| x as u8).collect::<Vec<_>>(), dims, dev)
                }
                _ => Tensor::from_vec(v.clone(), dims, dev),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_bits() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
    }
}
