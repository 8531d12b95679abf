//! The crate's error type.

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

/// A module path such as `layer1.0.conv1`; the empty path prints as `<root>`.
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

/// Everything that can go wrong while tracing, converting, saving, loading or running a model.
///
/// Variants carry the op, the module path (see [`crate::TraceTensor::scope`]) and the operand
/// shapes where they are known, so an error points at the line of the model that caused it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An op reached the tracer for which no TensorRT converter exists. Nothing was baked in
    /// as a constant: the conversion stops here.
    #[error("no TensorRT converter for op `{op}` at `{module_path}` (operand shapes: {shapes})")]
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
    #[error("dtype mismatch in `{op}` at `{module_path}`: candle computed {candle:?}, TensorRT produced {tensorrt}")]
    DTypeMismatch {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
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

    /// TensorRT refused to add a layer or build the network; the message is TensorRT's own.
    #[error("TensorRT error in `{op}` at `{module_path}` (operand shapes: {shapes}): {message}")]
    TensorRtOp {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
        /// The shapes of the op's operands.
        shapes: Shapes,
        /// TensorRT's own message.
        message: String,
    },

    /// A tensor from one trace was combined with a tensor from another (or with a plain value).
    #[error("op `{op}` at `{module_path}` mixes tensors from different traces")]
    ForeignTensor {
        /// The op's name.
        op: String,
        /// Where in the model the op was called.
        module_path: ModulePath,
    },

    /// An error from candle outside of tracing (plain candle execution, tensor copies).
    #[error(transparent)]
    Candle(#[from] candle_core::Error),

    /// An error from TensorRT outside of a specific op (builder, runtime, engine); the message
    /// is TensorRT's own.
    #[error("TensorRT error: {0}")]
    TensorRt(String),

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
}

impl From<trt::Error> for Error {
    fn from(e: trt::Error) -> Self {
        Error::TensorRt(e.to_string())
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
