//! Corrupted, truncated and malicious files, made here: each must be a typed error, never a
//! panic, never code execution, never an allocation of a size the file merely declares.

mod common;

use std::path::Path;

use common::*;
use torch_weights::{Error, OpenOptions};

fn open(bytes: Vec<u8>) -> Error {
    match OpenOptions::new().open_bytes(bytes) {
        Ok(c) => panic!("expected an error, got {} tensors", c.len()),
        Err(e) => e,
    }
}

fn good_pickle() -> Vec<u8> {
    state_dict(&[contiguous("w", "FloatStorage", "0", &[2, 2])])
}

fn good_zip() -> Vec<u8> {
    torch_zip(&good_pickle(), &[("0", f32_bytes(&[1.0, 2.0, 3.0, 4.0]))])
}

fn zip_with_pickle(pkl: Vec<u8>) -> Vec<u8> {
    torch_zip(&pkl, &[("0", f32_bytes(&[1.0, 2.0, 3.0, 4.0]))])
}

fn assert_forbidden(e: &Error, module: &str, name: &str) {
    match e.root() {
        Error::ForbiddenGlobal {
            module: m, name: n, ..
        } => {
            assert_eq!((m.as_str(), n.as_str()), (module, name));
            let msg = e.to_string();
            assert!(msg.contains(&format!("{module}.{name}")), "{msg}");
        }
        other => panic!("expected ForbiddenGlobal({module}.{name}), got {other}"),
    }
}

/// The classic exploit: `os.system("...")` via GLOBAL + REDUCE.
#[test]
fn os_system_is_refused() {
    let mut p = P::new();
    p.global("os", "system")
        .mark()
        .s("touch /tmp/pwned-by-torch-weights")
        .tuple()
        .op(b'R')
        .op(b'.');
    let e = open(zip_with_pickle(p.0));
    assert_forbidden(&e, "os", "system");
    assert!(!Path::new("/tmp/pwned-by-torch-weights").exists());
}

#[test]
fn builtins_eval_is_refused() {
    let mut p = P::new();
    p.global("builtins", "eval")
        .mark()
        .s("__import__('os').system('id')")
        .tuple()
        .op(b'R')
        .op(b'.');
    assert_forbidden(&open(zip_with_pickle(p.0)), "builtins", "eval");
}

#[test]
fn stack_global_subprocess_is_refused() {
    let mut p = P(vec![0x80, 4]);
    p.op(0x8c)
        .op(10)
        .raw(b"subprocess")
        .op(0x8c)
        .op(5)
        .raw(b"Popen")
        .op(0x93);
    p.op(b'.');
    assert_forbidden(&open(zip_with_pickle(p.0)), "subprocess", "Popen");
}

#[test]
fn inst_opcode_is_checked_too() {
    let mut p = P::new();
    p.mark().s("id").op(b'i').raw(b"os\nsystem\n").op(b'.');
    assert_forbidden(&open(zip_with_pickle(p.0)), "os", "system");
}

#[test]
fn pickled_model_class_is_refused() {
    // torch.save(model) pickles the module class itself.
    let mut p = P::new();
    p.global("__main__", "SimpleCNN").op(b')').op(0x81).op(b'.');
    assert_forbidden(&open(zip_with_pickle(p.0)), "__main__", "SimpleCNN");
}

#[test]
fn forbidden_global_inside_legacy_file() {
    let mut p = P::new();
    p.global("torch.storage", "_load_from_bytes")
        .mark()
        .op(b'C')
        .op(1)
        .raw(b"x")
        .tuple()
        .op(b'R')
        .op(b'.');
    assert_forbidden(
        &open(legacy(&p.0, &[])),
        "torch.storage",
        "_load_from_bytes",
    );
}

#[test]
fn forbidden_global_hidden_deep_in_metadata() {
    let mut p = P::new();
    p.op(b'}').s("state_dict");
    dict_body(&mut p, &[contiguous("w", "FloatStorage", "0", &[2, 2])]);
    p.s("optimizer")
        .op(b']')
        .global("posix", "system")
        .op(b'a')
        .op(b'u');
    p.0.insert(3, b'(');
    let e = open(zip_with_pickle(p.stop()));
    assert_forbidden(&e, "posix", "system");
}

#[test]
fn unknown_opcode() {
    let mut pkl = good_pickle();
    pkl.insert(2, 0xff);
    match open(zip_with_pickle(pkl)).root() {
        Error::UnsupportedOpcode {
            opcode: 0xff,
            offset: 2,
        } => {}
        e => panic!("{e}"),
    }
}

