//! Networks written by TensorRT's own ONNX parser (`Network::from_onnx`): parsed, read back through our
//! `Layer::description`, built into engines on the CPU; and the parser's refusals as typed errors.
//!
//! The models are made by `tests/data/make_onnx.py` (the `onnx` package's helpers; values deterministic, written
//! there): what each test expects of a model comes from that script.

mod common;

use std::path::{Path, PathBuf};

use common::{build, check};
use trt::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// make_onnx.py's `values(shape, scale)`: `sin(0.7 i) * scale` computed in f64, rounded to f32.
fn values(n: usize, scale: f64) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as f64 * 0.7).sin() * scale) as f32)
        .collect()
}

/// Asserts `got` equals make_onnx.py's values. Both sides compute `sin` in f64 (each within an ulp of f64, ~1e-16
/// relative) and round to f32: they can differ only where the two f64 results straddle an f32 rounding boundary,
/// and then by one f32 ulp, at most 2^-24 · |v| ≤ 6e-8 for these |v| ≤ 1. Hence 1e-7.
fn assert_values(what: &str, got: &Weights, want: &[f32]) {
    let got = got
        .to_f64()
        .unwrap_or_else(|| panic!("{what}: weights of type {:?}", got.data_type()));
    assert_eq!(got.len(), want.len(), "{what}: count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - *w as f64).abs() <= 1e-7, "{what}[{i}]: {g} != {w}");
    }
}

/// Every layer of `net` read back through `Layer::description`, as (name, description); prints them. A layer kind
/// our descriptions lack reads back as `LayerDesc::Other`, which each test then asserts about.
fn read_back<'n>(net: &'n Network<'_>) -> Vec<(String, LayerDesc<'n>)> {
    net.layers()
        .expect("layers")
        .into_iter()
        .map(|layer| {
            let desc = layer
                .description()
                .unwrap_or_else(|e| panic!("reading back layer '{}': {e}", layer.name()));
            eprintln!("  {} = {desc:?}", layer.name());
            (layer.name(), desc)
        })
        .collect()
}

