//! Triton's own model-configuration schema (`model_config.proto`, provisioned by `cargo xtask
//! setup` from the pip wheel `tritonclient` into `.deps/triton/model_config.desc`) and a
//! text-format parser over it.

#![allow(dead_code)]

use std::path::PathBuf;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage, Value};

/// `inference.ModelConfig`, from the provisioned descriptor set. Panics with the remedy when it
/// has not been provisioned: a schema test must never pass by not running.
pub fn model_config() -> MessageDescriptor {
    let deps = std::env::var_os("CANDLE2TRT_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.deps"));
    let path = deps.join("triton").join("model_config.desc");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `cargo xtask setup` (it provisions Triton's schema from the pip wheel tritonclient)",
            path.display()
        )
    });
    let pool = DescriptorPool::decode(bytes.as_slice()).expect("a valid FileDescriptorSet");
    pool.get_message_by_name("inference.ModelConfig")
        .expect("inference.ModelConfig in model_config.proto")
}

/// Parses `pbtxt` as an `inference.ModelConfig`, as Triton does when it loads a model.
pub fn parse(pbtxt: &str) -> Result<DynamicMessage, String> {
    DynamicMessage::parse_text_format(model_config(), pbtxt).map_err(|e| e.to_string())
}

/// Field `name` of `m` (its default when unset).
pub fn field(m: &DynamicMessage, name: &str) -> Value {
    m.get_field_by_name(name)
        .unwrap_or_else(|| panic!("no field {name} in {}", m.descriptor().full_name()))
        .into_owned()
}

/// The enum value name of enum field `name` of `m` (`TYPE_FP32`, `KIND_GPU`).
pub fn enum_name(m: &DynamicMessage, name: &str) -> String {
    let f = m.descriptor().get_field_by_name(name).expect("field");
    let n = field(m, name).as_enum_number().expect("an enum field");
    f.kind()
        .as_enum()
        .and_then(|e| e.get_value(n))
        .map(|v| v.name().to_string())
        .unwrap_or_else(|| format!("<unknown {n}>"))
}

/// The messages of repeated message field `name` of `m`.
pub fn messages(m: &DynamicMessage, name: &str) -> Vec<DynamicMessage> {
    field(m, name)
        .as_list()
        .expect("a repeated field")
        .iter()
        .map(|v| v.as_message().expect("a message").clone())
        .collect()
}

/// The values of repeated int64 field `name` of `m`.
pub fn int64s(m: &DynamicMessage, name: &str) -> Vec<i64> {
    field(m, name)
        .as_list()
        .expect("a repeated field")
        .iter()
        .map(|v| v.as_i64().expect("int64"))
        .collect()
}

/// A string field.
pub fn string(m: &DynamicMessage, name: &str) -> String {
    field(m, name).as_str().expect("a string").to_string()
}
