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
    #[error("{}", describe_onnx_errors(errors))]
    OnnxParse {
        /// The parser's errors (at least one).
        errors: Vec<OnnxParseError>,
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

/// One error the ONNX parser reported ([`nvonnxparser::IParserError`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvonnxparser_1_1_i_parser_error.html)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxParseError {
    /// `nvonnxparser::ErrorCode` (e.g. 3 `kMODEL_DESERIALIZE_FAILED`, 8 `kUNSUPPORTED_NODE`); -1 when the parser
    /// refused the model without recording an error (the message is then what it logged).
    pub code: i32,
    /// The parser's description (`IParserError::desc`).
    pub message: String,
    /// The index of the node in the graph (`IParserError::node`), `None` when the error is not about a node.
    pub node: Option<i64>,
    /// The node's name (`IParserError::nodeName`; empty when none).
    pub node_name: String,
    /// The node's operator (`IParserError::nodeOperator`, e.g. `"Conv"`; empty when none).
    pub op_type: String,
}

impl OnnxParseError {
    /// The name of [`OnnxParseError::code`] in `nvonnxparser::ErrorCode`.
    pub fn code_name(&self) -> &'static str {
        match self.code {
            0 => "kSUCCESS",
            1 => "kINTERNAL_ERROR",
            2 => "kMEM_ALLOC_FAILED",
            3 => "kMODEL_DESERIALIZE_FAILED",
            4 => "kINVALID_VALUE",
            5 => "kINVALID_GRAPH",
            6 => "kINVALID_NODE",
            7 => "kUNSUPPORTED_GRAPH",
            8 => "kUNSUPPORTED_NODE",
            9 => "kUNSUPPORTED_NODE_ATTR",
            10 => "kUNSUPPORTED_NODE_INPUT",
            11 => "kUNSUPPORTED_NODE_DATATYPE",
            12 => "kUNSUPPORTED_NODE_DYNAMIC",
            13 => "kUNSUPPORTED_NODE_SHAPE",
            14 => "kREFIT_FAILED",
            _ => "unknown",
        }
    }
}

/// One line: `node 3 'name' (Op): message`, or the message alone for an error about no node.
impl std::fmt::Display for OnnxParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(node) = self.node {
            write!(f, "node {node} '{}' ({}): ", self.node_name, self.op_type)?;
        }
        // The parser's descriptions may hold line breaks; the error stays one line.
        let mut lines = self
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        if let Some(first) = lines.next() {
            f.write_str(first)?;
        }
        for line in lines {
            write!(f, " | {line}")?;
        }
        Ok(())
    }
}

/// Display of [`Error::OnnxParse`]: the first error and how many more there are.
pub(crate) fn describe_onnx_errors(errors: &[OnnxParseError]) -> String {
    match errors {
        [] => "the ONNX parser refused the model without an error".to_owned(),
        [one] => format!("ONNX parser: {one}"),
        [first, rest @ ..] => format!("ONNX parser: {first} (and {} more errors)", rest.len()),
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
