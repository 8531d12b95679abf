//! Read-back through TensorRT's own getters: every layer kind is added from a description with non-default
//! parameters, read back with `Layer::description`, and must come back equal, field by field (tensors by
//! identity, weights by bytes). Each network is then built into an engine, as in `layers.rs`.

mod common;

use common::build;
use trt::*;

const F: DataType = DataType::Float;

fn f32s(n: usize) -> Weights {
    Weights::from_f32(
        &(0..n)
            .map(|i| (i % 5) as f32 * 0.25 - 0.5)
            .collect::<Vec<_>>(),
    )
}

/// Adds `desc`, reads the layer back from TensorRT and asserts it equals what was added.
fn round_trip<'n>(net: &'n Network<'_>, desc: impl Into<LayerDesc<'n>>) -> Layer<'n> {
    let desc = desc.into();
    let layer = net
        .add(desc.clone())
        .unwrap_or_else(|e| panic!("adding {:?}: {e}", desc.layer_type()));
    assert_eq!(layer.layer_type(), Some(desc.layer_type()));
    let back = layer
        .description()
        .unwrap_or_else(|e| panic!("reading back {:?}: {e}", desc.layer_type()));
    assert_eq!(back, desc, "read back != added");
    layer
}

fn out<'n>(l: Layer<'n>) -> Tensor<'n> {
    l.output(0).unwrap()
}

#[test]
fn conv_family() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 4, 9, 9]).unwrap();
    let conv = Convolution::new(x, 6, [3, 2], f32s(6 * 2 * 3 * 2))
        .bias(f32s(6))
        .stride([2, 1])
        .pre_post_padding([1, 0], [2, 1])
        .dilation([1, 2])
        .groups(2);
    let c = out(round_trip(&net, conv));
    let same = Convolution::new(x, 4, [3, 3], f32s(4 * 9))
        .groups(4)
        .padding_mode(PaddingMode::SameLower);
    let s = out(round_trip(&net, same));
    let deconv = Deconvolution::new(c, 4, [2, 2], f32s(6 * 2 * 4))
        .bias(f32s(4))
        .stride([2, 2])
        .padding([1, 1])
        .groups(2);
    let d = out(round_trip(&net, deconv));
    let pool = Pooling::new(x, PoolingType::Average, [3, 3])
        .stride([2, 2])
        .pre_post_padding([1, 1], [0, 1])
        .round_up(true)
        .exclusive(false);
    let p = out(round_trip(&net, pool));
    let blend = Pooling::new(x, PoolingType::MaxAverageBlend, [2, 2]).blend_factor(0.25);
    let b = out(round_trip(&net, blend));
    let pad = out(round_trip(&net, Padding::new(x, [1, 2], [0, -1])));
    let by_dims = Resize::new(
        x,
        ResizeOutput::Dims(Dims::from([1, 4, 5, 7])),
        InterpolationMode::Linear,
    )
    .coordinate_transformation(ResizeCoordinateTransformation::HalfPixel)
    .selector_for_single_pixel(ResizeSelector::Upper);
    let r1 = out(round_trip(&net, by_dims));
    let mut by_scales = Resize::new(
        x,
        ResizeOutput::Scales(vec![1.0, 1.0, 2.0, 1.5]),
        InterpolationMode::Nearest,
    )
    .coordinate_transformation(ResizeCoordinateTransformation::AlignCorners)
    .nearest_rounding(ResizeRoundMode::Ceil);
    by_scales.exclude_outside = true;
    let r2 = out(round_trip(&net, by_scales));
    let mut cubic = Resize::new(
        x,
        ResizeOutput::Dims(Dims::from([1, 4, 12, 12])),
        InterpolationMode::Cubic,
    );
    cubic.cubic_coeff = -0.5;
    let r3 = out(round_trip(&net, cubic));
    let grid = net.add_input("grid", F, [1, 3, 5, 2]).unwrap();
    let gs = GridSample::new(x, grid, InterpolationMode::Nearest, true, SampleMode::Clamp);
    let g = out(round_trip(&net, gs));
    for t in [c, s, d, p, b, pad, r1, r2, r3, g] {
        net.mark_output(t).unwrap();
    }
    build(&builder, &net, "read-back: conv family");
}

