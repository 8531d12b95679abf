//! Opening checkpoints: format detection, state-dict selection, renaming.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::backend::{CheckpointBackend, DTypePolicy, LoadTracker};
use crate::error::{Error, Result};
use crate::report::LoadReport;
use crate::tensor::{Bytes, TensorInfo};
use crate::{st, torch};

/// The container format a checkpoint was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A single `.safetensors` file.
    SafeTensors,
    /// A Hugging Face sharded set: `*.safetensors.index.json` and its shards.
    ShardedSafeTensors,
    /// A Hugging Face sharded set of `torch.save` files: `pytorch_model.bin.index.json` and
    /// its `.bin` shards.
    ShardedTorch,
    /// A zip `torch.save` file (PyTorch ≥ 1.6; `.pt`, `.pth`, `.bin`).
    TorchZip,
    /// A legacy (pre-1.6) `torch.save` stream.
    TorchLegacy,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::SafeTensors => "safetensors",
            Format::ShardedSafeTensors => "sharded safetensors (index)",
            Format::ShardedTorch => "sharded torch.save (index)",
            Format::TorchZip => "torch.save zip",
            Format::TorchLegacy => "torch.save legacy (pre-1.6)",
        })
    }
}

/// How to open a checkpoint. [`open`](crate::open) uses the defaults.
///
/// ```no_run
/// # fn main() -> torch_weights::Result<()> {
/// let ckpt = torch_weights::OpenOptions::new()
///     .state_dict_key("model_state_dict")
///     .open("checkpoint.pt")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    state_dict_key: Option<String>,
    strip_wrapper_prefixes: bool,
    max_expanded_bytes: u64,
    mmap: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            state_dict_key: None,
            strip_wrapper_prefixes: true,
            max_expanded_bytes: 1 << 30,
            mmap: true,
        }
    }
}

/// Prefixes added by model wrappers: `nn.DataParallel`/`DistributedDataParallel` and
/// `torch.compile`.
const WRAPPER_PREFIXES: &[&str] = &["module.", "_orig_mod."];

impl OpenOptions {
    /// The defaults: automatic state-dict detection, wrapper prefixes stripped, memory-mapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Selects the state dict inside a `torch.save` training checkpoint by key path, with `/`
    /// between levels (`"model_state_dict"`, `"ema/model"`, `"models/0"`). Without it the state
    /// dict is found automatically when that is unambiguous.
    pub fn state_dict_key(mut self, key_path: impl Into<String>) -> Self {
        self.state_dict_key = Some(key_path.into());
        self
    }

    /// Whether to strip `module.` (DataParallel) and `_orig_mod.` (torch.compile) when *every*
    /// key has it. On by default.
    pub fn strip_wrapper_prefixes(mut self, yes: bool) -> Self {
        self.strip_wrapper_prefixes = yes;
        self
    }

    /// Largest tensor, in bytes, that may be materialized from a smaller storage (stride-0
    /// "expanded" views). Default 1 GiB. Tensors no larger than their storage are always allowed.
    pub fn max_expanded_bytes(mut self, bytes: u64) -> Self {
        self.max_expanded_bytes = bytes;
        self
    }

    /// Whether to memory-map files (default) or read them into memory. Memory-mapping is
    /// faster and lighter, but the file must not be modified while the checkpoint is alive.
    pub fn mmap(mut self, yes: bool) -> Self {
        self.mmap = yes;
        self
    }

