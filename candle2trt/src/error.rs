//! The crate's error type, and [`Error::at_op`]: the one constructor of errors that name an op.

use std::fmt;
use std::path::PathBuf;

/// Shapes of an op's operands, printed as `[1, 3, 32, 32], [16, 3, 3, 3]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shapes(pub Vec<Vec<usize>>);

impl fmt::Display for Shapes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s:?}")?;
        }
        Ok(())
    }
}

/// A module path such as `layer1.0.conv1`; the empty path prints as `<root>`. An error about
/// an op outside any scope names the last module the trace left: `<root>, after layer4`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModulePath(pub Box<str>);

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("<root>")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// Where an op ran: its name, the module path and its operands' shapes. Every error about an op
/// (the variants with `op`, `module_path` and `shapes`) is built from one of these, by one
/// constructor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpContext {
    /// The op's name, as the model called it (`conv2d`, `reshape`, ...).
    pub op: String,
    /// Where in the model the op was called.
    pub module_path: ModulePath,
    /// The shapes of the op's operands (candle's values while tracing).
    pub shapes: Shapes,
}

/// Where in the optimization profile a check ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// The sample inputs given to [`convert`](crate::convert).
    Sample,
    /// Every dynamic dimension at the profile's minimum (the sample cut or tiled to it).
    Min,
    /// Every dynamic dimension at the profile's maximum.
    Max,
}

impl fmt::Display for Corner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Corner::Sample => "sample",
            Corner::Min => "profile min",
            Corner::Max => "profile max",
        })
    }
}

/// The first op whose TensorRT layers compute something other than candle's value for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The op.
    pub op: String,
    /// Where it was called.
    pub module_path: ModulePath,
    /// The TensorRT layers it added.
    pub layers: Vec<String>,
    /// What differs.
    pub detail: String,
    /// The op's TensorRT tensor is f16 and candle's values there exceed f16's range (65504): the
    /// f16 engine overflows for these inputs and weights (no converter error).
    pub f16_overflow: bool,
    /// The op's own error relative to its largest value (`None` when the dims differ). A wrong
    /// parameter puts the first diverging op off by the order of its values; a small relative
    /// error there means rounding accumulated through the layers before it (deep networks with
    /// random weights), not one wrong layer.
    pub relative_err: Option<f64>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "first diverging op: `{}` at `{}` (layers {}): {}",
            self.op,
            self.module_path,
            self.layers.join(", "),
            self.detail
        )
    }
}

/// What went wrong in an op; [`Error::at_op`] turns it and an [`OpContext`] into an [`Error`].
#[derive(Debug)]
pub(crate) enum OpFailure {
    /// No converter exists for the op.
    NoConverter,
    /// A converter exists, but not for these arguments.
    Arguments(String),
    /// candle refused the op.
    Candle(candle_core::Error),
    /// TensorRT refused a layer of the op.
    TensorRt(trt::Error),
    /// TensorRT inferred other dimensions than candle computed.
    ShapeMismatch {
        candle: Vec<usize>,
        tensorrt: Vec<i64>,
    },
    /// TensorRT's element type differs from the one candle's dtype maps to.
    DTypeMismatch {
        candle: candle_core::DType,
        tensorrt: String,
    },
    /// The operands come from different traces.
    ForeignTensor,
    /// An error that already names where it happened: passed through unchanged.
    Located(Error),
}

impl From<candle_core::Error> for OpFailure {
    fn from(e: candle_core::Error) -> Self {
        OpFailure::Candle(e)
    }
}

impl From<trt::Error> for OpFailure {
    fn from(e: trt::Error) -> Self {
        OpFailure::TensorRt(e)
    }
}

impl From<Error> for OpFailure {
    /// A plain candle error (from the plain-candle implementation) gets the op's context;
    /// anything else already has its own.
    fn from(e: Error) -> Self {
        match e {
            Error::Candle(e) => OpFailure::Candle(e),
            other => OpFailure::Located(other),
        }
    }
}

