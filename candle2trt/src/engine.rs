//! [`TrtModule`]: a converted model — the serialized engine, its I/O description and the
//! conversion report — with atomic save, checked load, and `forward` on candle CUDA tensors.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use candle_core::{DType, Tensor};

use crate::options::ShapeRange;
use crate::trace::LayerInfo;
use crate::{Error, Result};

/// An engine input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoSpec {
    /// The tensor's name in the engine.
    pub name: String,
    /// The candle dtype it holds (the engine's I/O type; `fp16_mode` casts inside the engine).
    pub dtype: DType,
    /// TensorRT's dimensions; `-1` marks a dynamic one.
    pub dims: Vec<i64>,
    /// For inputs with dynamic dimensions: the optimization profile's range.
    pub profile: Option<ShapeRange>,
}

impl IoSpec {
    /// Whether `dims` fits: same rank, equal static dims, dynamic dims within the profile.
    pub(crate) fn accepts(&self, dims: &[usize]) -> std::result::Result<(), String> {
        if dims.len() != self.dims.len() {
            return Err(format!(
                "rank {} (shape {dims:?}) but the engine expects rank {} ({:?})",
                dims.len(),
                self.dims.len(),
                self.dims
            ));
        }
        for (d, (&got, &want)) in dims.iter().zip(&self.dims).enumerate() {
            if want >= 0 && got as i64 != want {
                return Err(format!(
                    "shape {dims:?}: dimension {d} is {got}, the engine expects {want} ({:?})",
                    self.dims
                ));
            }
            if want < 0 {
                if let Some(p) = &self.profile {
                    if got < p.min[d] || got > p.max[d] {
                        return Err(format!(
                            "shape {dims:?}: dimension {d} is {got}, outside the optimization \
                             profile's {}..={}",
                            p.min[d], p.max[d]
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A model converted into a TensorRT engine.
///
/// Made by [`convert`](crate::convert) or [`TrtModule::load`]. [`forward`](Self::forward)
/// runs it on candle CUDA tensors (feature `cuda`), so a converted submodule can replace its
/// candle original inside a larger candle model: the surrounding candle code hands it CUDA
/// tensors and receives CUDA tensors back, on the same stream.
pub struct TrtModule {
    engine: Vec<u8>,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
    layers: Vec<LayerInfo>,
    tensorrt_version: String,
    fp16_mode: bool,
    reference_outputs: Vec<Tensor>,
    timings: Option<(Duration, Duration)>,
    #[cfg(feature = "cuda")]
    pub(crate) runtime: crate::runtime::RuntimeCell,
}

impl std::fmt::Debug for TrtModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrtModule")
            .field("engine_bytes", &self.engine.len())
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .field("layers", &self.layers.len())
            .field("tensorrt_version", &self.tensorrt_version)
            .field("fp16_mode", &self.fp16_mode)
            .finish()
    }
}

const MAGIC: &[u8; 8] = b"C2TRTENG";
const FORMAT_VERSION: u32 = 1;
/// Refuse headers larger than this: a corrupt length must not make us allocate gigabytes.
const MAX_HEADER: u64 = 64 << 20;

impl TrtModule {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: Vec<u8>,
        inputs: Vec<IoSpec>,
        outputs: Vec<IoSpec>,
        layers: Vec<LayerInfo>,
        tensorrt_version: String,
        fp16_mode: bool,
        reference_outputs: Vec<Tensor>,
        timings: Option<(Duration, Duration)>,
    ) -> Self {
        TrtModule {
            engine,
            inputs,
            outputs,
            layers,
            tensorrt_version,
            fp16_mode,
            reference_outputs,
            timings,
            #[cfg(feature = "cuda")]
            runtime: Default::default(),
        }
    }

    /// The serialized TensorRT engine (what `trtexec --loadEngine` reads).
    pub fn engine_bytes(&self) -> &[u8] {
        &self.engine
    }

    /// The engine's inputs, in the model's order.
    pub fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    /// The engine's outputs, in the model's order.
    pub fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    /// Every layer the converters added, with the op and module path that added it.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// The version of the TensorRT library that built the engine (engines only run on it).
    pub fn tensorrt_version(&self) -> &str {
        &self.tensorrt_version
    }

    /// Whether the engine computes in f16.
    pub fn fp16_mode(&self) -> bool {
        self.fp16_mode
    }

    /// candle's outputs for the sample inputs, computed while tracing (empty after `load`).
    pub fn reference_outputs(&self) -> &[Tensor] {
        &self.reference_outputs
    }

    /// Time spent tracing the model and building the engine (`None` after `load`).
    pub fn conversion_times(&self) -> Option<(Duration, Duration)> {
        self.timings
    }

    /// A human-readable report: I/O, layer counts per op, folded layers.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "TensorRT {} engine, {} bytes, {}",
            self.tensorrt_version,
            self.engine.len(),
            if self.fp16_mode { "fp16" } else { "fp32" }
        );
        for (kind, specs) in [("input", &self.inputs), ("output", &self.outputs)] {
            for io in specs {
                let _ = write!(s, "  {kind} {}: {:?} {:?}", io.name, io.dtype, io.dims);
                if let Some(p) = &io.profile {
                    let _ = write!(s, " (min {:?}, opt {:?}, max {:?})", p.min, p.opt, p.max);
                }
                s.push('\n');
            }
        }
        let folded = self
            .layers
            .iter()
            .filter(|l| l.folded_into.is_some())
            .count();
        let _ = writeln!(
            s,
            "  {} layers ({} folded away):",
            self.layers.len(),
            folded
        );
        for l in &self.layers {
            let _ = write!(s, "    {:<40} {:<16} {}", l.name, l.layer_type, l.op);
            if let Some(into) = &l.folded_into {
                let _ = write!(s, " (folded into {into})");
            }
            s.push('\n');
        }
        s
    }

    /// Writes the engine file atomically: a temporary file in the same directory, synced, then
    /// renamed over `path`. On failure no file is left behind (and an existing `path` is intact).
    ///
    /// The file holds a small header (I/O names, dtypes, shapes, profiles, TensorRT version,
    /// layer report), the engine bytes and a checksum; [`engine_bytes`](Self::engine_bytes)
    /// gives the bare engine for other tools.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_file_bytes();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path.file_name().ok_or_else(|| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
        })?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(
            ".{}.tmp.{}.{nanos}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)
        };
        match write() {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(io(e))
            }
        }
    }

    /// Reads an engine file written by [`save`](Self::save). A file that is not one (wrong
    /// magic, truncated, corrupt) is an [`Error::InvalidEngineFile`]; nothing is handed to
    /// TensorRT until it checks out.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_file_bytes(&bytes).map_err(|reason| Error::InvalidEngineFile {
            path: path.to_path_buf(),
            reason,
        })
    }

    fn header_text(&self) -> String {
        let mut h = String::new();
        let _ = writeln!(h, "tensorrt={}", self.tensorrt_version);
        let _ = writeln!(h, "fp16={}", u8::from(self.fp16_mode));
        for (kind, specs) in [("input", &self.inputs), ("output", &self.outputs)] {
            for io in specs {
                let profile = match &io.profile {
                    Some(p) => format!("{};{};{}", join(&p.min), join(&p.opt), join(&p.max)),
                    None => "-".into(),
                };
                let _ = writeln!(
                    h,
                    "{kind}={}\t{}\t{}\t{profile}",
                    io.name,
                    io.dtype.as_str(),
                    join(&io.dims)
                );
            }
        }
        for l in &self.layers {
            let _ = writeln!(
                h,
                "layer={}\t{}\t{}\t{}\t{}",
                l.name.replace(['\t', '\n'], " "),
                l.op,
                l.module_path,
                l.layer_type,
                l.folded_into.as_deref().unwrap_or("-")
            );
        }
        h
    }

    fn to_file_bytes(&self) -> Vec<u8> {
        let header = self.header_text();
        let mut out = Vec::with_capacity(self.engine.len() + header.len() + 40);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&(self.engine.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.engine);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    fn from_file_bytes(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err("wrong magic bytes (not written by TrtModule::save)".into());
        }
        let version = u32::from_le_bytes(r.array()?);
        if version != FORMAT_VERSION {
            return Err(format!(
                "format version {version}, this build reads {FORMAT_VERSION}"
            ));
        }
        let header_len = u64::from_le_bytes(r.array()?);
        if header_len > MAX_HEADER {
            return Err(format!("header length {header_len} is implausible"));
        }
        let header = std::str::from_utf8(r.take(header_len as usize)?)
            .map_err(|_| "header is not UTF-8".to_string())?
            .to_string();
        let engine_len = u64::from_le_bytes(r.array()?);
        if engine_len > bytes.len() as u64 {
            return Err(format!(
                "engine length {engine_len} exceeds the file size {}",
                bytes.len()
            ));
        }
        let engine = r.take(engine_len as usize)?.to_vec();
        let body_end = r.pos;
        let sum = u64::from_le_bytes(r.array()?);
        if r.pos != bytes.len() {
            return Err(format!("{} trailing bytes", bytes.len() - r.pos));
        }
        if fnv1a(&bytes[..body_end]) != sum {
            return Err("checksum mismatch (the file is corrupt)".into());
        }
        let mut m = TrtModule::new(
            engine,
            vec![],
            vec![],
            vec![],
            String::new(),
            false,
            vec![],
            None,
        );
        for line in header.lines() {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("bad header line {line:?}"))?;
            match key {
                "tensorrt" => m.tensorrt_version = value.to_string(),
                "fp16" => m.fp16_mode = value == "1",
                "input" | "output" => {
                    let spec = parse_io(value).ok_or_else(|| format!("bad {key} line {line:?}"))?;
                    if key == "input" {
                        m.inputs.push(spec)
                    } else {
                        m.outputs.push(spec)
                    }
                }
                "layer" => {
                    let f: Vec<&str> = value.split('\t').collect();
                    if f.len() != 5 {
                        return Err(format!("bad layer line {line:?}"));
                    }
                    m.layers.push(LayerInfo {
                        name: f[0].into(),
                        op: f[1].into(),
                        module_path: f[2].into(),
                        layer_type: f[3].into(),
                        folded_into: (f[4] != "-").then(|| f[4].to_string()),
                    });
                }
                _ => {} // Unknown keys: written by a newer version, safe to ignore.
            }
        }
        if m.inputs.is_empty() || m.outputs.is_empty() {
            return Err("the header lists no inputs or no outputs".into());
        }
        Ok(m)
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
        self.check_inputs(inputs)?;
        #[cfg(feature = "cuda")]
        {
            crate::runtime::forward(self, inputs)
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

    /// Checks count, device, dtype, contiguity and shape of the inputs.
    pub(crate) fn check_inputs(&self, inputs: &[&Tensor]) -> Result<()> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::ModelInterface(format!(
                "the engine takes {} inputs, {} were given",
                self.inputs.len(),
                inputs.len()
            )));
        }
        for (index, (x, spec)) in inputs.iter().zip(&self.inputs).enumerate() {
            let bad = |reason: String| Error::InvalidInput {
                index,
                name: spec.name.clone(),
                reason,
            };
            if !x.device().is_cuda() {
                return Err(bad(format!(
                    "on {:?}; the engine reads CUDA device memory",
                    x.device().location()
                )));
            }
            if x.dtype() != spec.dtype {
                return Err(bad(format!(
                    "dtype {:?}, the engine expects {:?}",
                    x.dtype(),
                    spec.dtype
                )));
            }
            if !x.is_contiguous() {
                return Err(bad("not contiguous; call .contiguous() first".into()));
            }
            spec.accepts(x.dims()).map_err(bad)?;
        }
        Ok(())
    }
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_list<T: std::str::FromStr>(s: &str) -> Option<Vec<T>> {
    if s.is_empty() {
        return Some(vec![]);
    }
    s.split(',').map(|x| x.parse().ok()).collect()
}

fn parse_io(value: &str) -> Option<IoSpec> {
    let f: Vec<&str> = value.split('\t').collect();
    let [name, dtype, dims, profile] = f.as_slice() else {
        return None;
    };
    let dtype: DType = dtype.parse().ok()?;
    let profile = match *profile {
        "-" => None,
        p => {
            let parts: Vec<&str> = p.split(';').collect();
            let [min, opt, max] = parts.as_slice() else {
                return None;
            };
            Some(ShapeRange {
                min: parse_list(min)?,
                opt: parse_list(opt)?,
                max: parse_list(max)?,
            })
        }
    };
    let dims: Vec<i64> = parse_list(dims)?;
    if let Some(p) = &profile {
        if [&p.min, &p.opt, &p.max]
            .iter()
            .any(|v| v.len() != dims.len())
        {
            return None;
        }
    }
    Some(IoSpec {
        name: name.to_string(),
        dtype,
        dims,
        profile,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(format!(
                "truncated: needed {n} bytes at offset {}, the file has {}",
                self.pos,
                self.bytes.len()
            )),
        }
    }

    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], String> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

/// FNV-1a, 64 bits: enough to catch corruption (not an integrity guarantee against tampering).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
