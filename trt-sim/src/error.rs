//! The simulator's errors: reading the network back, the inputs it was given, and one layer's evaluation
//! (named by index, name and type).

use trt::{DataType, LayerType};

/// A simulation failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// TensorRT refused a read-back getter (the layer, tensor or profile named in its message).
    #[error("reading the network back from TensorRT: {0}")]
    ReadBack(#[source] trt::Error),
    /// An input the network cannot take: wrong count, type, rank, a static dimension that differs, or a dynamic
    /// one outside the optimization profile.
    #[error("input '{name}': {message}")]
    Input {
        /// The network input's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// One layer could not be evaluated.
    #[error("layer {index} '{name}' ({layer_type:?}): {source}")]
    Layer {
        /// Position of the layer in the network.
        index: usize,
        /// The layer's name.
        name: String,
        /// TensorRT's layer type.
        layer_type: LayerType,
        /// What went wrong.
        #[source]
        source: LayerError,
    },
}

/// Why one layer could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// A layer type or parameter the simulator does not implement (plugins, loops, random fills, ...).
    #[error("not simulated: {0}")]
    Unsupported(String),
    /// Inputs or parameters for which NvInfer.h defines no result (a strict-bounds slice out of bounds, an
    /// integer division by zero, a reshape that changes the volume, ...).
    #[error("{0}")]
    Invalid(String),
    /// The simulated output's dims contradict the dims TensorRT inferred when the network was defined: the
    /// simulation does not compute what TensorRT built (or the simulator has a bug).
    #[error(
        "output {output} has simulated dims {simulated:?} where TensorRT inferred {tensorrt:?}"
    )]
    ShapeDisagrees {
        /// Output index.
        output: usize,
        /// The dims the simulation produced.
        simulated: Vec<usize>,
        /// TensorRT's dims (-1: dynamic).
        tensorrt: Vec<i64>,
    },
    /// The simulated output's type differs from the type TensorRT declares for it.
    #[error("output {output} is simulated as {simulated:?} where TensorRT declares {tensorrt:?}")]
    TypeDisagrees {
        /// Output index.
        output: usize,
        /// The type the simulation produced.
        simulated: DataType,
        /// TensorRT's type.
        tensorrt: DataType,
    },
    /// A candle CPU operation failed.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Result of one layer's evaluation.
pub(crate) type LayerResult<T> = std::result::Result<T, LayerError>;

/// `Err(LayerError::Invalid(..))` from a format string.
macro_rules! invalid {
    ($($arg:tt)*) => {
        Err($crate::error::LayerError::Invalid(format!($($arg)*)))
    };
}

/// `Err(LayerError::Unsupported(..))` from a format string.
macro_rules! unsupported {
    ($($arg:tt)*) => {
        Err($crate::error::LayerError::Unsupported(format!($($arg)*)))
    };
}

pub(crate) use {invalid, unsupported};
