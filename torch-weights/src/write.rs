//! Writing checkpoints as safetensors, atomically, optionally sharded.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use candle_core::DType;

use crate::checkpoint::Checkpoint;
use crate::dtype::StoredDType;
use crate::error::{Error, Result};
use crate::tensor::TensorInfo;

/// Options for [`Checkpoint::save_safetensors`].
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    dtype: Option<StoredDType>,
    shard_size: Option<u64>,
}

impl SaveOptions {
    /// Defaults: dtypes kept, one file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Converts floating-point tensors to `dtype` (a float dtype); integer and boolean tensors
    /// are written as they are.
    pub fn dtype(mut self, dtype: DType) -> Result<Self> {
        let st = StoredDType::from_candle(dtype)
            .filter(|d| d.is_float())
            .ok_or_else(|| Error::Unsupported {
                what: format!("conversion target {dtype:?} (use f64, f32, f16 or bf16)"),
            })?;
        self.dtype = Some(st);
        Ok(self)
    }

    /// Splits the output into shards of at most `bytes` of tensor data each (a larger tensor
    /// gets a shard of its own) with a Hugging Face `*.safetensors.index.json`.
    pub fn shard_size(mut self, bytes: u64) -> Self {
        self.shard_size = Some(bytes.max(1));
        self
    }
}

fn decode(bytes: &[u8], from: StoredDType) -> impl Iterator<Item = f64> + '_ {
    let es = from.size_in_bytes();
    bytes.chunks_exact(es).map(move |c| match from {
        StoredDType::F64 => f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        StoredDType::F32 => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        StoredDType::F16 => half::f16::from_le_bytes([c[0], c[1]]).to_f64(),
        _ => half::bf16::from_le_bytes([c[0], c[1]]).to_f64(),
    })
}

/// Converts little-endian float elements between float dtypes (round to nearest even).
fn convert_floats(bytes: &[u8], from: StoredDType, to: StoredDType) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / from.size_in_bytes() * to.size_in_bytes());
    for x in decode(bytes, from) {
        match to {
            StoredDType::F64 => out.extend_from_slice(&x.to_le_bytes()),
            StoredDType::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
            StoredDType::F16 => out.extend_from_slice(&half::f16::from_f64(x).to_le_bytes()),
            _ => out.extend_from_slice(&half::bf16::from_f64(x).to_le_bytes()),
        }
    }
    out
}

struct Planned<'a> {
    name: &'a str,
    info: &'a TensorInfo,
    dtype: StoredDType,
    nbytes: u64,
}

impl Planned<'_> {
    fn bytes(&self) -> Cow<'_, [u8]> {
        let raw = self.info.contiguous_bytes();
        if self.dtype == self.info.dtype() {
            raw
        } else {
            Cow::Owned(convert_floats(&raw, self.info.dtype(), self.dtype))
        }
    }
}

fn tmp_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    final_path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn write_shard(path: &Path, tensors: &[Planned<'_>], metadata: &serde_json::Value) -> Result<()> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), metadata.clone());
    let mut offset = 0u64;
    for t in tensors {
        header.insert(
            t.name.to_string(),
            serde_json::json!({
                "dtype": t.dtype.safetensors_name(),
                "shape": t.info.shape(),
                "data_offsets": [offset, offset + t.nbytes],
            }),
        );
        offset += t.nbytes;
    }
    let mut json = serde_json::to_vec(&serde_json::Value::Object(header))?;
    while json.len() % 8 != 0 {
        json.push(b' ');
    }
    let io = |e| Error::io(format!("writing {}", path.display()), e);
    let file = File::create(path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(&(json.len() as u64).to_le_bytes())
        .map_err(io)?;
    w.write_all(&json).map_err(io)?;
    for t in tensors {
        w.write_all(&t.bytes()).map_err(io)?;
    }
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(())
}

impl Checkpoint {
    /// Writes the tensors as safetensors at `out`, atomically: everything is written to
    /// temporary files in the same directory, synced, then renamed into place, so a failure
    /// leaves no partial output. With [`SaveOptions::shard_size`], writes
    /// `<stem>-0000i-of-0000n.safetensors` shards and `<stem>.safetensors.index.json` next to
    /// `out` instead. Returns the paths written.
    pub fn save_safetensors(
        &self,
        out: impl AsRef<Path>,
        opts: &SaveOptions,
    ) -> Result<Vec<PathBuf>> {
        let out = out.as_ref();
        self.save_inner(out, opts).map_err(|e| e.with_path(out))
    }

    fn save_inner(&self, out: &Path, opts: &SaveOptions) -> Result<Vec<PathBuf>> {
        let planned: Vec<Planned<'_>> = self
            .tensors()
            .map(|(name, info)| {
                let dtype = match opts.dtype {
                    Some(d) if info.dtype().is_float() => d,
                    _ => info.dtype(),
                };
                Planned {
                    name,
                    info,
                    dtype,
                    nbytes: (info.numel() * dtype.size_in_bytes()) as u64,
                }
            })
            .collect();
        let metadata = serde_json::json!({"format": "pt"});
        let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = (|| -> Result<()> {
            match opts.shard_size {
                None => {
                    let tmp = tmp_path(out);
                    written.push((tmp.clone(), out.to_path_buf()));
                    write_shard(&tmp, &planned, &metadata)?;
                }
                Some(limit) => {
                    let mut shards: Vec<Vec<Planned<'_>>> = Vec::new();
                    let mut size = 0u64;
                    for p in planned {
                        if shards.is_empty() || (size + p.nbytes > limit && size > 0) {
                            shards.push(Vec::new());
                            size = 0;
                        }
                        size += p.nbytes;
                        if let Some(s) = shards.last_mut() {
                            s.push(p);
                        }
                    }
                    let file_name = out
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "model.safetensors".into());
                    let stem = file_name.strip_suffix(".safetensors").unwrap_or(&file_name);
                    let n = shards.len();
                    let mut weight_map = serde_json::Map::new();
                    let mut total = 0u64;
                    for (i, shard) in shards.iter().enumerate() {
                        let shard_name = format!("{stem}-{:05}-of-{n:05}.safetensors", i + 1);
                        let final_path = out.with_file_name(&shard_name);
                        let tmp = tmp_path(&final_path);
                        written.push((tmp.clone(), final_path));
                        write_shard(&tmp, shard, &metadata)?;
                        for t in shard {
                            weight_map.insert(
                                t.name.to_string(),
                                serde_json::Value::from(shard_name.clone()),
                            );
                            total += t.nbytes;
                        }
                    }
                    let index = serde_json::json!({
                        "metadata": {"total_size": total},
                        "weight_map": weight_map,
                    });
                    let final_path = out.with_file_name(format!("{stem}.safetensors.index.json"));
                    let tmp = tmp_path(&final_path);
                    written.push((tmp.clone(), final_path));
                    let json = serde_json::to_vec_pretty(&index)?;
                    std::fs::write(&tmp, json)
                        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
                }
            }
            for (tmp, fin) in &written {
                std::fs::rename(tmp, fin)
                    .map_err(|e| Error::io(format!("renaming to {}", fin.display()), e))?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(written.into_iter().map(|(_, f)| f).collect()),
            Err(e) => {
                for (tmp, _) in &written {
                    let _ = std::fs::remove_file(tmp);
                }
                Err(e)
            }
        }
    }
}
