//! `candle2trt simulate`: a network parsed from ONNX by TensorRT's own parser, read back and run by `trt-sim`,
//! compared with reference values (ONNX test data, or a safetensors file written next to PyTorch's export).
//!
//! This module holds everything but the parse: matching the reference tensors to the network's inputs and
//! outputs ([`match_inputs`], [`match_outputs`]), running the program at the inputs' shapes ([`run`]),
//! judging each output ([`compare`]) and finding the first diverging intermediate tensor ([`first_divergence`]).

use std::collections::BTreeMap;

use candle_core::DType;
use trt::DataType;
use trt_sim::{InputRange, Program, RunOptions, Value};

use crate::onnx::{ElemType, Graph, OnnxTensor, Values};

/// The accepted error of one output: `abs + rel·max|reference|` (real outputs; integer and boolean outputs
/// must be equal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// The absolute part.
    pub abs: f64,
    /// The part relative to the reference's largest finite magnitude.
    pub rel: f64,
}

impl Default for Tolerance {
    /// The f32 bound: `1e-5 + 1e-4·max|ref|`. An f32 result carries a relative rounding error of 2^-24 ≈ 6e-8
    /// per operation; 1e-4 leaves room for about a thousand accumulated roundings (a reduction over a few
    /// thousand terms, or the reference computed in another order), and 1e-5 absolute covers outputs whose
    /// largest magnitude is near zero (a difference of two large sums).
    fn default() -> Self {
        Tolerance {
            abs: 1e-5,
            rel: 1e-4,
        }
    }
}

/// Parses `ABS,REL` (`1e-5,1e-4`).
pub fn parse_tolerance(s: &str) -> Result<Tolerance, String> {
    let (a, r) = s
        .split_once(',')
        .ok_or_else(|| format!("{s:?}: write ABS,REL such as 1e-5,1e-4"))?;
    let num = |p: &str| {
        p.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{p:?} is not a finite number >= 0"))
    };
    Ok(Tolerance {
        abs: num(a)?,
        rel: num(r)?,
    })
}

/// How one output compares with its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The largest |simulated − reference| over elements where both are finite (NaN where the shapes differ).
    pub max_abs_err: f64,
    /// The largest finite |reference|.
    pub reference_max_abs: f64,
    /// The accepted error: the tolerance at `reference_max_abs` (0 for integer and boolean outputs).
    pub bound: f64,
    /// Why the output does not match (`None`: it matches).
    pub failure: Option<String>,
}

/// The TensorRT type an ONNX element type is held in: the same type, except DOUBLE, for which TensorRT has no
/// type (`DataType` in NvInferRuntimeBase.h lists none) and which the parser computes in FLOAT. `None`: no
/// TensorRT type holds it.
pub fn tensorrt_type(t: ElemType) -> Option<DataType> {
    Some(match t {
        ElemType::Float | ElemType::Double => DataType::Float,
        ElemType::Float16 => DataType::Half,
        ElemType::Bfloat16 => DataType::BF16,
        ElemType::Int8 => DataType::Int8,
        ElemType::Int32 => DataType::Int32,
        ElemType::Int64 => DataType::Int64,
        ElemType::Uint8 => DataType::UInt8,
        ElemType::Bool => DataType::Bool,
        ElemType::Int16 | ElemType::Uint16 | ElemType::Uint32 | ElemType::Uint64 => return None,
    })
}

