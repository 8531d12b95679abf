//! Parses an ONNX model with TensorRT's own ONNX parser (`Network::from_onnx_file`) and prints every layer it wrote
//! as our `Layer::description` reads it back, then a count by layer type, flagging the kinds that read back as
//! `LayerDesc::Other` (no description of ours). Building is not attempted.
//!
//! ```text
//! cargo run -p trt --example onnx_layers -- model.onnx [--quiet]
//! ```
//! Exit status: 0 parsed; 1 the parser refused the model (its errors printed) or a layer could not be read back
//! (each such layer printed).

use std::collections::BTreeMap;
use std::process::ExitCode;

use trt::{Builder, LayerDesc, Library, Logger, Network, Severity};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: onnx_layers MODEL.onnx [--quiet]");
        return ExitCode::from(2);
    };
    let quiet = args.iter().any(|a| a == "--quiet");
    match run(path, quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let trt::Error::OnnxParse { errors } = &e {
                for err in errors {
                    eprintln!("  [{} {}] {err}", err.code, err.code_name());
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str, quiet: bool) -> trt::Result<()> {
    let lib = Library::load()?;
    let logger = Logger::new(Severity::Warning)?;
    let builder = Builder::new(lib, &logger)?;
    let net = Network::from_onnx_file(&builder, path)?;
    for t in net.inputs() {
        println!("input  {} {:?} {:?}", t.name(), t.dims()?, t.data_type()?);
    }
    for t in net.outputs() {
        println!("output {} {:?} {:?}", t.name(), t.dims()?, t.data_type()?);
    }
    let mut counts: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut unreadable = 0;
    for layer in net.layers()? {
        let desc = match layer.description() {
            Ok(desc) => desc,
            Err(e) => {
                // Keep going: every layer that cannot be read back is worth seeing.
                println!(
                    "{} ({:?}): cannot be read back: {e}",
                    layer.name(),
                    layer.layer_type()
                );
                unreadable += 1;
                continue;
            }
        };
        let other = matches!(desc, LayerDesc::Other { .. });
        let entry = counts
            .entry(format!("{:?}", desc.layer_type()))
            .or_insert((0, other));
        entry.0 += 1;
        if !quiet {
            println!("{}: {desc:?}", layer.name());
        }
    }
    for (kind, (n, other)) in counts {
        println!(
            "{kind}: {n}{}",
            if other {
                "  (reads back as LayerDesc::Other)"
            } else {
                ""
            }
        );
    }
    if unreadable > 0 {
        return Err(trt::Error::InvalidArgument {
            op: "layer_description",
            message: format!("{unreadable} layer(s) cannot be read back"),
        });
    }
    Ok(())
}
