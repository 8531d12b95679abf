//! Triton Inference Server model repositories for TensorRT engines.
//!
//! Triton serves a folder of models, each `NAME/config.pbtxt` (an `inference.ModelConfig` in
//! protobuf text format) beside numbered version folders, here `NAME/1/model.plan`: the
//! serialized TensorRT engine. [`config_pbtxt`] writes the configuration from a plain
//! description of the engine's inputs and outputs ([`ModelIo`]), so it needs no engine and no
//! GPU; [`write_repository`] puts the model folder in place atomically.
//!
//! The lists are written `input: [ … ]`, with the colon that the text format makes optional
//! before a list of messages: Triton (protobuf's C++ parser) reads both forms, while
//! prost-reflect 0.16's text-format parser, used by the schema tests, rejects `input [ … ]`.
//!
//! Triton's batching rule: with `max_batch_size > 0`, every input and output has an implicit
//! first (batch) dimension that the configuration's `dims` leave out, and Triton sends batches of
//! 1 to `max_batch_size` rows. A TensorRT engine accepts that only when dimension 0 of every
//! input and output is dynamic and its optimization profile reaches `max_batch_size`; anything
//! else is refused here, before Triton would refuse it at load time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use candle_core::DType;

/// Triton's tensor data types (`inference.DataType`) that a TensorRT engine can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `TYPE_BOOL`.
    Bool,
    /// `TYPE_UINT8`.
    Uint8,
    /// `TYPE_UINT32`.
    Uint32,
    /// `TYPE_INT8`.
    Int8,
    /// `TYPE_INT16`.
    Int16,
    /// `TYPE_INT32`.
    Int32,
    /// `TYPE_INT64`.
    Int64,
    /// `TYPE_FP16`.
    Fp16,
    /// `TYPE_BF16`.
    Bf16,
    /// `TYPE_FP32`.
    Fp32,
    /// `TYPE_FP64`.
    Fp64,
}

impl DataType {
    /// The enum value's name in `model_config.proto` (`TYPE_FP32`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Bool => "TYPE_BOOL",
            DataType::Uint8 => "TYPE_UINT8",
            DataType::Uint32 => "TYPE_UINT32",
            DataType::Int8 => "TYPE_INT8",
            DataType::Int16 => "TYPE_INT16",
            DataType::Int32 => "TYPE_INT32",
            DataType::Int64 => "TYPE_INT64",
            DataType::Fp16 => "TYPE_FP16",
            DataType::Bf16 => "TYPE_BF16",
            DataType::Fp32 => "TYPE_FP32",
            DataType::Fp64 => "TYPE_FP64",
        }
    }

    /// The Triton type of a candle dtype; `None` for the float formats Triton has no type for
    /// (FP8, FP6, FP4).
    pub fn from_candle(dtype: DType) -> Option<Self> {
        Some(match dtype {
            DType::U8 => DataType::Uint8,
            DType::U32 => DataType::Uint32,
            DType::I16 => DataType::Int16,
            DType::I32 => DataType::Int32,
            DType::I64 => DataType::Int64,
            DType::BF16 => DataType::Bf16,
            DType::F16 => DataType::Fp16,
            DType::F32 => DataType::Fp32,
            DType::F64 => DataType::Fp64,
            _ => return None,
        })
    }
}

/// One engine input or output, as TensorRT sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorIo {
    /// The tensor's name in the engine (Triton binds by name).
    pub name: String,
    /// Its data type.
    pub data_type: DataType,
    /// The engine's full dimensions, batch included; `-1` marks a dynamic one.
    pub dims: Vec<i64>,
}

/// What [`config_pbtxt`] needs to know about an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelIo {
    /// The inputs, in order.
    pub inputs: Vec<TensorIo>,
    /// The outputs, in order.
    pub outputs: Vec<TensorIo>,
    /// The largest batch the engine's optimization profile accepts (the profile's `max` of
    /// dimension 0, over the inputs where it is dynamic); `None` when no input has a dynamic
    /// first dimension.
    pub profile_max_batch: Option<u64>,
}

impl ModelIo {
    /// Whether dimension 0 of every input and output is dynamic: the condition for Triton's
    /// implicit batch.
    pub fn batch_dim_dynamic(&self) -> bool {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .all(|t| t.dims.first() == Some(&-1))
    }
}

/// `max_batch_size` of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxBatch {
    /// The profile's largest batch when dimension 0 of every input and output is dynamic,
    /// else 0 (no implicit batch).
    #[default]
    Auto,
    /// Exactly this value (0: no implicit batch; the configuration's `dims` are the engine's).
    Fixed(u32),
}