/// Everything that can go wrong while tracing, converting, saving, loading or running a model.
///
/// Variants carry the op, the module path (see [`crate::TraceTensor::scope`]) and the operand
/// shapes where they are known, so an error points at the line of the model that caused it.
/// Where TensorRT refused something, its [`trt::Error`] is kept as the
/// [`source`](std::error::Error::source): [`Error::tensorrt_message`] gives TensorRT's own words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An op reached the tracer for which no TensorRT converter exists. Nothing was baked in
    /// as a constant: the conversion stops here.
    #[error(
        "no TensorRT converter for op `{op}` at `{module_path}` (operand shapes: {shapes}); \
         write one with `TraceTensor::custom_op` (a `candle2trt::CustomOp`: the candle value and \
         the TensorRT layers; see examples/06_custom_op.rs)"
    )]
    UnsupportedOp {
        /// The op's name, as the model called it.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands (candle's values while tracing).
        shapes: Shapes,
    },

    /// An op is supported, but not with these arguments (e.g. a non-divisible adaptive pool).
    #[error(
        "op `{op}` at `{module_path}` (operand shapes: {shapes}) cannot be converted: {reason}"
    )]
    UnsupportedArguments {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
        /// Why these arguments have no TensorRT equivalent.
        reason: String,
    },

    /// TensorRT inferred output dimensions different from candle's: a converter bug, caught at
    /// the op that caused it.
    #[error(
        "shape mismatch in `{op}` at `{module_path}`: candle computed {candle:?}, \
         TensorRT inferred {tensorrt:?} (inputs: {inputs}; -1 marks a dynamic dimension)"
    )]
    ShapeMismatch {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shape of candle's result.
        candle: Vec<usize>,
        /// The dimensions TensorRT inferred.
        tensorrt: Vec<i64>,
        /// The shapes of the op's operands.
        inputs: Shapes,
    },

    /// TensorRT's element type for a result differs from the one candle's dtype maps to.
    #[error(
        "dtype mismatch in `{op}` at `{module_path}` (operand shapes: {shapes}): candle \
         computed {candle:?}, TensorRT produced {tensorrt}"
    )]
    DTypeMismatch {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
        /// candle's dtype.
        candle: candle_core::DType,
        /// TensorRT's data type.
        tensorrt: String,
    },

    /// The inputs have a dynamic dimension but no output has one: some op fixed it to the
    /// sample's size, and the engine would only work for that size.
    #[error(
        "the dynamic dimension of the inputs does not reach the outputs: it was first lost in \
         `{op}` at `{module_path}` (use a shape hole `()` in reshapes, or flatten_from)"
    )]
    DynamicShapeLost {
        /// The first op whose inputs were dynamic and whose output was not.
        op: String,
        /// Where it was called.
        module_path: String,
    },

    /// candle itself refused an op while the model was being traced.
    #[error("candle error in `{op}` at `{module_path}` (operand shapes: {shapes}): {source}")]
    CandleOp {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
        /// candle's error.
        #[source]
        source: Box<candle_core::Error>,
    },

    /// TensorRT refused a layer of an op; `source` is TensorRT's error, with its own message.
    #[error("TensorRT error in `{op}` at `{module_path}` (operand shapes: {shapes}): {source}")]
    TensorRtOp {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
        /// TensorRT's error: the TensorRT call and TensorRT's own message.
        #[source]
        source: Box<trt::Error>,
    },

    /// A tensor from one trace was combined with a tensor from another (or with a plain value).
    #[error("op `{op}` at `{module_path}` (operand shapes: {shapes}) mixes tensors from different traces")]
    ForeignTensor {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
    },

    /// An error from candle outside of tracing (plain candle execution, tensor copies).
    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// An error from TensorRT outside of a specific op (library, builder, runtime, engine); the
    /// `trt::Error` is kept whole: the TensorRT call and TensorRT's own message.
    #[error("TensorRT error: {0}")]
    TensorRt(#[from] trt::Error),

    /// The conversion options are inconsistent (e.g. input names of the wrong count).
    #[error("invalid conversion options: {0}")]
    InvalidOptions(String),

    /// `int8_mode` was requested without calibration batches.
    #[error(
        "int8_mode needs calibration data: set ConversionOptions::int8_calibration_batches \
         to a few representative input batches"
    )]
    MissingCalibrationData,

    /// A precision mode that is accepted as an option but not implemented yet.
    #[error("{0} is not implemented yet")]
    NotImplemented(String),

    /// The model's inputs or outputs do not match what the conversion expects.
    #[error("model interface error: {0}")]
    ModelInterface(String),

    /// A file could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file is not an engine written by [`crate::TrtModule::save`].
    #[error("{path} is not a candle2trt engine file: {reason}")]
    InvalidEngineFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The engine file was built by another TensorRT version than the library loaded here:
    /// TensorRT engines only run on the version that built them.
    #[error(
        "engine file {path}: built by TensorRT {engine}, the loaded library is TensorRT {library}; \
         convert the model again with this library"
    )]
    EngineVersionMismatch {
        /// The file.
        path: PathBuf,
        /// The version that built the engine.
        engine: String,
        /// The loaded library's version.
        library: String,
    },

    /// An input given to [`crate::TrtModule::forward`] does not fit the engine.
    #[error("input {index} (`{name}`): {reason}")]
    InvalidInput {
        /// Position of the input.
        index: usize,
        /// The engine's name for it.
        name: String,
        /// What is wrong (device, dtype, contiguity, shape outside the profile, ...).
        reason: String,
    },

    /// Running an engine needs the `cuda` feature and a CUDA device.
    #[error("cannot run the TensorRT engine: {0}")]
    RuntimeUnavailable(String),

    /// Verification: the network TensorRT holds, simulated on the CPU, does not compute candle's
    /// numbers (beyond the tolerance) at one shape. `divergence` names the first op whose layers
    /// diverge, where the layer-by-layer comparison found one.
    #[error(
        "verification failed at the {corner} shape {input_dims:?}: {what}{}",
        divergence.as_ref().map(|d| format!("; {d}")).unwrap_or_default()
    )]
    VerificationFailed {
        /// Which shape.
        corner: Corner,
        /// The inputs' dims there.
        input_dims: Vec<Vec<usize>>,
        /// Which output and by how much (or whose dims differ).
        what: String,
        /// The first diverging op, when found.
        divergence: Option<Box<Divergence>>,
    },

    /// Verification: simulating the network failed at a layer (a parameter for which NvInfer.h
    /// defines no result, dims that contradict TensorRT's, or a layer the simulator does not
    /// implement). `op` and `module_path` name the op that added the layer.
    #[error(
        "simulating the network at the {corner} shape {input_dims:?} failed in `{op}` at \
         `{module_path}`: {source}"
    )]
    SimulationFailed {
        /// Which shape.
        corner: Corner,
        /// The inputs' dims there.
        input_dims: Vec<Vec<usize>>,
        /// The op that added the failing layer (`?` when no op did).
        op: String,
        /// Where it was called.
        module_path: ModulePath,
        /// The simulator's error, naming the layer.
        #[source]
        source: Box<trt_sim::Error>,
    },
}

