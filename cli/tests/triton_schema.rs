//! The generated `config.pbtxt` against Triton's own `model_config.proto`.

mod common;

use candle2trt_cli::triton::{config_pbtxt, DataType, MaxBatch, ModelIo, TensorIo, TritonOptions};
use common::{enum_name, field, int64s, messages, parse, string};

fn tensor(name: &str, data_type: DataType, dims: &[i64]) -> TensorIo {
    TensorIo {
        name: name.into(),
        data_type,
        dims: dims.to_vec(),
    }
}

/// A BERT-like engine: int64 inputs, f32 and f16 outputs, dynamic batch up to 16.
fn bert_like() -> ModelIo {
    ModelIo {
        inputs: vec![
            tensor("input_ids", DataType::Int64, &[-1, 128]),
            tensor("attention_mask", DataType::Int64, &[-1, 128]),
        ],
        outputs: vec![
            tensor("last_hidden_state", DataType::Fp32, &[-1, 128, 768]),
            tensor("pooler_output", DataType::Fp16, &[-1, 768]),
            tensor("score", DataType::Fp32, &[-1]),
        ],
        profile_max_batch: Some(16),
    }
}

#[test]
fn batched_config_parses_with_tritons_schema() {
    let options = TritonOptions {
        max_batch: MaxBatch::Fixed(8),
        instances: Some(2),
        dynamic_batching: true,
        max_queue_delay_us: Some(500),
    };
    let pbtxt = config_pbtxt("bert_base", &bert_like(), &options).unwrap();
    let m = parse(&pbtxt).unwrap_or_else(|e| panic!("{e}\n{pbtxt}"));

    assert_eq!(string(&m, "name"), "bert_base");
    assert_eq!(string(&m, "platform"), "tensorrt_plan");
    assert_eq!(field(&m, "max_batch_size").as_i32(), Some(8));

    let inputs = messages(&m, "input");
    assert_eq!(inputs.len(), 2);
    assert_eq!(string(&inputs[0], "name"), "input_ids");
    assert_eq!(enum_name(&inputs[0], "data_type"), "TYPE_INT64");
    // The batch dimension is implicit: dims leave it out.
    assert_eq!(int64s(&inputs[0], "dims"), vec![128]);

    let outputs = messages(&m, "output");
    assert_eq!(outputs.len(), 3);
    assert_eq!(enum_name(&outputs[0], "data_type"), "TYPE_FP32");
    assert_eq!(int64s(&outputs[0], "dims"), vec![128, 768]);
    assert_eq!(enum_name(&outputs[1], "data_type"), "TYPE_FP16");
    // A per-row scalar: dims [1], reshaped to [] for the engine.
    assert_eq!(int64s(&outputs[2], "dims"), vec![1]);
    let reshape = field(&outputs[2], "reshape");
    let reshape = reshape.as_message().unwrap();
    assert!(outputs[2].has_field_by_name("reshape"));
    assert!(int64s(reshape, "shape").is_empty());

    assert!(m.has_field_by_name("dynamic_batching"));
    let batching = field(&m, "dynamic_batching");
    assert_eq!(
        field(
            batching.as_message().unwrap(),
            "max_queue_delay_microseconds"
        )
        .as_u64(),
        Some(500)
    );
    let groups = messages(&m, "instance_group");
    assert_eq!(groups.len(), 1);
    assert_eq!(field(&groups[0], "count").as_i32(), Some(2));
    assert_eq!(enum_name(&groups[0], "kind"), "KIND_GPU");
}

