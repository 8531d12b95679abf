//! The `torch-weights` binary: `inspect` on every format, `convert` with dtype and sharding.

mod common;

use std::process::Command;

use common::*;

fn run(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_torch-weights"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run torch-weights");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn inspect_every_simple_cnn_format() {
    for (file, format) in [
        ("model.safetensors", "safetensors"),
        ("model.pt", "torch.save zip"),
        ("model_legacy_format.pt", "legacy"),
        ("checkpoint_dataparallel.pt", "torch.save zip"),
    ] {
        let path = small_fixture(&format!("simple_cnn/{file}"));
        let (ok, out, err) = run(&["inspect".as_ref(), path.as_os_str()]);
        assert!(ok, "{file}: {err}");
        assert!(out.contains(format), "{file}: {out}");
        assert!(
            out.contains("fc.weight") && out.contains("[10, 4096]") && out.contains("f32"),
            "{out}"
        );
        assert!(out.contains("params:  41418"), "{out}");
        assert!(out.contains("bytes:   165672"), "{out}");
    }
}

#[test]
fn inspect_large_fixtures() {
    if let Some(p) = large_fixture("resnet18/model.safetensors.index.json") {
        let (ok, out, err) = run(&["inspect".as_ref(), p.as_os_str()]);
        assert!(ok, "{err}");
        assert!(
            out.contains("shards:  3") && out.contains("tensors: 122"),
            "{out}"
        );
    }
    if let Some(p) = large_fixture("mobilenet_v2/model.pt") {
        let (ok, out, err) = run(&["inspect".as_ref(), p.as_os_str()]);
        assert!(ok, "{err}");
        assert!(out.contains("tensors: 314"), "{out}");
    }
}

#[test]
fn inspect_errors_are_readable() {
    let (ok, _, err) = run(&["inspect".as_ref(), "/nonexistent.pt".as_ref()]);
    assert!(!ok);
    assert!(err.contains("/nonexistent.pt"), "{err}");
    let (ok, _, err) = run(&["frobnicate".as_ref()]);
    assert!(!ok && err.contains("usage"), "{err}");
}

#[test]
fn convert_legacy_to_f16_shards_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_fixture("simple_cnn/model_legacy_format.pt");
    let out = dir.path().join("cnn.safetensors");
    let (ok, stdout, err) = run(&[
        "convert".as_ref(),
        input.as_os_str(),
        out.as_os_str(),
        "--dtype".as_ref(),
        "f16".as_ref(),
        "--shard-size".as_ref(),
        "50K".as_ref(),
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("cnn.safetensors.index.json"), "{stdout}");
    let index = dir.path().join("cnn.safetensors.index.json");
    let ckpt = torch_weights::open(&index).unwrap();
    assert_eq!(ckpt.len(), 4);
    assert!(ckpt.files().len() >= 2);
    assert!(ckpt
        .tensors()
        .all(|(_, t)| t.dtype() == torch_weights::StoredDType::F16));
    // No temporary files left behind.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "{name}");
    }
    // Plain conversion is byte-identical to the PyTorch-written safetensors.
    let plain = dir.path().join("plain.safetensors");
    let (ok, _, err) = run(&["convert".as_ref(), input.as_os_str(), plain.as_os_str()]);
    assert!(ok, "{err}");
    let a = torch_weights::open(&plain).unwrap();
    let b = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    for (n, t) in b.tensors() {
        assert_eq!(a.get(n).unwrap().contiguous_bytes(), t.contiguous_bytes());
    }
}

#[test]
fn failed_convert_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pt");
    std::fs::write(&bad, b"PK\x03\x04garbage").unwrap();
    let out = dir.path().join("out.safetensors");
    let (ok, _, _) = run(&["convert".as_ref(), bad.as_os_str(), out.as_os_str()]);
    assert!(!ok);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Output into a missing directory: an error, no stray temp file anywhere.
    let input = small_fixture("simple_cnn/model.pt");
    let out = dir.path().join("missing/out.safetensors");
    let (ok, _, err) = run(&["convert".as_ref(), input.as_os_str(), out.as_os_str()]);
    assert!(!ok && err.contains("missing"), "{err}");
}
