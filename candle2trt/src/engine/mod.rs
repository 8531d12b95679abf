//! [`TrtModule`]: a converted model — the serialized engine and its [`EngineMeta`] — with atomic
//! save, checked load, and `forward` on candle CUDA tensors.
//!
//! - `meta.rs`: [`EngineMeta`] (I/O specs, layer list, TensorRT version, precision, options);
//! - `fingerprint.rs`: [`Fingerprint`], what decided an engine's content (the engine cache's key);
//! - `file.rs`: the engine file's layout, the header's (de)serialization;
//! - `runtime.rs` (feature `cuda`): running the engine on candle CUDA tensors. It reads the
//!   engine's [`EngineMeta`] and bytes, never [`TrtModule`] itself.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use candle_core::Tensor;

use crate::verify::VerificationReport;
use crate::{Error, Result};

mod file;
mod fingerprint;
mod meta;
#[cfg(feature = "cuda")]
mod runtime;

pub(crate) use fingerprint::network_digests;
pub use fingerprint::Fingerprint;
pub use meta::{EngineMeta, IoSpec, LayerInfo, Precision};

/// What [`TrtModule::load_or_convert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// The engine file matched and was loaded: no TensorRT build.
    Loaded,
    /// The engine was built and the file (re)written; `reason` says why, naming what changed.
    Built {
        /// Why the file could not be used: missing, unreadable or damaged (with the load
        /// error), or which fingerprint fields changed (`precision: fp32 → fp16`).
        reason: String,
    },
}

/// A model converted into a TensorRT engine.
///
/// Made by [`convert`](crate::convert), [`TrtModule::load`], or [`TrtModule::new`] from an
/// engine built elsewhere. [`forward`](Self::forward) runs it on candle CUDA tensors (feature
/// `cuda`), so a converted submodule can replace its candle original inside a larger candle
/// model: the surrounding candle code hands it CUDA tensors and receives CUDA tensors back, on
/// the same stream.
pub struct TrtModule {
    meta: EngineMeta,
    engine: Vec<u8>,
    reference_outputs: Vec<Tensor>,
    timings: Option<(Duration, Duration)>,
    cache: Option<CacheOutcome>,
    verification: Option<VerificationReport>,
    simulated_outputs: Vec<Tensor>,
    #[cfg(feature = "cuda")]
    runtime: runtime::RuntimeCell,
}

impl std::fmt::Debug for TrtModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrtModule")
            .field("engine_bytes", &self.engine.len())
            .field("inputs", &self.meta.inputs)
            .field("outputs", &self.meta.outputs)
            .field("layers", &self.meta.layers.len())
            .field("tensorrt_version", &self.meta.tensorrt_version)
            .field("precision", &self.meta.precision)
            .finish()
    }
}

impl TrtModule {
    /// A module for the serialized engine `engine`, described by `meta` (its I/O names, dtypes
    /// and shapes must be the engine's: [`forward`](Self::forward) checks inputs against them).
    pub fn new(meta: EngineMeta, engine: Vec<u8>) -> Self {
        TrtModule {
            meta,
            engine,
            reference_outputs: Vec::new(),
            timings: None,
            cache: None,
            verification: None,
            simulated_outputs: Vec::new(),
            #[cfg(feature = "cuda")]
            runtime: Default::default(),
        }
    }

    /// Adds what a conversion produced besides the engine: candle's outputs for the sample
    /// inputs and the (trace, build) times.
    pub(crate) fn with_conversion(
        mut self,
        reference_outputs: Vec<Tensor>,
        times: (Duration, Duration),
    ) -> Self {
        self.reference_outputs = reference_outputs;
        self.timings = Some(times);
        self
    }

    /// Adds what verification found and the simulated outputs at the sample inputs.
    pub(crate) fn with_verification(
        mut self,
        report: VerificationReport,
        simulated_outputs: Vec<Tensor>,
    ) -> Self {
        self.verification = Some(report);
        self.simulated_outputs = simulated_outputs;
        self
    }

    /// What verification found (`None` when it was off, and after `load`): the engine's outputs
    /// simulated on the CPU from the network TensorRT holds, against candle, at the sample shape
    /// and the profile's corners.
    pub fn verification(&self) -> Option<&VerificationReport> {
        self.verification.as_ref()
    }

    /// The engine's outputs for the sample inputs as the CPU simulation computes them (the engine
    /// as built: TF32 and f16 rounding included); empty when verification was off and after
    /// `load`. Compare them with a PyTorch reference for the engine's expected error.
    pub fn simulated_outputs(&self) -> &[Tensor] {
        &self.simulated_outputs
    }

    /// Records what [`load_or_convert`](Self::load_or_convert) did.
    pub(crate) fn with_cache_outcome(mut self, outcome: CacheOutcome) -> Self {
        self.cache = Some(outcome);
        self
    }

    /// What the engine file records about the engine.
    pub fn meta(&self) -> &EngineMeta {
        &self.meta
    }

    /// The serialized TensorRT engine (what `trtexec --loadEngine` reads).
    pub fn engine_bytes(&self) -> &[u8] {
        &self.engine
    }

    /// The engine's inputs, in the model's order.
    pub fn inputs(&self) -> &[IoSpec] {
        &self.meta.inputs
    }

    /// The engine's outputs, in the model's order.
    pub fn outputs(&self) -> &[IoSpec] {
        &self.meta.outputs
    }

