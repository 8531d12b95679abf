//! The models crate's error.

use std::path::PathBuf;

/// Why a model could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Building a layer failed (a weight of the wrong dtype, a candle error).
    #[error("building the model: {0}")]
    Build(#[from] candle_core::Error),
    /// Opening or reading a checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] torch_weights::Error),
    /// The checkpoint does not fit the model: every missing and unexpected key and every shape
    /// mismatch, as PyTorch's `load_state_dict(strict=True)` reports them.
    #[error("loading {}: {report}", path.display())]
    StrictLoad {
        /// The checkpoint.
        path: PathBuf,
        /// What did not match.
        report: Box<torch_weights::LoadReport>,
    },
    /// A name the registry does not know.
    #[error("unknown architecture {name:?}; known: {}", known.join(", "))]
    UnknownArchitecture {
        /// The name asked for.
        name: String,
        /// The names known.
        known: Vec<&'static str>,
    },
    /// A configuration file that cannot be read or parsed.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
