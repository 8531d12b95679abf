//! Test helpers: fixture paths, and writers for the files `torch.save` produces (a pickle
//! emitter, a stored zip, the legacy stream) so tests can make any variant they need.
#![allow(dead_code)]

use std::path::PathBuf;

/// Small fixtures copied into the repository.
pub fn small_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

/// Large fixtures: `$CANDLE2TRT_FIXTURES` (empty means unset) or `<workspace>/../shared/fixtures`.
/// `None` (with a loud message) when absent, unless `CANDLE2TRT_REQUIRE_FIXTURES=1` (as CI sets where
/// the fixtures exist): then a missing fixture fails the test.
pub fn large_fixture(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("CANDLE2TRT_FIXTURES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"));
    let p = root.join(rel);
    if p.exists() {
        return Some(p);
    }
    let required = std::env::var_os("CANDLE2TRT_REQUIRE_FIXTURES").is_some_and(|v| v == "1");
    assert!(
        !required,
        "large fixture {} not found, and CANDLE2TRT_REQUIRE_FIXTURES=1",
        p.display()
    );
    eprintln!(
        "SKIPPED: large fixture not found: {} (set CANDLE2TRT_FIXTURES to the fixtures folder)",
        p.display()
    );
    None
}

/// The same FNV-1a 64 hash as `tests/data/oracle.py`.
pub fn fnv(b: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for &x in b {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// One entry of `tests/data/expected.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Expected {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub fnv: String,
}

pub fn expected(key: &str) -> Vec<Expected> {
    let text = include_str!("../data/expected.json");
    let map: std::collections::HashMap<String, Vec<Expected>> =
        serde_json::from_str(text).expect("expected.json");
    map.get(key)
        .cloned()
        .unwrap_or_else(|| panic!("no oracle entry {key}"))
}

/// Asserts that a checkpoint has exactly the oracle's tensors: names, dtypes, shapes, bytes.
pub fn assert_matches_oracle(ckpt: &torch_weights::Checkpoint, key: &str, strip: &str) {
    let exp = expected(key);
    assert_eq!(ckpt.len(), exp.len(), "{key}: tensor count");
    for e in &exp {
        let name = e.name.strip_prefix(strip).unwrap_or(&e.name);
        let t = ckpt
            .get(name)
            .unwrap_or_else(|| panic!("{key}: missing {name}"));
        assert_eq!(t.dtype().to_string(), e.dtype, "{key}: dtype of {name}");
        assert_eq!(t.shape(), e.shape.as_slice(), "{key}: shape of {name}");
        assert_eq!(fnv(&t.contiguous_bytes()), e.fnv, "{key}: bytes of {name}");
    }
}

/// Emits pickle opcodes.
#[derive(Default)]
pub struct P(pub Vec<u8>);

impl P {
    pub fn new() -> Self {
        P(vec![0x80, 2])
    }
    pub fn op(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    pub fn mark(&mut self) -> &mut Self {
        self.op(b'(')
    }
    pub fn s(&mut self, s: &str) -> &mut Self {
        self.op(b'X');
        self.raw(&(s.len() as u32).to_le_bytes());
        self.raw(s.as_bytes())
    }
    pub fn int(&mut self, v: i64) -> &mut Self {
        if (0..256).contains(&v) {
            self.op(b'K').op(v as u8)
        } else if (0..65536).contains(&v) {
            self.op(b'M').raw(&(v as u16).to_le_bytes())
        } else if i32::try_from(v).is_ok() {
            self.op(b'J').raw(&(v as i32).to_le_bytes())
        } else {
            self.op(0x8a).op(8).raw(&v.to_le_bytes())
        }
    }
    pub fn global(&mut self, module: &str, name: &str) -> &mut Self {
        self.op(b'c');
        self.raw(module.as_bytes()).op(b'\n');
        self.raw(name.as_bytes()).op(b'\n')
    }
    pub fn tuple(&mut self) -> &mut Self {
        self.op(b't')
    }
    pub fn ints(&mut self, v: &[i64]) -> &mut Self {
        self.mark();
        for &x in v {
            self.int(x);
        }
        self.tuple()
    }
    /// `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`.
    pub fn tensor(
        &mut self,
        storage: &str,
        key: &str,
        numel: i64,
        offset: i64,
        shape: &[i64],
        stride: &[i64],
    ) -> &mut Self {
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.mark();
        self.mark()
            .s("storage")
            .global("torch", storage)
            .s(key)
            .s("cpu")
            .int(numel)
            .tuple();
        self.op(b'Q');
        self.int(offset).ints(shape).ints(stride).op(0x89);
        self.global("collections", "OrderedDict").op(b')').op(b'R');
        self.tuple().op(b'R')
    }
    pub fn stop(&mut self) -> Vec<u8> {
        self.op(b'.');
        std::mem::take(&mut self.0)
    }
}

/// A tensor for [`state_dict`]: name, storage class, storage key, storage numel, offset, shape, stride.
pub struct Spec<'a> {
    pub name: &'a str,
    pub storage: &'a str,
    pub key: &'a str,
    pub numel: i64,
    pub offset: i64,
    pub shape: Vec<i64>,
    pub stride: Vec<i64>,
}

pub fn contiguous(
    name: &'static str,
    storage: &'static str,
    key: &'static str,
    shape: &[i64],
) -> Spec<'static> {
    let mut stride = vec![1i64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        stride[i] = stride[i + 1] * shape[i + 1];
    }
    Spec {
        name,
        storage,
        key,
        numel: shape.iter().product(),
        offset: 0,
        shape: shape.to_vec(),
        stride,
    }
}

