//! The crate's error type.

use std::path::PathBuf;

use crate::report::LoadReport;

/// Everything that can go wrong while reading or writing a checkpoint.
///
/// Errors raised while parsing a file are wrapped in [`Error::WithPath`]; use [`Error::root`] to
/// match on the underlying variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error that happened while handling the file at `path`.
    #[error("{}: {error}", path.display())]
    WithPath {
        /// The file being read or written.
        path: PathBuf,
        /// What went wrong.
        error: Box<Error>,
    },
    /// An operating-system I/O error.
    #[error("I/O error while {context}: {error}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is none of the supported formats.
    #[error("unrecognized checkpoint format: {reason}")]
    UnknownFormat {
        /// Why the file was not recognized.
        reason: String,
    },
    /// The zip container is malformed or truncated.
    #[error("malformed zip archive at byte {offset}: {reason}")]
    Zip {
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The pickle stream is malformed or truncated.
    #[error("malformed pickle at byte {offset}: {reason}")]
    Pickle {
        /// Byte offset inside the pickle stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The pickle stream uses an opcode this reader does not implement.
    #[error("unsupported pickle opcode 0x{opcode:02x} at byte {offset}")]
    UnsupportedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Byte offset inside the pickle stream.
        offset: u64,
    },
    /// The pickle references a global that is not on the allowlist. Nothing was executed.
    #[error(
        "pickle references the forbidden global `{module}.{name}` at byte {offset}; \
         only tensor and container types are allowed (nothing from the file is executed)"
    )]
    ForbiddenGlobal {
        /// Module part of the global, e.g. `os`.
        module: String,
        /// Name part of the global, e.g. `system`.
        name: String,
        /// Byte offset inside the pickle stream.
        offset: u64,
    },
    /// A well-formed construct this crate does not support (quantized tensors, compressed zip
    /// entries, complex dtypes, ...).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported.
        what: String,
    },
    /// A record the pickle refers to (a storage, a zip entry) is not in the file.
    #[error("missing record `{name}`")]
    MissingRecord {
        /// The record's name.
        name: String,
    },
    /// A size declared in the file is larger than the data actually present.
    #[error("{what}: declares {declared} bytes but only {available} are present")]
    Truncated {
        /// What declared the size.
        what: String,
        /// The declared size in bytes.
        declared: u64,
        /// The bytes actually available.
        available: u64,
    },
    /// A tensor's metadata is invalid (negative or overflowing sizes, a view past its storage, ...).
    #[error("tensor `{tensor}`: {reason}")]
    InvalidTensor {
        /// The tensor's name (or `<unnamed>` before names are known).
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// Materializing a tensor would allocate more than the configured limit.
    #[error("tensor `{tensor}` would need {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The tensor's name.
        tensor: String,
        /// Bytes needed.
        bytes: u64,
        /// The limit, see [`crate::OpenOptions::max_expanded_bytes`].
        limit: u64,
    },
    /// The pickle holds no dictionary of tensors.
    #[error("no state dict (dictionary of tensors) found; top-level keys: {keys:?}")]
    NoStateDict {
        /// The top-level keys of the checkpoint, to help choose a key path.
        keys: Vec<String>,
    },
    /// Several dictionaries of tensors were found and none is the obvious one.
    #[error(
        "several state dicts found: {candidates:?}; choose one with \
         OpenOptions::state_dict_key (key path, `/`-separated)"
    )]
    AmbiguousStateDict {
        /// Key paths of every candidate.
        candidates: Vec<String>,
    },
    /// The key path given with [`crate::OpenOptions::state_dict_key`] does not exist.
    #[error(
        "key path `{path}` not found or not a dictionary of tensors; keys there: {available:?}"
    )]
    KeyPathNotFound {
        /// The key path asked for.
        path: String,
        /// The keys available at the deepest level reached.
        available: Vec<String>,
    },
    /// A safetensors header is invalid.
    #[error("invalid safetensors file: {reason}")]
    SafeTensors {
        /// What is wrong.
        reason: String,
    },
    /// A Hugging Face `*.safetensors.index.json` is invalid.
    #[error("invalid safetensors index: {reason}")]
    Index {
        /// What is wrong.
        reason: String,
    },
    /// A shard named by a safetensors index does not hold a tensor the index says it holds.
    #[error("tensor `{tensor}` is mapped to shard `{shard}` which does not contain it")]
    ShardMismatch {
        /// The tensor name.
        tensor: String,
        /// The shard file.
        shard: String,
    },
    /// No tensor of that name.
    #[error("no tensor named `{name}`")]
    TensorNotFound {
        /// The name looked up.
        name: String,
    },
    /// Two tensors end up with the same name (after renaming or prefix stripping).
    #[error("duplicate tensor name `{name}`")]
    DuplicateKey {
        /// The duplicated name.
        name: String,
    },
    /// A stored dtype this crate cannot represent.
    #[error("tensor `{tensor}`: unsupported dtype {dtype}")]
    UnsupportedDType {
        /// The tensor's name.
        tensor: String,
        /// The dtype as named in the file.
        dtype: String,
    },
    /// A strict load found missing keys, unexpected keys or shape mismatches.
    #[error("{0}")]
    StrictLoad(Box<LoadReport>),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// Invalid JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// The innermost error, skipping [`Error::WithPath`] wrappers.
    pub fn root(&self) -> &Error {
        let mut e = self;
        while let Error::WithPath { error, .. } = e {
            e = error;
        }
        e
    }

    /// Wraps the error with the path of the file it concerns (unless it already names that
    /// path first).
    pub fn with_path(self, path: impl Into<PathBuf>) -> Error {
        let path = path.into();
        match self {
            Error::WithPath { path: p, error } if p == path => Error::WithPath { path: p, error },
            e => Error::WithPath {
                path,
                error: Box::new(e),
            },
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            error: source,
        }
    }

    pub(crate) fn invalid(tensor: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidTensor {
            tensor: tensor.into(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
