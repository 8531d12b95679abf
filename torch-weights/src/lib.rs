//! PyTorch checkpoints into candle, without executing pickle code.
//!
//! `torch-weights` reads the files PyTorch training produces and serves their tensors to
//! candle, as a [`candle_nn::VarBuilder`] backend or one tensor at a time:
//!
//! - `.safetensors` files and Hugging Face sharded sets (`*.safetensors.index.json`),
//!   memory-mapped;
//! - zip `torch.save` files (`.pt`, `.pth`, `.bin`): plain state dicts, `OrderedDict`s, nested
//!   training checkpoints (`{"model_state_dict": ..., "optimizer_state_dict": ..., "epoch": ...}`,
//!   found automatically when unambiguous, else selected with
//!   [`OpenOptions::state_dict_key`]), DataParallel `module.` prefixes stripped;
//! - the legacy pre-1.6 `torch.save` stream format;
//! - dtypes f64, f32, f16, bf16, i64, i32, i16, i8, u8 and bool; tensors that are views into
//!   shared storages, with offsets and non-contiguous strides.
//!
//! Pickles are read by a small virtual machine that knows only an allowlist of tensor and
//! container globals; any other global (`os.system`, `builtins.eval`, a model class) is an
//! [`Error::ForbiddenGlobal`] naming it. Sizes declared in a file are checked against the file
//! before anything is allocated, and no input makes the reader panic (it is fuzzed).
//!
//! # Loading a model
//!
//! ```no_run
//! use candle_core::{DType, Device};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ckpt = torch_weights::open("checkpoint.pt")?;
//! let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
//! let conv = candle_nn::conv2d(3, 16, 3, Default::default(), vb.pp("conv1"))?;
//! let fc = candle_nn::linear(4096, 10, vb.pp("fc"))?;
//! # Ok(()) }
//! ```
//!
//! For a strict load that reports every missing key, unexpected key and shape mismatch
//! together, see [`Checkpoint::strict_var_builder`]. Renaming: [`Checkpoint::select_prefix`],
//! [`Checkpoint::strip_prefix`], [`Checkpoint::replace`], [`Checkpoint::rename`]. Dtypes:
//! [`DTypePolicy`]. Conversion to safetensors: [`Checkpoint::save_safetensors`].
//!
//! # Copies
//!
//! Files are memory-mapped. [`TensorInfo::contiguous_bytes`] borrows a contiguous
//! little-endian tensor straight from the map (zero copy), which is what
//! [`Checkpoint::save_safetensors`] streams to disk. candle's CPU tensors own their memory, so
//! materializing a [`candle_core::Tensor`] copies the bytes once, from the map into the tensor
//! (plus one conversion pass when the dtype changes or the view is strided).

mod backend;
mod checkpoint;
mod dtype;
mod error;
mod pickle;
mod report;
mod st;
mod tensor;
mod torch;
mod write;
mod zip;

pub use backend::{CheckpointBackend, DTypePolicy, LoadTracker};
pub use checkpoint::{load, open, Checkpoint, Format, OpenOptions};
pub use dtype::StoredDType;
pub use error::{Error, Result};
pub use report::{LoadReport, ShapeMismatch};
pub use tensor::TensorInfo;
pub use write::SaveOptions;

/// Entry points for `cargo fuzz` (see `fuzz/` and `FUZZING.md`). Not a stable API.
#[doc(hidden)]
pub mod fuzz {
    use std::sync::Arc;

    use crate::tensor::Bytes;

    fn touch(tensors: &[(String, crate::TensorInfo)]) {
        for (_, t) in tensors {
            let _ = t.contiguous_bytes().len();
        }
    }

    /// Runs the pickle VM on `data` and, when it yields a state dict, finds it.
    pub fn pickle(data: &[u8]) {
        if let Ok((p, _)) = crate::pickle::read_pickle(data) {
            let _ = crate::torch::find_state_dict(&p, None);
        }
    }

    /// Parses `data` as a zip `torch.save` file and materializes every tensor's bytes.
    pub fn torch_zip(data: &[u8]) {
        let opts = crate::torch::TorchOptions {
            key_path: None,
            max_expanded_bytes: 1 << 24,
        };
        if let Ok((t, _)) = crate::torch::load_zip(Arc::new(Bytes::Owned(data.to_vec())), &opts) {
            touch(&t);
        }
    }

    /// Parses `data` as a legacy `torch.save` stream and materializes every tensor's bytes.
    pub fn torch_legacy(data: &[u8]) {
        let opts = crate::torch::TorchOptions {
            key_path: None,
            max_expanded_bytes: 1 << 24,
        };
        if let Ok((t, _)) = crate::torch::load_legacy(Arc::new(Bytes::Owned(data.to_vec())), &opts)
        {
            touch(&t);
        }
    }

    /// Parses `data` as a safetensors file and materializes every tensor's bytes.
    pub fn safetensors(data: &[u8]) {
        if let Ok((t, _)) =
            crate::st::load_safetensors(Arc::new(Bytes::Owned(data.to_vec())), 1 << 24)
        {
            touch(&t);
        }
    }

    /// Parses `data` as a safetensors index.
    pub fn index(data: &[u8]) {
        let _ = crate::st::parse_index(data);
    }
}