#[test]
fn elementwise_family() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let a = net.add_input("a", F, [2, 3]).unwrap();
    let b = net.add_input("b", F, [1, 3]).unwrap();
    let e = out(round_trip(
        &net,
        ElementWise::new(a, b, ElementWiseOperation::FloorDiv),
    ));
    let u = out(round_trip(&net, Unary::new(a, UnaryOperation::Atan)));
    let act = Activation::new(a, ActivationType::Selu).params(1.5, 0.75);
    let h = out(round_trip(&net, act));
    let cond = out(round_trip(
        &net,
        ElementWise::new(a, b, ElementWiseOperation::Greater),
    ));
    let s = out(round_trip(&net, Select::new(cond, a, b)));
    let slope = out(net.add(Constant::new([1, 3], f32s(3))).unwrap());
    let pr = out(round_trip(&net, ParametricRelu::new(a, slope)));
    for t in [e, u, h, s, pr] {
        net.mark_output(t).unwrap();
    }
    build(&builder, &net, "read-back: elementwise family");
}

#[test]
fn shape_family() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [-1, 3, 4]).unwrap();
    let perm = Shuffle::transpose(x, [0, 2, 1])
        .then_reshape([0, 2, 6])
        .then_transpose([0, 2, 1]);
    let t = out(round_trip(&net, perm));
    let mut literal = Shuffle::reshape(x, [-1, 12]);
    literal.zero_is_placeholder = false;
    let r = out(round_trip(&net, literal));
    let shape = out(round_trip(&net, Shape::new(x)));
    let n = out(round_trip(&net, Slice::new(shape, [0], [1], [1])));
    let twelve = out(round_trip(&net, Constant::i64(&[12])));
    let new_shape = out(round_trip(&net, Concatenation::new([n, twelve], 0)));
    let dynamic = out(round_trip(&net, Shuffle::reshape_dynamic(x, new_shape)));
    let strided = Slice::new(x, [0, 1, 0], [1, 2, 2], [1, 1, 2]).mode(SampleMode::Wrap);
    let sl = out(round_trip(&net, strided));
    let start = out(net.add(Constant::i64(&[0, 0, 1])).unwrap());
    let size = out(net.add(Constant::i64(&[1, 3, 3])).unwrap());
    let stride = out(net.add(Constant::i64(&[1, 1, 1])).unwrap());
    let dyn_slice = out(round_trip(&net, Slice::dynamic(x, start, size, stride)));
    let cat = out(round_trip(&net, Concatenation::new([x, x], 2)));
    let axes = out(net.add(Constant::i64(&[0])).unwrap());
    let unsq = out(round_trip(&net, Unsqueeze::new(x, axes)));
    let sq = out(round_trip(&net, Squeeze::new(unsq, axes)));
    let half = out(round_trip(&net, Cast::new(x, DataType::Half)));
    let id = out(round_trip(&net, Identity::new(x)));
    let fill = Fill::new([2, 3], FillOperation::Linspace, DataType::Int32, 3.0, 2.0);
    let lin = out(round_trip(&net, fill));
    let constant = Constant::new([2, 2], Weights::from_slice(&[1i32, -2, 3, -4]));
    let k = out(round_trip(&net, constant));
    for o in [t, r, dynamic, sl, dyn_slice, cat, sq, half, id, lin, k] {
        net.mark_output(o).unwrap();
    }
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 4], [2, 3, 4], [4, 3, 4])
        .unwrap();
    let mut config = builder.create_config().unwrap();
    config.add_optimization_profile(&profile).unwrap();
    common::build_with(&builder, &net, &config, "read-back: shape family");
}

