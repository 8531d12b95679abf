//! The allowlist of globals a pickle may name.

use super::value::Global;
use crate::dtype::StoredDType;
use crate::error::{Error, Result};

/// Resolves `module.name` against the allowlist.
pub(super) fn lookup_global(module: &str, name: &str, offset: u64) -> Result<Global> {
    let g = match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("builtins" | "__builtin__", "dict") => Global::Dict,
        ("builtins" | "__builtin__", "list") => Global::List,
        ("builtins" | "__builtin__", "tuple") => Global::Tuple,
        ("builtins" | "__builtin__", "set") => Global::Set,
        ("builtins" | "__builtin__", "frozenset") => Global::FrozenSet,
        ("_codecs", "encode") => Global::CodecsEncode,
        ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor") => Global::RebuildTensor,
        ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Global::RebuildParameterWithState,
        ("torch._tensor", "_rebuild_from_type_v2") => Global::RebuildFromTypeV2,
        ("torch", "Tensor") | ("torch._tensor", "Tensor") => Global::TensorClass,
        ("torch.nn.parameter", "Parameter") => Global::ParameterClass,
        ("torch", "Size") => Global::Size,
        ("torch", "device") => Global::Device,
        ("torch._utils", n @ ("_rebuild_qtensor" | "_rebuild_sparse_tensor" | "_rebuild_nested_tensor"))
        | ("torch._utils", n @ ("_rebuild_meta_tensor_no_storage" | "_rebuild_wrapper_subclass")) => {
            return Err(Error::Unsupported {
                what: format!("tensor kind rebuilt by torch._utils.{n} (only dense strided tensors are supported)"),
            })
        }
        ("torch", n) | ("torch.storage", n) => {
            if let Some(dt) = StoredDType::from_torch_storage(n) {
                Global::Storage(dt)
            } else if let Some(dt) = StoredDType::from_torch_dtype(n) {
                Global::DType(dt)
            } else if n.ends_with("Storage") {
                return Err(Error::Unsupported {
                    what: format!("storage type torch.{n}"),
                });
            } else {
                return Err(forbidden(module, name, offset));
            }
        }
        _ => return Err(forbidden(module, name, offset)),
    };
    Ok(g)
}

fn forbidden(module: &str, name: &str, offset: u64) -> Error {
    Error::ForbiddenGlobal {
        module: module.to_string(),
        name: name.to_string(),
        offset,
    }
}
