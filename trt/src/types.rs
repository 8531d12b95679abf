//! Value types shared by the builder and the runtime: data types, shapes and TensorRT's enumerations.
//!
//! Enumerations carry the numeric values of the matching `nvinfer1` `enum class` (identical in
//! TensorRT-RTX 1.7 and TensorRT 11.4 headers); the shim passes them through unchanged.

use std::fmt;

use crate::error::{Error, Result};

/// Element type of a tensor or of weights ([`nvinfer1::DataType`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/namespacenvinfer1.html)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum DataType {
    /// 32-bit float.
    Float = 0,
    /// IEEE 16-bit float.
    Half = 1,
    /// Signed 8-bit integer (quantized).
    Int8 = 2,
    /// Signed 32-bit integer.
    Int32 = 3,
    /// Boolean.
    Bool = 4,
    /// Unsigned 8-bit integer.
    UInt8 = 5,
    /// 8-bit float, E4M3 (quantized).
    Fp8 = 6,
    /// bfloat16.
    BF16 = 7,
    /// Signed 64-bit integer.
    Int64 = 8,
    /// Signed 4-bit integer (quantized, packed).
    Int4 = 9,
    /// 4-bit float, E2M1 (quantized, packed).
    Fp4 = 10,
    /// 8-bit exponent-only scale type.
    E8M0 = 11,
}

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

    pub(crate) fn from_raw(v: i32) -> Result<Self> {
        Ok(match v {
            0 => DataType::Float,
            1 => DataType::Half,
            2 => DataType::Int8,
            3 => DataType::Int32,
            4 => DataType::Bool,
            5 => DataType::UInt8,
            6 => DataType::Fp8,
            7 => DataType::BF16,
            8 => DataType::Int64,
            9 => DataType::Int4,
            10 => DataType::Fp4,
            11 => DataType::E8M0,
            other => {
                return Err(Error::invalid(
                    "data type",
                    format!("unknown TensorRT DataType value {other}"),
                ))
            }
        })
    }
}

/// A tensor shape (`nvinfer1::Dims64`); `-1` marks a dynamic dimension. At most [`Dims::MAX_RANK`] dims.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
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