#[test]
fn index_family() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let data = net.add_input("data", F, [3, 4, 5]).unwrap();
    let idx = net.add_input("idx", DataType::Int32, [3, 4, 2]).unwrap();
    let g = out(round_trip(
        &net,
        Gather::new(data, idx, 2).mode(GatherMode::Element),
    ));
    let nidx = net.add_input("nidx", DataType::Int32, [3, 2]).unwrap();
    let nd = Gather::new(data, nidx, 0)
        .mode(GatherMode::Nd)
        .nb_elementwise_dims(1);
    let n = out(round_trip(&net, nd));
    let sidx = net.add_input("sidx", DataType::Int32, [3, 4, 2]).unwrap();
    let upd = net.add_input("upd", F, [3, 4, 2]).unwrap();
    let sc = out(round_trip(
        &net,
        Scatter::new(data, sidx, upd, ScatterMode::Element, 2),
    ));
    let values = out(net
        .add(Constant::new([2], Weights::from_f32(&[-1.0, 1.0])))
        .unwrap());
    let depth = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[6i32])))
        .unwrap());
    let oh = out(round_trip(&net, OneHot::new(nidx, values, depth, 1)));
    let lens = out(net
        .add(Constant::new([4], Weights::from_slice(&[1i32, 2, 3, 3])))
        .unwrap());
    let rs = out(round_trip(&net, ReverseSequence::new(data, lens, 1, 0)));
    let nz = round_trip(&net, NonZero::new(nidx, DataType::Int32));
    for o in [g, n, sc, oh, rs] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "read-back: index family");
    // NonZero is read back above; TensorRT-RTX has no kernel for it, so it stays out of the built network.
    assert_eq!(nz.layer_type(), Some(LayerType::NonZero));
}

#[test]
fn reduce_matmul_norm_families() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 4, 3, 3]).unwrap();
    let r = out(round_trip(
        &net,
        Reduce::new(x, ReduceOperation::Min, axes_mask(&[1, 3]), false),
    ));
    let sm = out(round_trip(&net, Softmax::new(x, axes_mask(&[2]))));
    let topk = round_trip(
        &net,
        TopK::new(x, TopKOperation::Min, 2, axes_mask(&[3]), DataType::Int64),
    );
    let axis = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[2i32])))
        .unwrap());
    let cum = out(round_trip(
        &net,
        Cumulative::new(x, axis, CumulativeOperation::Sum, true, true),
    ));
    let mm = MatrixMultiply::new(x, MatrixOperation::Transpose, x, MatrixOperation::None);
    let m = out(round_trip(&net, mm));
    let v = out(net.add(Constant::new([1, 1, 3], f32s(3))).unwrap());
    let mv = out(round_trip(
        &net,
        MatrixMultiply::new(x, MatrixOperation::None, v, MatrixOperation::Vector),
    ));
    let es = out(round_trip(&net, Einsum::new([x, x], "bcij,bcjk->bcik")));
    let scale = out(net.add(Constant::new([1, 4, 1, 1], f32s(4))).unwrap());
    let bias = out(net.add(Constant::new([1, 4, 1, 1], f32s(4))).unwrap());
    let gn = Normalization::new(x, scale, bias, axes_mask(&[2, 3]), 1e-3).groups(2);
    let g = out(round_trip(&net, gn));
    let affine = Scale::new(x, ScaleMode::Channel, 1)
        .shift(f32s(4))
        .power(Weights::from_f32(&[1.0, 2.0, 1.0, 2.0]));
    let s = out(round_trip(&net, affine));
    let lrn = out(round_trip(&net, Lrn::new(x, 3, 2e-4, 0.5, 1.5)));
    for o in [
        r,
        sm,
        topk.output(0).unwrap(),
        topk.output(1).unwrap(),
        cum,
        m,
        mv,
        es,
        g,
        s,
        lrn,
    ] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "read-back: reduce, matmul, norm families");
}

