//! Writes the seed corpora of the fuzz targets into `fuzz/seeds/<target>/`.
//!
//! ```text
//! cargo test -p torch-weights --test fuzz_seeds -- --ignored
//! ```

mod common;

use std::path::PathBuf;

use common::*;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
#[ignore = "writes files into fuzz/seeds; run on purpose"]
fn write_fuzz_seeds() {
    let plain = state_dict(&[
        contiguous("conv.weight", "FloatStorage", "0", &[2, 1, 2, 2]),
        contiguous("conv.bias", "HalfStorage", "1", &[2]),
        Spec {
            name: "t",
            storage: "FloatStorage",
            key: "0",
            numel: 8,
            offset: 1,
            shape: vec![2, 3],
            stride: vec![1, 2],
        },
    ]);
    let mut p = P::new();
    p.op(b'}').mark().s("epoch").int(3).s("model_state_dict");
    dict_body(
        &mut p,
        &[contiguous("module.fc.weight", "LongStorage", "0", &[2])],
    );
    p.s("optimizer")
        .op(b']')
        .mark()
        .op(0x88)
        .op(b'N')
        .op(b'G')
        .raw(&0.5f64.to_be_bytes())
        .op(b'e');
    p.op(b'u');
    let nested = p.stop();
    write("pickle", "plain", &plain);
    write("pickle", "nested", &nested);
    let storages = [
        ("0", f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])),
        ("1", vec![0, 60, 0, 188]),
    ];
    write("torch_zip", "plain", &torch_zip(&plain, &storages));
    write(
        "torch_zip",
        "nested",
        &torch_zip(&nested, &[("0", vec![1; 16])]),
    );
    write(
        "torch_legacy",
        "plain",
        &legacy(
            &plain,
            &[
                ("0", 4, storages[0].1.clone()),
                ("1", 2, storages[1].1.clone()),
            ],
        ),
    );
    let ckpt = torch_weights::OpenOptions::new()
        .open_bytes(torch_zip(&plain, &storages))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.safetensors");
    ckpt.save_safetensors(&out, &torch_weights::SaveOptions::new())
        .unwrap();
    write("safetensors", "plain", &std::fs::read(&out).unwrap());
    write("index", "plain", br#"{"metadata": {"total_size": 48}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#);
}