macro_rules! trt_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value),+
        }

        impl $name {
            /// Every variant, in TensorRT's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            #[allow(dead_code)]
            pub(crate) fn from_raw(v: i32) -> Option<Self> {
                match v {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

trt_enum! {
    /// `nvinfer1::ActivationType`. `alpha`/`beta` meanings are given per variant.
    ActivationType {
        /// max(x, 0).
        Relu = 0,
        /// 1 / (1 + exp(-x)).
        Sigmoid = 1,
        /// tanh(x).
        Tanh = 2,
        /// x if x >= 0 else alpha * x.
        LeakyRelu = 3,
        /// x if x >= 0 else alpha * (exp(x) - 1).
        Elu = 4,
        /// beta * (x if x > 0 else alpha * (exp(x) - 1)).
        Selu = 5,
        /// x / (1 + |x|).
        Softsign = 6,
        /// alpha * log(exp(beta * x) + 1).
        Softplus = 7,
        /// max(alpha, min(beta, x)).
        Clip = 8,
        /// max(0, min(1, alpha * x + beta)).
        HardSigmoid = 9,
        /// alpha * tanh(beta * x).
        ScaledTanh = 10,
        /// x if x > alpha else 0.
        ThresholdedRelu = 11,
        /// GELU, erf formulation.
        GeluErf = 12,
        /// GELU, tanh approximation.
        GeluTanh = 13,
    }
}

trt_enum! {
    /// `nvinfer1::ElementWiseOperation` (inputs broadcast; comparison and logic ops produce / take Bool).
    ElementWiseOperation {
        /// a + b.
        Sum = 0,
        /// a * b.
        Prod = 1,
        /// max(a, b).
        Max = 2,
        /// min(a, b).
        Min = 3,
        /// a - b.
        Sub = 4,
        /// a / b.
        Div = 5,
        /// a ^ b.
        Pow = 6,
        /// floor(a / b).
        FloorDiv = 7,
        /// Logical and (Bool).
        And = 8,
        /// Logical or (Bool).
        Or = 9,
        /// Logical xor (Bool).
        Xor = 10,
        /// a == b (Bool output).
        Equal = 11,
        /// a > b (Bool output).
        Greater = 12,
        /// a < b (Bool output).
        Less = 13,
    }
}

trt_enum! {
    /// `nvinfer1::UnaryOperation`.
    UnaryOperation {
        /// exp(x).
        Exp = 0,
        /// ln(x).
        Log = 1,
        /// sqrt(x).
        Sqrt = 2,
        /// 1 / x.
        Recip = 3,
        /// |x|.
        Abs = 4,
        /// -x.
        Neg = 5,
        /// sin(x).
        Sin = 6,
        /// cos(x).
        Cos = 7,
        /// tan(x).
        Tan = 8,
        /// sinh(x).
        Sinh = 9,
        /// cosh(x).
        Cosh = 10,
        /// asin(x).
        Asin = 11,
        /// acos(x).
        Acos = 12,
        /// atan(x).
        Atan = 13,
        /// asinh(x).
        Asinh = 14,
        /// acosh(x).
        Acosh = 15,
        /// atanh(x).
        Atanh = 16,
        /// ceil(x).
        Ceil = 17,
        /// floor(x).
        Floor = 18,
        /// erf(x).
        Erf = 19,
        /// Logical not (Bool).
        Not = 20,
        /// sign(x).
        Sign = 21,
        /// Round half to even.
        Round = 22,
        /// isinf(x) (Bool output).
        IsInf = 23,
        /// isnan(x) (Bool output).
        IsNan = 24,
    }
}

trt_enum! {
    /// `nvinfer1::PoolingType`.
    PoolingType {
        /// Maximum over the window.
        Max = 0,
        /// Average over the window.
        Average = 1,
        /// (1 - blend) * max + blend * average.
        MaxAverageBlend = 2,
    }
}

trt_enum! {
    /// `nvinfer1::PaddingMode`: how explicit padding and output size are computed.
    PaddingMode {
        /// Explicit padding, output size rounded down (PyTorch `ceil_mode=False`).
        ExplicitRoundDown = 0,
        /// Explicit padding, output size rounded up (PyTorch `ceil_mode=True`).
        ExplicitRoundUp = 1,
        /// "SAME" padding, extra padding at the end.
        SameUpper = 2,
        /// "SAME" padding, extra padding at the start.
        SameLower = 3,
    }
}

trt_enum! {
    /// `nvinfer1::MatrixOperation`: how a matrix-multiply operand is interpreted.
    MatrixOperation {
        /// Use as is.
        None = 0,
        /// Transpose the last two dimensions.
        Transpose = 1,
        /// Treat the last dimension as a vector.
        Vector = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ReduceOperation`.
    ReduceOperation {
        /// Sum.
        Sum = 0,
        /// Product.
        Prod = 1,
        /// Maximum.
        Max = 2,
        /// Minimum.
        Min = 3,
        /// Mean.
        Avg = 4,
        /// No reduction (TensorRT-internal; rejected by most builds).
        None = 5,
    }
}

trt_enum! {
    /// `nvinfer1::ScaleMode`: granularity of a scale layer's coefficients.
    ScaleMode {
        /// One coefficient for the whole tensor.
        Uniform = 0,
        /// One coefficient per channel.
        Channel = 1,
        /// One coefficient per element (of a CHW volume).
        Elementwise = 2,
    }
}

trt_enum! {
    /// `nvinfer1::GatherMode`.
    GatherMode {
        /// Gather slices along an axis (`torch.index_select`).
        Default = 0,
        /// Gather single elements (`torch.gather`).
        Element = 1,
        /// Gather N-d slices (`tf.gather_nd`).
        Nd = 2,
    }
}

trt_enum! {
    /// `nvinfer1::InterpolationMode` of a resize layer.
    InterpolationMode {
        /// Nearest neighbor.
        Nearest = 0,
        /// (Bi/tri)linear.
        Linear = 1,
        /// Bicubic.
        Cubic = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ResizeCoordinateTransformation`.
    ResizeCoordinateTransformation {
        /// `align_corners=True`.
        AlignCorners = 0,
        /// x_in = x_out / scale.
        Asymmetric = 1,
        /// `align_corners=False` (half-pixel centers).
        HalfPixel = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ResizeSelector`: coordinate transform used when the output has one pixel.
    ResizeSelector {
        /// Use the transformation formula.
        Formula = 0,
        /// Use the upper-left pixel.
        Upper = 1,
    }
}

trt_enum! {
    /// `nvinfer1::ResizeRoundMode`: rounding of nearest-neighbor coordinates.
    ResizeRoundMode {
        /// Round half up.
        HalfUp = 0,
        /// Round half down.
        HalfDown = 1,
        /// Floor (PyTorch `nearest`).
        Floor = 2,
        /// Ceil.
        Ceil = 3,
    }
}

trt_enum! {
    /// `nvinfer1::TopKOperation`.
    TopKOperation {
        /// The k largest.
        Max = 0,
        /// The k smallest.
        Min = 1,
    }
}

trt_enum! {
    /// `nvinfer1::FillOperation`.
    FillOperation {
        /// alpha + beta * index (per dimension).
        Linspace = 0,
        /// Uniform random in [alpha, beta].
        RandomUniform = 1,
        /// Normal random with mean alpha and standard deviation beta.
        RandomNormal = 2,
    }
}

trt_enum! {
    /// `nvinfer1::SampleMode` of a slice layer: what out-of-bounds coordinates read.
    SampleMode {
        /// Out of bounds is an error.
        StrictBounds = 0,
        /// Wrap around.
        Wrap = 1,
        /// Clamp to the edge.
        Clamp = 2,
        /// A fill value (input 4).
        Fill = 3,
        /// Reflect.
        Reflect = 4,
    }
}

trt_enum! {
    /// `nvinfer1::CumulativeOperation`.
    CumulativeOperation {
        /// Cumulative sum.
        Sum = 0,
    }
}

trt_enum! {
    /// `nvinfer1::AttentionNormalizationOp`: what normalizes the attention scores.
    AttentionNormalizationOp {
        /// No normalization.
        None = 0,
        /// Softmax over the key axis.
        Softmax = 1,
    }
}

trt_enum! {
    /// `nvinfer1::CausalMaskKind`.
    CausalMaskKind {
        /// No causal mask.
        None = 0,
        /// Causal, aligned to the upper-left corner (PyTorch `is_causal=True`).
        UpperLeft = 1,
        /// Causal, aligned to the lower-right corner (decoding with a KV cache).
        LowerRight = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ScatterMode`.
    ScatterMode {
        /// Scatter single elements along an axis (`torch.scatter`).
        Element = 0,
        /// Scatter N-d slices (`tf.scatter_nd`).
        Nd = 1,
    }
}

trt_enum! {
    /// `nvinfer1::TensorIOMode`: whether an engine tensor is an input or an output.
    TensorIOMode {
        /// Not an I/O tensor.
        None = 0,
        /// Network input.
        Input = 1,
        /// Network output.
        Output = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ProfilingVerbosity`: how much layer information the engine keeps.
    ProfilingVerbosity {
        /// Layer names only (default).
        LayerNamesOnly = 0,
        /// Nothing.
        None = 1,
        /// Detailed layer information.
        Detailed = 2,
    }
}

trt_enum! {
    /// `nvinfer1::MemoryPoolType` for [`BuilderConfig::set_memory_pool_limit`](crate::BuilderConfig::set_memory_pool_limit).
    MemoryPoolType {
        /// Scratch memory of layers ("max_workspace").
        Workspace = 0,
        /// DLA managed SRAM.
        DlaManagedSram = 1,
        /// DLA local DRAM.
        DlaLocalDram = 2,
        /// DLA global DRAM.
        DlaGlobalDram = 3,
        /// Device memory for tactic selection during the build.
        TacticDram = 4,
        /// Shared memory for tactics.
        TacticSharedMemory = 5,
    }
}

trt_enum! {
    /// `nvinfer1::OptProfileSelector`: which shape of an optimization profile.
    OptProfileSelector {
        /// Smallest shape.
        Min = 0,
        /// Shape to optimize for.
        Opt = 1,
        /// Largest shape.
        Max = 2,
    }
}

trt_enum! {
    /// `nvinfer1::ExecutionContextAllocationStrategy`.
    ExecutionContextAllocationStrategy {
        /// Allocate the maximum device memory at creation.
        Static = 0,
        /// Reallocate when the profile changes.
        OnProfileChange = 1,
        /// The user provides device memory.
        UserManaged = 2,
    }
}

trt_enum! {
    /// `nvinfer1::LayerType`, as reported by [`Layer::layer_type`](crate::Layer::layer_type).
    LayerType {
        /// Convolution.
        Convolution = 0,
        /// Cast.
        Cast = 1,
        /// Activation.
        Activation = 2,
        /// Pooling.
        Pooling = 3,
        /// Local response normalization.
        Lrn = 4,
        /// Scale.
        Scale = 5,
        /// Softmax.
        Softmax = 6,
        /// Deconvolution.
        Deconvolution = 7,
        /// Concatenation.
        Concatenation = 8,
        /// Element-wise.
        ElementWise = 9,
        /// Plugin.
        Plugin = 10,
        /// Unary.
        Unary = 11,
        /// Padding.
        Padding = 12,
        /// Shuffle.
        Shuffle = 13,
        /// Reduce.
        Reduce = 14,
        /// Top-k.
        TopK = 15,
        /// Gather.
        Gather = 16,
        /// Matrix multiply.
        MatrixMultiply = 17,
        /// Ragged softmax.
        RaggedSoftmax = 18,
        /// Constant.
        Constant = 19,
        /// Identity.
        Identity = 20,
        /// Plugin V2.
        PluginV2 = 21,
        /// Slice.
        Slice = 22,
        /// Shape.
        Shape = 23,
        /// Parametric ReLU.
        ParametricRelu = 24,
        /// Resize.
        Resize = 25,
        /// Loop trip limit.
        TripLimit = 26,
        /// Loop recurrence.
        Recurrence = 27,
        /// Loop iterator.
        Iterator = 28,
        /// Loop output.
        LoopOutput = 29,
        /// Select.
        Select = 30,
        /// Fill.
        Fill = 31,
        /// Quantize.
        Quantize = 32,
        /// Dequantize.
        Dequantize = 33,
        /// Condition.
        Condition = 34,
        /// Conditional input.
        ConditionalInput = 35,
        /// Conditional output.
        ConditionalOutput = 36,
        /// Scatter.
        Scatter = 37,
        /// Einsum.
        Einsum = 38,
        /// Assertion.
        Assertion = 39,
        /// One-hot.
        OneHot = 40,
        /// Non-zero.
        NonZero = 41,
        /// Grid sample.
        GridSample = 42,
        /// Non-max suppression.
        Nms = 43,
        /// Reverse sequence.
        ReverseSequence = 44,
        /// Normalization.
        Normalization = 45,
        /// Plugin V3.
        PluginV3 = 46,
        /// Squeeze.
        Squeeze = 47,
        /// Unsqueeze.
        Unsqueeze = 48,
        /// Cumulative.
        Cumulative = 49,
        /// Dynamic quantize.
        DynamicQuantize = 50,
    }
}

trt_enum! {
    /// `nvinfer1::BuilderFlag`: build options (the ones both TensorRT 11 and TensorRT-RTX headers have).
    BuilderFlag {
        /// Synchronize after each layer (debugging).
        Debug = 2,
        /// Fall back to GPU for layers a DLA cannot run.
        GpuFallback = 3,
        /// Allow refitting weights.
        Refit = 4,
        /// Do not use the timing cache.
        DisableTimingCache = 5,
        /// Allow TF32 for float32 convolutions and matrix multiplies.
        Tf32 = 6,
        /// Use structured-sparsity kernels where weights allow.
        SparseWeights = 7,
        /// Build a version-compatible engine.
        VersionCompatible = 12,
        /// Do not embed the lean runtime in a version-compatible engine.
        ExcludeLeanRuntime = 13,
        /// Fail when the timing cache misses a tactic.
        ErrorOnTimingCacheMiss = 15,
        /// Do not use the compilation cache.
        DisableCompilationCache = 17,
        /// Strip refittable weights from the plan.
        StripPlan = 18,
        /// Refit with identical weights.
        RefitIdentical = 19,
        /// Enable weight streaming.
        WeightStreaming = 20,
        /// Refit individual weights.
        RefitIndividual = 22,
        /// Propagate NaNs strictly.
        StrictNans = 23,
        /// Monitor memory during the build.
        MonitorMemory = 24,
        /// Editable timing cache.
        EditableTimingCache = 26,
        /// Results independent of the distribution of work.
        DistributiveIndependence = 27,
    }
}

/// A GPU generation a TensorRT-RTX engine is built for (`nvinfer1::ComputeCapability`, TensorRT-RTX only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ComputeCapability {
    /// The GPU of the building machine.
    Current = 1,
    /// Turing (SM 7.5).
    Sm75 = 75,
    /// Ampere data center (SM 8.0).
    Sm80 = 80,
    /// Ampere (SM 8.6).
    Sm86 = 86,
    /// Ada (SM 8.9).
    Sm89 = 89,
    /// Blackwell (SM 12.0).
    Sm120 = 120,
    /// Blackwell (SM 12.1).
    Sm121 = 121,
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
    fn enums_round_trip() {
        for &a in ActivationType::ALL {
            assert_eq!(ActivationType::from_raw(a as i32), Some(a));
        }
        assert_eq!(ActivationType::ALL.len(), 14);
        assert_eq!(ElementWiseOperation::ALL.len(), 14);
        assert_eq!(UnaryOperation::ALL.len(), 25);
        for v in 0..12 {
            assert_eq!(DataType::from_raw(v).unwrap() as i32, v);
        }
        assert!(DataType::from_raw(99).is_err());
        assert_eq!(axes_mask(&[1, 3]), 0b1010);
    }
}