/// The choices of a Triton configuration beyond the engine's I/O.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TritonOptions {
    /// `max_batch_size`.
    pub max_batch: MaxBatch,
    /// `instance_group [{ count: N, kind: KIND_GPU }]`; `None` leaves Triton's default (one
    /// instance per GPU).
    pub instances: Option<u32>,
    /// `dynamic_batching { }`: Triton merges requests into batches (needs `max_batch_size > 0`).
    pub dynamic_batching: bool,
    /// `max_queue_delay_microseconds` of the dynamic batcher.
    pub max_queue_delay_us: Option<u64>,
}

/// Why a configuration or repository cannot be written. Each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum TritonError {
    /// The model name is not a plain folder name.
    #[error(
        "model name {0:?} is not usable as a Triton model folder; use letters, digits, '_', '-' \
         and '.', not starting with '.'"
    )]
    InvalidName(String),
    /// A tensor name Triton cannot bind (empty, or with control characters).
    #[error(
        "tensor name {0:?} is empty or contains control characters; rename it when converting"
    )]
    InvalidTensorName(String),
    /// The engine has no inputs or no outputs.
    #[error("the engine lists no inputs or no outputs; it cannot be served")]
    NoIo,
    /// `max_batch_size > 0` with a tensor whose first dimension is static.
    #[error(
        "max_batch_size {max_batch} needs dimension 0 of every input and output to be a dynamic \
         batch, but `{tensor}` has dims {dims:?}; rebuild the engine with a dynamic batch \
         (`candle2trt convert --batch 1:OPT:MAX`) or export with `--max-batch 0`"
    )]
    BatchDimNotDynamic {
        /// The requested `max_batch_size`.
        max_batch: u32,
        /// The tensor whose dimension 0 is static.
        tensor: String,
        /// Its dims.
        dims: Vec<i64>,
    },
    /// `max_batch_size` exceeds what the engine's optimization profile accepts.
    #[error(
        "max_batch_size {max_batch} exceeds the engine's optimization profile (batch up to \
         {profile_max}); pass `--max-batch {profile_max}` or less, or rebuild with a larger \
         `--batch MIN:OPT:MAX`"
    )]
    ExceedsProfile {
        /// The requested `max_batch_size`.
        max_batch: u32,
        /// The profile's largest batch.
        profile_max: u64,
    },
    /// Dynamic batching without an implicit batch dimension.
    #[error(
        "dynamic batching needs max_batch_size > 0 (an engine with a dynamic batch dimension); \
         drop `--dynamic-batching` or rebuild with `--batch 1:OPT:MAX`"
    )]
    DynamicBatchingWithoutBatch,
    /// `instances` of 0.
    #[error("an instance group needs at least one instance; pass `--instances 1` or more")]
    ZeroInstances,
    /// The model folder exists already.
    #[error("{0} already exists; choose another --name, remove it, or pass --force to replace it")]
    Exists(PathBuf),
    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The `max_batch_size` that [`config_pbtxt`] will write for `io` with `options`, after checking
/// Triton's batching rules.
pub fn resolve_max_batch(io: &ModelIo, options: &TritonOptions) -> Result<u32, TritonError> {
    let max_batch = match options.max_batch {
        MaxBatch::Fixed(n) => n,
        MaxBatch::Auto => match io.profile_max_batch {
            Some(max) if io.batch_dim_dynamic() => u32::try_from(max).unwrap_or(u32::MAX),
            _ => 0,
        },
    };
    if max_batch > 0 {
        if let Some(t) = io
            .inputs
            .iter()
            .chain(&io.outputs)
            .find(|t| t.dims.first() != Some(&-1))
        {
            return Err(TritonError::BatchDimNotDynamic {
                max_batch,
                tensor: t.name.clone(),
                dims: t.dims.clone(),
            });
        }
        if let Some(profile_max) = io.profile_max_batch {
            if u64::from(max_batch) > profile_max {
                return Err(TritonError::ExceedsProfile {
                    max_batch,
                    profile_max,
                });
            }
        }
    }
    if options.dynamic_batching && max_batch == 0 {
        return Err(TritonError::DynamicBatchingWithoutBatch);
    }
    if options.instances == Some(0) {
        return Err(TritonError::ZeroInstances);
    }
    Ok(max_batch)
}

/// Checks a Triton model name: a single folder name.
pub fn check_model_name(name: &str) -> Result<(), TritonError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(TritonError::InvalidName(name.into()))
    }
}

