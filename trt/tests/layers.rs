//! One small network per wrapped layer type, built into a real engine by the TensorRT builder.
//! Each test checks the dims and types TensorRT inferred and that the engine bytes are non-empty.

mod common;

use common::{build, check, f32s};
use trt::*;

const F: DataType = DataType::Float;

#[test]
fn convolution() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 4, 17, 17]).unwrap();
    // groups 2, dilation 2, stride 2, asymmetric padding, bias.
    let conv = Convolution::new(x, 8, [3, 3], f32s(8 * 2 * 3 * 3))
        .bias(f32s(8))
        .stride([2, 2])
        .pre_post_padding([1, 2], [2, 1])
        .dilation([2, 2])
        .groups(2);
    let layer = net.add(conv).unwrap();
    assert_eq!(layer.layer_type(), Some(LayerType::Convolution));
    let y = layer.output(0).unwrap();
    // (17 + 3 - 2*(3-1) - 1) / 2 + 1 = 8
    check(y, &[2, 8, 8, 8], F);
    net.mark_output(y).unwrap();
    // Depthwise, SAME padding, no bias.
    let dw = net
        .add(
            Convolution::new(x, 4, [3, 3], f32s(4 * 3 * 3))
                .groups(4)
                .padding_mode(PaddingMode::SameUpper),
        )
        .unwrap()
        .output(0)
        .unwrap();
    check(dw, &[2, 4, 17, 17], F);
    net.mark_output(dw).unwrap();
    build(&builder, &net, "convolution");
}

#[test]
fn convolution_3d_half() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", DataType::Half, [1, 2, 4, 6, 6]).unwrap();
    let half_kernel = Weights::from_bytes(DataType::Half, vec![0; 2 * 3 * 2 * 2 * 2 * 2]).unwrap();
    let y = net
        .add(Convolution::new(x, 3, [2, 2, 2], half_kernel))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[1, 3, 3, 5, 5], DataType::Half);
    net.mark_output(y).unwrap();
    build(&builder, &net, "convolution (3-D, half)");
}

#[test]
fn deconvolution() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 4, 8, 8]).unwrap();
    let p = Deconvolution::new(x, 6, [4, 4], f32s(4 * 3 * 4 * 4))
        .bias(f32s(6))
        .stride([2, 2])
        .padding([1, 1])
        .groups(2);
    let layer = net.add(p).unwrap();
    assert_eq!(layer.layer_type(), Some(LayerType::Deconvolution));
    let y = layer.output(0).unwrap();
    // (8 - 1) * 2 - 2 + 4 = 16
    check(y, &[1, 6, 16, 16], F);
    net.mark_output(y).unwrap();
    build(&builder, &net, "deconvolution");
}

#[test]
fn pooling() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 3, 10, 10]).unwrap();
    let max = net
        .add(
            Pooling::new(x, PoolingType::Max, [3, 3])
                .stride([2, 2])
                .padding([1, 1]),
        )
        .unwrap();
    check(max.output(0).unwrap(), &[1, 3, 5, 5], F);
    let ceil = net
        .add(
            Pooling::new(x, PoolingType::Max, [3, 3])
                .stride([2, 2])
                .round_up(true),
        )
        .unwrap();
    check(ceil.output(0).unwrap(), &[1, 3, 5, 5], F);
    let floor = net
        .add(
            Pooling::new(x, PoolingType::Max, [3, 3])
                .stride([2, 2])
                .round_up(false),
        )
        .unwrap();
    check(floor.output(0).unwrap(), &[1, 3, 4, 4], F);
    let avg = net
        .add(
            Pooling::new(x, PoolingType::Average, [2, 2])
                .stride([2, 2])
                .padding([1, 1])
                .exclusive(false),
        )
        .unwrap();
    check(avg.output(0).unwrap(), &[1, 3, 6, 6], F);
    let blend = net
        .add(
            Pooling::new(x, PoolingType::MaxAverageBlend, [2, 2])
                .stride([2, 2])
                .blend_factor(0.3),
        )
        .unwrap();
    check(blend.output(0).unwrap(), &[1, 3, 5, 5], F);
    for l in [max, ceil, floor, avg, blend] {
        assert_eq!(l.layer_type(), Some(LayerType::Pooling));
        net.mark_output(l.output(0).unwrap()).unwrap();
    }
    build(&builder, &net, "pooling (max, ceil, floor, average, blend)");
}