    /// Every layer the converters added, with the op and module path that added it.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.meta.layers
    }

    /// The version of the TensorRT library that built the engine (engines only run on it).
    pub fn tensorrt_version(&self) -> &str {
        &self.meta.tensorrt_version
    }

    /// The precision the engine computes in.
    pub fn precision(&self) -> Precision {
        self.meta.precision
    }

    /// Whether the engine computes in f16.
    pub fn fp16_mode(&self) -> bool {
        self.meta.precision == Precision::Fp16
    }

    /// candle's outputs for the sample inputs, computed while tracing (empty after `load`).
    pub fn reference_outputs(&self) -> &[Tensor] {
        &self.reference_outputs
    }

    /// Time spent tracing the model and building the engine (`None` after `load`; the build
    /// time is zero when [`load_or_convert`](Self::load_or_convert) loaded the engine).
    pub fn conversion_times(&self) -> Option<(Duration, Duration)> {
        self.timings
    }

    /// Whether [`load_or_convert`](Self::load_or_convert) loaded the engine or built it, and
    /// why (`None` for modules made otherwise).
    pub fn cache_outcome(&self) -> Option<&CacheOutcome> {
        self.cache.as_ref()
    }

    /// A human-readable report: I/O, layer counts per op, folded layers.
    pub fn report(&self) -> String {
        let m = &self.meta;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "TensorRT {} engine, {} bytes, {}{}",
            m.tensorrt_version,
            self.engine.len(),
            m.precision.as_str(),
            if m.tf32 {
                " (TF32 allowed)"
            } else {
                " (TF32 off)"
            }
        );
        for (kind, specs) in [("input", &m.inputs), ("output", &m.outputs)] {
            for io in specs {
                let _ = write!(s, "  {kind} {}: {:?} {:?}", io.name, io.dtype, io.dims);
                if let Some(p) = &io.profile {
                    let _ = write!(s, " (min {:?}, opt {:?}, max {:?})", p.min, p.opt, p.max);
                }
                s.push('\n');
            }
        }
        let folded = m.layers.iter().filter(|l| l.folded_into.is_some()).count();
        let _ = writeln!(s, "  {} layers ({} folded away):", m.layers.len(), folded);
        for l in &m.layers {
            let _ = write!(s, "    {:<40} {:<16} {}", l.name, l.layer_type, l.op);
            if let Some(into) = &l.folded_into {
                let _ = write!(s, " (folded into {into})");
            }
            s.push('\n');
        }
        if let Some(v) = &self.verification {
            let _ = write!(s, "{v}");
        }
        s
    }

    /// Writes the engine file atomically (`trt::write_atomic`: a temporary file in the same
    /// directory, synced, then renamed over `path`). On failure no file is left behind (and an
    /// existing `path` is intact).
    ///
    /// The file holds a small header (the [`EngineMeta`]), the engine bytes and a checksum;
    /// [`engine_bytes`](Self::engine_bytes) gives the bare engine for other tools.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let bytes = file::encode(&self.meta, &self.engine);
        trt::write_atomic(path.as_ref(), &bytes, "write engine file").map_err(|e| match e {
            trt::Error::Io { path, source, .. } => Error::Io { path, source },
            other => Error::TensorRt(other),
        })
    }

    /// Reads an engine file written by [`save`](Self::save). A file that is not one (wrong
    /// magic, truncated, corrupt) is an [`Error::InvalidEngineFile`]; nothing is handed to
    /// TensorRT until it checks out.
    ///
    /// The checks (see the file format in `file.rs`): magic, format version, lengths, checksum,
    /// a header consistent in itself, and a header that agrees with the engine bytes (the
    /// TensorRT version stamped in the engine, the I/O tensor names the engine declares).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (meta, engine) = file::decode(&bytes).map_err(|reason| Error::InvalidEngineFile {
            path: path.to_path_buf(),
            reason,
        })?;
        Ok(Self::new(meta, engine))
    }

    /// [`load`](Self::load), then checks that `library` is the TensorRT version that built the
    /// engine ([`Error::EngineVersionMismatch`] otherwise): what must hold before the engine
    /// bytes are handed to that library.
    pub fn load_for(path: impl AsRef<Path>, library: &trt::Library) -> Result<Self> {
        let path = path.as_ref();
        let module = Self::load(path)?;
        let loaded = library.version().to_string();
        if loaded != module.meta.tensorrt_version {
            return Err(Error::EngineVersionMismatch {
                path: path.to_path_buf(),
                engine: module.meta.tensorrt_version.clone(),
                library: loaded,
            });
        }
        Ok(module)
    }

    /// Runs the engine on candle CUDA tensors, one per engine input, in order.
    ///
    /// The inputs must be on a CUDA device, have the dtypes and shapes the engine was built
    /// for (dynamic dimensions within the profile) and be contiguous; their device memory is
    /// handed to TensorRT as is (no copy). The outputs are new candle CUDA tensors, and the work
    /// is enqueued on the device's candle stream, so candle ops before and after are ordered
    /// with it.
    ///
    /// Without the `cuda` feature this returns [`Error::RuntimeUnavailable`].
    pub fn forward<A: std::borrow::Borrow<Tensor>>(&self, inputs: &[A]) -> Result<Vec<Tensor>> {
        let inputs: Vec<&Tensor> = inputs.iter().map(|t| t.borrow()).collect();
        let inputs = inputs.as_slice();
        self.meta.check_inputs(inputs)?;
        #[cfg(feature = "cuda")]
        {
            runtime::forward(&self.meta, &self.engine, &self.runtime, inputs)
        }
        #[cfg(not(feature = "cuda"))]
        {
            Err(Error::RuntimeUnavailable(
                "candle2trt was built without the `cuda` feature; rebuild with \
                 `--features cuda` to run engines on candle CUDA tensors"
                    .into(),
            ))
        }
    }
}
