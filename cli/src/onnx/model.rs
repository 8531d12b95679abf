//! What `candle2trt simulate` needs of an ONNX model (`ModelProto`): the graph's inputs (without the
//! initializers older files also list as inputs), its outputs with their element types, and its nodes (name,
//! op type, inputs, outputs) — to feed test data by position, to name the node that produced a diverging
//! tensor, and to list the op types a case exercises. Weights are skipped, not decoded.

use super::wire::{self, Reader};
use super::{ElemType, OnnxError};

/// One node of the main graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its name (may be empty).
    pub name: String,
    /// Its op type (`Conv`, `Relu`, ...).
    pub op_type: String,
    /// Its domain (empty: the default `ai.onnx`).
    pub domain: String,
    /// The tensors it reads (empty names: omitted optional inputs).
    pub inputs: Vec<String>,
    /// The tensors it writes.
    pub outputs: Vec<String>,
}

/// What a graph input or output holds (`TypeProto`'s `value` oneof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    /// A tensor of this element type (`None`: a type this reader refuses, or none given).
    Tensor(Option<ElemType>),
    /// A sequence, map, optional or sparse tensor: nothing TensorRT takes as a network input.
    Other(&'static str),
}

/// A graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueInfo {
    /// Its name.
    pub name: String,
    /// What it holds.
    pub kind: ValueKind,
}

/// The main graph of an ONNX model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Nodes in file order.
    pub nodes: Vec<Node>,
    /// The graph inputs that are not initializers, in order (the order of `input_K.pb`).
    pub inputs: Vec<ValueInfo>,
    /// The graph outputs, in order (the order of `output_K.pb`).
    pub outputs: Vec<ValueInfo>,
}

impl Graph {
    /// The node that writes tensor `name`.
    pub fn producer(&self, name: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.outputs.iter().any(|o| o == name))
    }

    /// The element type the graph declares for its input or output `name`.
    pub fn declared_type(&self, name: &str) -> Option<ElemType> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .find(|v| v.name == name)
            .and_then(|v| match v.kind {
                ValueKind::Tensor(t) => t,
                ValueKind::Other(_) => None,
            })
    }

    /// The distinct op types of the graph's nodes, sorted (`domain:Op` outside the default domain).
    pub fn op_types(&self) -> Vec<String> {
        let mut ops: Vec<String> = self
            .nodes
            .iter()
            .map(|n| match n.domain.as_str() {
                "" | "ai.onnx" => n.op_type.clone(),
                d => format!("{d}:{}", n.op_type),
            })
            .collect();
        ops.sort();
        ops.dedup();
        ops
    }
}

/// Reads the main graph of a serialized `ModelProto` (field 7, `graph`).
pub fn decode_model(buf: &[u8]) -> Result<Graph, OnnxError> {
    let mut r = Reader::new(buf, "ModelProto");
    let mut graph = None;
    while let Some((number, p)) = r.field()? {
        if number == 7 {
            graph = Some(decode_graph(wire::bytes(p, "ModelProto.graph")?)?);
        }
    }
    graph.ok_or_else(|| OnnxError::Malformed {
        what: "ModelProto",
        offset: buf.len(),
        message: "no graph (field 7)".into(),
    })
}

fn decode_graph(buf: &[u8]) -> Result<Graph, OnnxError> {
    let mut r = Reader::new(buf, "GraphProto");
    let mut g = Graph::default();
    let mut inputs = Vec::new();
    let mut initializers = Vec::new();
    while let Some((number, p)) = r.field()? {
        match number {
            1 => g
                .nodes
                .push(decode_node(wire::bytes(p, "GraphProto.node")?)?),
            5 => initializers.push(tensor_name(wire::bytes(p, "GraphProto.initializer")?)?),
            // A SparseTensorProto's values (field 1) are a TensorProto carrying the name.
            15 => {
                let mut s = Reader::new(
                    wire::bytes(p, "GraphProto.sparse_initializer")?,
                    "SparseTensorProto",
                );
                while let Some((n, q)) = s.field()? {
                    if n == 1 {
                        initializers
                            .push(tensor_name(wire::bytes(q, "SparseTensorProto.values")?)?);
                    }
                }
            }
            11 => inputs.push(decode_value_info(wire::bytes(p, "GraphProto.input")?)?),
            12 => g
                .outputs
                .push(decode_value_info(wire::bytes(p, "GraphProto.output")?)?),
            _ => {}
        }
    }
    g.inputs = inputs
        .into_iter()
        .filter(|i| !initializers.contains(&i.name))
        .collect();
    Ok(g)
}

fn tensor_name(buf: &[u8]) -> Result<String, OnnxError> {
    let mut r = Reader::new(buf, "TensorProto");
    let mut name = String::new();
    while let Some((number, p)) = r.field()? {
        if number == 8 {
            name = wire::string(p, "TensorProto.name")?;
        }
    }
    Ok(name)
}

fn decode_node(buf: &[u8]) -> Result<Node, OnnxError> {
    let mut r = Reader::new(buf, "NodeProto");
    let mut n = Node {
        name: String::new(),
        op_type: String::new(),
        domain: String::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    while let Some((number, p)) = r.field()? {
        match number {
            1 => n.inputs.push(wire::string(p, "NodeProto.input")?),
            2 => n.outputs.push(wire::string(p, "NodeProto.output")?),
            3 => n.name = wire::string(p, "NodeProto.name")?,
            4 => n.op_type = wire::string(p, "NodeProto.op_type")?,
            7 => n.domain = wire::string(p, "NodeProto.domain")?,
            _ => {}
        }
    }
    Ok(n)
}

fn decode_value_info(buf: &[u8]) -> Result<ValueInfo, OnnxError> {
    let mut r = Reader::new(buf, "ValueInfoProto");
    let mut name = String::new();
    let mut kind = ValueKind::Tensor(None);
    while let Some((number, p)) = r.field()? {
        match number {
            1 => name = wire::string(p, "ValueInfoProto.name")?,
            2 => kind = decode_type(wire::bytes(p, "ValueInfoProto.type")?)?,
            _ => {}
        }
    }
    Ok(ValueInfo { name, kind })
}

/// `TypeProto`: `tensor_type` (1, whose `elem_type` is field 1), `sequence_type` (4), `map_type` (5),
/// `sparse_tensor_type` (8), `optional_type` (9).
fn decode_type(buf: &[u8]) -> Result<ValueKind, OnnxError> {
    let mut r = Reader::new(buf, "TypeProto");
    let mut kind = ValueKind::Tensor(None);
    while let Some((number, p)) = r.field()? {
        kind = match number {
            1 => {
                let mut t =
                    Reader::new(wire::bytes(p, "TypeProto.tensor_type")?, "TypeProto.Tensor");
                let mut elem = None;
                while let Some((n, q)) = t.field()? {
                    if n == 1 {
                        elem = ElemType::from_code(wire::varint(q, "TypeProto.Tensor.elem_type")?)
                            .ok();
                    }
                }
                ValueKind::Tensor(elem)
            }
            4 => ValueKind::Other("a sequence"),
            5 => ValueKind::Other("a map"),
            8 => ValueKind::Other("a sparse tensor"),
            9 => ValueKind::Other("an optional"),
            _ => continue,
        };
    }
    Ok(kind)
}