#[test]
fn activation_every_type() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 5]).unwrap();
    for &kind in ActivationType::ALL {
        let (alpha, beta) = match kind {
            ActivationType::Clip => (-1.0, 1.0),
            ActivationType::LeakyRelu | ActivationType::Elu => (0.1, 0.0),
            ActivationType::Selu => (1.67, 1.05),
            ActivationType::Softplus | ActivationType::ScaledTanh => (1.0, 1.0),
            ActivationType::HardSigmoid => (0.2, 0.5),
            ActivationType::ThresholdedRelu => (0.5, 0.0),
            _ => (0.0, 0.0),
        };
        let y = net
            .add(Activation::new(x, kind).params(alpha, beta))
            .unwrap()
            .output(0)
            .unwrap();
        check(y, &[2, 5], F);
        net.mark_output_named(y, &format!("{kind:?}")).unwrap();
    }
    build(
        &builder,
        &net,
        &format!("activation (all {} types)", ActivationType::ALL.len()),
    );
}

#[test]
fn elementwise_every_op() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let a = net.add_input("a", F, [2, 3, 4]).unwrap();
    let b = net.add_input("b", F, [1, 3, 1]).unwrap();
    let p = net.add_input("p", DataType::Bool, [2, 3, 4]).unwrap();
    let q = net.add_input("q", DataType::Bool, [2, 1, 4]).unwrap();
    for &op in ElementWiseOperation::ALL {
        let logic = matches!(
            op,
            ElementWiseOperation::And | ElementWiseOperation::Or | ElementWiseOperation::Xor
        );
        let compare = matches!(
            op,
            ElementWiseOperation::Equal
                | ElementWiseOperation::Greater
                | ElementWiseOperation::Less
        );
        let y = if logic {
            net.add(ElementWise::new(p, q, op))
        } else {
            net.add(ElementWise::new(a, b, op))
        }
        .unwrap()
        .output(0)
        .unwrap();
        check(
            y,
            &[2, 3, 4],
            if logic || compare { DataType::Bool } else { F },
        );
        net.mark_output_named(y, &format!("{op:?}")).unwrap();
    }
    build(
        &builder,
        &net,
        &format!("elementwise (all {} ops)", ElementWiseOperation::ALL.len()),
    );
}

#[test]
fn unary_every_op() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [3, 4]).unwrap();
    let b = net.add_input("b", DataType::Bool, [3, 4]).unwrap();
    for &op in UnaryOperation::ALL {
        let input = if op == UnaryOperation::Not { b } else { x };
        let y = net.add(Unary::new(input, op)).unwrap().output(0).unwrap();
        let bool_out = matches!(
            op,
            UnaryOperation::Not | UnaryOperation::IsInf | UnaryOperation::IsNan
        );
        check(y, &[3, 4], if bool_out { DataType::Bool } else { F });
        net.mark_output_named(y, &format!("{op:?}")).unwrap();
    }
    build(
        &builder,
        &net,
        &format!("unary (all {} ops)", UnaryOperation::ALL.len()),
    );
}

#[test]
fn matrix_multiply() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let a = net.add_input("a", F, [2, 3, 4]).unwrap();
    let w = net
        .add(Constant::new([5, 4], f32s(20)))
        .unwrap()
        .output(0)
        .unwrap();
    let v = net
        .add(Constant::new([1, 4], f32s(4)))
        .unwrap()
        .output(0)
        .unwrap();
    // a @ w^T (batched against a broadcast 2-D matrix, as nn.Linear).
    let w3 = net
        .add(Shuffle::reshape(w, [1, 5, 4]))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::None,
            w3,
            MatrixOperation::Transpose,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[2, 3, 5], F);
    let z = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::None,
            v,
            MatrixOperation::Vector,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    check(z, &[2, 3], F);
    let t = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::Transpose,
            a,
            MatrixOperation::None,
        ))
        .unwrap();
    assert_eq!(t.layer_type(), Some(LayerType::MatrixMultiply));
    check(t.output(0).unwrap(), &[2, 4, 4], F);
    for o in [y, z, t.output(0).unwrap()] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "matrix multiply (none, transpose, vector)");
}

