//! The engine cache of `convert --cache DIR`: an engine is rebuilt only when something that
//! decides its content changed.
//!
//! A cache entry is `DIR/<arch>-<digest>.engine` beside `DIR/<arch>-<digest>.json`, where the
//! digest is the SHA-256 of the [`Fingerprint`]: the weights' bytes, the model config, every
//! conversion option that changes the engine, the candle2trt version and the TensorRT version.
//! A matching entry is loaded; otherwise the reason is the difference to the closest entry of the
//! same architecture, and the new engine is stored atomically (engine file first, fingerprint
//! second).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The inputs that decide an engine's content, as ordered `name = value` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    fields: BTreeMap<String, String>,
}

impl Fingerprint {
    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.fields.insert(name.to_string(), value.to_string());
        self
    }

    /// The fields.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// The SHA-256 of the fields, in hex.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for (k, v) in &self.fields {
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize())
    }

    /// What differs from `other`, one `name: old → new` item each.
    pub fn diff(&self, other: &Fingerprint) -> Vec<String> {
        let mut keys: Vec<&String> = self.fields.keys().chain(other.fields.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| {
                let (old, new) = (other.fields.get(k), self.fields.get(k));
                (old != new).then(|| {
                    format!(
                        "{k}: {} → {}",
                        old.map_or("-", |s| short(s)),
                        new.map_or("-", |s| short(s))
                    )
                })
            })
            .collect()
    }

    fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::to_string_pretty(&map).unwrap_or_default()
    }

    fn from_json(text: &str) -> Option<Self> {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
        let mut fp = Fingerprint::default();
        for (k, v) in map {
            fp.fields.insert(k, v.as_str()?.to_string());
        }
        Some(fp)
    }
}

/// Digests are long; a diff shows their first 12 characters.
fn short(s: &str) -> &str {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        &s[..12]
    } else {
        s
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's bytes, streamed.
pub fn file_digest(path: &Path) -> anyhow::Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 over a checkpoint's bytes: the file itself, and for a sharded `*.index.json` also
/// every shard it names (in name order).
pub fn weights_digest(path: &Path) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    h.update(file_digest(path)?.as_bytes());
    if path.to_string_lossy().ends_with(".index.json") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let index: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON index", path.display()))?;
        let mut shards: Vec<&str> = index
            .get("weight_map")
            .and_then(|m| m.as_object())
            .map(|m| m.values().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        shards.sort_unstable();
        shards.dedup();
        let dir = path.parent().unwrap_or(Path::new("."));
        for shard in shards {
            h.update(shard.as_bytes());
            h.update(file_digest(&dir.join(shard))?.as_bytes());
        }
    }
    Ok(hex(&h.finalize()))
}

/// What the cache holds for a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A matching engine file.
    Hit(PathBuf),
    /// None: why, in words.
    Miss(String),
}

/// A folder of cached engines.
#[derive(Debug, Clone)]
pub struct EngineCache {
    dir: PathBuf,
}