#[test]
fn truncated_pickle() {
    let mut pkl = good_pickle();
    pkl.truncate(pkl.len() / 2);
    assert!(matches!(
        open(zip_with_pickle(pkl)).root(),
        Error::Pickle { .. }
    ));
}

#[test]
fn huge_declared_string_length_is_not_allocated() {
    let mut p = P::new();
    p.op(0x8d).raw(&u64::MAX.to_le_bytes()).raw(b"abc");
    assert!(matches!(
        open(zip_with_pickle(p.0.clone())).root(),
        Error::Pickle { .. }
    ));
    let mut p = P::new();
    p.op(b'X').raw(&u32::MAX.to_le_bytes());
    assert!(matches!(
        open(zip_with_pickle(p.0)).root(),
        Error::Pickle { .. }
    ));
}

#[test]
fn memo_and_stack_abuse() {
    for body in [
        vec![b'h', 9, b'.'],                   // GET of an unset memo slot
        vec![b'R', b'.'],                      // REDUCE on an empty stack
        vec![b'(', b'K', 1, b'u', b'.'],       // SETITEMS without a dict
        vec![b'}', b'(', b'K', 1, b'u', b'.'], // odd number of dict items
        vec![b'0', b'.'],                      // POP on empty stack
        vec![b't', b'.'],                      // TUPLE without MARK
        vec![b'.'],                            // STOP on empty stack
        vec![b']', b'(', b'K', 1, b'K', 2],    // no STOP
    ] {
        let mut pkl = vec![0x80, 2];
        pkl.extend_from_slice(&body);
        let e = open(zip_with_pickle(pkl));
        assert!(matches!(e.root(), Error::Pickle { .. }), "{body:?}: {e}");
    }
}

#[test]
fn self_referencing_structures_terminate() {
    // l = []; l.append(l); {"x": l} has no tensors.
    let mut p = P::new();
    p.op(b'}')
        .s("x")
        .op(b']')
        .op(b'q')
        .op(0)
        .op(b'h')
        .op(0)
        .op(b'a')
        .op(b's')
        .op(b'.');
    assert!(matches!(
        open(zip_with_pickle(p.0)).root(),
        Error::NoStateDict { .. }
    ));
}

#[test]
fn huge_declared_storage_size() {
    let pkl = state_dict(&[Spec {
        name: "w",
        storage: "FloatStorage",
        key: "0",
        numel: 1 << 50,
        offset: 0,
        shape: vec![4],
        stride: vec![1],
    }]);
    match open(zip_with_pickle(pkl)).root() {
        Error::Truncated {
            declared,
            available,
            ..
        } => assert_eq!((*declared, *available), (1 << 52, 16)),
        e => panic!("{e}"),
    }
}

#[test]
fn offset_past_the_storage() {
    let pkl = state_dict(&[Spec {
        name: "w",
        storage: "FloatStorage",
        key: "0",
        numel: 4,
        offset: 3,
        shape: vec![2],
        stride: vec![1],
    }]);
    let e = open(zip_with_pickle(pkl));
    assert!(
        matches!(e.root(), Error::InvalidTensor { tensor, .. } if tensor == "w"),
        "{e}"
    );
}

#[test]
fn strides_reaching_past_the_storage() {
    let pkl = state_dict(&[Spec {
        name: "w",
        storage: "FloatStorage",
        key: "0",
        numel: 4,
        offset: 0,
        shape: vec![2, 2],
        stride: vec![1, 3],
    }]);
    assert!(matches!(
        open(zip_with_pickle(pkl)).root(),
        Error::InvalidTensor { .. }
    ));
}

#[test]
fn negative_dims_and_strides() {
    for (shape, stride, offset) in [
        (vec![-1, 4], vec![4, 1], 0),
        (vec![2, 2], vec![-2, 1], 0),
        (vec![2, 2], vec![2, 1], -1),
    ] {
        let pkl = state_dict(&[Spec {
            name: "w",
            storage: "FloatStorage",
            key: "0",
            numel: 4,
            offset,
            shape,
            stride,
        }]);
        let e = open(zip_with_pickle(pkl));
        assert!(
            matches!(e.root(), Error::InvalidTensor { reason, .. } if reason.contains("negative")),
            "{e}"
        );
    }
}

#[test]
fn overflowing_shape() {
    let pkl = state_dict(&[Spec {
        name: "w",
        storage: "FloatStorage",
        key: "0",
        numel: 4,
        offset: 0,
        shape: vec![1 << 40, 1 << 40],
        stride: vec![0, 0],
    }]);
    assert!(matches!(
        open(zip_with_pickle(pkl)).root(),
        Error::InvalidTensor { .. }
    ));
}