#[test]
fn unbatched_config_keeps_the_engine_dims() {
    let io = ModelIo {
        inputs: vec![tensor("input", DataType::Fp32, &[1, 3, 224, 224])],
        outputs: vec![tensor("logits", DataType::Fp32, &[1, 1000])],
        profile_max_batch: None,
    };
    let pbtxt = config_pbtxt("resnet18", &io, &TritonOptions::default()).unwrap();
    let m = parse(&pbtxt).unwrap_or_else(|e| panic!("{e}\n{pbtxt}"));
    // max_batch_size 0: Triton's default, no implicit batch.
    assert_eq!(field(&m, "max_batch_size").as_i32(), Some(0));
    assert_eq!(
        int64s(&messages(&m, "input")[0], "dims"),
        vec![1, 3, 224, 224]
    );
    assert!(!m.has_field_by_name("dynamic_batching"));
    assert!(messages(&m, "instance_group").is_empty());

    // Dynamic non-batch dims stay -1 (variable size), which Triton accepts.
    let io = ModelIo {
        inputs: vec![tensor("x", DataType::Fp16, &[2, -1, 64])],
        outputs: vec![tensor("y", DataType::Bf16, &[2, -1])],
        profile_max_batch: None,
    };
    let m = parse(&config_pbtxt("var", &io, &TritonOptions::default()).unwrap()).unwrap();
    assert_eq!(int64s(&messages(&m, "input")[0], "dims"), vec![2, -1, 64]);
    assert_eq!(
        enum_name(&messages(&m, "output")[0], "data_type"),
        "TYPE_BF16"
    );
}

#[test]
fn every_data_type_is_one_of_tritons() {
    let all = [
        DataType::Bool,
        DataType::Uint8,
        DataType::Uint32,
        DataType::Int8,
        DataType::Int16,
        DataType::Int32,
        DataType::Int64,
        DataType::Fp16,
        DataType::Bf16,
        DataType::Fp32,
        DataType::Fp64,
    ];
    for dt in all {
        let io = ModelIo {
            inputs: vec![tensor("x", dt, &[4])],
            outputs: vec![tensor("y", dt, &[4])],
            profile_max_batch: None,
        };
        let pbtxt = config_pbtxt("m", &io, &TritonOptions::default()).unwrap();
        let m = parse(&pbtxt).unwrap_or_else(|e| panic!("{dt:?}: {e}"));
        assert_eq!(
            enum_name(&messages(&m, "input")[0], "data_type"),
            dt.as_str()
        );
    }
}

#[test]
fn quoted_names_survive_the_round_trip() {
    let io = ModelIo {
        inputs: vec![tensor(r#"in "quoted" \ name"#, DataType::Fp32, &[1])],
        outputs: vec![tensor("out", DataType::Fp32, &[1])],
        profile_max_batch: None,
    };
    let m = parse(&config_pbtxt("m", &io, &TritonOptions::default()).unwrap()).unwrap();
    assert_eq!(
        string(&messages(&m, "input")[0], "name"),
        r#"in "quoted" \ name"#
    );
}

#[test]
fn the_same_parser_rejects_bad_configs() {
    let good = config_pbtxt("m", &bert_like(), &TritonOptions::default()).unwrap();
    parse(&good).unwrap();
    // (what, corrupted text, a word the parser's error must name)
    let bad = [
        (
            "an unknown data type",
            good.replacen("TYPE_INT64", "TYPE_FP99", 1),
            "TYPE_FP99",
        ),
        (
            "an unknown field",
            format!("{good}not_a_field: 1\n"),
            "not_a_field",
        ),
        (
            "an unknown instance kind",
            format!("{good}instance_group: [ {{ kind: KIND_GPUU }} ]\n"),
            "KIND_GPUU",
        ),
        (
            "a string where a number belongs",
            good.replacen("max_batch_size: 16", "max_batch_size: \"16\"", 1),
            "",
        ),
        (
            "an unclosed list",
            good.replacen("]\noutput", "\noutput", 1),
            "",
        ),
    ];
    for (what, text, named) in bad {
        assert_ne!(text, good, "{what}: the corruption did not apply");
        let err = parse(&text).expect_err(what);
        eprintln!("{what}: {err}");
        assert!(err.contains(named), "{what}: {err}");
    }
}
