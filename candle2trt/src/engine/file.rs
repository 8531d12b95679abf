//! The engine file: an [`EngineMeta`] header, the serialized engine, a checksum.
//!
//! ```text
//! "C2TRTENG"  u32 format version  u64 header length  header (UTF-8 key=value lines)
//! u64 engine length  engine bytes  u64 FNV-1a of everything before it
//! ```
//!
//! All integers are little-endian. Header keys this version does not know are ignored (a newer
//! writer may add some). Version 1 files (precision as `fp16=0|1`, no options) still read.
//! `fingerprint.<name>=<value>` lines hold the [`Fingerprint`](super::Fingerprint) (version 2
//! readers that predate it ignore them).
//!
//! Nothing is trusted before TensorRT sees the engine: besides magic, version, lengths and
//! checksum, [`decode`] checks that the header is consistent (unique I/O names, ranks that match
//! the profiles, dynamic inputs with a profile, static dims equal to the profile's) and that it
//! matches the engine bytes: the TensorRT version stamped in a TensorRT-RTX engine's own header
//! equals the header's `tensorrt=`, and every I/O name the header lists is a tensor name the
//! engine bytes declare.

use std::fmt::Write as _;

use candle_core::DType;

use super::meta::{EngineMeta, IoSpec, LayerInfo, Precision};
use crate::options::{Fp32Policy, ShapeRange};

const MAGIC: &[u8; 8] = b"C2TRTENG";
/// Version 2 added `precision=`, `fp32_policy=`, `optimization_level=` and `max_workspace=`;
/// `tf32=` came later in version 2 (absent: on, TensorRT's default, which older writers kept).
const FORMAT_VERSION: u32 = 2;
/// Refuse headers larger than this: a corrupt length must not make us allocate gigabytes.
const MAX_HEADER: u64 = 64 << 20;

/// The file's bytes for `meta` and the serialized `engine`.
pub(crate) fn encode(meta: &EngineMeta, engine: &[u8]) -> Vec<u8> {
    let header = header_text(meta);
    let mut out = Vec::with_capacity(engine.len() + header.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&(engine.len() as u64).to_le_bytes());
    out.extend_from_slice(engine);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The header and the engine bytes of a file written by [`encode`]; the error says what is
/// wrong with it.
pub(crate) fn decode(bytes: &[u8]) -> Result<(EngineMeta, Vec<u8>), String> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(8)? != MAGIC {
        return Err("wrong magic bytes (not written by TrtModule::save)".into());
    }
    let version = u32::from_le_bytes(r.array()?);
    if !(1..=FORMAT_VERSION).contains(&version) {
        return Err(format!(
            "format version {version}, this build reads 1 to {FORMAT_VERSION}"
        ));
    }
    let header_len = u64::from_le_bytes(r.array()?);
    if header_len > MAX_HEADER {
        return Err(format!("header length {header_len} is implausible"));
    }
    let header = std::str::from_utf8(r.take(header_len as usize)?)
        .map_err(|_| "header is not UTF-8".to_string())?;
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
    let meta = parse_header(header)?;
    check_io(&meta)?;
    check_against_engine(&meta, &engine)?;
    Ok((meta, engine))
}

/// The TensorRT-RTX engine magic; the version stamp is at bytes 24..27 (major, minor, patch).
const RTX_ENGINE_MAGIC: &[u8; 4] = b"vtrt";

/// The TensorRT version stamped in the serialized engine's own header, where its layout is known
/// (TensorRT-RTX engines).
pub(crate) fn engine_stamp(engine: &[u8]) -> Option<String> {
    if engine.len() < 27 || &engine[..4] != RTX_ENGINE_MAGIC {
        return None;
    }
    Some(format!("{}.{}.{}", engine[24], engine[25], engine[26]))
}