#[test]
fn expanded_view_larger_than_the_limit() {
    let pkl = state_dict(&[Spec {
        name: "w",
        storage: "FloatStorage",
        key: "0",
        numel: 4,
        offset: 0,
        shape: vec![1 << 20, 1 << 20],
        stride: vec![0, 0],
    }]);
    match open(zip_with_pickle(pkl)).root() {
        Error::TooLarge { tensor, bytes, .. } => {
            assert_eq!((tensor.as_str(), *bytes), ("w", 4 << 40))
        }
        e => panic!("{e}"),
    }
}

#[test]
fn missing_storage_record() {
    let pkl = state_dict(&[contiguous("w", "FloatStorage", "7", &[2, 2])]);
    match open(zip_with_pickle(pkl)).root() {
        Error::MissingRecord { name } => assert_eq!(name, "archive/data/7"),
        e => panic!("{e}"),
    }
}

#[test]
fn unsupported_tensor_kinds() {
    let mut p = P::new();
    p.global("torch._utils", "_rebuild_qtensor").op(b'.');
    assert!(matches!(
        open(zip_with_pickle(p.0)).root(),
        Error::Unsupported { .. }
    ));
    let pkl = state_dict(&[contiguous("w", "ComplexFloatStorage", "0", &[2])]);
    assert!(matches!(
        open(zip_with_pickle(pkl)).root(),
        Error::Unsupported { .. }
    ));
}

#[test]
fn truncated_and_damaged_zips() {
    let z = good_zip();
    // Cut anywhere: an error, never a panic.
    for cut in (0..z.len()).step_by(7) {
        let _ = OpenOptions::new()
            .open_bytes(z[..cut].to_vec())
            .unwrap_err();
    }
    // Cut just before the end: no end-of-central-directory record.
    assert!(matches!(
        open(z[..z.len() - 4].to_vec()).root(),
        Error::Zip { .. }
    ));
    // An entry count that the central directory cannot hold.
    let mut bad = z.clone();
    let eocd = bad.len() - 22;
    bad[eocd + 10] = 0xff;
    bad[eocd + 11] = 0xfe;
    assert!(matches!(open(bad).root(), Error::Zip { reason, .. } if reason.contains("entries")));
    // A compressed entry.
    let mut bad = z.clone();
    bad[8] = 8; // local header method (ignored) ...
    let cd = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    bad[cd + 10] = 8; // ... and the central directory's, which counts
    assert!(matches!(open(bad).root(), Error::Unsupported { what } if what.contains("compressed")));
    // An unknown byte order.
    let pkl = good_pickle();
    let e = open(torch_zip_with_order(
        &pkl,
        &[("0", f32_bytes(&[1.0; 4]))],
        b"middle",
    ));
    assert!(matches!(e.root(), Error::Zip { reason, .. } if reason.contains("byteorder")));
    // A zip with no data.pkl.
    assert!(matches!(
        open(zip(&[("a/b", b"x")])).root(),
        Error::MissingRecord { .. }
    ));
}

#[test]
fn truncated_legacy_files() {
    let pkl = good_pickle();
    let l = legacy(&pkl, &[("0", 4, f32_bytes(&[1.0, 2.0, 3.0, 4.0]))]);
    assert!(OpenOptions::new().open_bytes(l.clone()).is_ok());
    for cut in 1..l.len() {
        let _ = OpenOptions::new()
            .open_bytes(l[..cut].to_vec())
            .unwrap_err();
    }
    // Cut inside the storage data.
    assert!(matches!(
        open(l[..l.len() - 3].to_vec()).root(),
        Error::Truncated { .. }
    ));
    // A storage that declares 2^60 elements.
    let mut huge = l.clone();
    let at = l.len() - 16 - 8;
    huge[at..at + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(matches!(open(huge).root(), Error::Truncated { declared, .. } if *declared == 1 << 62));
    // A wrong magic number is not a legacy file at all.
    let mut bad = l.clone();
    bad[5] ^= 1;
    assert!(matches!(open(bad).root(), Error::UnknownFormat { .. }));
}

#[test]
fn not_a_checkpoint() {
    assert!(matches!(
        open(Vec::new()).root(),
        Error::UnknownFormat { .. }
    ));
    assert!(matches!(
        open(b"hello world, not weights".to_vec()).root(),
        Error::UnknownFormat { .. }
    ));
}

fn safetensors_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn bad_safetensors() {
    let cases = [
        safetensors_file(
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]",
            &[0; 8],
        ),
        safetensors_file(
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 8]}}",
            &[0; 8],
        ),
        safetensors_file(
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 800]}}",
            &[0; 8],
        ),
        safetensors_file(
            "{\"w\": {\"dtype\": \"Q7\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
            &[0; 8],
        ),
        safetensors_file(
            "{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}",
            &[0; 8],
        ),
        // header length far past the end
        {
            let mut v = safetensors_file("{}", &[]);
            v[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
            v
        },
    ];
    for (i, c) in cases.into_iter().enumerate() {
        let e = open(c);
        assert!(
            matches!(e.root(), Error::SafeTensors { .. }),
            "case {i}: {e}"
        );
    }
    // A dtype safetensors knows but this crate does not convert.
    let e = open(safetensors_file(
        "{\"w\": {\"dtype\": \"F8_E5M2\", \"shape\": [2], \"data_offsets\": [0, 2]}}",
        &[0; 2],
    ));
    assert!(
        matches!(e.root(), Error::UnsupportedDType { tensor, .. } if tensor == "w"),
        "{e}"
    );
}