    /// Opens a checkpoint file or directory. The format is detected from the content:
    /// safetensors, zip or legacy `torch.save`, or a Hugging Face index
    /// (`*.safetensors.index.json`, or `pytorch_model.bin.index.json` with `torch.save` shards).
    /// A directory opens its single index, else its single `*.safetensors` file.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Checkpoint> {
        let path = path.as_ref();
        self.open_inner(path).map_err(|e| e.with_path(path))
    }

    /// Parses a checkpoint held in memory (any single-file format; not a sharded index).
    pub fn open_bytes(&self, bytes: Vec<u8>) -> Result<Checkpoint> {
        self.parse_source(PathBuf::from("<memory>"), Arc::new(Bytes::Owned(bytes)))
    }

    fn read(&self, path: &Path) -> Result<Arc<Bytes>> {
        let file =
            File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading metadata of {}", path.display()), e))?
            .len();
        if !self.mmap || len == 0 {
            let data = std::fs::read(path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            return Ok(Arc::new(Bytes::Owned(data)));
        }
        // SAFETY: the map is read-only; as documented on `OpenOptions::mmap`, the file must not
        // be truncated or modified while the checkpoint is alive (the usual contract for
        // memory-mapped model files, as in candle and safetensors).
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::io(format!("memory-mapping {}", path.display()), e))?;
        Ok(Arc::new(Bytes::Mmap(map)))
    }

    fn open_inner(&self, path: &Path) -> Result<Checkpoint> {
        if path.is_dir() {
            return self.open_dir(path);
        }
        let bytes = self.read(path)?;
        let known = torch::is_zip(&bytes) || torch::is_legacy(&bytes) || st::is_safetensors(&bytes);
        if !known && bytes.first() == Some(&b'{') {
            return self.open_index(path, &bytes);
        }
        self.parse_source(path.to_path_buf(), bytes)
    }

    fn open_dir(&self, dir: &Path) -> Result<Checkpoint> {
        let mut index = Vec::new();
        let mut single = Vec::new();
        let rd = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".safetensors.index.json") || name.ends_with(".bin.index.json") {
                index.push(entry.path());
            } else if name.ends_with(".safetensors") {
                single.push(entry.path());
            }
        }
        let pick = match (index.as_slice(), single.as_slice()) {
            ([one], _) => one.clone(),
            ([], [one]) => one.clone(),
            _ => {
                return Err(Error::UnknownFormat {
                    reason: format!(
                    "directory holds {} index files and {} safetensors files; open one explicitly",
                    index.len(),
                    single.len()
                ),
                })
            }
        };
        self.open(pick)
    }

    fn open_index(&self, path: &Path, json: &[u8]) -> Result<Checkpoint> {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let torch_shards = std::cell::Cell::new(false);
        let load_shard = |p: &Path| -> Result<crate::tensor::NamedTensors> {
            if !p.is_file() {
                return Err(Error::MissingRecord {
                    name: format!("shard {}", p.display()),
                });
            }
            let bytes = self.read(p)?;
            if st::is_safetensors(&bytes) {
                Ok(st::load_safetensors(bytes, self.max_expanded_bytes)?.0)
            } else {
                // `pytorch_model-0000i-of-0000n.bin` shards of a `pytorch_model.bin.index.json`.
                torch_shards.set(true);
                let (tensors, _) =
                    self.parse_torch(bytes)?
                        .ok_or_else(|| Error::UnknownFormat {
                            reason: "shard is neither safetensors nor a torch.save file".into(),
                        })?;
                Ok(tensors)
            }
        };
        let (tensors, files) = st::load_index(dir, json, &load_shard)?;
        let format = if torch_shards.get() {
            Format::ShardedTorch
        } else {
            Format::ShardedSafeTensors
        };
        Checkpoint::build(
            path.to_path_buf(),
            format,
            files,
            tensors,
            BTreeMap::new(),
            self,
        )
    }

    /// Tensors of a zip or legacy `torch.save` file; `None` when it is neither.
    fn parse_torch(&self, bytes: Arc<Bytes>) -> Result<Option<torch::TorchTensors>> {
        let topts = torch::TorchOptions {
            key_path: self.state_dict_key.as_deref(),
            max_expanded_bytes: self.max_expanded_bytes,
        };
        if torch::is_zip(&bytes) {
            Ok(Some(torch::load_zip(bytes, &topts)?))
        } else if torch::is_legacy(&bytes) {
            Ok(Some(torch::load_legacy(bytes, &topts)?))
        } else {
            Ok(None)
        }
    }

    fn parse_source(&self, path: PathBuf, bytes: Arc<Bytes>) -> Result<Checkpoint> {
        let topts = torch::TorchOptions {
            key_path: self.state_dict_key.as_deref(),
            max_expanded_bytes: self.max_expanded_bytes,
        };
        let files = vec![path.clone()];
        if torch::is_zip(&bytes) {
            let (t, key) = torch::load_zip(bytes, &topts)?;
            let c = Checkpoint::build(path, Format::TorchZip, files, t, BTreeMap::new(), self)?;
            Ok(c.with_state_dict_path(key))
        } else if torch::is_legacy(&bytes) {
            let (t, key) = torch::load_legacy(bytes, &topts)?;
            let c = Checkpoint::build(path, Format::TorchLegacy, files, t, BTreeMap::new(), self)?;
            Ok(c.with_state_dict_path(key))
        } else if st::is_safetensors(&bytes) {
            let (t, meta) = st::load_safetensors(bytes, self.max_expanded_bytes)?;
            Checkpoint::build(path, Format::SafeTensors, files, t, meta, self)
        } else {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(Error::UnknownFormat {
                reason: format!(
                    "not safetensors, a torch.save zip, a legacy torch.save stream or an index (first bytes: {})",
                    head.join(" ")
                ),
            })
        }
    }
}