impl Error {
    /// The error for `failure` in the op described by `context`: the one constructor of the
    /// op-level variants ([`UnsupportedOp`](Error::UnsupportedOp),
    /// [`UnsupportedArguments`](Error::UnsupportedArguments),
    /// [`ShapeMismatch`](Error::ShapeMismatch), [`DTypeMismatch`](Error::DTypeMismatch),
    /// [`CandleOp`](Error::CandleOp), [`TensorRtOp`](Error::TensorRtOp),
    /// [`ForeignTensor`](Error::ForeignTensor)).
    pub(crate) fn at_op(context: OpContext, failure: impl Into<OpFailure>) -> Error {
        let OpContext {
            op,
            module_path,
            shapes,
        } = context;
        match failure.into() {
            OpFailure::NoConverter => Error::UnsupportedOp {
                op,
                module_path,
                shapes,
            },
            OpFailure::Arguments(reason) => Error::UnsupportedArguments {
                op,
                module_path,
                shapes,
                reason,
            },
            OpFailure::Candle(source) => Error::CandleOp {
                op,
                module_path,
                shapes,
                source: Box::new(source),
            },
            OpFailure::TensorRt(source) => Error::TensorRtOp {
                op,
                module_path,
                shapes,
                source: Box::new(source),
            },
            OpFailure::ShapeMismatch { candle, tensorrt } => Error::ShapeMismatch {
                op,
                module_path,
                candle,
                tensorrt,
                inputs: shapes,
            },
            OpFailure::DTypeMismatch { candle, tensorrt } => Error::DTypeMismatch {
                op,
                module_path,
                shapes,
                candle,
                tensorrt,
            },
            OpFailure::ForeignTensor => Error::ForeignTensor {
                op,
                module_path,
                shapes,
            },
            OpFailure::Located(e) => e,
        }
    }

