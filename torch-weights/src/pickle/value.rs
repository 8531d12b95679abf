//! The values a pickle builds: scalars, containers and tensors in an arena.

use std::collections::HashMap;
use std::rc::Rc;

use crate::dtype::StoredDType;

/// Index of an object in the [`Pickle`] arena.
pub(crate) type ObjId = usize;

/// A pickled value. Containers and tensors live in the arena.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer too large for `i64`, as little-endian two's complement bytes.
    BigInt(Rc<[u8]>),
    // Read only through `Debug`: metadata such as learning rates is parsed, not interpreted.
    #[allow(dead_code)]
    Float(f64),
    Str(Rc<str>),
    #[allow(dead_code)]
    Bytes(Rc<[u8]>),
    Obj(ObjId),
}

/// An allowlisted global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    OrderedDict,
    Dict,
    List,
    Tuple,
    Set,
    FrozenSet,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    TensorClass,
    ParameterClass,
    Storage(StoredDType),
    DType(StoredDType),
    Size,
    Device,
    CodecsEncode,
}

/// A storage as described by a persistent id.
#[derive(Debug, Clone)]
pub(crate) struct StorageRef {
    pub dtype: StoredDType,
    /// The record key (`"0"` in zip files, a number in legacy files).
    pub key: String,
    /// Number of elements declared for the storage.
    pub numel: u64,
    /// Legacy files only: `(root key, element offset, size)` when this storage is a view of another.
    pub view: Option<(String, u64, u64)>,
}

/// A tensor built by `_rebuild_tensor_v2`.
#[derive(Debug, Clone)]
pub(crate) struct TensorRef {
    pub storage: StorageRef,
    pub offset: u64,
    pub shape: Vec<u64>,
    pub stride: Vec<u64>,
}

/// A dictionary preserving insertion order, with Python's replace-on-same-key semantics for
/// hashable scalar keys.
#[derive(Debug, Default)]
pub(crate) struct Dict {
    pub entries: Vec<(Value, Value)>,
    index: HashMap<KeyRepr, usize>,
}

#[derive(Debug, Hash, PartialEq, Eq)]
enum KeyRepr {
    None,
    Int(i64),
    Str(Rc<str>),
}

impl Dict {
    pub(super) fn insert(&mut self, k: Value, v: Value) {
        let repr = match &k {
            Value::None => Some(KeyRepr::None),
            Value::Bool(b) => Some(KeyRepr::Int(i64::from(*b))),
            Value::Int(i) => Some(KeyRepr::Int(*i)),
            Value::Str(s) => Some(KeyRepr::Str(s.clone())),
            _ => None,
        };
        match repr {
            Some(r) => {
                if let Some(&i) = self.index.get(&r) {
                    self.entries[i].1 = v;
                } else {
                    self.index.insert(r, self.entries.len());
                    self.entries.push((k, v));
                }
            }
            None => self.entries.push((k, v)),
        }
    }
}

/// An object in the arena.
#[derive(Debug)]
pub(crate) enum Obj {
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Dict),
    Set(Vec<Value>),
    Global(Global),
    Storage(StorageRef),
    Tensor(TensorRef),
    /// A value we accept but do not interpret (a `torch.device`, a storage passed alone, ...).
    #[allow(dead_code)]
    Opaque(&'static str),
}

/// The result of reading a pickle: the arena and the root value.
#[derive(Debug)]
pub(crate) struct Pickle {
    pub objs: Vec<Obj>,
    pub root: Value,
}

impl Pickle {
    pub fn obj(&self, v: &Value) -> Option<&Obj> {
        match v {
            Value::Obj(id) => self.objs.get(*id),
            _ => None,
        }
    }
}

pub(super) fn long_from_bytes(b: &[u8]) -> Value {
    if b.is_empty() {
        return Value::Int(0);
    }
    if b.len() <= 8 {
        let neg = b[b.len() - 1] & 0x80 != 0;
        let mut a = if neg { [0xffu8; 8] } else { [0u8; 8] };
        a[..b.len()].copy_from_slice(b);
        Value::Int(i64::from_le_bytes(a))
    } else {
        Value::BigInt(Rc::from(b))
    }
}

pub(super) fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}
