//! The engine cache: [`TrtModule::load_or_convert`] loads an engine file whose
//! [`Fingerprint`](crate::Fingerprint) matches what a conversion would build, and rebuilds it
//! atomically otherwise. (Its own module: it uses both `convert` and `engine`, which must not
//! import each other.)

use std::borrow::Borrow;
use std::path::Path;

use candle_core::Tensor;

use crate::engine::TrtModule;
use crate::options::ConversionOptions;
use crate::{CacheOutcome, DynTraceModel, Error, Result};

impl TrtModule {
    /// The engine cache: the engine in `path` if it is the one [`convert`](crate::convert) would
    /// build for `model`, `inputs` and `options`; otherwise a fresh conversion, saved to `path`
    /// atomically (a failure leaves the previous file, or none).
    ///
    /// The model is always traced (cheap next to a TensorRT build: one candle forward on the
    /// sample inputs); the traced network's [`Fingerprint`](crate::Fingerprint) (weights as
    /// TensorRT receives them, network structure, profiles, precision options, candle2trt,
    /// TensorRT and target GPU) is compared with the file header's. Only an exact match is
    /// loaded; any other case is logged (`tracing` at `info` for a missing file, `warn` for a
    /// changed or damaged one) with the reason, which [`cache_outcome`](Self::cache_outcome)
    /// also gives. `options.timing_cache`, when set, is read before a rebuild and updated after
    /// it, so rebuilds skip kernel timings already measured.
    ///
    /// ```no_run
    /// use candle2trt::{CacheOutcome, ConversionOptions, TraceModule, TrtModule};
    /// # fn demo<M: TraceModule>(model: &M, x: &candle_core::Tensor) -> candle2trt::Result<()> {
    /// let options = ConversionOptions::default().with_fp16(true);
    /// let engine = TrtModule::load_or_convert("model.engine", model, &[x], &options)?;
    /// if let Some(CacheOutcome::Built { reason }) = engine.cache_outcome() {
    ///     eprintln!("rebuilt: {reason}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn load_or_convert<M: DynTraceModel + ?Sized, A: Borrow<Tensor>>(
        path: impl AsRef<Path>,
        model: &M,
        inputs: &[A],
        options: &ConversionOptions,
    ) -> Result<TrtModule> {
        let path = path.as_ref();
        let mut reason = None;
        let mut loaded = false;
        let module = crate::convert::convert_with(model, inputs, options, &mut |meta| {
            let why = match TrtModule::load(path) {
                Ok(cached) => {
                    let changes = meta.fingerprint.changes_since(&cached.meta().fingerprint);
                    if changes.is_empty() {
                        loaded = true;
                        return Some(cached);
                    }
                    format!("changed since it was built: {}", changes.join(", "))
                }
                Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    "no engine file yet".to_string()
                }
                Err(e) => format!("the file is unusable ({e})"),
            };
            reason = Some(why);
            None
        })?;
        let outcome = match (loaded, reason) {
            (true, _) => {
                tracing::info!(
                    "candle2trt: {} matches; loaded, not rebuilt",
                    path.display()
                );
                CacheOutcome::Loaded
            }
            (_, reason) => {
                let reason = reason.unwrap_or_else(|| "the network has no fingerprint".into());
                if reason == "no engine file yet" {
                    tracing::info!("candle2trt: building {}: {reason}", path.display());
                } else {
                    tracing::warn!("candle2trt: rebuilding {}: {reason}", path.display());
                }
                module.save(path)?;
                CacheOutcome::Built { reason }
            }
        };
        Ok(module.with_cache_outcome(outcome))
    }
}