fn others(layers: &[(String, LayerDesc<'_>)]) -> Vec<(String, LayerType)> {
    layers
        .iter()
        .filter_map(|(name, desc)| match desc {
            LayerDesc::Other { layer_type } => Some((name.clone(), *layer_type)),
            _ => None,
        })
        .collect()
}

#[test]
fn conv_relu_parses_reads_back_and_builds() {
    setup!(lib, logger, builder);
    let net = Network::from_onnx_file(&builder, data("conv_relu.onnx")).expect("parse");
    let inputs = net.inputs();
    let outputs = net.outputs();
    assert_eq!(inputs.len(), 1);
    assert_eq!(outputs.len(), 1);
    assert_eq!(inputs[0].name(), "x");
    assert_eq!(outputs[0].name(), "y");
    check(inputs[0], &[1, 3, 8, 8], DataType::Float);
    // The dims TensorRT inferred: 3x3 kernel, pads 1, stride 1 keep 8x8; 4 filters.
    check(outputs[0], &[1, 4, 8, 8], DataType::Float);

    let layers = read_back(&net);
    assert_eq!(others(&layers), vec![], "layers read back as Other");
    // What the parser wrote (measured): one convolution holding the initializers as weights, one ReLU.
    let [(conv_name, LayerDesc::Convolution(conv)), (relu_name, LayerDesc::Activation(relu))] =
        &layers[..]
    else {
        panic!("expected Convolution, Activation: {layers:?}")
    };
    assert_eq!(
        (conv_name.as_str(), relu_name.as_str()),
        ("conv_1", "relu_1")
    );
    assert_eq!(conv.input, inputs[0]);
    assert_eq!(conv.out_channels, 4);
    assert_eq!(conv.kernel.as_slice(), &[3, 3]);
    assert_eq!(conv.stride.as_slice(), &[1, 1]);
    assert_eq!(conv.pre_padding.as_slice(), &[1, 1]);
    assert_eq!(conv.post_padding.as_slice(), &[1, 1]);
    assert_eq!(conv.dilation.as_slice(), &[1, 1]);
    assert_eq!(conv.groups, 1);
    assert_eq!((conv.kernel_tensor, conv.bias_tensor), (None, None));
    assert_values(
        "conv.weight",
        &conv.kernel_weights,
        &values(4 * 3 * 3 * 3, 0.5),
    );
    assert_values(
        "conv.bias",
        conv.bias.as_ref().expect("bias"),
        &values(4, 0.1),
    );
    assert_eq!(relu.activation_type, ActivationType::Relu);
    assert_eq!(relu.input.name(), "c");
    build(&builder, &net, "conv_relu.onnx");
}

#[test]
fn gemm_parses_reads_back_and_builds() {
    setup!(lib, logger, builder);
    let net = Network::from_onnx_file(&builder, data("gemm.onnx")).expect("parse");
    check(net.inputs()[0], &[2, 5], DataType::Float);
    check(net.outputs()[0], &[2, 3], DataType::Float);
    let layers = read_back(&net);
    assert_eq!(others(&layers), vec![], "layers read back as Other");
    // What the parser wrote (measured): y = alpha * (x @ B^T) + broadcast(beta * C), every operand a constant.
    let [(_, LayerDesc::Constant(b)), (_, LayerDesc::MatrixMultiply(mm)), (_, LayerDesc::Constant(alpha)), (_, LayerDesc::ElementWise(scale)), (_, LayerDesc::Constant(c)), (_, LayerDesc::Constant(beta)), (_, LayerDesc::ElementWise(scale_c)), (_, LayerDesc::Shuffle(broadcast)), (_, LayerDesc::ElementWise(sum))] =
        &layers[..]
    else {
        panic!("unexpected layers: {layers:?}")
    };
    assert_eq!(b.dims.as_slice(), &[3, 5]);
    assert_values("fc.weight", &b.weights, &values(15, 1.0));
    assert_eq!(
        (mm.op_a, mm.op_b),
        (MatrixOperation::None, MatrixOperation::Transpose)
    );
    assert_values("alpha", &alpha.weights, &[0.5]);
    assert_eq!(scale.op, ElementWiseOperation::Prod);
    assert_values("fc.bias", &c.weights, &values(3, 0.3));
    assert_values("beta", &beta.weights, &[2.0]);
    assert_eq!(scale_c.op, ElementWiseOperation::Prod);
    assert_eq!(
        broadcast.reshape.as_ref().map(|d| d.as_slice()),
        Some(&[1, 3][..])
    );
    assert_eq!(sum.op, ElementWiseOperation::Sum);
    // The wiring: each layer reads the one before it that the formula names.
    let out = |i: usize| net.layer_at(i).unwrap().output(0).unwrap();
    assert_eq!((mm.a, mm.b), (net.inputs()[0], out(0)));
    assert_eq!((scale.a, scale.b), (out(2), out(1)));
    assert_eq!((scale_c.a, scale_c.b), (out(5), out(4)));
    assert_eq!(broadcast.input, out(6));
    assert_eq!((sum.a, sum.b), (out(3), out(7)));
    build(&builder, &net, "gemm.onnx");
}

/// The parser's own words for bytes that are no ModelProto: a truncated model and garbage.
#[test]
fn truncated_and_garbage_models_are_refused_with_the_parsers_message() {
    setup!(lib, logger, builder);
    let model = std::fs::read(data("conv_relu.onnx")).unwrap();
    for (what, bytes) in [
        ("truncated", model[..model.len() / 2].to_vec()),
        ("garbage", vec![0xff; 64]),
    ] {
        let err = Network::from_onnx(&builder, &bytes)
            .map(|_| ())
            .expect_err(what);
        eprintln!("{what}: {err}");
        let Error::OnnxParse { errors } = &err else {
            panic!("{what}: not an OnnxParse error: {err:?}")
        };
        assert!(!errors.is_empty(), "{what}");
        assert_eq!(errors[0].node, None, "{what}: {errors:?}");
        // The parser's own words (measured with TensorRT-RTX 1.7's parser).
        assert!(
            errors[0].message.contains("Failed to parse the ONNX model"),
            "{what}: {errors:?}"
        );
        assert!(
            err.to_string().starts_with("ONNX parser: "),
            "{what}: {err}"
        );
        assert_eq!(err.to_string().lines().count(), 1, "{what}: {err}");
    }
}

/// Measured: no bytes (an empty ModelProto), and these bytes of text, which are no ModelProto (Python's protobuf:
/// "Wire format was corrupt"), are accepted by the parser. What it writes is a network with nothing in it, which
/// TensorRT then refuses to build: a caller cannot take "parsed" to mean "a model".
#[test]
fn no_model_at_all_parses_into_an_empty_network() {
    setup!(lib, logger, builder);
    for bytes in [Vec::new(), b"this is not an ONNX model\n".repeat(8)] {
        let net = Network::from_onnx(&builder, &bytes).expect("the parser accepts it");
        eprintln!("{net:?}");
        assert_eq!(
            (net.nb_inputs(), net.nb_outputs(), net.nb_layers()),
            (0, 0, 0)
        );
        let config = builder.create_config().unwrap();
        let err = builder
            .build_serialized_network(&net, &config)
            .map(|_| ())
            .expect_err("an empty network does not build");
        eprintln!("{err}");
        assert!(
            err.to_string()
                .contains("Network must have at least one output"),
            "{err}"
        );
    }
}

#[test]
fn an_unknown_op_names_the_node_and_its_type() {
    setup!(lib, logger, builder);
    let err = Network::from_onnx_file(&builder, data("unknown_op.onnx"))
        .map(|_| ())
        .expect_err("a made-up op must be refused");
    eprintln!("{err}");
    let Error::OnnxParse { errors } = &err else {
        panic!("not an OnnxParse error: {err:?}")
    };
    let e = &errors[0];
    // make_onnx.py: node 1 (after relu_0) is 'mystery_node', op MadeUpOp.
    assert_eq!(e.node, Some(1), "{errors:?}");
    assert_eq!(e.node_name, "mystery_node", "{errors:?}");
    assert_eq!(e.op_type, "MadeUpOp", "{errors:?}");
    assert!(
        err.to_string()
            .starts_with("ONNX parser: node 1 'mystery_node' (MadeUpOp): "),
        "{err}"
    );
}

#[test]
fn a_missing_model_file_is_an_io_error_naming_it() {
    setup!(lib, logger, builder);
    let path = data("no_such_model.onnx");
    let err = Network::from_onnx_file(&builder, &path)
        .map(|_| ())
        .expect_err("missing file");
    let Error::Io { path: p, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p, &path);
    assert!(err.to_string().contains("no_such_model.onnx"), "{err}");
}
