//! `torch.save` files: the zip format (PyTorch ≥ 1.6) and the legacy pre-1.6 stream format.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::pickle::{read_pickle, Obj, ObjId, Pickle, StorageRef, TensorRef, Value};
use crate::tensor::{Bytes, NamedTensors, RawLayout, TensorInfo};

/// Top-level keys that name the model weights in common training checkpoints, in order of
/// preference when several dictionaries of tensors are present.
const PREFERRED_KEYS: &[&str] = &[
    "state_dict",
    "model_state_dict",
    "model",
    "module",
    "net",
    "network",
    "weights",
    "params",
];

const MAX_DEPTH: usize = 16;

/// Options that affect how the state dict is found and validated.
pub(crate) struct TorchOptions<'a> {
    pub key_path: Option<&'a str>,
    pub max_expanded_bytes: u64,
}

fn key_string(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// If `v` is a state dict, its tensors: a dictionary with string keys whose values are tensors,
/// at least one, or plain scalars (`None`, numbers, strings, bytes: `_extra_state` entries and
/// the like, which are skipped). A nested container disqualifies it.
fn tensor_dict<'p>(p: &'p Pickle, v: &Value) -> Option<Vec<(String, &'p TensorRef)>> {
    let Some(Obj::Dict(d)) = p.obj(v) else {
        return None;
    };
    let mut out = Vec::with_capacity(d.entries.len());
    for (k, v) in &d.entries {
        let Value::Str(k) = k else { return None };
        match (v, p.obj(v)) {
            (_, Some(Obj::Tensor(t))) => out.push((k.to_string(), t)),
            (Value::Obj(_), _) => return None,
            _ => {}
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

fn collect_candidates(
    p: &Pickle,
    v: &Value,
    path: &mut Vec<String>,
    visited: &mut HashSet<ObjId>,
    out: &mut Vec<String>,
) {
    let Value::Obj(id) = v else { return };
    if path.len() > MAX_DEPTH || !visited.insert(*id) {
        return;
    }
    if tensor_dict(p, v).is_some() {
        out.push(path.join("/"));
        return;
    }
    match p.objs.get(*id) {
        Some(Obj::Dict(d)) => {
            for (k, child) in &d.entries {
                if let Some(k) = key_string(k) {
                    path.push(k);
                    collect_candidates(p, child, path, visited, out);
                    path.pop();
                }
            }
        }
        Some(Obj::List(items)) | Some(Obj::Tuple(items)) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                collect_candidates(p, child, path, visited, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn top_level_keys(p: &Pickle) -> Vec<String> {
    match p.obj(&p.root) {
        Some(Obj::Dict(d)) => d
            .entries
            .iter()
            .filter_map(|(k, _)| key_string(k))
            .collect(),
        Some(Obj::Tensor(_)) => vec!["<a single tensor>".into()],
        Some(Obj::List(_)) | Some(Obj::Tuple(_)) => vec!["<a list>".into()],
        _ => vec![],
    }
}

fn follow<'p>(p: &'p Pickle, path: &str) -> Result<&'p Value> {
    let mut v = &p.root;
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        let next = match p.obj(v) {
            Some(Obj::Dict(d)) => d
                .entries
                .iter()
                .find(|(k, _)| key_string(k).as_deref() == Some(comp))
                .map(|(_, v)| v),
            Some(Obj::List(items)) | Some(Obj::Tuple(items)) => {
                comp.parse::<usize>().ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        v = next.ok_or_else(|| Error::KeyPathNotFound {
            path: path.to_string(),
            available: match p.obj(v) {
                Some(Obj::Dict(d)) => d
                    .entries
                    .iter()
                    .filter_map(|(k, _)| key_string(k))
                    .collect(),
                Some(Obj::List(items)) | Some(Obj::Tuple(items)) => {
                    (0..items.len()).map(|i| i.to_string()).collect()
                }
                _ => vec![],
            },
        })?;
    }
    Ok(v)
}

/// Finds the state dict in a pickle: the one at `key_path`, or the only dictionary of tensors,
/// or the one under a well-known key.
pub(crate) fn find_state_dict<'p>(p: &'p Pickle, key_path: Option<&str>) -> Result<StateDict<'p>> {
    if let Some(path) = key_path {
        let v = follow(p, path)?;
        let entries = tensor_dict(p, v).ok_or_else(|| Error::KeyPathNotFound {
            path: path.to_string(),
            available: match p.obj(v) {
                Some(Obj::Dict(d)) => d
                    .entries
                    .iter()
                    .filter_map(|(k, _)| key_string(k))
                    .collect(),
                _ => vec![],
            },
        })?;
        return Ok((path.to_string(), entries));
    }
    let mut candidates = Vec::new();
    collect_candidates(
        p,
        &p.root,
        &mut Vec::new(),
        &mut HashSet::new(),
        &mut candidates,
    );
    let chosen = match candidates.len() {
        0 => {
            return Err(Error::NoStateDict {
                keys: top_level_keys(p),
            })
        }
        1 => candidates[0].clone(),
        _ => {
            let preferred: Vec<&String> = PREFERRED_KEYS
                .iter()
                .filter_map(|k| candidates.iter().find(|c| c.as_str() == *k))
                .collect();
            match preferred.as_slice() {
                [one] => (*one).clone(),
                _ => return Err(Error::AmbiguousStateDict { candidates }),
            }
        }
    };
    let v = follow(p, &chosen)?;
    let entries = tensor_dict(p, v).ok_or_else(|| Error::NoStateDict {
        keys: top_level_keys(p),
    })?;
    Ok((chosen, entries))
}

/// A state dict found in a pickle: its key path (empty for the root) and its tensors.
pub(crate) type StateDict<'p> = (String, Vec<(String, &'p TensorRef)>);

/// The tensors of a `torch.save` file and the key path of the state dict they came from.
pub(crate) type TorchTensors = (NamedTensors, String);

/// Where a storage's elements are: byte offset in the file, element count (validated against
/// the file by whoever builds it).
struct StorageSpan {
    start: usize,
    numel: u64,
}

fn build_tensors(
    source: &Arc<Bytes>,
    entries: Vec<(String, &TensorRef)>,
    spans: &dyn Fn(&StorageRef) -> Result<StorageSpan>,
    big_endian: bool,
    opts: &TorchOptions<'_>,
) -> Result<Vec<(String, TensorInfo)>> {
    let mut out = Vec::with_capacity(entries.len());
    for (name, t) in entries {
        let span = spans(&t.storage).map_err(|e| match e {
            Error::Truncated {
                what,
                declared,
                available,
            } => Error::Truncated {
                what: format!("{what} (tensor `{name}`)"),
                declared,
                available,
            },
            e => e,
        })?;
        let info = TensorInfo::new(
            &name,
            source.clone(),
            RawLayout {
                dtype: t.storage.dtype,
                shape: t.shape.clone(),
                strides: Some(t.stride.clone()),
                offset: t.offset,
                storage_start: span.start,
                storage_numel: span.numel,
                big_endian,
            },
            opts.max_expanded_bytes,
        )?;
        out.push((name, info));
    }
    Ok(out)
}

/// Whether `data` starts like a zip archive.
pub(crate) fn is_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06")
}