#[test]
fn quantization() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 4, 6, 6]).unwrap();
    let s = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_f32(&[0.05])))
        .unwrap());
    let q = out(round_trip(&net, Quantize::new(x, s, DataType::Int8, None)));
    let dq = out(round_trip(
        &net,
        Dequantize::new(q, s, DataType::Half, None),
    ));
    let w = out(net
        .add(Constant::new([5, 4, 3, 3], f32s(5 * 4 * 9)))
        .unwrap());
    let ws = out(net
        .add(Constant::new([5], Weights::from_f32(&[0.01; 5])))
        .unwrap());
    let wq = out(round_trip(
        &net,
        Quantize::new(w, ws, DataType::Int8, Some(0)),
    ));
    let wdq = out(round_trip(&net, Dequantize::new(wq, ws, F, Some(0))));
    let xf = out(net.add(Cast::new(dq, F)).unwrap());
    // The kernel comes from a tensor (input 1), set through the description.
    let conv = Convolution::new(xf, 5, [3, 3], Weights::empty(F)).kernel_tensor(wdq);
    let y = out(round_trip(&net, conv));
    net.mark_output(y).unwrap();
    build(
        &builder,
        &net,
        "read-back: quantize/dequantize, kernel tensor",
    );

    // An explicit zero point (input 2).
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [4]).unwrap();
    let s = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_f32(&[0.05])))
        .unwrap());
    let zp = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[0i8])))
        .unwrap());
    round_trip(
        &net,
        Quantize::new(x, s, DataType::Int8, None).zero_point(zp),
    );
}

#[test]
fn inputs_and_flags_the_converters_do_not_set() {
    // What NVIDIA's ONNX parser sets and the converters do not: slice axes (static and input 5), a k tensor (input 1
    // of top-k, after which getK reads -1), the deprecated addNormalization (isV2 false) and a quantization block.
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 4, 6]).unwrap();
    let a = out(round_trip(&net, Slice::new(x, [1], [3], [2]).axes([-1])));
    let axes = out(net.add(Constant::i64(&[0, 2])).unwrap());
    let b = out(round_trip(
        &net,
        Slice::new(x, [1, 0], [1, 2], [1, 1]).axes_tensor(axes),
    ));
    let k = out(net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[2i32])))
        .unwrap());
    let topk = TopK::new(x, TopKOperation::Max, 3, axes_mask(&[2]), DataType::Int32).k_tensor(k);
    let layer = net.add(topk.clone()).unwrap();
    let back = layer.description().unwrap();
    // "If a second layer input is present and non-null, this function returns -1."
    assert_eq!(back, TopK { k: -1, ..topk }.into());
    let scale = out(net.add(Constant::new([1, 2, 1], f32s(2))).unwrap());
    let bias = out(net.add(Constant::new([1, 2, 1], f32s(2))).unwrap());
    let v1 = Normalization::new(x, scale, bias, axes_mask(&[2]), 1e-3)
        .groups(2)
        .v1();
    let n = out(round_trip(&net, v1));
    let w = out(net.add(Constant::new([4, 6], f32s(24))).unwrap());
    let ws = out(net
        .add(Constant::new([2, 6], Weights::from_f32(&[0.5; 12])))
        .unwrap());
    let q = Quantize::new(w, ws, DataType::Fp8, None).block_shape([2, 1]);
    let wq = out(round_trip(&net, q));
    let dq = Dequantize::new(wq, ws, F, None).block_shape([2, 1]);
    let wdq = out(round_trip(&net, dq));
    for o in [a, b, layer.output(0).unwrap(), n, wdq] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "read-back: inputs and flags set by parsers");
}

