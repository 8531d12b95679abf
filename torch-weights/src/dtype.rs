//! Element types as stored in checkpoint files.

use candle_core::DType;

/// An element type as stored in a checkpoint.
///
/// This is wider than candle's [`DType`]: candle has no `i8` or `bool`, which are widened to
/// `I16` and `U8` (0 or 1) when a tensor is materialized (see [`StoredDType::candle_dtype`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoredDType {
    /// 64-bit float (`torch.float64`).
    F64,
    /// 32-bit float (`torch.float32`).
    F32,
    /// IEEE half (`torch.float16`).
    F16,
    /// bfloat16 (`torch.bfloat16`).
    BF16,
    /// 64-bit signed integer (`torch.int64`).
    I64,
    /// 32-bit signed integer (`torch.int32`).
    I32,
    /// 16-bit signed integer (`torch.int16`).
    I16,
    /// 8-bit signed integer (`torch.int8`).
    I8,
    /// 8-bit unsigned integer (`torch.uint8`).
    U8,
    /// 32-bit unsigned integer (safetensors `U32`).
    U32,
    /// Boolean, one byte per element (`torch.bool`).
    Bool,
}

impl StoredDType {
    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            StoredDType::F64 | StoredDType::I64 => 8,
            StoredDType::F32 | StoredDType::I32 | StoredDType::U32 => 4,
            StoredDType::F16 | StoredDType::BF16 | StoredDType::I16 => 2,
            StoredDType::I8 | StoredDType::U8 | StoredDType::Bool => 1,
        }
    }

    /// The candle dtype a tensor of this type materializes as when its dtype is kept.
    pub fn candle_dtype(self) -> DType {
        match self {
            StoredDType::F64 => DType::F64,
            StoredDType::F32 => DType::F32,
            StoredDType::F16 => DType::F16,
            StoredDType::BF16 => DType::BF16,
            StoredDType::I64 => DType::I64,
            StoredDType::I32 => DType::I32,
            StoredDType::I16 | StoredDType::I8 => DType::I16,
            StoredDType::U8 | StoredDType::Bool => DType::U8,
            StoredDType::U32 => DType::U32,
        }
    }

    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            StoredDType::F64 | StoredDType::F32 | StoredDType::F16 | StoredDType::BF16
        )
    }

    /// The safetensors name of the type (`"F32"`, `"BOOL"`, ...).
    pub fn safetensors_name(self) -> &'static str {
        match self {
            StoredDType::F64 => "F64",
            StoredDType::F32 => "F32",
            StoredDType::F16 => "F16",
            StoredDType::BF16 => "BF16",
            StoredDType::I64 => "I64",
            StoredDType::I32 => "I32",
            StoredDType::I16 => "I16",
            StoredDType::I8 => "I8",
            StoredDType::U8 => "U8",
            StoredDType::U32 => "U32",
            StoredDType::Bool => "BOOL",
        }
    }

    /// Parses a safetensors dtype name.
    pub fn from_safetensors_name(name: &str) -> Option<StoredDType> {
        Some(match name {
            "F64" => StoredDType::F64,
            "F32" => StoredDType::F32,
            "F16" => StoredDType::F16,
            "BF16" => StoredDType::BF16,
            "I64" => StoredDType::I64,
            "I32" => StoredDType::I32,
            "I16" => StoredDType::I16,
            "I8" => StoredDType::I8,
            "U8" => StoredDType::U8,
            "U32" => StoredDType::U32,
            "BOOL" => StoredDType::Bool,
            _ => return None,
        })
    }

    /// The stored type matching a candle dtype, if any.
    pub fn from_candle(dtype: DType) -> Option<StoredDType> {
        Some(match dtype {
            DType::F64 => StoredDType::F64,
            DType::F32 => StoredDType::F32,
            DType::F16 => StoredDType::F16,
            DType::BF16 => StoredDType::BF16,
            DType::I64 => StoredDType::I64,
            DType::I32 => StoredDType::I32,
            DType::I16 => StoredDType::I16,
            DType::U8 => StoredDType::U8,
            DType::U32 => StoredDType::U32,
            _ => return None,
        })
    }

    /// Parses the name of a `torch.*Storage` class (`FloatStorage`, ...).
    pub(crate) fn from_torch_storage(name: &str) -> Option<StoredDType> {
        Some(match name {
            "DoubleStorage" => StoredDType::F64,
            "FloatStorage" => StoredDType::F32,
            "HalfStorage" => StoredDType::F16,
            "BFloat16Storage" => StoredDType::BF16,
            "LongStorage" => StoredDType::I64,
            "IntStorage" => StoredDType::I32,
            "ShortStorage" => StoredDType::I16,
            "CharStorage" => StoredDType::I8,
            "ByteStorage" | "UntypedStorage" => StoredDType::U8,
            "BoolStorage" => StoredDType::Bool,
            _ => return None,
        })
    }

    /// Parses the name of a `torch.<dtype>` attribute (`float32`, `half`, ...).
    pub(crate) fn from_torch_dtype(name: &str) -> Option<StoredDType> {
        Some(match name {
            "float64" | "double" => StoredDType::F64,
            "float32" | "float" => StoredDType::F32,
            "float16" | "half" => StoredDType::F16,
            "bfloat16" => StoredDType::BF16,
            "int64" | "long" => StoredDType::I64,
            "int32" | "int" => StoredDType::I32,
            "int16" | "short" => StoredDType::I16,
            "int8" => StoredDType::I8,
            "uint8" => StoredDType::U8,
            "bool" => StoredDType::Bool,
            _ => return None,
        })
    }
}

impl std::fmt::Display for StoredDType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            StoredDType::F64 => "f64",
            StoredDType::F32 => "f32",
            StoredDType::F16 => "f16",
            StoredDType::BF16 => "bf16",
            StoredDType::I64 => "i64",
            StoredDType::I32 => "i32",
            StoredDType::I16 => "i16",
            StoredDType::I8 => "i8",
            StoredDType::U8 => "u8",
            StoredDType::U32 => "u32",
            StoredDType::Bool => "bool",
        };
        f.write_str(s)
    }
}