/// Reads a zip `torch.save` archive.
pub(crate) fn load_zip(source: Arc<Bytes>, opts: &TorchOptions<'_>) -> Result<TorchTensors> {
    let data: &[u8] = &source;
    let index = crate::zip::read_index(data)?;
    let pkl: Vec<&String> = index
        .names
        .iter()
        .filter(|n| n.as_str() == "data.pkl" || n.ends_with("/data.pkl"))
        .collect();
    let pkl_name = match pkl.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(Error::MissingRecord {
                name: "<archive>/data.pkl (is this a torch.save zip?)".into(),
            })
        }
        _ => {
            return Err(Error::Zip {
                offset: 0,
                reason: format!("several data.pkl records: {pkl:?}"),
            })
        }
    };
    let prefix = &pkl_name[..pkl_name.len() - "data.pkl".len()];
    let big_endian = match index.entries.get(&format!("{prefix}byteorder")) {
        None => false,
        Some(r) => match &data[r.clone()] {
            b"little" => false,
            b"big" => true,
            other => {
                return Err(Error::Zip {
                    offset: r.start as u64,
                    reason: format!("unknown byteorder {:?}", String::from_utf8_lossy(other)),
                })
            }
        },
    };
    let range = index
        .entries
        .get(&pkl_name)
        .cloned()
        .ok_or_else(|| Error::MissingRecord {
            name: pkl_name.clone(),
        })?;
    let (pickle, _) = read_pickle(&data[range.clone()]).map_err(|e| match e {
        Error::Pickle { offset, reason } => Error::Pickle {
            offset,
            reason: format!("{reason} (in {pkl_name})"),
        },
        e => e,
    })?;
    let (key_path, entries) = find_state_dict(&pickle, opts.key_path)?;
    let spans = |s: &StorageRef| -> Result<StorageSpan> {
        let name = format!("{prefix}data/{}", s.key);
        let r = index
            .entries
            .get(&name)
            .ok_or_else(|| Error::MissingRecord { name: name.clone() })?;
        let declared = s
            .numel
            .checked_mul(s.dtype.size_in_bytes() as u64)
            .ok_or_else(|| Error::invalid("<unnamed>", "storage size overflows"))?;
        if declared > r.len() as u64 {
            return Err(Error::Truncated {
                what: format!("storage record `{name}`"),
                declared,
                available: r.len() as u64,
            });
        }
        Ok(StorageSpan {
            start: r.start,
            numel: s.numel,
        })
    };
    Ok((
        build_tensors(&source, entries, &spans, big_endian, opts)?,
        key_path,
    ))
}

