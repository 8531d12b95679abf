//! `candle2trt simulate` end to end on ONNX files exported from PyTorch that neither candle2trt nor trt-sim
//! ever saw (`fixtures/onnx/make.py`: torch.onnx.export, opset 17, seeded random weights embedded). The
//! expected values are PyTorch's own outputs on the same inputs (in each `.io.safetensors`); the intermediate
//! tensors of `cnn.io.safetensors` are ONNX's reference evaluator's (the script checked it agrees with
//! PyTorch on the output first). TensorRT's ONNX parser writes each network, trt-sim runs it.
//!
//! The bound is the f32 one, `1e-5 + 1e-4·max|ref|`, `simulate`'s default (its derivation is at
//! `Tolerance::default`); `--no-tf32` because PyTorch computed in true f32.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/onnx")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn simulate(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_candle2trt"))
        .arg("simulate")
        .args(args)
        .output()
        .expect("run candle2trt");
    eprintln!(
        "$ candle2trt simulate {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Each output line's `simulated_max_abs_err` and `reference_max_abs`.
fn errors(out: &Output) -> Vec<(f64, f64)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("output "))
        .map(|l| {
            let num = |key: &str| {
                l.split(key)
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or_else(|| panic!("no {key} in {l}"))
            };
            (num("simulated_max_abs_err "), num("reference_max_abs "))
        })
        .collect()
}

fn assert_matches(model: &str) {
    let out = simulate(&[
        &fixture(&format!("{model}.onnx")),
        "--io",
        &fixture(&format!("{model}.io.safetensors")),
        "--no-tf32",
    ]);
    assert_eq!(out.status.code(), Some(0), "{model}: exit code");
    let e = errors(&out);
    assert_eq!(e.len(), 1, "{model}: one output");
    // The same bound, checked here from the printed figures: the command's verdict is not taken on trust.
    let (err, max) = e[0];
    assert!(max > 0.0, "{model}: a zero reference proves nothing");
    assert!(
        err <= 1e-5 + 1e-4 * max,
        "{model}: error {err} at max {max}"
    );
}

#[test]
fn cnn_with_leaky_relu_batch_norm_and_avg_pool_matches_pytorch() {
    assert_matches("cnn");
}

#[test]
fn transformer_encoder_layer_matches_pytorch() {
    assert_matches("encoder");
}

#[test]
fn bilinear_upsampling_decoder_matches_pytorch() {
    assert_matches("decoder");
}

#[test]
fn torchvision_mobilenet_v3_small_matches_pytorch() {
    assert_matches("mobilenet_v3_small");
}

/// The parser writes ShuffleNet's channel split as slices with an `axes` input (ISliceLayer input 5), which
/// trt-sim reads since the sim-layers branch (before, the run stopped at `/stage2/stage2.1/Slice`).
#[test]
fn torchvision_shufflenet_matches_pytorch() {
    assert_matches("shufflenet");
}

/// The same reference as ONNX's test-data folder (unnamed TensorProtos, matched by position).
#[test]
fn test_data_folders_are_read() {
    let out = simulate(&[
        &fixture("cnn.onnx"),
        "--test-data",
        &fixture("cnn_test_data"),
        "--no-tf32",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let (err, max) = errors(&out)[0];
    assert!(
        max > 0.0 && err <= 1e-5 + 1e-4 * max,
        "error {err} at max {max}"
    );
    // A changed model against the same folder: exit 3.
    let out = simulate(&[
        &fixture("cnn_alpha022.onnx"),
        "--test-data",
        &fixture("cnn_test_data"),
        "--no-tf32",
    ]);
    assert_eq!(out.status.code(), Some(3));
}

/// One attribute changed in the ONNX file (the script did it with the `onnx` package): TensorRT holds the
/// changed network, and the comparison with PyTorch's outputs fails with exit code 3.
#[test]
fn a_changed_attribute_exits_3() {
    for (model, io) in [("cnn_alpha022", "cnn"), ("decoder_nearest", "decoder")] {
        let out = simulate(&[
            &fixture(&format!("{model}.onnx")),
            "--io",
            &fixture(&format!("{io}.io.safetensors")),
            "--no-tf32",
        ]);
        assert_eq!(out.status.code(), Some(3), "{model}: exit code");
        let (err, max) = errors(&out)[0];
        assert!(
            err > 1e-5 + 1e-4 * max,
            "{model}: error {err} within the bound"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: mismatch"), "{stderr}");
    }
}

/// With the intermediate tensors of the unchanged model as reference, `--layers` names the LeakyRelu node as
/// the first that diverges (everything before it is unchanged).
#[test]
fn layers_finds_the_changed_node() {
    let out = simulate(&[
        &fixture("cnn_alpha022.onnx"),
        "--io",
        &fixture("cnn.io.safetensors"),
        "--no-tf32",
        "--layers",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("layers: first diverging"))
        .unwrap_or_else(|| panic!("no divergence line in {stdout}"));
    assert!(line.contains("(LeakyRelu)"), "{line}");
    // And the unchanged model: every intermediate compared, none diverges.
    let out = simulate(&[
        &fixture("cnn.onnx"),
        "--io",
        &fixture("cnn.io.safetensors"),
        "--no-tf32",
        "--layers",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("layers: ") && l.contains("none diverges")),
        "{stdout}"
    );
}

#[test]
fn usage_and_file_errors_have_their_codes() {
    // No reference: clap's usage error.
    assert_eq!(simulate(&[&fixture("cnn.onnx")]).status.code(), Some(2));
    // Both references at once.
    let io = fixture("cnn.io.safetensors");
    assert_eq!(
        simulate(&[&fixture("cnn.onnx"), "--io", &io, "--test-data", "x"])
            .status
            .code(),
        Some(2)
    );
    // Bytes that are no ONNX model: the parser refuses, one line, exit 1.
    let out = simulate(&[&fixture("cnn.io.safetensors"), "--io", &io]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
    // Another model's io file: the input does not fit the network (a file error, not a mismatch).
    let out = simulate(&[
        &fixture("decoder.onnx"),
        "--io",
        &fixture("encoder.io.safetensors"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input 'input'"));
}
