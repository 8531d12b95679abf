//! TensorRT's enumerations, each value written once.
//!
//! This file is the single source of the numeric values of the `nvinfer1` enumerations that cross the C shim:
//! `cargo xtask enums` reads the `trt_enum!` blocks below and writes `trt-sys/shim/enum_checks.cpp`, whose
//! `static_assert`s make the shim fail to compile against headers whose enumerators differ (CI runs
//! `cargo xtask enums --check`). Keep one block per enum, one variant per line in the form
//! `RustName = value => "kCXX_NAME",`; `(rtx)` after the C++ name of an enum marks a TensorRT-RTX-only enum.

use serde::Serialize;

macro_rules! trt_enum {
    ($(#[$meta:meta])* $name:ident : $cxx:literal $(($flag:ident))? {
        $($(#[$vmeta:meta])* $variant:ident = $value:literal => $vcxx:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value),+
        }

        impl $name {
            /// Every variant, in TensorRT's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The variant with TensorRT's numeric value `v`, if any.
            pub fn from_raw(v: i32) -> Option<Self> {
                match v {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The C++ enumerator's name (`"kRELU"`).
            pub fn tensorrt_name(self) -> &'static str {
                match self {
                    $($name::$variant => $vcxx,)+
                }
            }
        }
    };
}

trt_enum! {
    /// Element type of a tensor or of weights (`nvinfer1::DataType`).
    DataType: "DataType" {
        /// 32-bit float.
        Float = 0 => "kFLOAT",
        /// IEEE 16-bit float.
        Half = 1 => "kHALF",
        /// Signed 8-bit integer (quantized).
        Int8 = 2 => "kINT8",
        /// Signed 32-bit integer.
        Int32 = 3 => "kINT32",
        /// Boolean.
        Bool = 4 => "kBOOL",
        /// Unsigned 8-bit integer.
        UInt8 = 5 => "kUINT8",
        /// 8-bit float, E4M3 (quantized).
        Fp8 = 6 => "kFP8",
        /// bfloat16.
        BF16 = 7 => "kBF16",
        /// Signed 64-bit integer.
        Int64 = 8 => "kINT64",
        /// Signed 4-bit integer (quantized, packed).
        Int4 = 9 => "kINT4",
        /// 4-bit float, E2M1 (quantized, packed).
        Fp4 = 10 => "kFP4",
        /// 8-bit exponent-only scale type.
        E8M0 = 11 => "kE8M0",
    }
}

trt_enum! {
    /// Severity of a TensorRT message (`nvinfer1::ILogger::Severity`). Lower is more severe.
    Severity: "ILogger::Severity" {
        /// An internal error; TensorRT may be in an unrecoverable state.
        InternalError = 0 => "kINTERNAL_ERROR",
        /// An application error.
        Error = 1 => "kERROR",
        /// A warning.
        Warning = 2 => "kWARNING",
        /// Informational.
        Info = 3 => "kINFO",
        /// Verbose debugging output.
        Verbose = 4 => "kVERBOSE",
    }
}

trt_enum! {
    /// `nvinfer1::ActivationType`. `alpha`/`beta` meanings are given per variant.
    ActivationType: "ActivationType" {
        /// max(x, 0).
        Relu = 0 => "kRELU",
        /// 1 / (1 + exp(-x)).
        Sigmoid = 1 => "kSIGMOID",
        /// tanh(x).
        Tanh = 2 => "kTANH",
        /// x if x >= 0 else alpha * x.
        LeakyRelu = 3 => "kLEAKY_RELU",
        /// x if x >= 0 else alpha * (exp(x) - 1).
        Elu = 4 => "kELU",
        /// beta * (x if x > 0 else alpha * (exp(x) - 1)).
        Selu = 5 => "kSELU",
        /// x / (1 + |x|).
        Softsign = 6 => "kSOFTSIGN",
        /// alpha * log(exp(beta * x) + 1).
        Softplus = 7 => "kSOFTPLUS",
        /// max(alpha, min(beta, x)).
        Clip = 8 => "kCLIP",
        /// max(0, min(1, alpha * x + beta)).
        HardSigmoid = 9 => "kHARD_SIGMOID",
        /// alpha * tanh(beta * x).
        ScaledTanh = 10 => "kSCALED_TANH",
        /// x if x > alpha else 0.
        ThresholdedRelu = 11 => "kTHRESHOLDED_RELU",
        /// GELU, erf formulation.
        GeluErf = 12 => "kGELU_ERF",
        /// GELU, tanh approximation.
        GeluTanh = 13 => "kGELU_TANH",
    }
}

trt_enum! {
    /// `nvinfer1::ElementWiseOperation` (inputs broadcast; comparison and logic ops produce / take Bool).
    ElementWiseOperation: "ElementWiseOperation" {
        /// a + b.
        Sum = 0 => "kSUM",
        /// a * b.
        Prod = 1 => "kPROD",
        /// max(a, b).
        Max = 2 => "kMAX",
        /// min(a, b).
        Min = 3 => "kMIN",
        /// a - b.
        Sub = 4 => "kSUB",
        /// a / b.
        Div = 5 => "kDIV",
        /// a ^ b.
        Pow = 6 => "kPOW",
        /// floor(a / b).
        FloorDiv = 7 => "kFLOOR_DIV",
        /// Logical and (Bool).
        And = 8 => "kAND",
        /// Logical or (Bool).
        Or = 9 => "kOR",
        /// Logical xor (Bool).
        Xor = 10 => "kXOR",
        /// a == b (Bool output).
        Equal = 11 => "kEQUAL",
        /// a > b (Bool output).
        Greater = 12 => "kGREATER",
        /// a < b (Bool output).
        Less = 13 => "kLESS",
    }
}

trt_enum! {
    /// `nvinfer1::UnaryOperation`.
    UnaryOperation: "UnaryOperation" {
        /// exp(x).
        Exp = 0 => "kEXP",
        /// ln(x).
        Log = 1 => "kLOG",
        /// sqrt(x).
        Sqrt = 2 => "kSQRT",
        /// 1 / x.
        Recip = 3 => "kRECIP",
        /// |x|.
        Abs = 4 => "kABS",
        /// -x.
        Neg = 5 => "kNEG",
        /// sin(x).
        Sin = 6 => "kSIN",
        /// cos(x).
        Cos = 7 => "kCOS",
        /// tan(x).
        Tan = 8 => "kTAN",
        /// sinh(x).
        Sinh = 9 => "kSINH",
        /// cosh(x).
        Cosh = 10 => "kCOSH",
        /// asin(x).
        Asin = 11 => "kASIN",
        /// acos(x).
        Acos = 12 => "kACOS",
        /// atan(x).
        Atan = 13 => "kATAN",
        /// asinh(x).
        Asinh = 14 => "kASINH",
        /// acosh(x).
        Acosh = 15 => "kACOSH",
        /// atanh(x).
        Atanh = 16 => "kATANH",
        /// ceil(x).
        Ceil = 17 => "kCEIL",
        /// floor(x).
        Floor = 18 => "kFLOOR",
        /// erf(x).
        Erf = 19 => "kERF",
        /// Logical not (Bool).
        Not = 20 => "kNOT",
        /// sign(x).
        Sign = 21 => "kSIGN",
        /// Round half to even.
        Round = 22 => "kROUND",
        /// isinf(x) (Bool output).
        IsInf = 23 => "kISINF",
        /// isnan(x) (Bool output).
        IsNan = 24 => "kISNAN",
    }
}

trt_enum! {
    /// `nvinfer1::PoolingType`.
    PoolingType: "PoolingType" {
        /// Maximum over the window.
        Max = 0 => "kMAX",
        /// Average over the window.
        Average = 1 => "kAVERAGE",
        /// (1 - blend) * max + blend * average.
        MaxAverageBlend = 2 => "kMAX_AVERAGE_BLEND",
    }
}

trt_enum! {
    /// `nvinfer1::PaddingMode`: how explicit padding and output size are computed.
    PaddingMode: "PaddingMode" {
        /// Explicit padding, output size rounded down (PyTorch `ceil_mode=False`).
        ExplicitRoundDown = 0 => "kEXPLICIT_ROUND_DOWN",
        /// Explicit padding, output size rounded up: O = ceil((M - F) / S) + 1 over the padded size M. Not quite
        /// PyTorch's `ceil_mode=True`, which also drops a last window that would start in the right padding.
        ExplicitRoundUp = 1 => "kEXPLICIT_ROUND_UP",
        /// "SAME" padding, extra padding at the end.
        SameUpper = 2 => "kSAME_UPPER",
        /// "SAME" padding, extra padding at the start.
        SameLower = 3 => "kSAME_LOWER",
    }
}

trt_enum! {
    /// `nvinfer1::MatrixOperation`: how a matrix-multiply operand is interpreted.
    MatrixOperation: "MatrixOperation" {
        /// Use as is.
        None = 0 => "kNONE",
        /// Transpose the last two dimensions.
        Transpose = 1 => "kTRANSPOSE",
        /// Treat the last dimension as a vector.
        Vector = 2 => "kVECTOR",
    }
}

trt_enum! {
    /// `nvinfer1::ReduceOperation`.
    ReduceOperation: "ReduceOperation" {
        /// Sum.
        Sum = 0 => "kSUM",
        /// Product.
        Prod = 1 => "kPROD",
        /// Maximum.
        Max = 2 => "kMAX",
        /// Minimum.
        Min = 3 => "kMIN",
        /// Mean.
        Avg = 4 => "kAVG",
        /// No reduction (TensorRT-internal; rejected by most builds).
        None = 5 => "kNONE",
    }
}

trt_enum! {
    /// `nvinfer1::ScaleMode`: granularity of a scale layer's coefficients.
    ScaleMode: "ScaleMode" {
        /// One coefficient for the whole tensor.
        Uniform = 0 => "kUNIFORM",
        /// One coefficient per channel.
        Channel = 1 => "kCHANNEL",
        /// One coefficient per element (of a CHW volume).
        Elementwise = 2 => "kELEMENTWISE",
    }
}

trt_enum! {
    /// `nvinfer1::GatherMode`.
    GatherMode: "GatherMode" {
        /// Gather slices along an axis (`torch.index_select`).
        Default = 0 => "kDEFAULT",
        /// Gather single elements (`torch.gather`).
        Element = 1 => "kELEMENT",
        /// Gather N-d slices (`tf.gather_nd`).
        Nd = 2 => "kND",
    }
}

trt_enum! {
    /// `nvinfer1::InterpolationMode` of a resize layer.
    InterpolationMode: "InterpolationMode" {
        /// Nearest neighbor.
        Nearest = 0 => "kNEAREST",
        /// (Bi/tri)linear.
        Linear = 1 => "kLINEAR",
        /// Bicubic.
        Cubic = 2 => "kCUBIC",
    }
}

trt_enum! {
    /// `nvinfer1::ResizeCoordinateTransformation`; TensorRT's default is `Asymmetric`.
    ResizeCoordinateTransformation: "ResizeCoordinateTransformation" {
        /// `align_corners=True`.
        AlignCorners = 0 => "kALIGN_CORNERS",
        /// x_in = x_out / scale.
        Asymmetric = 1 => "kASYMMETRIC",
        /// `align_corners=False` (half-pixel centers).
        HalfPixel = 2 => "kHALF_PIXEL",
    }
}

trt_enum! {
    /// `nvinfer1::ResizeSelector`: coordinate transform used when the output has one pixel.
    ResizeSelector: "ResizeSelector" {
        /// Use the transformation formula.
        Formula = 0 => "kFORMULA",
        /// Use the upper-left pixel.
        Upper = 1 => "kUPPER",
    }
}

trt_enum! {
    /// `nvinfer1::ResizeRoundMode`: rounding of nearest-neighbor coordinates.
    ResizeRoundMode: "ResizeRoundMode" {
        /// Round half up.
        HalfUp = 0 => "kHALF_UP",
        /// Round half down.
        HalfDown = 1 => "kHALF_DOWN",
        /// Floor (PyTorch `nearest`).
        Floor = 2 => "kFLOOR",
        /// Ceil.
        Ceil = 3 => "kCEIL",
    }
}

trt_enum! {
    /// `nvinfer1::TopKOperation`.
    TopKOperation: "TopKOperation" {
        /// The k largest.
        Max = 0 => "kMAX",
        /// The k smallest.
        Min = 1 => "kMIN",
    }
}

trt_enum! {
    /// `nvinfer1::FillOperation`.
    FillOperation: "FillOperation" {
        /// alpha + beta * index (per dimension).
        Linspace = 0 => "kLINSPACE",
        /// Uniform random in [alpha, beta].
        RandomUniform = 1 => "kRANDOM_UNIFORM",
        /// Normal random with mean alpha and standard deviation beta.
        RandomNormal = 2 => "kRANDOM_NORMAL",
    }
}

trt_enum! {
    /// `nvinfer1::SampleMode` of a slice layer: what out-of-bounds coordinates read.
    SampleMode: "SampleMode" {
        /// Out of bounds is an error.
        StrictBounds = 0 => "kSTRICT_BOUNDS",
        /// Wrap around.
        Wrap = 1 => "kWRAP",
        /// Clamp to the edge.
        Clamp = 2 => "kCLAMP",
        /// A fill value (input 4).
        Fill = 3 => "kFILL",
        /// Reflect.
        Reflect = 4 => "kREFLECT",
    }
}

trt_enum! {
    /// `nvinfer1::CumulativeOperation`.
    CumulativeOperation: "CumulativeOperation" {
        /// Cumulative sum.
        Sum = 0 => "kSUM",
    }
}

trt_enum! {
    /// `nvinfer1::AttentionNormalizationOp`: what normalizes the attention scores.
    AttentionNormalizationOp: "AttentionNormalizationOp" {
        /// No normalization.
        None = 0 => "kNONE",
        /// Softmax over the key axis.
        Softmax = 1 => "kSOFTMAX",
    }
}

trt_enum! {
    /// `nvinfer1::CausalMaskKind`.
    CausalMaskKind: "CausalMaskKind" {
        /// No causal mask.
        None = 0 => "kNONE",
        /// Causal, aligned to the upper-left corner (PyTorch `is_causal=True`).
        UpperLeft = 1 => "kUPPER_LEFT",
        /// Causal, aligned to the lower-right corner (decoding with a KV cache).
        LowerRight = 2 => "kLOWER_RIGHT",
    }
}

trt_enum! {
    /// `nvinfer1::ScatterMode`.
    ScatterMode: "ScatterMode" {
        /// Scatter single elements along an axis (`torch.scatter`).
        Element = 0 => "kELEMENT",
        /// Scatter N-d slices (`tf.scatter_nd`).
        Nd = 1 => "kND",
    }
}

trt_enum! {
    /// `nvinfer1::BoundingBoxFormat`: how an NMS layer's boxes are written.
    BoundingBoxFormat: "BoundingBoxFormat" {
        /// `(x1, y1, x2, y2)`, any pair of diagonal corners.
        CornerPairs = 0 => "kCORNER_PAIRS",
        /// `(x_center, y_center, width, height)`.
        CenterSizes = 1 => "kCENTER_SIZES",
    }
}

trt_enum! {
    /// `nvinfer1::TensorIOMode`: whether an engine tensor is an input or an output.
    TensorIOMode: "TensorIOMode" {
        /// Not an I/O tensor.
        None = 0 => "kNONE",
        /// Network input.
        Input = 1 => "kINPUT",
        /// Network output.
        Output = 2 => "kOUTPUT",
    }
}

trt_enum! {
    /// `nvinfer1::ProfilingVerbosity`: how much layer information the engine keeps.
    ProfilingVerbosity: "ProfilingVerbosity" {
        /// Layer names only (default).
        LayerNamesOnly = 0 => "kLAYER_NAMES_ONLY",
        /// Nothing.
        None = 1 => "kNONE",
        /// Detailed layer information.
        Detailed = 2 => "kDETAILED",
    }
}

trt_enum! {
    /// `nvinfer1::MemoryPoolType` for [`BuilderConfig::set_memory_pool_limit`](crate::BuilderConfig::set_memory_pool_limit).
    MemoryPoolType: "MemoryPoolType" {
        /// Scratch memory of layers ("max_workspace").
        Workspace = 0 => "kWORKSPACE",
        /// DLA managed SRAM.
        DlaManagedSram = 1 => "kDLA_MANAGED_SRAM",
        /// DLA local DRAM.
        DlaLocalDram = 2 => "kDLA_LOCAL_DRAM",
        /// DLA global DRAM.
        DlaGlobalDram = 3 => "kDLA_GLOBAL_DRAM",
        /// Device memory for tactic selection during the build.
        TacticDram = 4 => "kTACTIC_DRAM",
        /// Shared memory for tactics.
        TacticSharedMemory = 5 => "kTACTIC_SHARED_MEMORY",
    }
}

trt_enum! {
    /// `nvinfer1::OptProfileSelector`: which shape of an optimization profile.
    OptProfileSelector: "OptProfileSelector" {
        /// Smallest shape.
        Min = 0 => "kMIN",
        /// Shape to optimize for.
        Opt = 1 => "kOPT",
        /// Largest shape.
        Max = 2 => "kMAX",
    }
}

trt_enum! {
    /// `nvinfer1::ExecutionContextAllocationStrategy`.
    ExecutionContextAllocationStrategy: "ExecutionContextAllocationStrategy" {
        /// Allocate the maximum device memory at creation.
        Static = 0 => "kSTATIC",
        /// Reallocate when the profile changes.
        OnProfileChange = 1 => "kON_PROFILE_CHANGE",
        /// The user provides device memory.
        UserManaged = 2 => "kUSER_MANAGED",
    }
}

trt_enum! {
    /// `nvinfer1::LayerType`, as reported by [`Layer::layer_type`](crate::Layer::layer_type).
    LayerType: "LayerType" {
        /// Convolution.
        Convolution = 0 => "kCONVOLUTION",
        /// Cast.
        Cast = 1 => "kCAST",
        /// Activation.
        Activation = 2 => "kACTIVATION",
        /// Pooling.
        Pooling = 3 => "kPOOLING",
        /// Local response normalization.
        Lrn = 4 => "kLRN",
        /// Scale.
        Scale = 5 => "kSCALE",
        /// Softmax.
        Softmax = 6 => "kSOFTMAX",
        /// Deconvolution.
        Deconvolution = 7 => "kDECONVOLUTION",
        /// Concatenation.
        Concatenation = 8 => "kCONCATENATION",
        /// Element-wise.
        ElementWise = 9 => "kELEMENTWISE",
        /// Plugin.
        Plugin = 10 => "kPLUGIN",
        /// Unary.
        Unary = 11 => "kUNARY",
        /// Padding.
        Padding = 12 => "kPADDING",
        /// Shuffle.
        Shuffle = 13 => "kSHUFFLE",
        /// Reduce.
        Reduce = 14 => "kREDUCE",
        /// Top-k.
        TopK = 15 => "kTOPK",
        /// Gather.
        Gather = 16 => "kGATHER",
        /// Matrix multiply.
        MatrixMultiply = 17 => "kMATRIX_MULTIPLY",
        /// Ragged softmax.
        RaggedSoftmax = 18 => "kRAGGED_SOFTMAX",
        /// Constant.
        Constant = 19 => "kCONSTANT",
        /// Identity.
        Identity = 20 => "kIDENTITY",
        /// Plugin V2.
        PluginV2 = 21 => "kPLUGIN_V2",
        /// Slice.
        Slice = 22 => "kSLICE",
        /// Shape.
        Shape = 23 => "kSHAPE",
        /// Parametric ReLU.
        ParametricRelu = 24 => "kPARAMETRIC_RELU",
        /// Resize.
        Resize = 25 => "kRESIZE",
        /// Loop trip limit.
        TripLimit = 26 => "kTRIP_LIMIT",
        /// Loop recurrence.
        Recurrence = 27 => "kRECURRENCE",
        /// Loop iterator.
        Iterator = 28 => "kITERATOR",
        /// Loop output.
        LoopOutput = 29 => "kLOOP_OUTPUT",
        /// Select.
        Select = 30 => "kSELECT",
        /// Fill.
        Fill = 31 => "kFILL",
        /// Quantize.
        Quantize = 32 => "kQUANTIZE",
        /// Dequantize.
        Dequantize = 33 => "kDEQUANTIZE",
        /// Condition.
        Condition = 34 => "kCONDITION",
        /// Conditional input.
        ConditionalInput = 35 => "kCONDITIONAL_INPUT",
        /// Conditional output.
        ConditionalOutput = 36 => "kCONDITIONAL_OUTPUT",
        /// Scatter.
        Scatter = 37 => "kSCATTER",
        /// Einsum.
        Einsum = 38 => "kEINSUM",
        /// Assertion.
        Assertion = 39 => "kASSERTION",
        /// One-hot.
        OneHot = 40 => "kONE_HOT",
        /// Non-zero.
        NonZero = 41 => "kNON_ZERO",
        /// Grid sample.
        GridSample = 42 => "kGRID_SAMPLE",
        /// Non-max suppression.
        Nms = 43 => "kNMS",
        /// Reverse sequence.
        ReverseSequence = 44 => "kREVERSE_SEQUENCE",
        /// Normalization.
        Normalization = 45 => "kNORMALIZATION",
        /// Plugin V3.
        PluginV3 = 46 => "kPLUGIN_V3",
        /// Squeeze.
        Squeeze = 47 => "kSQUEEZE",
        /// Unsqueeze.
        Unsqueeze = 48 => "kUNSQUEEZE",
        /// Cumulative.
        Cumulative = 49 => "kCUMULATIVE",
        /// Dynamic quantize.
        DynamicQuantize = 50 => "kDYNAMIC_QUANTIZE",
        /// Entry of a fused attention ([`Attention`](crate::Attention)): takes query, key, value and mask.
        AttentionInput = 51 => "kATTENTION_INPUT",
        /// Exit of a fused attention: its output is the attention's.
        AttentionOutput = 52 => "kATTENTION_OUTPUT",
        /// Rotary embedding.
        RotaryEmbedding = 53 => "kROTARY_EMBEDDING",
        /// KV cache update.
        KvCacheUpdate = 54 => "kKVCACHE_UPDATE",
        /// Mixture of experts.
        Moe = 55 => "kMOE",
        /// Distributed collective.
        DistCollective = 56 => "kDIST_COLLECTIVE",
    }
}

trt_enum! {
    /// `nvinfer1::BuilderFlag`: build options (the ones both TensorRT 11 and TensorRT-RTX headers have).
    BuilderFlag: "BuilderFlag" {
        /// Synchronize after each layer (debugging).
        Debug = 2 => "kDEBUG",
        /// Fall back to GPU for layers a DLA cannot run.
        GpuFallback = 3 => "kGPU_FALLBACK",
        /// Allow refitting weights.
        Refit = 4 => "kREFIT",
        /// Do not use the timing cache.
        DisableTimingCache = 5 => "kDISABLE_TIMING_CACHE",
        /// Allow TF32 for float32 convolutions and matrix multiplies.
        Tf32 = 6 => "kTF32",
        /// Use structured-sparsity kernels where weights allow.
        SparseWeights = 7 => "kSPARSE_WEIGHTS",
        /// Build a version-compatible engine.
        VersionCompatible = 12 => "kVERSION_COMPATIBLE",
        /// Do not embed the lean runtime in a version-compatible engine.
        ExcludeLeanRuntime = 13 => "kEXCLUDE_LEAN_RUNTIME",
        /// Fail when the timing cache misses a tactic.
        ErrorOnTimingCacheMiss = 15 => "kERROR_ON_TIMING_CACHE_MISS",
        /// Do not use the compilation cache.
        DisableCompilationCache = 17 => "kDISABLE_COMPILATION_CACHE",
        /// Strip refittable weights from the plan.
        StripPlan = 18 => "kSTRIP_PLAN",
        /// Refit with identical weights.
        RefitIdentical = 19 => "kREFIT_IDENTICAL",
        /// Enable weight streaming.
        WeightStreaming = 20 => "kWEIGHT_STREAMING",
        /// Refit individual weights.
        RefitIndividual = 22 => "kREFIT_INDIVIDUAL",
        /// Propagate NaNs strictly.
        StrictNans = 23 => "kSTRICT_NANS",
        /// Monitor memory during the build.
        MonitorMemory = 24 => "kMONITOR_MEMORY",
        /// Editable timing cache.
        EditableTimingCache = 26 => "kEDITABLE_TIMING_CACHE",
        /// Results independent of the distribution of work.
        DistributiveIndependence = 27 => "kDISTRIBUTIVE_INDEPENDENCE",
    }
}

trt_enum! {
    /// A GPU generation a TensorRT-RTX engine is built for (`nvinfer1::ComputeCapability`, TensorRT-RTX only).
    ComputeCapability: "ComputeCapability" (rtx) {
        /// The GPU of the building machine.
        Current = 1 => "kCURRENT",
        /// Turing (SM 7.5).
        Sm75 = 75 => "kSM75",
        /// Ampere data center (SM 8.0).
        Sm80 = 80 => "kSM80",
        /// Ampere (SM 8.6).
        Sm86 = 86 => "kSM86",
        /// Ada (SM 8.9).
        Sm89 = 89 => "kSM89",
        /// Blackwell (SM 12.0).
        Sm120 = 120 => "kSM120",
        /// Blackwell (SM 12.1).
        Sm121 = 121 => "kSM121",
    }
}