/// Compares a simulated value with its reference: the same dims, the TensorRT type of the reference's type,
/// NaN and ±inf at the same places (NaN matching NaN, an infinity the same infinity), and every other element
/// within the tolerance (equal for integers and booleans).
pub fn compare(
    sim: &Value,
    reference: &OnnxTensor,
    tol: Tolerance,
) -> candle_core::Result<Comparison> {
    let mut failure = None;
    let expected_type = tensorrt_type(reference.elem_type);
    if expected_type != Some(sim.dtype()) {
        failure = Some(format!(
            "type differs: simulated {:?}, reference {} (TensorRT {})",
            sim.dtype(),
            reference.elem_type.name(),
            expected_type.map_or("has none".to_string(), |t| format!("{t:?}"))
        ));
    }
    let sim_values = sim
        .tensor()
        .flatten_all()?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?;
    let reference_max_abs = match &reference.values {
        Values::Real(v) => v
            .iter()
            .filter(|x| x.is_finite())
            .fold(0f64, |m, x| m.max(x.abs())),
        Values::Int(v) => v.iter().fold(0f64, |m, &x| m.max((x as f64).abs())),
    };
    let exact = matches!(reference.values, Values::Int(_));
    let bound = if exact {
        0.0
    } else {
        tol.abs + tol.rel * reference_max_abs
    };
    if sim.dims() != reference.dims.as_slice() {
        return Ok(Comparison {
            max_abs_err: f64::NAN,
            reference_max_abs,
            bound,
            failure: Some(format!(
                "shape differs: simulated {:?}, reference {:?}",
                sim.dims(),
                reference.dims
            )),
        });
    }
    let mut max_abs_err = 0f64;
    let mut non_finite = None;
    let mut record = |i: usize, s: f64, r: f64, err: f64| {
        if err.is_nan() {
            non_finite.get_or_insert((i, s, r));
        } else {
            max_abs_err = max_abs_err.max(err);
        }
    };
    match &reference.values {
        Values::Real(r) => {
            for (i, (&s, &r)) in sim_values.iter().zip(r).enumerate() {
                let err = if s.is_finite() && r.is_finite() {
                    (s - r).abs()
                } else if (s.is_nan() && r.is_nan()) || s == r {
                    0.0
                } else {
                    f64::NAN
                };
                record(i, s, r, err);
            }
        }
        Values::Int(r) => {
            // Integers compared as integers: an f64 holds i64 exactly only up to 2^53.
            let s: Vec<i64> = match sim.tensor().dtype() {
                DType::I64 | DType::U8 => sim
                    .tensor()
                    .flatten_all()?
                    .to_dtype(DType::I64)?
                    .to_vec1()?,
                _ => sim_values.iter().map(|&x| x as i64).collect(),
            };
            for (i, (&s, &r)) in s.iter().zip(r).enumerate() {
                record(i, s as f64, r as f64, s.abs_diff(r) as f64);
            }
        }
    }
    if failure.is_none() {
        if let Some((i, s, r)) = non_finite {
            failure = Some(format!(
                "element {i}: simulated {s}, reference {r} (non-finite on one side only)"
            ));
        } else if max_abs_err > bound {
            failure = Some(format!(
                "max abs error {max_abs_err:.3e} beyond the bound {bound:.3e}"
            ));
        }
    }
    Ok(Comparison {
        max_abs_err,
        reference_max_abs,
        bound,
        failure,
    })
}

/// Test data that does not fit the network.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MismatchError(pub String);

/// Places `given` (the reference inputs, in file order) on the network's inputs: a tensor whose name is a
/// network input's goes there; an unnamed (or otherwise named) one goes by position, the `k`-th onto the
/// ONNX graph's `k`-th input (initializers excluded, as ONNX's runner feeds them) when the graph is known,
/// else onto the network's `k`-th. A graph input TensorRT's network lacks (unused by any node) takes its
/// tensor and drops it. Returns one tensor per network input, in network order.
pub fn match_inputs(
    network_inputs: &[String],
    graph: Option<&Graph>,
    given: Vec<OnnxTensor>,
) -> Result<Vec<OnnxTensor>, MismatchError> {
    let mut placed: Vec<Option<OnnxTensor>> = vec![None; network_inputs.len()];
    for (k, t) in given.into_iter().enumerate() {
        let target = if network_inputs.contains(&t.name) {
            t.name.clone()
        } else if let Some(g) = graph {
            match g.inputs.get(k) {
                Some(i) => i.name.clone(),
                None => {
                    return Err(MismatchError(format!(
                        "input {k} ('{}') has no place: the ONNX graph has {} inputs",
                        t.name,
                        g.inputs.len()
                    )))
                }
            }
        } else {
            match network_inputs.get(k) {
                Some(n) => n.clone(),
                None => {
                    return Err(MismatchError(format!(
                        "input {k} ('{}') has no place: the network has {} inputs",
                        t.name,
                        network_inputs.len()
                    )))
                }
            }
        };
        if let Some(slot) = network_inputs.iter().position(|n| *n == target) {
            if placed[slot].is_some() {
                return Err(MismatchError(format!(
                    "network input '{target}' is given twice"
                )));
            }
            placed[slot] = Some(t);
        }
    }
    placed
        .into_iter()
        .zip(network_inputs)
        .map(|(t, name)| {
            t.ok_or_else(|| {
                MismatchError(format!(
                    "network input '{name}' has no value in the reference data"
                ))
            })
        })
        .collect()
}

