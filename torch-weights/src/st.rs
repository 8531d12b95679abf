//! safetensors files: single files and Hugging Face sharded sets.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::dtype::StoredDType;
use crate::error::{Error, Result};
use crate::tensor::{Bytes, NamedTensors, RawLayout, TensorInfo};

/// Whether `data` starts like a safetensors file (8-byte header length, then a JSON object).
pub(crate) fn is_safetensors(data: &[u8]) -> bool {
    if data.len() < 9 {
        return false;
    }
    let mut a = [0u8; 8];
    a.copy_from_slice(&data[..8]);
    // A header length past the end is still recognized, so that the parser reports it.
    u64::from_le_bytes(a) >= 2 && data[8] == b'{'
}

/// Tensors of one safetensors file, in file order.
pub(crate) fn load_safetensors(
    source: Arc<Bytes>,
    max_expanded_bytes: u64,
) -> Result<(NamedTensors, BTreeMap<String, String>)> {
    let (header_len, meta) =
        safetensors::SafeTensors::read_metadata(&source).map_err(|e| Error::SafeTensors {
            reason: e.to_string(),
        })?;
    let data_start = 8usize
        .checked_add(header_len)
        .ok_or_else(|| Error::SafeTensors {
            reason: "header length overflows".into(),
        })?;
    let infos = meta.tensors();
    let mut out = Vec::with_capacity(infos.len());
    for name in meta.offset_keys() {
        let Some(info) = infos.get(&name) else {
            continue;
        };
        let dtype_name = format!("{:?}", info.dtype);
        let dtype = StoredDType::from_safetensors_name(&dtype_name).ok_or_else(|| {
            Error::UnsupportedDType {
                tensor: name.clone(),
                dtype: dtype_name.clone(),
            }
        })?;
        let (begin, end) = info.data_offsets;
        let es = dtype.size_in_bytes();
        let len = end.checked_sub(begin).ok_or_else(|| Error::SafeTensors {
            reason: format!("tensor `{name}` has decreasing data offsets"),
        })?;
        if len % es != 0 {
            return Err(Error::SafeTensors {
                reason: format!(
                    "tensor `{name}`: {len} bytes is not a whole number of {dtype} elements"
                ),
            });
        }
        let start = data_start
            .checked_add(begin)
            .ok_or_else(|| Error::SafeTensors {
                reason: format!("tensor `{name}` offset overflows"),
            })?;
        let shape: Vec<u64> = info.shape.iter().map(|&d| d as u64).collect();
        let t = TensorInfo::new(
            &name,
            source.clone(),
            RawLayout {
                dtype,
                shape,
                strides: None,
                offset: 0,
                storage_start: start,
                storage_numel: (len / es) as u64,
                big_endian: false,
            },
            max_expanded_bytes,
        )?;
        if t.size_in_bytes() != len {
            return Err(Error::SafeTensors {
                reason: format!(
                    "tensor `{name}`: shape {:?} needs {} bytes but the offsets span {len}",
                    t.shape(),
                    t.size_in_bytes()
                ),
            });
        }
        out.push((name, t));
    }
    let metadata = meta
        .metadata()
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok((out, metadata))
}

#[derive(serde::Deserialize)]
struct IndexFile {
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    weight_map: BTreeMap<String, String>,
}

/// Shard file names named by an index, in first-use order.
pub(crate) fn parse_index(json: &[u8]) -> Result<BTreeMap<String, String>> {
    let idx: IndexFile = serde_json::from_slice(json).map_err(|e| Error::Index {
        reason: e.to_string(),
    })?;
    let _ = idx.metadata;
    for shard in idx.weight_map.values() {
        let p = Path::new(shard);
        if shard.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Error::Index {
                reason: format!("shard path `{shard}` must be a plain relative file name"),
            });
        }
    }
    Ok(idx.weight_map)
}

/// Loads a sharded set from its index. `load_shard` reads the tensors of one shard file.
pub(crate) fn load_index(
    dir: &Path,
    json: &[u8],
    load_shard: &dyn Fn(&Path) -> Result<NamedTensors>,
) -> Result<(NamedTensors, Vec<PathBuf>)> {
    let weight_map = parse_index(json)?;
    let mut shards: BTreeMap<&str, BTreeMap<String, TensorInfo>> = BTreeMap::new();
    for shard in weight_map.values() {
        if shards.contains_key(shard.as_str()) {
            continue;
        }
        let path = dir.join(shard);
        let tensors = load_shard(&path).map_err(|e| e.with_path(&path))?;
        shards.insert(shard, tensors.into_iter().collect());
    }
    let mut out = Vec::with_capacity(weight_map.len());
    for (name, shard) in &weight_map {
        let t = shards
            .get(shard.as_str())
            .and_then(|m| m.get(name))
            .ok_or_else(|| Error::ShardMismatch {
                tensor: name.clone(),
                shard: shard.clone(),
            })?;
        out.push((name.clone(), t.clone()));
    }
    let files = shards.keys().map(|s| dir.join(s)).collect();
    Ok((out, files))
}
