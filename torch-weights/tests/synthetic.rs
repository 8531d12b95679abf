//! Files made by the tests in the shapes `torch.save` writes them: every dtype, views into shared
//! storages, nested training checkpoints, pickle protocol features, both container formats.

mod common;

use candle_core::{DType, Device};
use common::*;
use torch_weights::{Error, OpenOptions, StoredDType};

fn open(bytes: Vec<u8>) -> torch_weights::Result<torch_weights::Checkpoint> {
    OpenOptions::new().open_bytes(bytes)
}

/// (storage class, dtype, element size, bytes of 3 elements)
fn dtype_cases() -> Vec<(&'static str, StoredDType, usize, Vec<u8>)> {
    vec![
        (
            "DoubleStorage",
            StoredDType::F64,
            8,
            [1.5f64, -2.25, 1e300]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        (
            "FloatStorage",
            StoredDType::F32,
            4,
            f32_bytes(&[1.5, -2.25, 3.0e38]),
        ),
        (
            "HalfStorage",
            StoredDType::F16,
            2,
            [1.5f32, -2.25, 65504.0]
                .iter()
                .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
                .collect(),
        ),
        (
            "BFloat16Storage",
            StoredDType::BF16,
            2,
            [1.5f32, -2.25, 1e38]
                .iter()
                .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
                .collect(),
        ),
        (
            "LongStorage",
            StoredDType::I64,
            8,
            [-5i64, 1 << 40, i64::MAX]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        (
            "IntStorage",
            StoredDType::I32,
            4,
            [-5i32, 1 << 30, i32::MIN]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        (
            "ShortStorage",
            StoredDType::I16,
            2,
            [-5i16, 300, i16::MAX]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
        ),
        ("CharStorage", StoredDType::I8, 1, vec![0x80, 0x7f, 0xff]),
        ("ByteStorage", StoredDType::U8, 1, vec![0, 255, 7]),
        ("BoolStorage", StoredDType::Bool, 1, vec![1, 0, 1]),
    ]
}

fn check_values(t: &candle_core::Tensor, dtype: StoredDType) {
    let f = |t: &candle_core::Tensor| t.to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap();
    match dtype {
        StoredDType::F64 => assert_eq!(t.to_vec1::<f64>().unwrap(), [1.5, -2.25, 1e300]),
        StoredDType::F32 => assert_eq!(t.to_vec1::<f32>().unwrap(), [1.5, -2.25, 3.0e38]),
        StoredDType::F16 => assert_eq!(f(t), [1.5, -2.25, 65504.0]),
        StoredDType::BF16 => assert_eq!(
            t.to_vec1::<half::bf16>().unwrap()[..2],
            [half::bf16::from_f32(1.5), half::bf16::from_f32(-2.25)]
        ),
        StoredDType::I64 => assert_eq!(t.to_vec1::<i64>().unwrap(), [-5, 1 << 40, i64::MAX]),
        StoredDType::I32 => assert_eq!(t.to_vec1::<i32>().unwrap(), [-5, 1 << 30, i32::MIN]),
        StoredDType::I16 => assert_eq!(t.to_vec1::<i16>().unwrap(), [-5, 300, i16::MAX]),
        StoredDType::I8 => assert_eq!(t.to_vec1::<i16>().unwrap(), [-128, 127, -1]),
        StoredDType::U8 => assert_eq!(t.to_vec1::<u8>().unwrap(), [0, 255, 7]),
        StoredDType::Bool => assert_eq!(t.to_vec1::<u8>().unwrap(), [1, 0, 1]),
        StoredDType::U32 => unreachable!(),
    }
}

#[test]
fn every_dtype_in_zip_and_legacy() {
    for (class, dtype, es, bytes) in dtype_cases() {
        let pkl = state_dict(&[contiguous("w", class, "0", &[3])]);
        let zip = open(torch_zip(&pkl, &[("0", bytes.clone())])).unwrap();
        let legacy = open(legacy(&pkl, &[("0", es, bytes.clone())])).unwrap();
        for ckpt in [&zip, &legacy] {
            let info = ckpt.get("w").unwrap();
            assert_eq!(info.dtype(), dtype, "{class}");
            assert_eq!(info.shape(), [3]);
            assert_eq!(&*info.contiguous_bytes(), bytes.as_slice(), "{class}");
            let t = ckpt.tensor("w", &Device::Cpu).unwrap();
            assert_eq!(t.dtype(), dtype.candle_dtype());
            check_values(&t, dtype);
        }
        // And through safetensors, converted by this crate.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.safetensors");
        zip.save_safetensors(&out, &torch_weights::SaveOptions::new())
            .unwrap();
        let st = torch_weights::open(&out).unwrap();
        assert_eq!(st.get("w").unwrap().dtype(), dtype);
        assert_eq!(&*st.get("w").unwrap().contiguous_bytes(), bytes.as_slice());
    }
}

#[test]
fn bool_bytes_other_than_one_are_true() {
    let pkl = state_dict(&[contiguous("b", "BoolStorage", "0", &[3])]);
    let ckpt = open(torch_zip(&pkl, &[("0", vec![0, 2, 255])])).unwrap();
    assert_eq!(
        ckpt.tensor("b", &Device::Cpu)
            .unwrap()
            .to_vec1::<u8>()
            .unwrap(),
        [0, 1, 1]
    );
}

/// Element `i` of the view (offset, shape, stride) of `storage`, in row-major order.
fn gather(storage: &[f32], offset: usize, shape: &[usize], stride: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for mut i in 0..n {
        let mut p = offset;
        for d in (0..shape.len()).rev() {
            p += (i % shape[d]) * stride[d];
            i /= shape[d];
        }
        out.push(storage[p]);
    }
    out
}

#[test]
fn views_into_a_shared_storage() {
    let storage: Vec<f32> = (0..24).map(|x| x as f32).collect();
    let views: Vec<(&str, i64, Vec<i64>, Vec<i64>)> = vec![
        ("base", 0, vec![4, 6], vec![6, 1]),
        ("transposed", 0, vec![6, 4], vec![1, 6]),
        ("slice", 7, vec![2, 3], vec![6, 1]),
        ("column", 2, vec![4], vec![6]),
        ("strided3d", 1, vec![2, 2, 2], vec![12, 1, 3]),
        ("expanded", 0, vec![3, 4], vec![0, 1]),
        ("permuted", 0, vec![2, 3, 4], vec![1, 8, 2]),
        ("scalar", 5, vec![], vec![]),
        ("empty", 24, vec![0, 3], vec![3, 1]),
        ("last", 23, vec![1], vec![1]),
    ];
    let specs: Vec<Spec> = views
        .iter()
        .map(|(n, off, shape, stride)| Spec {
            name: n,
            storage: "FloatStorage",
            key: "0",
            numel: 24,
            offset: *off,
            shape: shape.clone(),
            stride: stride.clone(),
        })
        .collect();
    let pkl = state_dict(&specs);
    let zip_file = torch_zip(&pkl, &[("0", f32_bytes(&storage))]);
    let legacy_file = legacy(&pkl, &[("0", 4, f32_bytes(&storage))]);
    for file in [zip_file, legacy_file] {
        let ckpt = open(file).unwrap();
        for (name, off, shape, stride) in &views {
            let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
            let stride: Vec<usize> = stride.iter().map(|&d| d as usize).collect();
            let want = gather(&storage, *off as usize, &shape, &stride);
            let info = ckpt.get(name).unwrap();
            assert_eq!(info.shape(), shape.as_slice(), "{name}");
            assert_eq!(
                &*info.contiguous_bytes(),
                f32_bytes(&want).as_slice(),
                "{name}"
            );
            let t = ckpt.tensor(name, &Device::Cpu).unwrap();
            assert_eq!(
                t.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                want,
                "{name}"
            );
        }
        assert!(ckpt.get("base").unwrap().is_contiguous());
        assert!(!ckpt.get("transposed").unwrap().is_contiguous());
        // Converting materializes the views as contiguous tensors.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("v.safetensors");
        ckpt.save_safetensors(&out, &torch_weights::SaveOptions::new())
            .unwrap();
        let st = torch_weights::open(&out).unwrap();
        for (name, _) in ckpt.tensors() {
            assert_eq!(
                st.get(name).unwrap().contiguous_bytes(),
                ckpt.get(name).unwrap().contiguous_bytes(),
                "{name}"
            );
        }
    }
}

#[test]
fn legacy_storage_views() {
    // Pre-1.6 files describe a storage view as (root key, ..., root size, (view key, offset, size)).
    let root: Vec<f32> = (0..10).map(|x| x as f32 * 0.5).collect();
    let mut p = P::new();
    p.op(b'}').mark().s("v");
    p.global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark()
        .s("storage")
        .global("torch", "FloatStorage")
        .s("100")
        .s("cpu")
        .int(10);
    p.mark().s("101").int(4).int(5).tuple();
    p.tuple().op(b'Q');
    p.int(1)
        .ints(&[2, 2])
        .ints(&[2, 1])
        .op(0x89)
        .global("collections", "OrderedDict")
        .op(b')')
        .op(b'R');
    p.tuple().op(b'R').op(b'u');
    let pkl = p.stop();
    let ckpt = open(legacy(&pkl, &[("100", 4, f32_bytes(&root))])).unwrap();
    // View = root[4..9]; tensor offset 1, shape 2x2 -> root[5], root[6], root[7], root[8].
    assert_eq!(
        ckpt.tensor("v", &Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [2.5, 3.0, 3.5, 4.0]
    );
}

fn checkpoint_pickle(groups: &[(&str, &[Spec<'_>])], extra_int: Option<(&str, i64)>) -> Vec<u8> {
    let mut p = P::new();
    p.op(b'}').mark();
    if let Some((k, v)) = extra_int {
        p.s(k).int(v);
    }
    for (key, specs) in groups {
        p.s(key);
        dict_body(&mut p, specs);
    }
    p.op(b'u');
    p.stop()
}

#[test]
fn nested_checkpoints() {
    let w = || vec![contiguous("fc.weight", "FloatStorage", "0", &[2, 2])];
    let data = || vec![("0", f32_bytes(&[1.0, 2.0, 3.0, 4.0]))];

    // A single nested state dict is found under any key.
    let pkl = checkpoint_pickle(&[("weights_whatever", &w())], Some(("epoch", 3)));
    let ckpt = open(torch_zip(&pkl, &data())).unwrap();
    assert!(ckpt.contains("fc.weight"));

    // model + ema: "model" is the well-known key.
    let pkl = checkpoint_pickle(&[("model", &w()), ("ema", &w())], None);
    assert!(open(torch_zip(&pkl, &data()))
        .unwrap()
        .contains("fc.weight"));

    // Two unknown keys: ambiguous, with the candidates listed; a key path resolves it.
    let pkl = checkpoint_pickle(&[("student", &w()), ("teacher", &w())], None);
    let err = open(torch_zip(&pkl, &data())).unwrap_err();
    match err.root() {
        Error::AmbiguousStateDict { candidates } => assert_eq!(candidates, &["student", "teacher"]),
        e => panic!("{e}"),
    }
    let ckpt = OpenOptions::new()
        .state_dict_key("teacher")
        .open_bytes(torch_zip(&pkl, &data()))
        .unwrap();
    assert!(ckpt.contains("fc.weight"));

    // Deeper: {"checkpoint": {"state_dict": ...}}.
    let mut p = P::new();
    p.op(b'}').s("checkpoint").op(b'}').s("state_dict");
    dict_body(&mut p, &w());
    p.op(b's').op(b's');
    let pkl = p.stop();
    assert!(open(torch_zip(&pkl, &data()))
        .unwrap()
        .contains("fc.weight"));
    let ckpt = OpenOptions::new()
        .state_dict_key("checkpoint/state_dict")
        .open_bytes(torch_zip(&pkl, &data()))
        .unwrap();
    assert_eq!(ckpt.len(), 1);

    // Nothing but metadata.
    let mut p = P::new();
    p.op(b'}').s("epoch").int(1).op(b's');
    let err = open(torch_zip(&p.stop(), &[])).unwrap_err();
    match err.root() {
        Error::NoStateDict { keys } => assert_eq!(keys, &["epoch"]),
        e => panic!("{e}"),
    }
}

#[test]
fn wrapper_prefixes_are_stripped_when_universal() {
    let data = || vec![("0", f32_bytes(&[1.0]))];
    for (names, want) in [
        (["module.a", "module.b"], ["a", "b"]),
        (["module.module.a", "module.module.b"], ["a", "b"]),
        (["_orig_mod.module.a", "_orig_mod.module.b"], ["a", "b"]),
        (["module.a", "b"], ["module.a", "b"]),
    ] {
        let specs: Vec<Spec> = names
            .iter()
            .map(|n| contiguous(n, "FloatStorage", "0", &[1]))
            .collect();
        let ckpt = open(torch_zip(&state_dict(&specs), &data())).unwrap();
        assert_eq!(ckpt.names().collect::<Vec<_>>(), want);
    }
}

#[test]
fn ordered_dict_parameters_and_protocol_4_features() {
    // OrderedDict with BUILD (_metadata), Parameter wrappers, _rebuild_from_type_v2, protocol 4
    // opcodes (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE, BINGET), a bytes value via
    // _codecs.encode, a torch.Size.
    let mut p = P(vec![0x80, 4]);
    p.op(0x95).raw(&0u64.to_le_bytes());
    p.global("collections", "OrderedDict")
        .op(b')')
        .op(b'R')
        .op(0x94); // memo 0: the dict
    p.mark();
    // "a": Parameter(tensor) via _rebuild_parameter
    p.op(0x8c).op(1).raw(b"a");
    p.op(0x8c)
        .op(12)
        .raw(b"torch._utils")
        .op(0x8c)
        .op(18)
        .raw(b"_rebuild_parameter")
        .op(0x93);
    p.mark();
    p.tensor("FloatStorage", "0", 2, 0, &[2], &[1]);
    p.op(0x88)
        .global("collections", "OrderedDict")
        .op(b')')
        .op(b'R')
        .tuple()
        .op(b'R');
    // "b": _rebuild_from_type_v2(_rebuild_tensor_v2, Parameter, args, state)
    p.op(0x8c).op(1).raw(b"b");
    p.global("torch._tensor", "_rebuild_from_type_v2").mark();
    p.global("torch._utils", "_rebuild_tensor_v2")
        .global("torch.nn.parameter", "Parameter");
    p.mark();
    p.mark()
        .s("storage")
        .global("torch", "FloatStorage")
        .s("0")
        .s("cpu")
        .int(2)
        .tuple()
        .op(b'Q');
    p.int(1)
        .global("torch", "Size")
        .mark()
        .int(1)
        .op(0x85)
        .tuple()
        .op(b'R');
    p.ints(&[1])
        .op(0x89)
        .global("collections", "OrderedDict")
        .op(b')')
        .op(b'R')
        .tuple();
    p.op(b'}').tuple().op(b'R');
    p.op(b'u');
    // BUILD with _metadata, then STOP.
    p.op(b'}')
        .s("_metadata")
        .global("_codecs", "encode")
        .mark()
        .s("x\u{ff}")
        .s("latin1")
        .tuple()
        .op(b'R')
        .op(b's');
    p.op(b'b');
    let pkl = p.stop();
    let ckpt = open(torch_zip(&pkl, &[("0", f32_bytes(&[7.0, 8.0]))])).unwrap();
    assert_eq!(ckpt.names().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(
        ckpt.tensor("a", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [7.0, 8.0]
    );
    assert_eq!(
        ckpt.tensor("b", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [8.0]
    );
}

#[test]
fn big_endian_archives_are_swapped() {
    let be: Vec<u8> = [1.5f32, -3.0]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let pkl = state_dict(&[contiguous("w", "FloatStorage", "0", &[2])]);
    let ckpt = open(torch_zip_with_order(&pkl, &[("0", be)], b"big")).unwrap();
    assert!(!ckpt.get("w").unwrap().is_contiguous());
    assert_eq!(
        ckpt.tensor("w", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [1.5, -3.0]
    );
}

#[test]
fn storages_with_trailing_bytes_and_shared_records() {
    // Two tensors on one storage record, storage larger than either.
    let specs = [
        Spec {
            name: "x",
            storage: "FloatStorage",
            key: "0",
            numel: 4,
            offset: 0,
            shape: vec![2],
            stride: vec![1],
        },
        Spec {
            name: "y",
            storage: "FloatStorage",
            key: "0",
            numel: 4,
            offset: 2,
            shape: vec![2],
            stride: vec![1],
        },
    ];
    let ckpt = open(torch_zip(
        &state_dict(&specs),
        &[("0", f32_bytes(&[1.0, 2.0, 3.0, 4.0]))],
    ))
    .unwrap();
    assert_eq!(
        ckpt.tensor("y", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [3.0, 4.0]
    );
    assert_eq!(ckpt.parameter_count(), 4);
}

#[test]
fn dtype_conversion_when_saving() {
    let pkl = state_dict(&[
        contiguous("w", "FloatStorage", "0", &[3]),
        contiguous("n", "LongStorage", "1", &[1]),
    ]);
    let ckpt = open(torch_zip(
        &pkl,
        &[
            ("0", f32_bytes(&[1.0, 0.1, -65504.0])),
            ("1", 7i64.to_le_bytes().to_vec()),
        ],
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (dt, sdt) in [
        (DType::F16, StoredDType::F16),
        (DType::BF16, StoredDType::BF16),
        (DType::F64, StoredDType::F64),
    ] {
        let out = dir.path().join(format!("{dt:?}.safetensors"));
        ckpt.save_safetensors(&out, &torch_weights::SaveOptions::new().dtype(dt).unwrap())
            .unwrap();
        let st = torch_weights::open(&out).unwrap();
        assert_eq!(st.get("w").unwrap().dtype(), sdt);
        assert_eq!(
            st.get("n").unwrap().dtype(),
            StoredDType::I64,
            "integers are kept"
        );
        // Same result as candle's own conversion.
        let ours = st.tensor("w", &Device::Cpu).unwrap();
        let candle = ckpt
            .tensor("w", &Device::Cpu)
            .unwrap()
            .to_dtype(dt)
            .unwrap();
        assert_eq!(
            ours.to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap(),
            candle
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
        );
    }
    assert!(torch_weights::SaveOptions::new().dtype(DType::U8).is_err());
}

#[test]
fn sharded_torch_bin_index() {
    // transformers' `pytorch_model.bin.index.json` with zip and legacy `.bin` shards.
    let dir = tempfile::tempdir().unwrap();
    let a = state_dict(&[contiguous("encoder.w", "FloatStorage", "0", &[2])]);
    let b = state_dict(&[contiguous("decoder.w", "HalfStorage", "0", &[1])]);
    std::fs::write(
        dir.path().join("pytorch_model-00001-of-00002.bin"),
        torch_zip(&a, &[("0", f32_bytes(&[1.0, 2.0]))]),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pytorch_model-00002-of-00002.bin"),
        legacy(
            &b,
            &[("0", 2, half::f16::from_f32(3.0).to_le_bytes().to_vec())],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pytorch_model.bin.index.json"),
        r#"{"metadata": {"total_size": 10}, "weight_map": {
            "encoder.w": "pytorch_model-00001-of-00002.bin",
            "decoder.w": "pytorch_model-00002-of-00002.bin"}}"#,
    )
    .unwrap();
    let ckpt = torch_weights::open(dir.path()).unwrap();
    assert_eq!(ckpt.format(), torch_weights::Format::ShardedTorch);
    assert_eq!(ckpt.files().len(), 2);
    assert_eq!(
        ckpt.tensor("encoder.w", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [1.0, 2.0]
    );
    let d = ckpt
        .tensor_as("decoder.w", DType::F32, &Device::Cpu)
        .unwrap();
    assert_eq!(d.to_vec1::<f32>().unwrap(), [3.0]);
}

#[test]
fn scalar_entries_beside_tensors_are_skipped() {
    // {"w": tensor, "_extra_state": b"...", "version": 2} is still a state dict; a training
    // checkpoint whose root mixes a tensor with nested dicts is not mistaken for one.
    let mut p = P::new();
    p.op(b'}')
        .mark()
        .s("w")
        .tensor("FloatStorage", "0", 1, 0, &[1], &[1]);
    p.s("_extra_state")
        .op(b'C')
        .op(2)
        .raw(b"ab")
        .s("version")
        .int(2)
        .op(b'u');
    let ckpt = open(torch_zip(&p.stop(), &[("0", f32_bytes(&[1.0]))])).unwrap();
    assert_eq!(ckpt.names().collect::<Vec<_>>(), ["w"]);

    let mut p = P::new();
    p.op(b'}')
        .mark()
        .s("best_acc")
        .tensor("FloatStorage", "0", 1, 0, &[], &[]);
    p.s("model");
    dict_body(
        &mut p,
        &[contiguous("fc.weight", "FloatStorage", "0", &[1])],
    );
    p.op(b'u');
    let ckpt = open(torch_zip(&p.stop(), &[("0", f32_bytes(&[1.0]))])).unwrap();
    assert_eq!(ckpt.names().collect::<Vec<_>>(), ["fc.weight"]);
}

#[test]
fn zip64_archives() {
    let pkl = state_dict(&[contiguous("w", "FloatStorage", "0", &[3])]);
    let data = f32_bytes(&[1.0, 2.0, 3.0]);
    let z = zip64(&[
        ("archive/data.pkl", &pkl),
        ("archive/byteorder", b"little"),
        ("archive/data/0", &data),
    ]);
    let ckpt = open(z.clone()).unwrap();
    assert_eq!(
        ckpt.tensor("w", &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        [1.0, 2.0, 3.0]
    );
    // Truncations of a zip64 archive are errors too.
    for cut in 0..z.len() {
        assert!(open(z[..cut].to_vec()).is_err());
    }
}