    /// The op an error is about, for the op-level variants.
    pub fn op(&self) -> Option<&str> {
        match self {
            Error::UnsupportedOp { op, .. }
            | Error::UnsupportedArguments { op, .. }
            | Error::ShapeMismatch { op, .. }
            | Error::DTypeMismatch { op, .. }
            | Error::DynamicShapeLost { op, .. }
            | Error::CandleOp { op, .. }
            | Error::TensorRtOp { op, .. }
            | Error::ForeignTensor { op, .. }
            | Error::SimulationFailed { op, .. } => Some(op),
            Error::VerificationFailed {
                divergence: Some(d),
                ..
            } => Some(&d.op),
            _ => None,
        }
    }

    /// The TensorRT error underneath, where TensorRT (or loading its library) failed.
    pub fn tensorrt_error(&self) -> Option<&trt::Error> {
        match self {
            Error::TensorRt(e) => Some(e),
            Error::TensorRtOp { source, .. } => Some(source),
            _ => None,
        }
    }

    /// TensorRT's own message, where TensorRT refused a call.
    pub fn tensorrt_message(&self) -> Option<&str> {
        self.tensorrt_error().and_then(trt::Error::tensorrt_message)
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> OpContext {
        OpContext {
            op: "conv2d".into(),
            module_path: ModulePath("layer1.0".into()),
            shapes: Shapes(vec![vec![1, 3, 8, 8]]),
        }
    }

    /// TensorRT's error stays reachable: as the source, and its message through the accessor.
    #[test]
    fn tensorrt_error_is_kept_as_the_source() {
        let trt_error = trt::Error::TensorRt {
            op: "add_convolution",
            message: "kernel weights count mismatch".into(),
            detail: "shim".into(),
        };
        let err = Error::at_op(context(), trt_error);
        assert!(matches!(err, Error::TensorRtOp { .. }), "{err:?}");
        assert_eq!(err.op(), Some("conv2d"));
        assert_eq!(
            err.tensorrt_message(),
            Some("kernel weights count mismatch")
        );
        let source = std::error::Error::source(&err).expect("a source");
        assert!(source.to_string().contains("add_convolution"), "{source}");
        let text = err.to_string();
        for part in [
            "conv2d",
            "layer1.0",
            "[1, 3, 8, 8]",
            "kernel weights count mismatch",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }

    /// A plain candle error gets the op's context; an error that has its own passes through.
    #[test]
    fn candle_errors_get_the_context_others_pass_through() {
        let err = Error::at_op(
            context(),
            Error::Candle(candle_core::Error::Msg("bad".into())),
        );
        assert!(
            matches!(&err, Error::CandleOp { op, shapes, .. } if op == "conv2d" && shapes.0 == [[1, 3, 8, 8]]),
            "{err:?}"
        );
        let inner = Error::at_op(context(), OpFailure::NoConverter);
        let err = Error::at_op(
            OpContext {
                op: "outer".into(),
                ..OpContext::default()
            },
            inner,
        );
        assert!(
            matches!(&err, Error::UnsupportedOp { op, .. } if op == "conv2d"),
            "{err:?}"
        );
    }
}