/// The header's I/O list is consistent in itself.
fn check_io(m: &EngineMeta) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (kind, io) in m
        .inputs
        .iter()
        .map(|io| ("input", io))
        .chain(m.outputs.iter().map(|io| ("output", io)))
    {
        if io.name.is_empty() || !seen.insert(io.name.as_str()) {
            return Err(format!(
                "the header lists the I/O name {:?} twice or empty",
                io.name
            ));
        }
        if kind == "input" && io.dims.iter().any(|&d| d < 0) {
            let Some(p) = &io.profile else {
                return Err(format!(
                    "the header lies about input {:?}: dims {:?} are dynamic but it has no \
                     optimization profile",
                    io.name, io.dims
                ));
            };
            for (d, &want) in io.dims.iter().enumerate() {
                let (lo, opt, hi) = (p.min[d], p.opt[d], p.max[d]);
                let bad_range = !(lo <= opt && opt <= hi);
                let bad_static = want >= 0 && (lo as i64 != want || hi as i64 != want);
                if bad_range || bad_static || want < -1 {
                    return Err(format!(
                        "the header lies about input {:?}: dimension {d} is {want} with the \
                         profile range {lo}/{opt}/{hi}",
                        io.name
                    ));
                }
            }
        } else if io.dims.iter().any(|&d| d < -1) {
            return Err(format!(
                "the header lies about {kind} {:?}: dims {:?}",
                io.name, io.dims
            ));
        }
    }
    Ok(())
}

/// The header agrees with the engine bytes on the TensorRT version and the I/O names.
fn check_against_engine(m: &EngineMeta, engine: &[u8]) -> Result<(), String> {
    if let Some(stamp) = engine_stamp(engine) {
        let header: Vec<&str> = m.tensorrt_version.split('.').take(3).collect();
        if header.join(".") != stamp {
            return Err(format!(
                "the engine bytes were built by TensorRT {stamp}, the header says TensorRT {}",
                m.tensorrt_version
            ));
        }
        // TensorRT-RTX engines declare each I/O tensor name as a u64 length and its bytes.
        for io in m.inputs.iter().chain(&m.outputs) {
            let mut needle = (io.name.len() as u64).to_le_bytes().to_vec();
            needle.extend_from_slice(io.name.as_bytes());
            if !engine.windows(needle.len()).any(|w| w == needle.as_slice()) {
                return Err(format!(
                    "the header lies about I/O: the engine bytes declare no tensor named {:?}",
                    io.name
                ));
            }
        }
    }
    Ok(())
}