/// The tensors of a checkpoint, by name, ready to be materialized as candle tensors.
///
/// Cloning is cheap: the file bytes are shared.
///
/// ```no_run
/// use candle_core::{DType, Device};
/// # fn main() -> torch_weights::Result<()> {
/// let ckpt = torch_weights::open("model.pt")?;
/// for (name, t) in ckpt.tensors() {
///     println!("{name}: {} {:?}", t.dtype(), t.shape());
/// }
/// let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
/// let conv = candle_nn::conv2d(3, 16, 3, Default::default(), vb.pp("conv1"))?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Checkpoint {
    path: PathBuf,
    format: Format,
    files: Vec<PathBuf>,
    entries: Vec<(String, TensorInfo)>,
    index: HashMap<String, usize>,
    metadata: BTreeMap<String, String>,
    state_dict_path: Option<String>,
}

impl Checkpoint {
    fn with_state_dict_path(mut self, key: String) -> Self {
        self.state_dict_path = Some(key);
        self
    }

    /// For `torch.save` files, the key path of the state dict inside the pickle (`""` when the
    /// file holds the state dict itself, `"model_state_dict"` for a training checkpoint, ...).
    pub fn state_dict_path(&self) -> Option<&str> {
        self.state_dict_path.as_deref()
    }

    fn build(
        path: PathBuf,
        format: Format,
        files: Vec<PathBuf>,
        mut entries: Vec<(String, TensorInfo)>,
        metadata: BTreeMap<String, String>,
        opts: &OpenOptions,
    ) -> Result<Checkpoint> {
        if opts.strip_wrapper_prefixes {
            'outer: loop {
                for p in WRAPPER_PREFIXES {
                    if !entries.is_empty() && entries.iter().all(|(n, _)| n.starts_with(p)) {
                        for (n, _) in entries.iter_mut() {
                            n.drain(..p.len());
                        }
                        continue 'outer;
                    }
                }
                break;
            }
        }
        Checkpoint::from_entries(path, format, files, entries, metadata)
    }

    fn from_entries(
        path: PathBuf,
        format: Format,
        files: Vec<PathBuf>,
        entries: Vec<(String, TensorInfo)>,
        metadata: BTreeMap<String, String>,
    ) -> Result<Checkpoint> {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, (n, _)) in entries.iter().enumerate() {
            if index.insert(n.clone(), i).is_some() {
                return Err(Error::DuplicateKey { name: n.clone() });
            }
        }
        Ok(Checkpoint {
            path,
            format,
            files,
            entries,
            index,
            metadata,
            state_dict_path: None,
        })
    }

    /// The path the checkpoint was opened from (`<memory>` for [`OpenOptions::open_bytes`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every file read: the shards of a sharded set, else the one file.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The container format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The safetensors `__metadata__` (empty for other formats).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no tensors.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Tensor names in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Tensors with their names, in file order.
    pub fn tensors(&self) -> impl Iterator<Item = (&str, &TensorInfo)> + '_ {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// The tensor called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.index.get(name).map(|&i| &self.entries[i].1)
    }

    /// Whether a tensor called `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Materializes `name` on `device` in its stored dtype.
    pub fn tensor(&self, name: &str, device: &Device) -> Result<Tensor> {
        self.info(name)?.to_tensor(device)
    }

    /// Materializes `name` on `device` converted to `dtype`.
    pub fn tensor_as(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        self.info(name)?.to_tensor_as(dtype, device)
    }

    fn info(&self, name: &str) -> Result<&TensorInfo> {
        self.get(name)
            .ok_or_else(|| Error::TensorNotFound { name: name.into() })
    }

    /// Materializes every tensor, keyed by name, in its stored dtype.
    pub fn to_tensors(&self, device: &Device) -> Result<HashMap<String, Tensor>> {
        self.entries
            .iter()
            .map(|(n, t)| {
                Ok((
                    n.clone(),
                    t.to_tensor(device).map_err(|e| e.with_path(&self.path))?,
                ))
            })
            .collect()
    }

    /// Total number of elements of all tensors.
    pub fn parameter_count(&self) -> u64 {
        self.entries.iter().map(|(_, t)| t.numel() as u64).sum()
    }

    /// Total bytes of all tensors, as stored.
    pub fn size_in_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|(_, t)| t.size_in_bytes() as u64)
            .sum()
    }

    /// Renames tensors: `f` maps each name to its new name, or `None` to drop the tensor.
    /// Fails with [`Error::DuplicateKey`] if two tensors end up with the same name.
    pub fn rename(&self, f: impl Fn(&str) -> Option<String>) -> Result<Checkpoint> {
        let entries = self
            .entries
            .iter()
            .filter_map(|(n, t)| f(n).map(|n| (n, t.clone())))
            .collect();
        Checkpoint::from_entries(
            self.path.clone(),
            self.format,
            self.files.clone(),
            entries,
            self.metadata.clone(),
        )
        .map(|c| Checkpoint {
            state_dict_path: self.state_dict_path.clone(),
            ..c
        })
    }

    /// Keeps only the tensors under `prefix` (e.g. `"backbone."`), with the prefix removed.
    pub fn select_prefix(&self, prefix: &str) -> Checkpoint {
        let entries: Vec<_> = self
            .entries
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(prefix).map(|n| (n.to_string(), t.clone())))
            .collect();
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        Checkpoint {
            path: self.path.clone(),
            format: self.format,
            files: self.files.clone(),
            entries,
            index,
            metadata: self.metadata.clone(),
            state_dict_path: self.state_dict_path.clone(),
        }
    }

    /// Removes `prefix` from the names that have it; other names are kept as they are.
    pub fn strip_prefix(&self, prefix: &str) -> Result<Checkpoint> {
        self.rename(|n| Some(n.strip_prefix(prefix).unwrap_or(n).to_string()))
    }

    /// Adds `prefix` in front of every name.
    pub fn add_prefix(&self, prefix: &str) -> Checkpoint {
        self.rename(|n| Some(format!("{prefix}{n}")))
            .unwrap_or_else(|_| self.clone())
    }

    /// Replaces every occurrence of `from` with `to` in the names (e.g. `"gamma"` → `"weight"`).
    pub fn replace(&self, from: &str, to: &str) -> Result<Checkpoint> {
        self.rename(|n| Some(n.replace(from, to)))
    }

    /// A candle [`VarBuilder`] over this checkpoint, converting each tensor to the dtype the
    /// builder asks for (`dtype` unless changed with `set_dtype`), like candle's own backends.
    ///
    /// Missing names and wrong shapes are errors at the layer that asks for them; use
    /// [`Checkpoint::strict_var_builder`] to collect them all instead.
    pub fn var_builder(&self, dtype: DType, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(
            Box::new(CheckpointBackend::new(
                self.clone(),
                DTypePolicy::AsRequested,
            )),
            dtype,
            device.clone(),
        )
    }

    /// A [`VarBuilder`] with an explicit [`DTypePolicy`]: keep the stored dtypes, or convert
    /// floating-point tensors to one dtype while integer tensors keep theirs.
    pub fn var_builder_with_policy(
        &self,
        policy: DTypePolicy,
        device: &Device,
    ) -> VarBuilder<'static> {
        let dtype = match policy {
            DTypePolicy::Convert(dt) => dt,
            _ => DType::F32,
        };
        VarBuilder::from_backend(
            Box::new(CheckpointBackend::new(self.clone(), policy)),
            dtype,
            device.clone(),
        )
    }

    /// A [`VarBuilder`] for a strict load, like PyTorch's `load_state_dict(strict=True)`.
    ///
    /// Build the whole model with it: missing tensors and tensors of the wrong shape are
    /// recorded (and stand-in zeros of the requested shape returned, so construction goes on),
    /// then [`LoadTracker::finish`] reports every missing key, unexpected key and shape mismatch
    /// together.
    ///
    /// ```no_run
    /// use candle_core::{DType, Device};
    /// # fn main() -> torch_weights::Result<()> {
    /// let ckpt = torch_weights::open("model.safetensors")?;
    /// let (vb, tracker) = ckpt.strict_var_builder(DType::F32, &Device::Cpu);
    /// let fc = candle_nn::linear(4096, 10, vb.pp("fc"))?;
    /// tracker.finish()?; // Err(Error::StrictLoad(report)) listing every problem
    /// # Ok(()) }
    /// ```
    pub fn strict_var_builder(
        &self,
        dtype: DType,
        device: &Device,
    ) -> (VarBuilder<'static>, LoadTracker) {
        let tracker = LoadTracker::new(self);
        let backend =
            CheckpointBackend::new(self.clone(), DTypePolicy::AsRequested).tracked(tracker.clone());
        (
            VarBuilder::from_backend(Box::new(backend), dtype, device.clone()),
            tracker,
        )
    }

    /// Compares this checkpoint with the names and shapes a model expects, without loading
    /// anything.
    pub fn check<'a>(
        &self,
        expected: impl IntoIterator<Item = (&'a str, &'a [usize])>,
    ) -> LoadReport {
        let mut report = LoadReport::default();
        let mut seen = std::collections::HashSet::new();
        for (name, shape) in expected {
            seen.insert(name);
            match self.get(name) {
                None => report.missing.push(name.to_string()),
                Some(t) if t.shape() != shape => {
                    report.shape_mismatches.push(crate::report::ShapeMismatch {
                        name: name.to_string(),
                        expected: shape.to_vec(),
                        found: t.shape().to_vec(),
                    })
                }
                Some(_) => {}
            }
        }
        report.unexpected = self
            .names()
            .filter(|n| !seen.contains(n))
            .map(String::from)
            .collect();
        report
    }
}

/// Opens a checkpoint with default [`OpenOptions`]: any supported format, state dict found
/// automatically, DataParallel `module.` prefixes stripped.
///
/// ```no_run
/// use candle_core::{DType, Device};
/// # fn main() -> torch_weights::Result<()> {
/// let vb = torch_weights::open("model.pt")?.var_builder(DType::F32, &Device::Cpu);
/// # Ok(()) }
/// ```
pub fn open(path: impl AsRef<Path>) -> Result<Checkpoint> {
    OpenOptions::new().open(path)
}

/// Same as [`open`].
pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
    open(path)
}
