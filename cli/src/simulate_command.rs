//! `candle2trt simulate MODEL.onnx`: TensorRT's ONNX parser writes the network, `trt-sim` runs it, and each
//! output is compared with a reference (the library half is `candle2trt_cli::simulate`).

use std::collections::BTreeMap;
use std::path::Path;

use candle2trt_cli::onnx::{self, Graph, OnnxTensor};
use candle2trt_cli::simulate::{self as sim, Tolerance};
use trt_sim::{Program, RunOptions};

use crate::{Failure, SimulateArgs};

type Result<T> = std::result::Result<T, Failure>;

/// Exit code: an output beyond its tolerance, of another type or shape, non-finite on one side only, or a
/// differing output count.
const MISMATCH: u8 = 3;
/// Exit code: a layer the simulator does not evaluate.
const UNSUPPORTED: u8 = 4;

fn data_err(e: impl std::fmt::Display) -> Failure {
    Failure::new(
        e.to_string(),
        "pass reference data that fits the model (see `candle2trt simulate --help`)",
        1,
    )
}

fn sim_err(e: &sim::RunError, what: &str) -> Failure {
    if e.is_unsupported() {
        Failure::new(
            format!("{what}: {e}"),
            "the simulator does not evaluate this layer yet (trt-sim/src/eval)",
            UNSUPPORTED,
        )
    } else {
        Failure {
            cause: format!("{what}: {e}"),
            fix: None,
            code: 1,
        }
    }
}

/// The reference data: inputs in network order, outputs in network order, and intermediate tensors by name.
struct References {
    inputs: Vec<OnnxTensor>,
    outputs: Vec<OnnxTensor>,
    intermediates: BTreeMap<String, OnnxTensor>,
}

fn from_test_data(
    dir: &Path,
    graph: Option<&Graph>,
    inputs: &[String],
    outputs: &[String],
    ramp: Option<Vec<Vec<i64>>>,
) -> Result<References> {
    let mut data = onnx::read_test_data(dir).map_err(data_err)?;
    if let Some(dims) = ramp {
        if data.inputs.is_empty() {
            data.inputs = inputs
                .iter()
                .zip(&dims)
                .map(|(n, d)| sim::ramp_input(n, d))
                .collect();
            println!(
                "note: inputs made as ONNX's runner makes them for its light models (arange(n)/n)"
            );
        }
    }
    let inputs = sim::match_inputs(inputs, graph, data.inputs).map_err(data_err)?;
    let outputs = sim::match_outputs(outputs, data.outputs).map_err(|e| {
        Failure::new(
            e.to_string(),
            "the model and its test data disagree",
            MISMATCH,
        )
    })?;
    Ok(References {
        inputs,
        outputs,
        intermediates: BTreeMap::new(),
    })
}

fn from_io(path: &Path, inputs: &[String], outputs: &[String]) -> Result<References> {
    let tensors = candle_core::safetensors::load(path, &candle_core::Device::Cpu)
        .map_err(|e| data_err(format!("cannot read {}: {e}", path.display())))?;
    let mut all = BTreeMap::new();
    for (name, t) in &tensors {
        all.insert(name.clone(), sim::from_candle(name, t).map_err(data_err)?);
    }
    let mut take = |name: &String, what: &str| {
        all.remove(name).ok_or_else(|| {
            data_err(format!(
                "{} has no tensor '{name}' (the model's {what}: its tensors are named as the ONNX graph's inputs and outputs)",
                path.display()
            ))
        })
    };
    let inputs = inputs
        .iter()
        .map(|n| take(n, "input"))
        .collect::<Result<Vec<_>>>()?;
    let outputs = outputs
        .iter()
        .map(|n| take(n, "output"))
        .collect::<Result<Vec<_>>>()?;
    Ok(References {
        inputs,
        outputs,
        intermediates: all,
    })
}