/// The `config.pbtxt` of model `name` serving an engine with I/O `io`.
///
/// ```
/// use candle2trt_cli::triton::{config_pbtxt, DataType, MaxBatch, ModelIo, TensorIo, TritonOptions};
///
/// let io = ModelIo {
///     inputs: vec![TensorIo { name: "input".into(), data_type: DataType::Fp32, dims: vec![-1, 3, 224, 224] }],
///     outputs: vec![TensorIo { name: "logits".into(), data_type: DataType::Fp32, dims: vec![-1, 1000] }],
///     profile_max_batch: Some(8),
/// };
/// let options = TritonOptions { max_batch: MaxBatch::Fixed(8), dynamic_batching: true, ..Default::default() };
/// let pbtxt = config_pbtxt("resnet18", &io, &options)?;
/// assert!(pbtxt.contains("max_batch_size: 8"));
/// # Ok::<(), candle2trt_cli::triton::TritonError>(())
/// ```
pub fn config_pbtxt(
    name: &str,
    io: &ModelIo,
    options: &TritonOptions,
) -> Result<String, TritonError> {
    check_model_name(name)?;
    if io.inputs.is_empty() || io.outputs.is_empty() {
        return Err(TritonError::NoIo);
    }
    for t in io.inputs.iter().chain(&io.outputs) {
        if t.name.is_empty() || t.name.chars().any(char::is_control) {
            return Err(TritonError::InvalidTensorName(t.name.clone()));
        }
    }
    let max_batch = resolve_max_batch(io, options)?;
    let mut s = String::new();
    let _ = writeln!(s, "name: {}", quote(name));
    let _ = writeln!(s, "platform: \"tensorrt_plan\"");
    let _ = writeln!(s, "max_batch_size: {max_batch}");
    for (field, tensors) in [("input", &io.inputs), ("output", &io.outputs)] {
        let _ = writeln!(s, "{field}: [");
        for (i, t) in tensors.iter().enumerate() {
            // With an implicit batch, Triton's dims leave dimension 0 out.
            let dims = if max_batch > 0 {
                &t.dims[1..]
            } else {
                &t.dims[..]
            };
            let _ = writeln!(s, "  {{");
            let _ = writeln!(s, "    name: {}", quote(&t.name));
            let _ = writeln!(s, "    data_type: {}", t.data_type.as_str());
            if dims.is_empty() {
                // Triton needs at least one dim: a per-row scalar is [1], reshaped to [] for the
                // engine.
                let _ = writeln!(s, "    dims: [ 1 ]");
                let _ = writeln!(s, "    reshape: {{ shape: [ ] }}");
            } else {
                let _ = writeln!(s, "    dims: [ {} ]", join(dims));
            }
            let _ = writeln!(s, "  }}{}", if i + 1 < tensors.len() { "," } else { "" });
        }
        let _ = writeln!(s, "]");
    }
    if let Some(count) = options.instances {
        let _ = writeln!(s, "instance_group: [");
        let _ = writeln!(s, "  {{");
        let _ = writeln!(s, "    count: {count}");
        let _ = writeln!(s, "    kind: KIND_GPU");
        let _ = writeln!(s, "  }}");
        let _ = writeln!(s, "]");
    }
    if options.dynamic_batching {
        match options.max_queue_delay_us {
            Some(us) => {
                let _ = writeln!(s, "dynamic_batching {{");
                let _ = writeln!(s, "  max_queue_delay_microseconds: {us}");
                let _ = writeln!(s, "}}");
            }
            None => {
                let _ = writeln!(s, "dynamic_batching {{ }}");
            }
        }
    }
    Ok(s)
}

/// A protobuf text-format string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn join(dims: &[i64]) -> String {
    dims.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `repo/name/config.pbtxt` and `repo/name/1/model.plan` atomically: the model folder is