/// The magic number `torch.save` writes first in the legacy format.
const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/// Whether `data` starts like a legacy `torch.save` stream.
pub(crate) fn is_legacy(data: &[u8]) -> bool {
    // PROTO 2, LONG1 10 <magic>
    data.len() >= 14
        && data[0] == 0x80
        && data[2] == 0x8a
        && data[3] == 10
        && data[4..14] == LEGACY_MAGIC
}

fn sub_pickle(data: &[u8], pos: usize, what: &str) -> Result<(Pickle, usize)> {
    let (p, n) = read_pickle(&data[pos..]).map_err(|e| match e {
        Error::Pickle { offset, reason } => Error::Pickle {
            offset: offset + pos as u64,
            reason: format!("{reason} (in the {what} pickle)"),
        },
        Error::UnsupportedOpcode { opcode, offset } => Error::UnsupportedOpcode {
            opcode,
            offset: offset + pos as u64,
        },
        Error::ForbiddenGlobal {
            module,
            name,
            offset,
        } => Error::ForbiddenGlobal {
            module,
            name,
            offset: offset + pos as u64,
        },
        e => e,
    })?;
    Ok((p, pos + n))
}

/// Reads a legacy (pre-1.6) `torch.save` stream: magic, protocol version, system info, the
/// object pickle, the list of storage keys, then each storage as `u64 numel` + raw elements.
pub(crate) fn load_legacy(source: Arc<Bytes>, opts: &TorchOptions<'_>) -> Result<TorchTensors> {
    let data: &[u8] = &source;
    let (magic, pos) = sub_pickle(data, 0, "magic number")?;
    match &magic.root {
        Value::BigInt(b) if b[..] == LEGACY_MAGIC => {}
        _ => {
            return Err(Error::UnknownFormat {
                reason: "legacy torch.save magic number mismatch".into(),
            })
        }
    }
    let (version, pos) = sub_pickle(data, pos, "protocol version")?;
    match version.root {
        Value::Int(1001) => {}
        ref v => {
            return Err(Error::Unsupported {
                what: format!("legacy torch.save protocol version {v:?} (expected 1001)"),
            })
        }
    }
    let (sys_info, pos) = sub_pickle(data, pos, "system info")?;
    let mut big_endian = false;
    if let Some(Obj::Dict(d)) = sys_info.obj(&sys_info.root) {
        for (k, v) in &d.entries {
            if matches!(k, Value::Str(s) if &**s == "little_endian") {
                big_endian = matches!(v, Value::Bool(false));
            }
        }
    }
    let (main, pos) = sub_pickle(data, pos, "object")?;
    let (keys, mut pos) = sub_pickle(data, pos, "storage keys")?;
    let key_list: Vec<String> = match keys.obj(&keys.root) {
        Some(Obj::List(items)) | Some(Obj::Tuple(items)) => items
            .iter()
            .map(|v| {
                key_string(v).ok_or_else(|| Error::Pickle {
                    offset: pos as u64,
                    reason: "storage key is not a string".into(),
                })
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(Error::Pickle {
                offset: pos as u64,
                reason: "storage key list is not a list".into(),
            })
        }
    };
    // The element size of each storage is known only from the object pickle.
    let mut elem_size: HashMap<String, usize> = HashMap::new();
    for o in &main.objs {
        let s = match o {
            Obj::Storage(s) => s,
            Obj::Tensor(t) => &t.storage,
            _ => continue,
        };
        elem_size.insert(s.key.clone(), s.dtype.size_in_bytes());
    }
    let mut spans: HashMap<String, (usize, u64)> = HashMap::new();
    for key in &key_list {
        let es = *elem_size.get(key).ok_or_else(|| Error::MissingRecord {
            name: format!(
                "storage `{key}` listed but never referenced, its element type is unknown"
            ),
        })?;
        let b = data.get(pos..pos + 8).ok_or_else(|| Error::Truncated {
            what: format!("size of legacy storage `{key}`"),
            declared: 8,
            available: data.len().saturating_sub(pos) as u64,
        })?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let numel = if big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        };
        pos += 8;
        let available = (data.len() - pos) as u64;
        let bytes = numel
            .checked_mul(es as u64)
            .filter(|&b| b <= available)
            .ok_or(Error::Truncated {
                what: format!("legacy storage `{key}` ({numel} elements)"),
                declared: numel.saturating_mul(es as u64),
                available,
            })?;
        if spans.insert(key.clone(), (pos, numel)).is_some() {
            return Err(Error::DuplicateKey { name: key.clone() });
        }
        pos += bytes as usize;
    }
    let (key_path, entries) = find_state_dict(&main, opts.key_path)?;
    let lookup = |s: &StorageRef| -> Result<StorageSpan> {
        let es = s.dtype.size_in_bytes();
        // A view's persistent id names its root storage; the view is root[off..off + size].
        let root = &s.key;
        let (off, size) = match &s.view {
            Some((_, off, size)) => (*off, Some(*size)),
            None => (0, None),
        };
        let &(start, numel) = spans.get(root).ok_or_else(|| Error::MissingRecord {
            name: format!("legacy storage `{root}`"),
        })?;
        let size = size.unwrap_or(numel);
        if off.checked_add(size).is_none_or(|end| end > numel) {
            return Err(Error::Truncated {
                what: format!("view of legacy storage `{root}` at element {off}"),
                declared: size.saturating_mul(es as u64),
                available: numel.saturating_sub(off).saturating_mul(es as u64),
            });
        }
        Ok(StorageSpan {
            start: start + off as usize * es,
            numel: size,
        })
    };
    Ok((
        build_tensors(&source, entries, &lookup, big_endian, opts)?,
        key_path,
    ))
}