#[test]
fn constant() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 3]).unwrap();
    static BYTES: [u8; 24] = [0; 24];
    let c = net
        .add(Constant::new(
            [2, 3],
            Weights::from_static(F, &BYTES).unwrap(),
        ))
        .unwrap();
    assert_eq!(c.layer_type(), Some(LayerType::Constant));
    let i = net
        .add(Constant::new([3], Weights::from_slice(&[1i32, 2, 3])))
        .unwrap()
        .output(0)
        .unwrap();
    check(i, &[3], DataType::Int32);
    let y = net
        .add(ElementWise::new(
            x,
            c.output(0).unwrap(),
            ElementWiseOperation::Sum,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[2, 3], F);
    net.mark_output(y).unwrap();
    assert!(
        net.add(Constant::new([4], f32s(3))).is_err(),
        "count mismatch is rejected"
    );
    build(&builder, &net, "constant");
}

#[test]
fn shuffle() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 3, 4]).unwrap();
    let r = net
        .add(Shuffle::reshape(x, [6, -1]))
        .unwrap()
        .output(0)
        .unwrap();
    check(r, &[6, 4], F);
    let t = net
        .add(Shuffle::transpose(x, [2, 0, 1]))
        .unwrap()
        .output(0)
        .unwrap();
    check(t, &[4, 2, 3], F);
    // first transpose, reshape (0 copies a dim), second transpose.
    let all = net
        .add(
            Shuffle::transpose(x, [0, 2, 1])
                .then_reshape([0, 12])
                .then_transpose([1, 0]),
        )
        .unwrap();
    assert_eq!(all.layer_type(), Some(LayerType::Shuffle));
    check(all.output(0).unwrap(), &[12, 2], F);
    for o in [r, t, all.output(0).unwrap()] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "shuffle (reshape, transposes)");
}

#[test]
fn shuffle_dynamic_reshape_from_shape_tensor() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [-1, 3, 4]).unwrap();
    // flatten(1): [N, 12] with N known only at run time: concat(shape(x)[0:1], [12]).
    let shape = net.add(Shape::new(x)).unwrap().output(0).unwrap();
    check(shape, &[3], DataType::Int64);
    let n = net
        .add(Slice::new(shape, [0], [1], [1]))
        .unwrap()
        .output(0)
        .unwrap();
    let twelve = net.add(Constant::i64(&[12])).unwrap().output(0).unwrap();
    let new_shape = net
        .add(Concatenation::new([n, twelve], 0))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net
        .add(Shuffle::reshape_dynamic(x, new_shape))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[-1, 12], F);
    net.mark_output(y).unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 4], [4, 3, 4], [8, 3, 4])
        .unwrap();
    let mut config = builder.create_config().unwrap();
    config.add_optimization_profile(&profile).unwrap();
    common::build_with(&builder, &net, &config, "shuffle (dynamic reshape)");
}

#[test]
fn concatenation() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let a = net.add_input("a", F, [2, 3, 4]).unwrap();
    let b = net.add_input("b", F, [2, 5, 4]).unwrap();
    let l = net.add(Concatenation::new([a, b, a], 1)).unwrap();
    assert_eq!(l.layer_type(), Some(LayerType::Concatenation));
    check(l.output(0).unwrap(), &[2, 11, 4], F);
    net.mark_output(l.output(0).unwrap()).unwrap();
    build(&builder, &net, "concatenation");
}

