//! [`Fingerprint`]: what decided an engine's content, kept in the engine file's header so that
//! [`TrtModule::load_or_convert`](crate::TrtModule::load_or_convert) can tell whether a file on
//! disk is still the engine it would build.

use std::collections::BTreeMap;

/// The inputs that decide an engine's content, as ordered `name = value` fields.
///
/// [`convert`](crate::convert) fills in:
///
/// | field | value |
/// | --- | --- |
/// | `weights` | FNV-1a (64 bits) over the digests of every weight the traced network hands to TensorRT, in layer order: the candle parameters as TensorRT receives them (after batch-norm folding and f16 casts). No checkpoint file is read again. |
/// | `network` | FNV-1a over the network TensorRT is given (`trt::Network::dump`: layers, parameters, tensor names and shapes), weight digests left out: a change of model code or of the sample's shapes. |
/// | `profiles` | every input's optimization-profile range |
/// | `precision`, `fp32_policy`, `optimization_level`, `max_workspace`, `tf32` | the conversion options that shape the engine |
/// | `candle2trt` | this crate's version |
/// | `tensorrt` | the TensorRT library's version |
/// | `gpu` | the GPU generations the engine targets: `default` (TensorRT's default; no option selects one yet) |
///
/// Options that do not change the engine (the timing cache, the progress monitor) are not part
/// of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    fields: BTreeMap<String, String>,
}

impl Fingerprint {
    /// Sets `name` to `value` (a name is made of `[a-z0-9_]`, a value has no newline).
    pub fn set(&mut self, name: &str, value: impl ToString) -> &mut Self {
        let value = value.to_string().replace(['\n', '\r'], " ");
        self.fields.insert(name.to_string(), value);
        self
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The fields, in name order.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// Whether it has no field (an engine file written before fingerprints existed).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// What changed from `old` to `self`, one `name: old → new` item per differing field (`-`
    /// for an absent one).
    pub fn changes_since(&self, old: &Fingerprint) -> Vec<String> {
        let mut names: Vec<&String> = self.fields.keys().chain(old.fields.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let (before, after) = (old.fields.get(name), self.fields.get(name));
                (before != after).then(|| {
                    format!(
                        "{name}: {} → {}",
                        before.map_or("-", String::as_str),
                        after.map_or("-", String::as_str)
                    )
                })
            })
            .collect()
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: tells inputs apart (not a defence against tampering).
pub(crate) fn fnv1a_hex(parts: &[&[u8]]) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &b in *part {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The `weights` and `network` digests of `network` (see [`Fingerprint`]).
pub(crate) fn network_digests(network: &trt::Network<'_>) -> Result<(String, String), String> {
    let dump = network
        .dump(trt::DumpOptions::default())
        .map_err(|e| e.to_string())?;
    let mut value = serde_json::to_value(&dump).map_err(|e| e.to_string())?;
    let mut weights = Vec::new();
    take_digests(&mut value, &mut weights);
    let weight_refs: Vec<&[u8]> = weights.iter().map(|w| w.as_bytes()).collect();
    let text = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    Ok((fnv1a_hex(&weight_refs), fnv1a_hex(&[text.as_bytes()])))
}

/// Moves every weight summary's `digest` out of `v` into `out`, in document order.
fn take_digests(v: &mut serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if map.contains_key("count") && map.contains_key("data_type") {
                if let Some(serde_json::Value::String(d)) = map.remove("digest") {
                    out.push(d);
                }
            }
            for (_, child) in map.iter_mut() {
                take_digests(child, out);
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                take_digests(child, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_the_fields() {
        let mut a = Fingerprint::default();
        a.set("precision", "fp32").set("tensorrt", "1.7.1");
        let mut b = a.clone();
        b.set("precision", "fp16").set("gpu", "default");
        assert_eq!(
            b.changes_since(&a),
            ["gpu: - → default", "precision: fp32 → fp16"]
        );
        assert!(a.changes_since(&a).is_empty());
        assert_ne!(fnv1a_hex(&[b"ab", b"c"]), fnv1a_hex(&[b"a", b"bc"]));
    }
}