/// Pairs each network output with its reference: by name where a reference tensor carries a network
/// output's name, else by position (the ONNX graph's `k`-th output is the `k`-th reference). `Err` when the
/// counts differ or a network output has no reference.
pub fn match_outputs(
    network_outputs: &[String],
    references: Vec<OnnxTensor>,
) -> Result<Vec<OnnxTensor>, MismatchError> {
    if references.len() != network_outputs.len() {
        return Err(MismatchError(format!(
            "output count differs: the network has {} ({}), the reference {}",
            network_outputs.len(),
            network_outputs.join(", "),
            references.len()
        )));
    }
    let by_name = references.iter().all(|r| network_outputs.contains(&r.name));
    if !by_name {
        return Ok(references);
    }
    let mut refs = references;
    network_outputs
        .iter()
        .map(|name| {
            let i = refs.iter().position(|r| r.name == *name).ok_or_else(|| {
                MismatchError(format!("network output '{name}' has no reference"))
            })?;
            Ok(refs.swap_remove(i))
        })
        .collect()
}

/// Each tensor (named as the network's tensor `names[i]`) in the type the graph declares for it, where the
/// file holds the bit patterns of that type as UINT16 (ONNX's test data for BFLOAT16: see
/// [`OnnxTensor::bits_as`]). Returns the names of the tensors read so.
pub fn as_declared(tensors: &mut [OnnxTensor], names: &[String], graph: &Graph) -> Vec<String> {
    let mut changed = Vec::new();
    for (t, name) in tensors.iter_mut().zip(names) {
        let Some(declared) = graph.declared_type(name) else {
            continue;
        };
        if let Some(real) = t.bits_as(declared) {
            *t = real;
            changed.push(name.clone());
        }
    }
    changed
}

/// The input ONNX's backend runner makes for its `light` models, which ship no inputs
/// (`onnx/backend/test/runner`, `generate_dummy_data` with `random=False`): `arange(n).reshape(shape) / n` in
/// f32, where `shape` takes 1 for a dimension the graph leaves open (TensorRT's -1).
pub fn ramp_input(name: &str, dims: &[i64]) -> OnnxTensor {
    let dims: Vec<usize> = dims
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(1))
        .collect();
    let n: usize = dims.iter().product();
    OnnxTensor {
        name: name.to_string(),
        elem_type: ElemType::Float,
        dims,
        // numpy divides in f64, then `astype(np.float32)` rounds once.
        values: Values::Real(
            (0..n)
                .map(|i| f64::from((i as f64 / n as f64) as f32))
                .collect(),
        ),
    }
}

/// Sets each input's range to the dims it is given (a dynamic dimension's profile is the reference's own
/// shape), then runs the program.
pub fn run(
    program: &mut Program<'_>,
    inputs: &[OnnxTensor],
    options: &RunOptions,
) -> Result<trt_sim::Run, RunError> {
    let names: Vec<String> = program.inputs().iter().map(|i| i.name.clone()).collect();
    let mut tensors = Vec::with_capacity(inputs.len());
    for (name, t) in names.iter().zip(inputs) {
        let dims = t.dims.clone();
        program.set_input_range(
            name,
            InputRange {
                min: dims.clone(),
                opt: dims.clone(),
                max: dims,
            },
        )?;
        tensors.push(
            t.to_candle()
                .map_err(|e| RunError::Data(format!("input '{name}': {e}")))?,
        );
    }
    Ok(program.run(&tensors, options)?)
}

/// A run that could not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The simulator refused or failed (its error says which layer).
    #[error(transparent)]
    Sim(#[from] trt_sim::Error),
    /// A reference value could not become a candle tensor.
    #[error("{0}")]
    Data(String),
}

impl RunError {
    /// Whether a layer the simulator does not implement stopped the run (`LayerError::Unsupported`).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            RunError::Sim(trt_sim::Error::Layer {
                source: trt_sim::LayerError::Unsupported(_),
                ..
            })
        )
    }
}

/// The first intermediate tensor, in network order, whose simulated value differs from its reference.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The tensor's name (TensorRT's, which the parser takes from ONNX).
    pub tensor: String,
    /// The TensorRT layer that wrote it: name and type.
    pub layer: String,
    /// The ONNX node that wrote the tensor: name and op type (`None` when the graph names no producer).
    pub node: Option<(String, String)>,
    /// How it differs.
    pub comparison: Comparison,
}