/// assembled under a temporary name inside `repo` and renamed into place, so a failure leaves no
/// partial model (and a `repo` this call created is removed again). An existing model folder is
/// an error unless `replace`, which swaps it out only once the new one is complete.
///
/// Returns the model folder.
pub fn write_repository(
    repo: &Path,
    name: &str,
    config: &str,
    plan: &[u8],
    replace: bool,
) -> Result<PathBuf, TritonError> {
    check_model_name(name)?;
    let dest = repo.join(name);
    if dest.exists() && !replace {
        return Err(TritonError::Exists(dest));
    }
    let created_repo = !repo.exists();
    let io = |op: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| TritonError::Io { op, path, source }
    };
    std::fs::create_dir_all(repo).map_err(io("creating", repo))?;
    // Temporary names independent of `name`'s length, so only the final rename can hit the
    // file-name limit.
    let tag = format!("{}.{}", std::process::id(), unique());
    let tmp = repo.join(format!(".tmp-model.{tag}"));
    let result = (|| {
        let version = tmp.join("1");
        std::fs::create_dir_all(&version).map_err(io("creating", &version))?;
        write_synced(&tmp.join("config.pbtxt"), config.as_bytes())?;
        write_synced(&version.join("model.plan"), plan)?;
        if dest.exists() {
            let old = repo.join(format!(".old-model.{tag}"));
            std::fs::rename(&dest, &old).map_err(io("moving aside", &dest))?;
            if let Err(e) = std::fs::rename(&tmp, &dest) {
                // Put the previous model back: the repository stays as it was.
                let _ = std::fs::rename(&old, &dest);
                return Err(io("renaming into", &dest)(e));
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, &dest).map_err(io("renaming into", &dest))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        if created_repo {
            let _ = std::fs::remove_dir(repo);
        }
        return Err(e);
    }
    Ok(dest)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), TritonError> {
    use std::io::Write as _;
    let err = |source| TritonError::Io {
        op: "writing",
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

fn unique() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(batch_dynamic: bool) -> ModelIo {
        let b = if batch_dynamic { -1 } else { 1 };
        ModelIo {
            inputs: vec![TensorIo {
                name: "input".into(),
                data_type: DataType::Fp32,
                dims: vec![b, 3, 32, 32],
            }],
            outputs: vec![TensorIo {
                name: "logits".into(),
                data_type: DataType::Fp16,
                dims: vec![b, 10],
            }],
            profile_max_batch: batch_dynamic.then_some(8),
        }
    }

    #[test]
    fn auto_max_batch_follows_the_engine() {
        let auto = TritonOptions::default();
        assert_eq!(resolve_max_batch(&io(true), &auto).unwrap(), 8);
        assert_eq!(resolve_max_batch(&io(false), &auto).unwrap(), 0);
    }

    #[test]
    fn batching_rules_are_enforced() {
        let fixed = |n| TritonOptions {
            max_batch: MaxBatch::Fixed(n),
            ..Default::default()
        };
        assert!(matches!(
            resolve_max_batch(&io(false), &fixed(4)),
            Err(TritonError::BatchDimNotDynamic { ref tensor, .. }) if tensor == "input"
        ));
        assert!(matches!(
            resolve_max_batch(&io(true), &fixed(16)),
            Err(TritonError::ExceedsProfile { profile_max: 8, .. })
        ));
        let dynamic = TritonOptions {
            max_batch: MaxBatch::Fixed(0),
            dynamic_batching: true,
            ..Default::default()
        };
        assert!(matches!(
            resolve_max_batch(&io(true), &dynamic),
            Err(TritonError::DynamicBatchingWithoutBatch)
        ));
        let zero = TritonOptions {
            instances: Some(0),
            ..Default::default()
        };
        assert!(matches!(
            resolve_max_batch(&io(true), &zero),
            Err(TritonError::ZeroInstances)
        ));
    }

    #[test]
    fn names_are_checked_and_quoted() {
        for bad in ["", ".hidden", "a/b", "a b", "..", "x\n"] {
            assert!(check_model_name(bad).is_err(), "{bad:?}");
        }
        check_model_name("resnet18_fp16-v2.1").unwrap();
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn repository_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let model = write_repository(&repo, "m", "name: \"m\"\n", b"PLAN", false).unwrap();
        assert_eq!(std::fs::read(model.join("1/model.plan")).unwrap(), b"PLAN");
        // A second write without `replace` fails and leaves the first intact.
        assert!(matches!(
            write_repository(&repo, "m", "x", b"NEW", false),
            Err(TritonError::Exists(_))
        ));
        assert_eq!(std::fs::read(model.join("1/model.plan")).unwrap(), b"PLAN");
        write_repository(&repo, "m", "x", b"NEW", true).unwrap();
        assert_eq!(std::fs::read(model.join("1/model.plan")).unwrap(), b"NEW");
        // No temporary folders are left behind.
        let names: Vec<_> = std::fs::read_dir(&repo)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("m")]);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // `repo` is a file: creating the repository fails, and no folder appears.
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(write_repository(&file, "m", "x", b"P", false).is_err());
        assert!(file.is_file());
        // A name over the file-name limit: the model is assembled, the final rename fails; the
        // temporary folder and the repository this call created are removed again.
        let repo = dir.path().join("repo");
        let long = "m".repeat(300);
        let err = write_repository(&repo, &long, "x", b"P", false).unwrap_err();
        assert!(
            matches!(
                err,
                TritonError::Io {
                    op: "renaming into",
                    ..
                }
            ),
            "{err}"
        );
        assert!(!repo.exists());
        // In an existing repository, the failure leaves its other models alone.
        write_repository(&repo, "kept", "x", b"P", false).unwrap();
        assert!(write_repository(&repo, &long, "x", b"P", false).is_err());
        let names: Vec<_> = std::fs::read_dir(&repo)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("kept")]);
    }
}