fn header_text(meta: &EngineMeta) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "tensorrt={}", meta.tensorrt_version);
    let _ = writeln!(h, "precision={}", meta.precision.as_str());
    let _ = writeln!(h, "fp32_policy={}", policy_text(&meta.fp32_policy));
    let _ = writeln!(
        h,
        "optimization_level={}",
        optional(meta.builder_optimization_level)
    );
    let _ = writeln!(h, "max_workspace={}", optional(meta.max_workspace));
    let _ = writeln!(h, "tf32={}", u8::from(meta.tf32));
    for (name, value) in meta.fingerprint.fields() {
        let _ = writeln!(h, "fingerprint.{name}={value}");
    }
    for (kind, specs) in [("input", &meta.inputs), ("output", &meta.outputs)] {
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
    for l in &meta.layers {
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

fn parse_header(header: &str) -> Result<EngineMeta, String> {
    let mut m = EngineMeta {
        tf32: true,
        ..EngineMeta::default()
    };
    for line in header.lines() {
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        let bad = || format!("bad {key} line {line:?}");
        match key {
            "tensorrt" => m.tensorrt_version = value.to_string(),
            // Version 1.
            "fp16" => {
                m.precision = match value {
                    "1" => Precision::Fp16,
                    _ => Precision::Fp32,
                }
            }
            "precision" => m.precision = value.parse()?,
            "fp32_policy" => m.fp32_policy = parse_policy(value).ok_or_else(bad)?,
            "optimization_level" => {
                m.builder_optimization_level = parse_optional(value).ok_or_else(bad)?
            }
            "max_workspace" => m.max_workspace = parse_optional(value).ok_or_else(bad)?,
            "tf32" => {
                m.tf32 = match value {
                    "1" => true,
                    "0" => false,
                    _ => return Err(bad()),
                }
            }
            _ if key.starts_with("fingerprint.") => {
                m.fingerprint.set(&key["fingerprint.".len()..], value);
            }
            "input" | "output" => {
                let spec = parse_io(value).ok_or_else(bad)?;
                if key == "input" {
                    m.inputs.push(spec)
                } else {
                    m.outputs.push(spec)
                }
            }
            "layer" => {
                let f: Vec<&str> = value.split('\t').collect();
                if f.len() != 5 {
                    return Err(bad());
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

/// The policy's f32 op families, comma-separated (`-` for none).
fn policy_text(p: &Fp32Policy) -> String {
    let on: Vec<&str> = [
        ("softmax", p.softmax),
        ("normalization", p.normalization),
        ("reductions", p.reductions),
        ("transcendental", p.transcendental),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    if on.is_empty() {
        "-".into()
    } else {
        on.join(",")
    }
}

fn parse_policy(s: &str) -> Option<Fp32Policy> {
    let mut p = Fp32Policy::none();
    if s == "-" {
        return Some(p);
    }
    for name in s.split(',') {
        match name {
            "softmax" => p.softmax = true,
            "normalization" => p.normalization = true,
            "reductions" => p.reductions = true,
            "transcendental" => p.transcendental = true,
            _ => return None,
        }
    }
    Some(p)
}

fn optional<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

fn parse_optional<T: std::str::FromStr>(s: &str) -> Option<Option<T>> {
    match s {
        "-" => Some(None),
        s => s.parse().ok().map(Some),
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
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
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

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> EngineMeta {
        EngineMeta {
            inputs: vec![IoSpec {
                name: "x".into(),
                dtype: DType::F32,
                dims: vec![-1, 3],
                profile: Some(ShapeRange {
                    min: vec![1, 3],
                    opt: vec![2, 3],
                    max: vec![4, 3],
                }),
            }],
            outputs: vec![IoSpec {
                name: "y".into(),
                dtype: DType::F16,
                dims: vec![-1, 1],
                profile: None,
            }],
            layers: vec![LayerInfo {
                name: "block/conv2d_0".into(),
                op: "conv2d".into(),
                module_path: "block".into(),
                layer_type: "Convolution".into(),
                folded_into: Some("block/batch_norm".into()),
            }],
            tensorrt_version: "1.7.0".into(),
            precision: Precision::Fp16,
            fp32_policy: Fp32Policy {
                reductions: false,
                ..Fp32Policy::default()
            },
            builder_optimization_level: Some(3),
            max_workspace: None,
            tf32: false,
            fingerprint: {
                let mut f = super::super::Fingerprint::default();
                f.set("weights", "0123456789abcdef").set("gpu", "default");
                f
            },
        }
    }

    /// Every field of the header survives the round trip.
    #[test]
    fn header_round_trip() {
        let (read, engine) = decode(&encode(&meta(), b"engine")).unwrap();
        assert_eq!(read, meta());
        assert_eq!(engine, b"engine");
    }

    /// A version-1 file (precision as `fp16=1`, no options) still reads.
    #[test]
    fn version_1_files_still_read() {
        let header = "tensorrt=1.7.0\nfp16=1\ninput=x\tf32\t2,3\t-\noutput=y\tf32\t2\t-\n";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&3u64.to_le_bytes());
        bytes.extend_from_slice(b"eng");
        let sum = fnv1a(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        let (read, engine) = decode(&bytes).unwrap();
        assert_eq!(read.precision, Precision::Fp16);
        assert_eq!(read.inputs[0].dims, [2, 3]);
        assert_eq!(read.fp32_policy, Fp32Policy::default());
        // Written before TF32 was an option: TensorRT's default (on) was in force.
        assert!(read.tf32);
        assert_eq!(engine, b"eng");
        bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
        assert!(decode(&bytes).unwrap_err().contains("format version 3"));
    }
}