/// Emits the body of a `{name: tensor, ...}` dict (without PROTO / STOP).
pub fn dict_body(p: &mut P, specs: &[Spec<'_>]) {
    p.op(b'}').mark();
    for s in specs {
        p.s(s.name)
            .tensor(s.storage, s.key, s.numel, s.offset, &s.shape, &s.stride);
    }
    p.op(b'u');
}

/// A pickle of a plain state dict.
pub fn state_dict(specs: &[Spec<'_>]) -> Vec<u8> {
    let mut p = P::new();
    dict_body(&mut p, specs);
    p.stop()
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A zip of stored (uncompressed) entries, like PyTorch writes.
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let off = out.len() as u32;
        let crc = crc32(data);
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        // Pad with an extra field so the data is 64-byte aligned, as PyTorch does.
        let unpadded = out.len() + 2 + name.len();
        let mut pad = (64 - unpadded % 64) % 64;
        if pad != 0 && pad < 4 {
            pad += 64;
        }
        out.extend_from_slice(&(pad as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        if pad != 0 {
            out.extend_from_slice(b"FB");
            out.extend_from_slice(&((pad - 4) as u16).to_le_bytes());
            out.extend(std::iter::repeat_n(b'Z', pad - 4));
        }
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&off.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A zip `torch.save` archive with `data.pkl` and storages `data/<key>`.
pub fn torch_zip(pickle: &[u8], storages: &[(&str, Vec<u8>)]) -> Vec<u8> {
    torch_zip_with_order(pickle, storages, b"little")
}

pub fn torch_zip_with_order(pickle: &[u8], storages: &[(&str, Vec<u8>)], order: &[u8]) -> Vec<u8> {
    let names: Vec<String> = storages
        .iter()
        .map(|(k, _)| format!("archive/data/{k}"))
        .collect();
    let mut files: Vec<(&str, &[u8])> =
        vec![("archive/data.pkl", pickle), ("archive/byteorder", order)];
    for (n, (_, d)) in names.iter().zip(storages) {
        files.push((n, d));
    }
    files.push(("archive/version", b"3\n"));
    zip(&files)
}

/// A legacy `torch.save` stream: magic, version, sys info, the object pickle, the key list,
/// then each storage as `u64 numel` + bytes. `storages`: (key, element size, bytes).
pub fn legacy(main_pickle: &[u8], storages: &[(&str, usize, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![
        0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, b'.',
    ];
    out.extend_from_slice(&[0x80, 2, b'M', 0xe9, 0x03, b'.']);
    let mut p = P::new();
    p.op(b'}')
        .mark()
        .s("protocol_version")
        .int(1001)
        .s("little_endian")
        .op(0x88)
        .op(b'u');
    out.extend_from_slice(&p.stop());
    out.extend_from_slice(main_pickle);
    let mut p = P::new();
    p.op(b']').mark();
    for (k, _, _) in storages {
        p.s(k);
    }
    p.op(b'e');
    out.extend_from_slice(&p.stop());
    for (_, es, data) in storages {
        out.extend_from_slice(&((data.len() / es) as u64).to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Like [`zip`], but with every size and offset in zip64 records (as PyTorch writes archives
/// over 4 GiB).
pub fn zip64(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let off = out.len() as u64;
        let crc = crc32(data);
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&u32::MAX.to_le_bytes());
        central.extend_from_slice(&u32::MAX.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&28u16.to_le_bytes());
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&u32::MAX.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        central.extend_from_slice(&1u16.to_le_bytes());
        central.extend_from_slice(&24u16.to_le_bytes());
        central.extend_from_slice(&(data.len() as u64).to_le_bytes());
        central.extend_from_slice(&(data.len() as u64).to_le_bytes());
        central.extend_from_slice(&off.to_le_bytes());
    }
    let cd_off = out.len() as u64;
    out.extend_from_slice(&central);
    let z64 = out.len() as u64;
    out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&(files.len() as u64).to_le_bytes());
    out.extend_from_slice(&(files.len() as u64).to_le_bytes());
    out.extend_from_slice(&(central.len() as u64).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&z64.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
