//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in `trt`. TensorRT's own words are kept: see [`Error::TensorRt`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TensorRT library could not be loaded (not found: every place searched; wrong version: both versions).
    #[error(transparent)]
    Load(#[from] trt_sys::LoadError),

    /// A TensorRT call failed. `message` is what TensorRT logged as errors during the call (or, if it logged
    /// nothing, the shim's description of the failure); `detail` is the shim's text.
    #[error("TensorRT {op} failed: {message}")]
    TensorRt {
        /// The operation, e.g. `"build_serialized_network"` or `"add_convolution"`.
        op: &'static str,
        /// TensorRT's own error message(s), newline-separated.
        message: String,
        /// The shim's description of the failed call.
        detail: String,
    },

    /// An argument was rejected before reaching TensorRT.
    #[error("invalid argument to {op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        message: String,
    },

    /// A tensor name that the engine / network does not have.
    #[error("no I/O tensor named '{name}' (available: {available:?})")]
    UnknownTensor {
        /// The name asked for.
        name: String,
        /// The names that exist.
        available: Vec<String>,
    },

    /// TensorRT's ONNX parser library could not be loaded (every place searched, or why the named one failed).
    #[error(transparent)]
    OnnxLoad(#[from] trt_sys::OnnxLoadError),

    /// TensorRT's ONNX parser refused the model: each error it reported, in order (Display: the first and a count).
    #[error("{}", crate::onnx::describe(errors))]
    OnnxParse {
        /// The parser's errors (at least one).
        errors: Vec<crate::onnx::OnnxParseError>,
    },

    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("write engine", "read timing cache", ...).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn invalid(op: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            message: message.into(),
        }
    }

    /// TensorRT's own message, for [`Error::TensorRt`]; `None` for other variants.
    pub fn tensorrt_message(&self) -> Option<&str> {
        match self {
            Error::TensorRt { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