fn write_index(dir: &Path, json: &str) -> std::path::PathBuf {
    let p = dir.join("model.safetensors.index.json");
    std::fs::write(&p, json).unwrap();
    p
}

#[test]
fn bad_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let shard = safetensors_file(
        "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
        &[0; 8],
    );
    std::fs::write(dir.path().join("s1.safetensors"), &shard).unwrap();

    let ok = write_index(dir.path(), r#"{"weight_map": {"a": "s1.safetensors"}}"#);
    assert_eq!(torch_weights::open(&ok).unwrap().len(), 1);

    // A shard that does not exist.
    let p = write_index(
        dir.path(),
        r#"{"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}}"#,
    );
    let e = torch_weights::open(&p).unwrap_err();
    assert!(
        matches!(e.root(), Error::MissingRecord { name } if name.contains("s2.safetensors")),
        "{e}"
    );
    assert!(
        e.to_string().contains("model.safetensors.index.json"),
        "{e}"
    );
    // A tensor its shard does not hold.
    let p = write_index(dir.path(), r#"{"weight_map": {"zz": "s1.safetensors"}}"#);
    assert!(
        matches!(torch_weights::open(&p).unwrap_err().root(), Error::ShardMismatch { tensor, .. } if tensor == "zz")
    );
    // Paths escaping the directory.
    for evil in ["../s1.safetensors", "/etc/passwd"] {
        let p = write_index(
            dir.path(),
            &format!(r#"{{"weight_map": {{"a": "{evil}"}}}}"#),
        );
        assert!(
            matches!(
                torch_weights::open(&p).unwrap_err().root(),
                Error::Index { .. }
            ),
            "{evil}"
        );
    }
    // Not JSON, or JSON of the wrong shape.
    for bad in ["{\"weight_map\": ", "{\"weight_map\": [1, 2]}", "{}"] {
        let p = write_index(dir.path(), bad);
        assert!(
            matches!(
                torch_weights::open(&p).unwrap_err().root(),
                Error::Index { .. }
            ),
            "{bad}"
        );
    }
    // A shard that is corrupt: the error names the shard file.
    std::fs::write(dir.path().join("s3.safetensors"), &shard[..20]).unwrap();
    let p = write_index(dir.path(), r#"{"weight_map": {"a": "s3.safetensors"}}"#);
    let e = torch_weights::open(&p).unwrap_err();
    assert!(e.to_string().contains("s3.safetensors"), "{e}");
}

#[test]
fn missing_file_is_an_io_error_with_the_path() {
    let e = torch_weights::open("/nonexistent/model.pt").unwrap_err();
    assert!(matches!(e.root(), Error::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/model.pt"));
}

/// Deterministic bit flips in the real fixtures: any result but a panic is fine.
#[test]
fn random_corruption_of_real_files_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for file in [
        "simple_cnn/model.pt",
        "simple_cnn/model_legacy_format.pt",
        "simple_cnn/checkpoint_dataparallel.pt",
        "simple_cnn/model.safetensors",
    ] {
        let orig = std::fs::read(small_fixture(file)).unwrap();
        // The metadata lives in the first ~1.2 KB (pickles, headers) and the zip tail.
        let hot = |r: u64| -> usize {
            let r = r as usize;
            if r % 3 == 0 {
                orig.len() - 1 - r / 3 % 2000.min(orig.len() - 1)
            } else {
                r % 1200.min(orig.len())
            }
        };
        for _ in 0..400 {
            let mut v = orig.clone();
            for _ in 0..1 + next() % 4 {
                let at = hot(next());
                v[at] ^= 1 << (next() % 8);
            }
            if let Ok(c) = OpenOptions::new().open_bytes(v) {
                for (_, t) in c.tensors() {
                    let _ = t.contiguous_bytes();
                }
            }
        }
    }
}