#[test]
fn slice_static_and_modes() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [4, 10]).unwrap();
    let s = net.add(Slice::new(x, [1, 0], [2, 5], [1, 2])).unwrap();
    assert_eq!(s.layer_type(), Some(LayerType::Slice));
    check(s.output(0).unwrap(), &[2, 5], F);
    let wrap = net
        .add(Slice::new(x, [0, 5], [4, 10], [1, 1]).mode(SampleMode::Wrap))
        .unwrap()
        .output(0)
        .unwrap();
    check(wrap, &[4, 10], F);
    net.mark_output(s.output(0).unwrap()).unwrap();
    net.mark_output(wrap).unwrap();
    build(&builder, &net, "slice (static, wrap)");
}

#[test]
fn slice_dynamic_start_size_stride() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [-1, 8]).unwrap();
    // x[:, 2:6] for any batch: size = [shape(x)[0], 4].
    let shape = net.add(Shape::new(x)).unwrap().output(0).unwrap();
    let n = net
        .add(Slice::new(shape, [0], [1], [1]))
        .unwrap()
        .output(0)
        .unwrap();
    let four = net.add(Constant::i64(&[4])).unwrap().output(0).unwrap();
    let size = net
        .add(Concatenation::new([n, four], 0))
        .unwrap()
        .output(0)
        .unwrap();
    let start = net.add(Constant::i64(&[0, 2])).unwrap().output(0).unwrap();
    let stride = net.add(Constant::i64(&[1, 1])).unwrap().output(0).unwrap();
    let y = net
        .add(Slice::dynamic(x, start, size, stride))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[-1, 4], F);
    net.mark_output(y).unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 8], [2, 8], [16, 8])
        .unwrap();
    let mut config = builder.create_config().unwrap();
    config.add_optimization_profile(&profile).unwrap();
    common::build_with(&builder, &net, &config, "slice (dynamic start/size/stride)");
}

#[test]
fn reduce() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 3, 4]).unwrap();
    for op in [
        ReduceOperation::Sum,
        ReduceOperation::Prod,
        ReduceOperation::Max,
        ReduceOperation::Min,
        ReduceOperation::Avg,
    ] {
        let keep = net
            .add(Reduce::new(x, op, axes_mask(&[1, 2]), true))
            .unwrap()
            .output(0)
            .unwrap();
        check(keep, &[2, 1, 1], F);
        let drop = net
            .add(Reduce::new(x, op, axes_mask(&[1]), false))
            .unwrap()
            .output(0)
            .unwrap();
        check(drop, &[2, 4], F);
        net.mark_output(keep).unwrap();
        net.mark_output(drop).unwrap();
    }
    build(
        &builder,
        &net,
        "reduce (sum, prod, max, min, avg; keep/drop dims)",
    );
}

#[test]
fn softmax() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 3, 4]).unwrap();
    let l = net.add(Softmax::new(x, axes_mask(&[2]))).unwrap();
    assert_eq!(l.layer_type(), Some(LayerType::Softmax));
    check(l.output(0).unwrap(), &[2, 3, 4], F);
    net.mark_output(l.output(0).unwrap()).unwrap();
    build(&builder, &net, "softmax");
}

