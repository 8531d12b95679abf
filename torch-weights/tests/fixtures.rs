//! The PyTorch-written fixtures, checked against an independent oracle (`tests/data/oracle.py`,
//! plain Python without torch): every tensor's name, dtype, shape and bytes.

mod common;

use common::*;
use torch_weights::{Format, OpenOptions, SaveOptions};

#[test]
fn simple_cnn_safetensors() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    assert_eq!(ckpt.format(), Format::SafeTensors);
    assert_matches_oracle(&ckpt, "simple_cnn/model.safetensors", "");
    assert_eq!(ckpt.parameter_count(), 16 * 27 + 16 + 40960 + 10);
}

#[test]
fn simple_cnn_zip() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.pt")).unwrap();
    assert_eq!(ckpt.format(), Format::TorchZip);
    assert_eq!(ckpt.state_dict_path(), Some(""));
    assert_matches_oracle(&ckpt, "simple_cnn/model.pt", "");
}

#[test]
fn simple_cnn_legacy() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model_legacy_format.pt")).unwrap();
    assert_eq!(ckpt.format(), Format::TorchLegacy);
    // Same weights as model.pt, so the same oracle entries.
    assert_matches_oracle(&ckpt, "simple_cnn/model.pt", "");
}

#[test]
fn simple_cnn_formats_are_bit_identical() {
    let st = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    let zip = torch_weights::open(small_fixture("simple_cnn/model.pt")).unwrap();
    let legacy = torch_weights::open(small_fixture("simple_cnn/model_legacy_format.pt")).unwrap();
    let names: Vec<&str> = st.names().collect();
    for other in [&zip, &legacy] {
        let mut a: Vec<&str> = other.names().collect();
        let mut b = names.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        for n in &names {
            let (x, y) = (st.get(n).unwrap(), other.get(n).unwrap());
            assert_eq!(x.dtype(), y.dtype(), "{n}");
            assert_eq!(x.shape(), y.shape(), "{n}");
            assert_eq!(x.contiguous_bytes(), y.contiguous_bytes(), "{n}");
        }
    }
}

#[test]
fn simple_cnn_dataparallel_checkpoint() {
    let path = small_fixture("simple_cnn/checkpoint_dataparallel.pt");
    // Found automatically: `model_state_dict` among the optimizer's tensor dicts; `module.` stripped.
    let ckpt = torch_weights::open(&path).unwrap();
    assert_eq!(ckpt.state_dict_path(), Some("model_state_dict"));
    assert_matches_oracle(&ckpt, "simple_cnn/checkpoint_dataparallel.pt", "module.");
    let st = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    let mut a: Vec<&str> = ckpt.names().collect();
    let mut b: Vec<&str> = st.names().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "same keys after stripping module.");
    for n in b {
        let (x, y) = (st.get(n).unwrap(), ckpt.get(n).unwrap());
        assert_eq!(x.shape(), y.shape(), "{n}");
        assert_eq!(x.dtype(), y.dtype(), "{n}");
        assert_ne!(
            x.contiguous_bytes(),
            y.contiguous_bytes(),
            "{n}: post-SGD weights must differ"
        );
    }
    // Explicit key path, and prefixes kept on request.
    let explicit = OpenOptions::new()
        .state_dict_key("model_state_dict")
        .strip_wrapper_prefixes(false)
        .open(&path)
        .unwrap();
    assert!(explicit.names().all(|n| n.starts_with("module.")));
    // The optimizer's momentum buffers are reachable by key path too.
    let momentum = OpenOptions::new()
        .state_dict_key("optimizer_state_dict/state/0")
        .open(&path)
        .unwrap();
    assert_eq!(momentum.names().collect::<Vec<_>>(), ["momentum_buffer"]);
    assert_eq!(
        momentum.get("momentum_buffer").unwrap().shape(),
        [16, 3, 3, 3]
    );
    // A key path to something that is not a state dict.
    let err = OpenOptions::new()
        .state_dict_key("epoch")
        .open(&path)
        .unwrap_err();
    assert!(
        matches!(err.root(), torch_weights::Error::KeyPathNotFound { .. }),
        "{err}"
    );
    let err = OpenOptions::new()
        .state_dict_key("nope")
        .open(&path)
        .unwrap_err();
    match err.root() {
        torch_weights::Error::KeyPathNotFound { available, .. } => {
            assert!(available.contains(&"model_state_dict".to_string()))
        }
        e => panic!("{e}"),
    }
}

#[test]
fn tiny_bert_safetensors() {
    let ckpt = torch_weights::open(small_fixture("tiny_bert/model.safetensors")).unwrap();
    assert_matches_oracle(&ckpt, "tiny_bert/model.safetensors", "");
    assert_eq!(
        ckpt.get("embeddings.word_embeddings.weight")
            .unwrap()
            .shape(),
        [1000, 128]
    );
}

#[test]
fn resnet18_sharded_f16() {
    let Some(index) = large_fixture("resnet18/model.safetensors.index.json") else {
        return;
    };
    let ckpt = torch_weights::open(&index).unwrap();
    assert_eq!(ckpt.format(), Format::ShardedSafeTensors);
    assert_eq!(ckpt.files().len(), 3);
    assert_matches_oracle(&ckpt, "resnet18/model.safetensors.index.json", "");
    assert!(ckpt
        .tensors()
        .filter(|(n, _)| !n.ends_with("num_batches_tracked"))
        .all(|(_, t)| t.dtype() == torch_weights::StoredDType::F16));
    // The directory opens the same set.
    let dir = torch_weights::open(index.parent().unwrap()).unwrap();
    assert_eq!(dir.len(), ckpt.len());

    // Round trip: one file, then re-sharded; bytes identical throughout.
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("resnet18.safetensors");
    ckpt.save_safetensors(&single, &SaveOptions::new()).unwrap();
    let one = torch_weights::open(&single).unwrap();
    assert_matches_oracle(&one, "resnet18/model.safetensors.index.json", "");
    let written = one
        .save_safetensors(
            tmp.path().join("re.safetensors"),
            &SaveOptions::new().shard_size(8 << 20),
        )
        .unwrap();
    assert!(written.len() >= 4, "{written:?}");
    let re = torch_weights::open(tmp.path().join("re.safetensors.index.json")).unwrap();
    assert_matches_oracle(&re, "resnet18/model.safetensors.index.json", "");
}

#[test]
fn mobilenet_v2_zip() {
    let Some(path) = large_fixture("mobilenet_v2/model.pt") else {
        return;
    };
    let ckpt = torch_weights::open(&path).unwrap();
    assert_eq!(ckpt.format(), Format::TorchZip);
    assert_matches_oracle(&ckpt, "mobilenet_v2/model.pt", "");
    // Depthwise convolution weights.
    assert_eq!(
        ckpt.get("features.1.conv.0.0.weight").unwrap().shape(),
        [32, 1, 3, 3]
    );
    // Converted to safetensors, the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mobilenet_v2.safetensors");
    ckpt.save_safetensors(&out, &SaveOptions::new()).unwrap();
    assert_matches_oracle(
        &torch_weights::open(&out).unwrap(),
        "mobilenet_v2/model.pt",
        "",
    );
}
