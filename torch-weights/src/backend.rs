//! The candle `VarBuilder` backend and the strict-load tracker.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;

use crate::checkpoint::Checkpoint;
use crate::report::{LoadReport, ShapeMismatch};

/// Which dtype tensors are materialized in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DTypePolicy {
    /// The dtype the `VarBuilder` asks for, for every tensor (candle's own behaviour).
    #[default]
    AsRequested,
    /// The dtype stored in the file (`i8` widened to `I16` and `bool` to `U8`, which candle
    /// lacks), whatever the `VarBuilder` asks for.
    Keep,
    /// Floating-point tensors converted to this dtype; integer and boolean tensors keep theirs.
    Convert(DType),
}

impl DTypePolicy {
    fn target(self, stored: crate::StoredDType, requested: DType) -> DType {
        match self {
            DTypePolicy::AsRequested => requested,
            DTypePolicy::Keep => stored.candle_dtype(),
            DTypePolicy::Convert(dt) if stored.is_float() => dt,
            DTypePolicy::Convert(_) => stored.candle_dtype(),
        }
    }
}

#[derive(Debug, Default)]
struct TrackState {
    requested: BTreeMap<String, Option<Vec<usize>>>,
    missing: Vec<String>,
    mismatches: Vec<ShapeMismatch>,
}

/// Records what a model asked for during a strict load; see
/// [`Checkpoint::strict_var_builder`].
#[derive(Debug, Clone)]
pub struct LoadTracker {
    names: Arc<Vec<String>>,
    state: Arc<Mutex<TrackState>>,
}

impl LoadTracker {
    pub(crate) fn new(ckpt: &Checkpoint) -> Self {
        LoadTracker {
            names: Arc::new(ckpt.names().map(String::from).collect()),
            state: Arc::default(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut TrackState) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut g)
    }

    /// The report so far: missing keys, unexpected keys (never requested), shape mismatches.
    pub fn report(&self) -> LoadReport {
        self.with(|s| LoadReport {
            missing: s.missing.clone(),
            unexpected: self
                .names
                .iter()
                .filter(|n| !s.requested.contains_key(*n))
                .cloned()
                .collect(),
            shape_mismatches: s.mismatches.clone(),
        })
    }

    /// The report, as an error ([`crate::Error::StrictLoad`]) unless it is clean.
    pub fn finish(&self) -> crate::Result<LoadReport> {
        self.report().into_result()
    }
}

/// A [`SimpleBackend`] serving a [`Checkpoint`]'s tensors to candle layers.
///
/// [`Checkpoint::var_builder`] and friends wrap it; build one directly to combine a policy
/// with a tracker:
///
/// ```no_run
/// use candle_core::{DType, Device};
/// use torch_weights::{CheckpointBackend, DTypePolicy};
/// # fn main() -> torch_weights::Result<()> {
/// let ckpt = torch_weights::open("model.safetensors")?;
/// let backend = CheckpointBackend::new(ckpt, DTypePolicy::Keep);
/// let vb = candle_nn::VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CheckpointBackend {
    ckpt: Checkpoint,
    policy: DTypePolicy,
    tracker: Option<LoadTracker>,
}

impl CheckpointBackend {
    /// A backend over `ckpt` with the given dtype policy.
    pub fn new(ckpt: Checkpoint, policy: DTypePolicy) -> Self {
        CheckpointBackend {
            ckpt,
            policy,
            tracker: None,
        }
    }

    /// Records requests in `tracker`, and answers missing or mis-shaped tensors with zeros of
    /// the requested shape so that a whole model can be built before reporting.
    pub fn tracked(mut self, tracker: LoadTracker) -> Self {
        self.tracker = Some(tracker);
        self
    }

    fn load(&self, name: &str, requested: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let info = self.ckpt.get(name).ok_or_else(|| {
            candle_core::Error::CannotFindTensor {
                path: name.to_string(),
            }
            .bt()
        })?;
        let target = self.policy.target(info.dtype(), requested);
        info.to_tensor_as(target, dev)
            .map_err(|e| candle_core::Error::wrap(e.with_path(self.ckpt.path())))
    }
}

impl SimpleBackend for CheckpointBackend {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        if let Some(tr) = &self.tracker {
            tr.with(|st| {
                st.requested
                    .insert(name.to_string(), Some(s.dims().to_vec()))
            });
            let placeholder = |dt: DType| Tensor::zeros(s.clone(), dt, dev);
            match self.ckpt.get(name) {
                None => {
                    tr.with(|st| st.missing.push(name.to_string()));
                    return placeholder(dtype);
                }
                Some(info) if info.shape() != s.dims() => {
                    tr.with(|st| {
                        st.mismatches.push(ShapeMismatch {
                            name: name.to_string(),
                            expected: s.dims().to_vec(),
                            found: info.shape().to_vec(),
                        })
                    });
                    return placeholder(self.policy.target(info.dtype(), dtype));
                }
                Some(_) => {}
            }
        }
        let t = self.load(name, dtype, dev)?;
        if t.shape() != &s {
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: s,
                got: t.shape().clone(),
            }
            .bt());
        }
        Ok(t)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        if let Some(tr) = &self.tracker {
            tr.with(|st| st.requested.insert(name.to_string(), None));
            if !self.ckpt.contains(name) {
                tr.with(|st| st.missing.push(name.to_string()));
            }
        }
        self.load(name, dtype, dev)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.ckpt.contains(name)
    }
}