impl EngineCache {
    /// The cache in `dir` (created on the first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EngineCache { dir: dir.into() }
    }

    /// The engine file an entry for `arch` with `fp` has.
    pub fn engine_path(&self, arch: &str, fp: &Fingerprint) -> PathBuf {
        self.dir
            .join(format!("{arch}-{}.engine", &fp.digest()[..16]))
    }

    fn fingerprint_path(engine: &Path) -> PathBuf {
        engine.with_extension("json")
    }

    /// Looks `fp` up; a miss says what differs from the closest entry of `arch`.
    pub fn lookup(&self, arch: &str, fp: &Fingerprint) -> Lookup {
        let engine = self.engine_path(arch, fp);
        let stored = std::fs::read_to_string(Self::fingerprint_path(&engine))
            .ok()
            .and_then(|t| Fingerprint::from_json(&t));
        if engine.is_file() && stored.as_ref() == Some(fp) {
            return Lookup::Hit(engine);
        }
        // The closest other entry of this architecture explains the miss.
        let prefix = format!("{arch}-");
        let mut closest: Option<(Vec<String>, String)> = None;
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Some(stem) = name
                    .strip_prefix(&prefix)
                    .and_then(|r| r.strip_suffix(".json"))
                else {
                    continue;
                };
                let Some(other) = std::fs::read_to_string(e.path())
                    .ok()
                    .and_then(|t| Fingerprint::from_json(&t))
                else {
                    continue;
                };
                let diff = fp.diff(&other);
                if closest.as_ref().is_none_or(|(d, _)| diff.len() < d.len()) {
                    closest = Some((diff, format!("{arch}-{stem}")));
                }
            }
        }
        Lookup::Miss(match closest {
            None => format!("no cached engine for {arch} in {}", self.dir.display()),
            Some((diff, _)) if diff.is_empty() => format!(
                "the cached engine {} is missing or unreadable",
                engine.display()
            ),
            Some((diff, entry)) => format!("changed since {entry}: {}", diff.join(", ")),
        })
    }

    /// Stores `module` as the entry for `arch` with `fp`; returns the engine file.
    pub fn store(
        &self,
        arch: &str,
        fp: &Fingerprint,
        module: &candle2trt::TrtModule,
    ) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the cache folder {}", self.dir.display()))?;
        let engine = self.engine_path(arch, fp);
        module.save(&engine)?;
        let json = Self::fingerprint_path(&engine);
        let tmp = json.with_extension(format!("json.tmp.{}", std::process::id()));
        std::fs::write(&tmp, fp.to_json())
            .and_then(|()| std::fs::rename(&tmp, &json))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
            .with_context(|| format!("cannot write {}", json.display()))?;
        Ok(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(fp16: bool) -> Fingerprint {
        let mut f = Fingerprint::default();
        f.set("arch", "simple_cnn")
            .set("fp16", fp16)
            .set("weights", "a".repeat(64));
        f
    }

    #[test]
    fn digest_depends_on_every_field() {
        assert_eq!(fp(false).digest(), fp(false).digest());
        assert_ne!(fp(false).digest(), fp(true).digest());
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        let (mut a, mut b) = (Fingerprint::default(), Fingerprint::default());
        a.set("ab", "c");
        b.set("a", "bc");
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn diff_names_the_changed_fields() {
        assert_eq!(fp(true).diff(&fp(false)), vec!["fp16: false → true"]);
        assert!(fp(true).diff(&fp(true)).is_empty());
        let json = fp(true).to_json();
        assert_eq!(Fingerprint::from_json(&json), Some(fp(true)));
    }

    #[test]
    fn index_digest_covers_the_shards() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("model.safetensors.index.json");
        std::fs::write(
            &index,
            r#"{"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("s1.safetensors"), b"one").unwrap();
        std::fs::write(dir.path().join("s2.safetensors"), b"two").unwrap();
        let before = weights_digest(&index).unwrap();
        std::fs::write(dir.path().join("s2.safetensors"), b"TWO").unwrap();
        assert_ne!(weights_digest(&index).unwrap(), before);
        std::fs::remove_file(dir.path().join("s1.safetensors")).unwrap();
        assert!(weights_digest(&index).is_err());
    }

    #[test]
    fn miss_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EngineCache::new(dir.path());
        assert!(matches!(cache.lookup("simple_cnn", &fp(false)),
            Lookup::Miss(m) if m.starts_with("no cached engine")));
        // A fingerprint file alone (no engine) is not a hit.
        let engine = cache.engine_path("simple_cnn", &fp(false));
        std::fs::write(EngineCache::fingerprint_path(&engine), fp(false).to_json()).unwrap();
        assert!(matches!(cache.lookup("simple_cnn", &fp(false)),
            Lookup::Miss(m) if m.contains("missing or unreadable")));
        std::fs::write(&engine, b"engine").unwrap();
        assert_eq!(
            cache.lookup("simple_cnn", &fp(false)),
            Lookup::Hit(engine.clone())
        );
        assert!(matches!(cache.lookup("simple_cnn", &fp(true)),
            Lookup::Miss(m) if m.contains("fp16: false → true")));
    }
}