/// Walks the layers in order and compares every output tensor that has a reference (named by ONNX tensor
/// name) with its simulated value (`run` made with `keep_all`); returns the first that fails, and how many
/// tensors were compared.
pub fn first_divergence(
    program: &Program<'_>,
    run: &trt_sim::Run,
    references: &BTreeMap<String, OnnxTensor>,
    graph: &Graph,
    tol: Tolerance,
) -> candle_core::Result<(Option<Divergence>, usize)> {
    let mut compared = 0;
    for step in program.steps() {
        for &t in &step.outputs {
            let info = &program.tensors()[t];
            let (Some(reference), Some(value)) = (references.get(&info.name), run.value(t)) else {
                continue;
            };
            compared += 1;
            let c = compare(value, reference, tol)?;
            if c.failure.is_some() {
                return Ok((
                    Some(Divergence {
                        tensor: info.name.clone(),
                        layer: format!("{} ({:?})", step.name, step.desc.layer_type()),
                        node: graph
                            .producer(&info.name)
                            .map(|n| (n.name.clone(), n.op_type.clone())),
                        comparison: c,
                    }),
                    compared,
                ));
            }
        }
    }
    Ok((None, compared))
}

/// A candle tensor (from a safetensors file) as a reference tensor named `name`.
pub fn from_candle(name: &str, t: &candle_core::Tensor) -> Result<OnnxTensor, MismatchError> {
    let err = |e: candle_core::Error| MismatchError(format!("tensor '{name}': {e}"));
    let flat = t.flatten_all().map_err(err)?;
    let real = |elem_type| -> Result<OnnxTensor, MismatchError> {
        Ok(OnnxTensor {
            name: name.to_string(),
            elem_type,
            dims: t.dims().to_vec(),
            values: Values::Real(
                flat.to_dtype(DType::F64)
                    .and_then(|x| x.to_vec1())
                    .map_err(err)?,
            ),
        })
    };
    let int = |elem_type| -> Result<OnnxTensor, MismatchError> {
        Ok(OnnxTensor {
            name: name.to_string(),
            elem_type,
            dims: t.dims().to_vec(),
            values: Values::Int(
                flat.to_dtype(DType::I64)
                    .and_then(|x| x.to_vec1())
                    .map_err(err)?,
            ),
        })
    };
    match t.dtype() {
        DType::F32 => real(ElemType::Float),
        DType::F64 => real(ElemType::Double),
        DType::F16 => real(ElemType::Float16),
        DType::BF16 => real(ElemType::Bfloat16),
        DType::I64 => int(ElemType::Int64),
        DType::I32 => int(ElemType::Int32),
        DType::I16 => int(ElemType::Int16),
        DType::U32 => int(ElemType::Uint32),
        DType::U8 => int(ElemType::Uint8),
        other => Err(MismatchError(format!(
            "tensor '{name}': dtype {other:?} is not read"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn real(name: &str, dims: &[usize], v: &[f64]) -> OnnxTensor {
        OnnxTensor {
            name: name.into(),
            elem_type: ElemType::Float,
            dims: dims.to_vec(),
            values: Values::Real(v.to_vec()),
        }
    }

    fn value(v: &[f32], dims: &[usize]) -> Value {
        let t = Tensor::from_vec(v.to_vec(), dims, &Device::Cpu).unwrap();
        Value::from_candle(&t, DataType::Float).unwrap()
    }

    #[test]
    fn tolerances_parse() {
        assert_eq!(
            parse_tolerance("1e-3, 0").unwrap(),
            Tolerance {
                abs: 1e-3,
                rel: 0.0
            }
        );
        for bad in ["1e-3", "a,b", "-1,0", "inf,0"] {
            assert!(parse_tolerance(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_bound_is_abs_plus_rel_times_the_largest_finite_reference() {
        let tol = Tolerance::default();
        // max|ref| = 100 (the inf is not counted): bound 1e-5 + 1e-2.
        let r = real("y", &[4], &[100.0, -3.0, f64::INFINITY, f64::NAN]);
        let ok = compare(
            &value(&[100.009, -3.0, f32::INFINITY, f32::NAN], &[4]),
            &r,
            tol,
        )
        .unwrap();
        assert_eq!(ok.reference_max_abs, 100.0);
        assert!((ok.bound - 0.01001).abs() < 1e-12);
        assert!(ok.failure.is_none(), "{ok:?}");
        let beyond = compare(
            &value(&[100.011, -3.0, f32::INFINITY, f32::NAN], &[4]),
            &r,
            tol,
        )
        .unwrap();
        assert!(beyond.failure.unwrap().contains("beyond"));
    }

    #[test]
    fn non_finite_on_one_side_type_and_shape_fail() {
        let tol = Tolerance::default();
        let r = real("y", &[2], &[1.0, 2.0]);
        for (v, needle) in [
            (value(&[1.0, f32::NAN], &[2]), "non-finite"),
            (value(&[1.0, f32::INFINITY], &[2]), "non-finite"),
            (value(&[1.0, 2.0], &[1, 2]), "shape differs"),
        ] {
            let c = compare(&v, &r, tol).unwrap();
            assert!(c.failure.as_deref().unwrap_or("").contains(needle), "{c:?}");
        }
        let inf = real("y", &[1], &[f64::INFINITY]);
        let c = compare(&value(&[f32::NEG_INFINITY], &[1]), &inf, tol).unwrap();
        assert!(c.failure.is_some(), "-inf for +inf");
        let ints = OnnxTensor {
            name: "i".into(),
            elem_type: ElemType::Int64,
            dims: vec![2],
            values: Values::Int(vec![1, 2]),
        };
        let c = compare(&value(&[1.0, 2.0], &[2]), &ints, tol).unwrap();
        assert!(c.failure.unwrap().contains("type differs"));
        // Integers must be equal, whatever the tolerance.
        let t = Tensor::new(&[1i64, 3], &Device::Cpu).unwrap();
        let v = Value::from_candle(&t, DataType::Int64).unwrap();
        let c = compare(
            &v,
            &ints,
            Tolerance {
                abs: 10.0,
                rel: 1.0,
            },
        )
        .unwrap();
        assert_eq!((c.bound, c.max_abs_err), (0.0, 1.0));
        assert!(c.failure.is_some());
    }

    #[test]
    fn inputs_go_by_name_then_by_graph_position() {
        let net = vec!["a".to_string(), "b".to_string()];
        let given = vec![real("", &[1], &[1.0]), real("a", &[1], &[2.0])];
        // Unnamed input 0 goes to the network's input 0 when no graph is known — but "a" is named, so 0 → "a"
        // collides.
        assert!(match_inputs(&net, None, given.clone()).is_err());
        let graph = Graph {
            inputs: vec![
                crate::onnx::ValueInfo {
                    name: "b".into(),
                    kind: crate::onnx::ValueKind::Tensor(None),
                },
                crate::onnx::ValueInfo {
                    name: "a".into(),
                    kind: crate::onnx::ValueKind::Tensor(None),
                },
            ],
            ..Graph::default()
        };
        let placed = match_inputs(&net, Some(&graph), given).unwrap();
        assert_eq!(placed[0].values, Values::Real(vec![2.0]));
        assert_eq!(placed[1].values, Values::Real(vec![1.0]));
        let missing = match_inputs(&net, Some(&graph), vec![real("a", &[1], &[0.0])]).unwrap_err();
        assert!(missing.0.contains("'b' has no value"), "{missing}");
    }

    #[test]
    fn outputs_by_name_or_position_and_counts_checked() {
        let net = vec!["x".to_string(), "y".to_string()];
        let named =
            match_outputs(&net, vec![real("y", &[1], &[1.0]), real("x", &[1], &[2.0])]).unwrap();
        assert_eq!(named[0].name, "x");
        let unnamed =
            match_outputs(&net, vec![real("", &[1], &[1.0]), real("", &[1], &[2.0])]).unwrap();
        assert_eq!(unnamed[1].values, Values::Real(vec![2.0]));
        assert!(match_outputs(&net, vec![real("x", &[1], &[1.0])])
            .unwrap_err()
            .0
            .contains("count"));
    }

    #[test]
    fn ramp_inputs_are_onnx_runners() {
        let t = ramp_input("x", &[-1, 3]);
        assert_eq!(t.dims, [1, 3]);
        assert_eq!(
            t.values,
            Values::Real(vec![
                0.0,
                f64::from((1.0f64 / 3.0) as f32),
                f64::from((2.0f64 / 3.0) as f32)
            ])
        );
    }

    #[test]
    fn uint16_data_is_read_as_the_declared_bfloat16() {
        let graph = Graph {
            outputs: vec![crate::onnx::ValueInfo {
                name: "y".into(),
                kind: crate::onnx::ValueKind::Tensor(Some(ElemType::Bfloat16)),
            }],
            ..Graph::default()
        };
        // 0x3f80 is 1.0 in bfloat16, 0x7fc0 a NaN.
        let mut t = vec![OnnxTensor {
            name: String::new(),
            elem_type: ElemType::Uint16,
            dims: vec![2],
            values: Values::Int(vec![0x3f80, 0x7fc0]),
        }];
        assert_eq!(as_declared(&mut t, &["y".into()], &graph), ["y"]);
        let Values::Real(v) = &t[0].values else {
            panic!()
        };
        assert_eq!(v[0], 1.0);
        assert!(v[1].is_nan());
        assert_eq!(t[0].elem_type, ElemType::Bfloat16);
    }
}