#[test]
fn normalization_layer_instance_group() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    // Layer norm over the last dim of [2, 5, 8].
    let x = net.add_input("x", F, [2, 5, 8]).unwrap();
    let g = net
        .add(Constant::new([1, 1, 8], f32s(8)))
        .unwrap()
        .output(0)
        .unwrap();
    let b = net
        .add(Constant::new([1, 1, 8], f32s(8)))
        .unwrap()
        .output(0)
        .unwrap();
    let ln = net
        .add(Normalization::new(x, g, b, axes_mask(&[2]), 1e-5))
        .unwrap();
    assert_eq!(ln.layer_type(), Some(LayerType::Normalization));
    check(ln.output(0).unwrap(), &[2, 5, 8], F);
    // Instance norm of [2, 4, 6, 6]: per-channel scale [1, C, 1, 1], axes = spatial.
    let img = net.add_input("img", F, [2, 4, 6, 6]).unwrap();
    let sc = net
        .add(Constant::new([1, 4, 1, 1], f32s(4)))
        .unwrap()
        .output(0)
        .unwrap();
    let bc = net
        .add(Constant::new([1, 4, 1, 1], f32s(4)))
        .unwrap()
        .output(0)
        .unwrap();
    let inorm = net
        .add(Normalization::new(img, sc, bc, axes_mask(&[2, 3]), 1e-5))
        .unwrap()
        .output(0)
        .unwrap();
    check(inorm, &[2, 4, 6, 6], F);
    // Group norm, 2 groups of 2 channels (TensorRT wants the spatial axes; the groups span channels).
    let gn = net
        .add(Normalization::new(img, sc, bc, axes_mask(&[2, 3]), 1e-5).groups(2))
        .unwrap()
        .output(0)
        .unwrap();
    check(gn, &[2, 4, 6, 6], F);
    for o in [ln.output(0).unwrap(), inorm, gn] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "normalization (layer, instance, group)");
}

#[test]
fn scale() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 3, 4, 4]).unwrap();
    let ch = net
        .add(
            Scale::new(x, ScaleMode::Channel, 1)
                .shift(f32s(3))
                .scale(f32s(3)),
        )
        .unwrap();
    assert_eq!(ch.layer_type(), Some(LayerType::Scale));
    check(ch.output(0).unwrap(), &[1, 3, 4, 4], F);
    let uni = net
        .add(
            Scale::new(x, ScaleMode::Uniform, 1)
                .scale(Weights::from_f32(&[2.0]))
                .power(Weights::from_f32(&[1.0])),
        )
        .unwrap();
    check(uni.output(0).unwrap(), &[1, 3, 4, 4], F);
    net.mark_output(ch.output(0).unwrap()).unwrap();
    net.mark_output(uni.output(0).unwrap()).unwrap();
    build(&builder, &net, "scale (channel, uniform)");
}

#[test]
fn cast() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [2, 3]).unwrap();
    for to in [
        DataType::Half,
        DataType::BF16,
        DataType::Int32,
        DataType::Int64,
        DataType::Bool,
        DataType::UInt8,
    ] {
        let y = net.add(Cast::new(x, to)).unwrap();
        assert_eq!(y.layer_type(), Some(LayerType::Cast));
        check(y.output(0).unwrap(), &[2, 3], to);
        net.mark_output(y.output(0).unwrap()).unwrap();
    }
    build(
        &builder,
        &net,
        "cast (half, bf16, int32, int64, bool, uint8)",
    );
}

#[test]
fn gather_every_mode() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let data = net.add_input("data", F, [3, 4, 5]).unwrap();
    let idx = net.add_input("idx", DataType::Int32, [2, 6]).unwrap();
    // Default: index_select along axis 1 -> [3, 2, 6, 5].
    let d = net.add(Gather::new(data, idx, 1)).unwrap();
    assert_eq!(d.layer_type(), Some(LayerType::Gather));
    check(d.output(0).unwrap(), &[3, 2, 6, 5], F);
    // Element: torch.gather along axis 2, indices shaped like the output.
    let eidx = net.add_input("eidx", DataType::Int64, [3, 4, 2]).unwrap();
    let e = net
        .add(Gather::new(data, eidx, 2).mode(GatherMode::Element))
        .unwrap()
        .output(0)
        .unwrap();
    check(e, &[3, 4, 2], F);
    // ND: indices [..., 2] pick [3, 4] positions -> [7, 5].
    let nidx = net.add_input("nidx", DataType::Int32, [7, 2]).unwrap();
    let n = net
        .add(
            Gather::new(data, nidx, 0)
                .mode(GatherMode::Nd)
                .nb_elementwise_dims(0),
        )
        .unwrap()
        .output(0)
        .unwrap();
    check(n, &[7, 5], F);
    for o in [d.output(0).unwrap(), e, n] {
        net.mark_output(o).unwrap();
    }
    build(&builder, &net, "gather (default, element, nd)");
}