pub(crate) fn simulate(a: SimulateArgs) -> Result<()> {
    let bytes = std::fs::read(&a.model).map_err(|e| {
        Failure::new(
            format!("cannot read {}: {e}", a.model.display()),
            "pass an ONNX model file (weights embedded)",
            1,
        )
    })?;
    // Our own reading of the graph names the nodes (--layers), orders the test data's inputs and lists the op
    // types; the network itself is TensorRT's parser's alone.
    let graph = match onnx::decode_model(&bytes) {
        Ok(g) => {
            println!("onnx_ops {}", g.op_types().join(","));
            Some(g)
        }
        Err(e) => {
            println!("note: the graph could not be read ({e}); test data goes by position");
            None
        }
    };
    let tolerance = a.tolerance.unwrap_or_default();
    let library = trt::Library::load()
        .map_err(|e| Failure::from(candle2trt::Error::from(trt::Error::from(e))))?;
    let logger = trt::Logger::new(trt::Severity::Error)
        .map_err(|e| Failure::from(candle2trt::Error::from(e)))?;
    let builder = trt::Builder::new(library, &logger)
        .map_err(|e| Failure::from(candle2trt::Error::from(e)))?;
    let network = trt::Network::from_onnx(&builder, &bytes).map_err(|e| {
        let fix = match e {
            trt::Error::OnnxParse { .. } => {
                "TensorRT's ONNX parser refused the model (its message above)"
            }
            _ => "check that TensorRT-RTX's ONNX parser library is installed beside the library",
        };
        Failure::new(e.to_string(), fix, 1)
    })?;
    // The parser accepts bytes that decode as an empty ModelProto (trt's `from_onnx` docs): nothing to compare
    // is no match.
    if network.nb_outputs() == 0 {
        return Err(Failure::new(
            format!(
                "{}: TensorRT's ONNX parser wrote a network without outputs",
                a.model.display()
            ),
            "pass an ONNX model (a ModelProto with a graph)",
            1,
        ));
    }
    let names = |ts: Vec<trt::Tensor<'_>>| ts.iter().map(|t| t.name()).collect::<Vec<_>>();
    let input_names = names(network.inputs());
    let output_names = names(network.outputs());
    println!(
        "parsed: {} layers, inputs [{}], outputs [{}]",
        network.nb_layers(),
        input_names.join(", "),
        output_names.join(", ")
    );
    if let Some(g) = &graph {
        if g.outputs.len() != output_names.len() {
            return Err(Failure::new(
                format!(
                    "output count differs: the ONNX graph has {}, TensorRT's network {}",
                    g.outputs.len(),
                    output_names.len()
                ),
                "the parser dropped or added an output",
                MISMATCH,
            ));
        }
    }
    let mut program = Program::from_network(&network, None)
        .map_err(|e| sim_err(&sim::RunError::Sim(e), "reading the network back"))?;
    let mut refs = match (&a.io, &a.test_data) {
        (Some(io), None) => from_io(io, &input_names, &output_names)?,
        (None, Some(dir)) => {
            let ramp = a.ramp_inputs.then(|| {
                program
                    .inputs()
                    .iter()
                    .map(|i| i.dims.to_vec())
                    .collect::<Vec<_>>()
            });
            from_test_data(dir, graph.as_ref(), &input_names, &output_names, ramp)?
        }
        _ => {
            return Err(Failure::new(
                "no reference data",
                "pass --io IO.safetensors or --test-data DIR",
                2,
            ))
        }
    };
    if let Some(g) = &graph {
        let mut read = sim::as_declared(&mut refs.inputs, &input_names, g);
        read.extend(sim::as_declared(&mut refs.outputs, &output_names, g));
        if !read.is_empty() {
            println!(
                "note: UINT16 data read as the bit patterns of the type the graph declares for {}",
                read.join(", ")
            );
        }
    }
    let options = RunOptions {
        tf32: !a.no_tf32,
        keep_all: a.layers,
        ..Default::default()
    };
    let run =
        sim::run(&mut program, &refs.inputs, &options).map_err(|e| sim_err(&e, "simulation"))?;
    println!(
        "simulated: {} layers, TF32 {}",
        program.steps().len(),
        if options.tf32 {
            "allowed (TensorRT's default; --no-tf32 for true f32)"
        } else {
            "off"
        }
    );
    let mut failed = Vec::new();
    for ((name, value), reference) in output_names.iter().zip(&run.outputs).zip(&refs.outputs) {
        let c = sim::compare(value, reference, tolerance)
            .map_err(|e| data_err(format!("output '{name}': {e}")))?;
        println!(
            "output {name} {:?} {:?}: simulated_max_abs_err {:.3e} reference_max_abs {:.3e} bound {:.3e} {}",
            value.dtype(),
            value.dims(),
            c.max_abs_err,
            c.reference_max_abs,
            c.bound,
            c.failure.as_deref().map_or("ok".to_string(), |f| format!("MISMATCH: {f}"))
        );
        if let Some(f) = c.failure {
            failed.push(format!("'{name}' {f}"));
        }
    }
    if a.layers {
        report_layers(&program, &run, &refs, graph.as_ref(), tolerance)?;
    }
    if failed.is_empty() {
        println!("matched");
        Ok(())
    } else {
        Err(Failure::new(
            format!("mismatch: {}", failed.join("; ")),
            "the simulated network does not compute the reference; --layers with intermediate references finds the first diverging node",
            MISMATCH,
        ))
    }
}

fn report_layers(
    program: &Program<'_>,
    run: &trt_sim::Run,
    refs: &References,
    graph: Option<&Graph>,
    tolerance: Tolerance,
) -> Result<()> {
    if refs.intermediates.is_empty() {
        println!("layers: the reference holds no intermediate tensors (--io with tensors named by ONNX tensor name)");
        return Ok(());
    }
    let empty = Graph::default();
    let (first, compared) = sim::first_divergence(
        program,
        run,
        &refs.intermediates,
        graph.unwrap_or(&empty),
        tolerance,
    )
    .map_err(|e| data_err(format!("comparing intermediate tensors: {e}")))?;
    match first {
        None => println!(
            "layers: {compared} of {} intermediate tensors compared, none diverges",
            refs.intermediates.len()
        ),
        Some(d) => {
            let node = d.node.map_or("no ONNX node found".to_string(), |(n, op)| {
                format!("ONNX node '{n}' ({op})")
            });
            println!(
                "layers: first diverging tensor '{}', written by {node}, TensorRT layer {}: simulated_max_abs_err {:.3e} reference_max_abs {:.3e}: {}",
                d.tensor,
                d.layer,
                d.comparison.max_abs_err,
                d.comparison.reference_max_abs,
                d.comparison.failure.unwrap_or_default()
            );
        }
    }
    Ok(())
}
