//! The hand-written TensorProto decoder on files the `onnx` package wrote (`fixtures/onnx/tensors/make.py`):
//! every element type, from `raw_data` and from the typed fields, against the values the script wrote to
//! `expected.json` (which it checked against `onnx.numpy_helper.to_array` of the same files).

use std::path::PathBuf;

use candle2trt_cli::onnx::{read_tensor, ElemType, OnnxError, Values};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/onnx/tensors")
}

/// `expected.json`'s real value: Python's round-trip repr in a string, parsed by Rust (correctly rounded,
/// unlike serde_json's own float parsing), "nan", "inf" and "-inf" included.
fn number(v: &serde_json::Value) -> f64 {
    let s = v.as_str().expect("a real as a string");
    s.parse::<f64>()
        .unwrap_or_else(|_| panic!("not a number: {s}"))
}

#[test]
fn every_element_type_from_raw_and_typed_fields() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    let cases = expected.as_object().expect("an object");
    assert_eq!(cases.len(), 16);
    for (name, case) in cases {
        for form in ["raw", "typed"] {
            let what = format!("{name}.{form}.pb");
            let t = read_tensor(&dir().join(&what)).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(t.name, *name, "{what}");
            let code = case["data_type"].as_u64().expect("data_type");
            assert_eq!(
                t.elem_type,
                ElemType::from_code(code).expect("a read type"),
                "{what}"
            );
            let dims: Vec<usize> = case["dims"]
                .as_array()
                .expect("dims")
                .iter()
                .map(|d| d.as_u64().expect("a dim") as usize)
                .collect();
            assert_eq!(t.dims, dims, "{what}");
            let want = case["values"].as_array().expect("values");
            match &t.values {
                Values::Real(got) => {
                    assert_eq!(got.len(), want.len(), "{what}");
                    for (g, w) in got.iter().zip(want) {
                        let w = number(w);
                        // Bit-exact: each value was read from its own type, widened without rounding.
                        assert!(g == &w || (g.is_nan() && w.is_nan()), "{what}: {g} vs {w}");
                    }
                }
                Values::Int(got) => {
                    // Through i128: uint64 values up to 2^63 - 1 are in the file.
                    let w: Vec<i128> = want
                        .iter()
                        .map(|w| {
                            w.as_i64()
                                .map(i128::from)
                                .or(w.as_u64().map(i128::from))
                                .expect("an integer")
                        })
                        .collect();
                    let g: Vec<i128> = got.iter().map(|&x| i128::from(x)).collect();
                    assert_eq!(g, w, "{what}");
                }
            }
        }
    }
}

#[test]
fn the_candle_tensor_has_the_values_and_a_storage_dtype() {
    let t = read_tensor(&dir().join("float16.raw.pb")).expect("float16");
    let c = t.to_candle().expect("candle");
    assert_eq!(c.dtype(), candle_core::DType::F16);
    let v = c
        .to_dtype(candle_core::DType::F32)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(&v[..4], &[1.0, -2.0, 65504.0, 2f32.powi(-24)]);
    let b = read_tensor(&dir().join("bool.typed.pb"))
        .expect("bool")
        .to_candle()
        .unwrap();
    assert_eq!(b.dtype(), candle_core::DType::U8);
    assert_eq!(b.to_vec2::<u8>().unwrap(), [[1, 0, 1]]);
    let i = read_tensor(&dir().join("int64.raw.pb"))
        .expect("int64")
        .to_candle()
        .unwrap();
    assert_eq!(
        i.to_vec1::<i64>().unwrap(),
        [i64::MIN, -1, 1 << 40, i64::MAX]
    );
}

#[test]
fn string_and_complex_are_refused_by_name() {
    for (file, name) in [
        ("string.refused.pb", "STRING"),
        ("complex64.refused.pb", "COMPLEX64"),
    ] {
        let e = read_tensor(&dir().join(file)).expect_err(file);
        assert!(matches!(e, OnnxError::File { .. }), "{e}");
        let m = e.to_string();
        assert!(m.contains(name) && m.contains(file), "{m}");
    }
}

#[test]
fn truncated_files_are_errors_not_panics() {
    let bytes = std::fs::read(dir().join("random.raw.pb")).expect("random");
    for cut in [1, 5, bytes.len() / 2, bytes.len() - 1] {
        let e = candle2trt_cli::onnx::decode_tensor(&bytes[..cut]);
        assert!(e.is_err(), "cut at {cut} decoded");
    }
}