#[test]
fn resize_modes() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [1, 3, 8, 8]).unwrap();
    let nearest = net
        .add(
            Resize::new(
                x,
                ResizeOutput::Scales(vec![1.0, 1.0, 2.0, 2.0]),
                InterpolationMode::Nearest,
            )
            .coordinate_transformation(ResizeCoordinateTransformation::Asymmetric)
            .nearest_rounding(ResizeRoundMode::Floor),
        )
        .unwrap();
    assert_eq!(nearest.layer_type(), Some(LayerType::Resize));
    check(nearest.output(0).unwrap(), &[1, 3, 16, 16], F);
    let linear = net
        .add(
            Resize::new(
                x,
                ResizeOutput::Dims(Dims::from([1, 3, 5, 7])),
                InterpolationMode::Linear,
            )
            .coordinate_transformation(ResizeCoordinateTransformation::HalfPixel)
            .selector_for_single_pixel(ResizeSelector::Upper),
        )
        .unwrap()
        .output(0)
        .unwrap();
    check(linear, &[1, 3, 5, 7], F);
    let aligned = net
        .add(
            Resize::new(
                x,
                ResizeOutput::Scales(vec![1.0, 1.0, 0.5, 0.5]),
                InterpolationMode::Linear,
            )
            .coordinate_transformation(ResizeCoordinateTransformation::AlignCorners),
        )
        .unwrap()
        .output(0)
        .unwrap();
    check(aligned, &[1, 3, 4, 4], F);
    let cubic = net
        .add(Resize::new(
            x,
            ResizeOutput::Scales(vec![1.0, 1.0, 2.0, 2.0]),
            InterpolationMode::Cubic,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    check(cubic, &[1, 3, 16, 16], F);
    for o in [nearest.output(0).unwrap(), linear, aligned, cubic] {
        net.mark_output(o).unwrap();
    }
    build(
        &builder,
        &net,
        "resize (nearest, linear half-pixel, align-corners, cubic)",
    );
}

#[test]
fn resize_to_shape_tensor() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", F, [-1, 3, 8, 8]).unwrap();
    let like = net.add_input("like", F, [-1, 3, 16, 12]).unwrap();
    let shape = net.add(Shape::new(like)).unwrap().output(0).unwrap();
    let y = net
        .add(Resize::new(
            x,
            ResizeOutput::ShapeTensor(shape),
            InterpolationMode::Nearest,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    check(y, &[-1, 3, 16, 12], F);
    net.mark_output(y).unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 8, 8], [2, 3, 8, 8], [4, 3, 8, 8])
        .unwrap();
    profile
        .set_dimensions("like", [1, 3, 16, 12], [2, 3, 16, 12], [4, 3, 16, 12])
        .unwrap();
    let mut config = builder.create_config().unwrap();
    config.add_optimization_profile(&profile).unwrap();
    common::build_with(&builder, &net, &config, "resize (dynamic output shape)");
}

#[test]
fn select() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let a = net.add_input("a", F, [2, 3]).unwrap();
    let b = net.add_input("b", F, [1, 3]).unwrap();
    let c = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Greater))
        .unwrap()
        .output(0)
        .unwrap();
    let l = net.add(Select::new(c, a, b)).unwrap();
    assert_eq!(l.layer_type(), Some(LayerType::Select));
    check(l.output(0).unwrap(), &[2, 3], F);
    net.mark_output(l.output(0).unwrap()).unwrap();
    build(&builder, &net, "select");
}

#[test]
fn identity() {
    setup!(lib, logger, builder);
    let net = builder.create_network().unwrap();
    let x = net.add_input("x", DataType::Half, [2, 3]).unwrap();
    let l = net.add(Identity::new(x)).unwrap();
    assert_eq!(l.layer_type(), Some(LayerType::Identity));
    check(l.output(0).unwrap(), &[2, 3], DataType::Half);
    net.mark_output(l.output(0).unwrap()).unwrap();
    build(&builder, &net, "identity");
}