#[test]
fn attention() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let q = net.add_input("q", DataType::Half, [1, 2, 8, 16]).unwrap();
    let k = net.add_input("k", DataType::Half, [1, 2, 8, 16]).unwrap();
    let v = net.add_input("v", DataType::Half, [1, 2, 8, 16]).unwrap();
    let mask = net.add_input("mask", DataType::Bool, [1, 1, 8, 8]).unwrap();
    let masked = Attention::softmax(q, k, v).mask(mask).decomposable(true);
    let a = round_trip(&net, masked.clone());
    assert_eq!(a.layer_type(), Some(LayerType::AttentionOutput));
    let causal = Attention::softmax(q, k, v)
        .causal(CausalMaskKind::LowerRight)
        .decomposable(true);
    let c = round_trip(&net, causal);
    // The attention's entry layer reads back as the same attention.
    let entry = net
        .layers()
        .unwrap()
        .into_iter()
        .find(|l| l.layer_type() == Some(LayerType::AttentionInput))
        .expect("an attention-input layer");
    assert_eq!(
        entry.description().unwrap(),
        LayerDesc::AttentionInput(masked)
    );
    for o in [a.output(0).unwrap(), c.output(0).unwrap()] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "read-back: attention (mask, causal)");
}

#[test]
fn descriptions_that_cannot_be_added_are_refused() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2]).unwrap();
    let other = LayerDesc::Other {
        layer_type: LayerType::PluginV3,
    };
    let err = net.add(other).unwrap_err();
    assert!(err.to_string().contains("PluginV3"), "{err}");
    let elsewhere = builder.create_network().unwrap();
    let y = elsewhere.add_input("y", F, [2]).unwrap();
    let err = net
        .add(ElementWise::new(x, y, ElementWiseOperation::Sum))
        .unwrap_err();
    assert!(err.to_string().contains("another network"), "{err}");
}

#[test]
fn network_dump_as_json() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 2, 4, 4]).unwrap();
    let conv = net
        .add(
            Convolution::new(x, 3, [3, 3], f32s(3 * 2 * 9))
                .bias(Weights::from_f32(&[0.5, -1.0, 2.0])),
        )
        .unwrap();
    conv.set_name("conv").unwrap();
    let y = out(net
        .add(Activation::new(out(conv), ActivationType::LeakyRelu).params(0.1, 0.0))
        .unwrap());
    net.mark_output_named(y, "y").unwrap();

    let summary: serde_json::Value =
        serde_json::from_str(&net.dump(DumpOptions::default()).unwrap().to_json().unwrap())
            .unwrap();
    assert_eq!(summary["inputs"][0]["name"], "x");
    assert_eq!(
        summary["outputs"][0]["dims"],
        serde_json::json!([1, 3, 2, 2])
    );
    let layer = &summary["layers"][0];
    assert_eq!(layer["name"], "conv");
    assert_eq!(layer["layer_type"], "Convolution");
    assert_eq!(layer["description"]["kind"], "Convolution");
    assert_eq!(layer["description"]["input"], "x");
    assert_eq!(layer["description"]["kernel"], serde_json::json!([3, 3]));
    assert_eq!(layer["description"]["bias"]["count"], 3);
    assert_eq!(layer["description"]["bias"]["data_type"], "Float");
    assert_eq!(
        layer["description"]["bias"]["digest"],
        Weights::from_f32(&[0.5, -1.0, 2.0]).digest()
    );
    assert!(
        layer.get("weight_values").is_none(),
        "values only when asked"
    );
    assert_eq!(summary["layers"][1]["description"]["kind"], "Activation");
    assert_eq!(
        summary["layers"][1]["description"]["activation_type"],
        "LeakyRelu"
    );
    assert_eq!(
        summary["layers"][1]["description"]["alpha"].as_f64(),
        Some(0.1)
    );
    assert_eq!(summary["layers"][1]["outputs"][0]["data_type"], "Float");

    let full: serde_json::Value = serde_json::from_str(
        &net.dump(DumpOptions {
            weight_values: true,
        })
        .unwrap()
        .to_json()
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        full["layers"][0]["weight_values"]["bias"],
        serde_json::json!([0.5, -1.0, 2.0])
    );
    assert_eq!(
        full["layers"][0]["weight_values"]["kernel_weights"]
            .as_array()
            .map(Vec::len),
        Some(3 * 2 * 9)
    );
}
