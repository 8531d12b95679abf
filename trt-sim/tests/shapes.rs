//! Data-movement, shape-tensor, type and indexing layers against hand-computed values.

mod common;

use common::*;
use trt::*;

const F: DataType = DataType::Float;

#[test]
fn shuffle_permutation_is_numpy_order() {
    network!(net);
    // CHW -> HWC with [1, 2, 0] (NvInfer.h's example).
    let x = net.add_input("x", F, [2, 1, 3]).unwrap();
    let y = net
        .add(Shuffle::transpose(x, [1, 2, 0]))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let r = run(&net, &[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 1, 3])]);
    assert_eq!(r[0].dims(), [1, 3, 2]);
    assert_eq!(f32s(&r[0]), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}

#[test]
fn shuffle_reshape_zero_copies_and_minus_one_infers_then_second_transpose() {
    network!(net);
    let x = net.add_input("x", F, [2, 3, 2]).unwrap();
    let y = net
        .add(Shuffle::reshape(x, [0, -1]).then_transpose([1, 0]))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let input: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let r = run(&net, &[t(&input, &[2, 3, 2])]);
    assert_eq!(r[0].dims(), [6, 2]);
    assert_eq!(
        f32s(&r[0]),
        [0.0, 6.0, 1.0, 7.0, 2.0, 8.0, 3.0, 9.0, 4.0, 10.0, 5.0, 11.0]
    );
}

#[test]
fn dynamic_reshape_from_shape_arithmetic() {
    network!(net, builder);
    // x: [B, 4] reshaped to [B * 2, 2] through shape(x) / [1, 2] * [2, 1] computed at run time.
    let x = net.add_input("x", F, [-1, 4]).unwrap();
    let shape = net.add(Shape::new(x)).unwrap().output(0).unwrap();
    let half = constant_i64(&net, &[1, 2], &[2]);
    let twice = constant_i64(&net, &[2, 1], &[2]);
    let s = net
        .add(ElementWise::new(shape, half, ElementWiseOperation::Div))
        .unwrap()
        .output(0)
        .unwrap();
    let s = net
        .add(ElementWise::new(s, twice, ElementWiseOperation::Prod))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net
        .add(Shuffle::reshape_dynamic(x, s))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let mut profile = builder.create_optimization_profile().unwrap();
    profile.set_dimensions("x", [1, 4], [2, 4], [5, 4]).unwrap();
    let program = trt_sim::Program::from_network(&net, Some(&profile)).unwrap();
    assert_eq!(program.inputs()[0].range.as_ref().unwrap().max, [5, 4]);
    for b in [1usize, 5] {
        let input: Vec<f32> = (0..4 * b).map(|v| v as f32).collect();
        let r = program
            .run(&[t(&input, &[b, 4])], &trt_sim::RunOptions::default())
            .unwrap();
        assert_eq!(r.outputs[0].dims(), [2 * b, 2]);
        assert_eq!(f32s(&r.outputs[0]), input);
    }
}

#[test]
fn slice_strides_and_sample_modes() {
    network!(net);
    let x = net.add_input("x", F, [5]).unwrap();
    let slice = |start: i64, size: i64, stride: i64, mode| {
        let mut s = Slice::new(x, [start], [size], [stride]);
        s.mode = mode;
        net.add(s).unwrap().output(0).unwrap()
    };
    let strided = slice(4, 3, -2, SampleMode::StrictBounds);
    let wrap = slice(3, 4, 1, SampleMode::Wrap);
    let clamp = slice(-2, 3, 2, SampleMode::Clamp);
    let reflect = slice(3, 5, 1, SampleMode::Reflect);
    let fill = slice(4, 3, 1, SampleMode::Fill);
    for y in [strided, wrap, clamp, reflect, fill] {
        output(&net, y);
    }
    let r = run(&net, &[t(&[10.0, 11.0, 12.0, 13.0, 14.0], &[5])]);
    assert_eq!(f32s(&r[0]), [14.0, 12.0, 10.0]);
    assert_eq!(f32s(&r[1]), [13.0, 14.0, 10.0, 11.0]);
    assert_eq!(f32s(&r[2]), [10.0, 10.0, 12.0]);
    assert_eq!(f32s(&r[3]), [13.0, 14.0, 13.0, 12.0, 11.0]);
    // kFILL without a fill input: zeros (docs/verification.md).
    assert_eq!(f32s(&r[4]), [14.0, 0.0, 0.0]);
}

#[test]
fn slice_with_a_fill_value_and_run_time_bounds() {
    network!(net);
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let start = constant_i64(&net, &[1, -1], &[2]);
    let size = constant_i64(&net, &[2, 3], &[2]);
    let stride = constant_i64(&net, &[1, 1], &[2]);
    let mut s = Slice::dynamic(x, start, size, stride);
    s.mode = SampleMode::Fill;
    s.fill_value = Some(constant(&net, &[-7.0], &[]));
    let y = net.add(s).unwrap().output(0).unwrap();
    output(&net, y);
    let r = run(&net, &[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])]);
    // Rows 1..3 (row 2 is out of bounds), columns -1..2.
    assert_eq!(f32s(&r[0]), [-7.0, 4.0, 5.0, -7.0, -7.0, -7.0]);
}

#[test]
fn slice_out_of_bounds_in_strict_mode_is_an_error() {
    network!(net, builder);
    let x = net.add_input("x", F, [-1]).unwrap();
    let y = net
        .add(Slice::new(x, [2], [2], [1]))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let mut profile = builder.create_optimization_profile().unwrap();
    profile.set_dimensions("x", [1], [4], [4]).unwrap();
    let program = trt_sim::Program::from_network(&net, Some(&profile)).unwrap();
    assert!(program
        .run(&[t(&[1.0; 4], &[4])], &trt_sim::RunOptions::default())
        .is_ok());
    let err = program
        .run(&[t(&[1.0; 3], &[3])], &trt_sim::RunOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("out of bounds"), "{err}");
}

#[test]
fn concatenation_squeeze_unsqueeze_identity() {
    network!(net);
    let a = net.add_input("a", F, [1, 2]).unwrap();
    let b = net.add_input("b", F, [1, 1]).unwrap();
    let cat = net
        .add(Concatenation::new(vec![a, b, a], 1))
        .unwrap()
        .output(0)
        .unwrap();
    let axes = constant_i64(&net, &[0], &[1]);
    let sq = net.add(Squeeze::new(cat, axes)).unwrap().output(0).unwrap();
    let uaxes = constant_i64(&net, &[-1, 0], &[2]);
    let usq = net
        .add(Unsqueeze::new(sq, uaxes))
        .unwrap()
        .output(0)
        .unwrap();
    let id = net.add(Identity::new(usq)).unwrap().output(0).unwrap();
    output(&net, id);
    let r = run(&net, &[t(&[1.0, 2.0], &[1, 2]), t(&[3.0], &[1, 1])]);
    assert_eq!(r[0].dims(), [1, 5, 1]);
    assert_eq!(f32s(&r[0]), [1.0, 2.0, 3.0, 1.0, 2.0]);
}

#[test]
fn fill_linspace_and_casts() {
    network!(net);
    let x = net.add_input("x", F, [4]).unwrap();
    let ramp = net
        .add(Fill::new(
            [4],
            FillOperation::Linspace,
            DataType::Int64,
            3.0,
            -2.0,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let to_int = net
        .add(Cast::new(x, DataType::Int32))
        .unwrap()
        .output(0)
        .unwrap();
    let to_bool = net
        .add(Cast::new(x, DataType::Bool))
        .unwrap()
        .output(0)
        .unwrap();
    let to_half = net
        .add(Cast::new(x, DataType::Half))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [ramp, to_int, to_bool, to_half] {
        output(&net, y);
    }
    let r = run(&net, &[t(&[-2.7, 0.0, 2.7, 1e5], &[4])]);
    assert_eq!(i64s(&r[0]), [3, 1, -1, -3]);
    // Truncation toward zero.
    assert_eq!(i64s(&r[1]), [-2, 0, 2, 100000]);
    assert_eq!(i64s(&r[2]), [1, 0, 1, 1]);
    assert_eq!(r[3].dtype(), DataType::Half);
    assert_eq!(
        f32s(&r[3]),
        [-1382.0 / 512.0, 0.0, 1382.0 / 512.0, f32::INFINITY]
    );
}

#[test]
fn gather_modes_negative_and_out_of_bounds_indices() {
    network!(net);
    let data = net.add_input("data", F, [3, 2]).unwrap();
    let idx = net.add_input("idx", DataType::Int64, [2, 2]).unwrap();
    let rows = net
        .add(Gather::new(data, idx, 0))
        .unwrap()
        .output(0)
        .unwrap();
    let eidx = constant_i64(&net, &[1, 0, 0, 1, 1, 1], &[3, 2]);
    let elem = net
        .add(Gather::new(data, eidx, 1).mode(GatherMode::Element))
        .unwrap()
        .output(0)
        .unwrap();
    let nidx = constant_i64(&net, &[2, 1, 0, 0], &[2, 2]);
    let nd = net
        .add(Gather::new(data, nidx, 0).mode(GatherMode::Nd))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [rows, elem, nd] {
        output(&net, y);
    }
    let r = run(
        &net,
        &[
            t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]),
            ti(&[2, -1, 0, 7], &[2, 2]),
        ],
    );
    assert_eq!(r[0].dims(), [2, 2, 2]);
    // Index -1 is the last row; 7 is out of bounds and reads zeros.
    assert_eq!(f32s(&r[0]), [5.0, 6.0, 5.0, 6.0, 1.0, 2.0, 0.0, 0.0]);
    assert_eq!(f32s(&r[1]), [2.0, 1.0, 3.0, 4.0, 6.0, 6.0]);
    assert_eq!(f32s(&r[2]), [6.0, 1.0]);
}

#[test]
fn one_hot_inserts_the_depth_axis() {
    network!(net);
    let idx = net.add_input("idx", DataType::Int32, [3]).unwrap();
    let values = constant(&net, &[0.0, 1.0], &[2]);
    let depth = net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[3i32])))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net
        .add(OneHot::new(idx, values, depth, -1))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let r = run(&net, &[ti(&[0, 2, -1], &[3])]);
    assert_eq!(r[0].dims(), [3, 3]);
    assert_eq!(f32s(&r[0]), [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
}

#[test]
fn a_changed_description_is_simulated_and_shape_contradictions_are_caught() {
    network!(net);
    let x = net.add_input("x", F, [1, 1, 4, 4]).unwrap();
    let conv = Convolution::new(x, 1, [2, 2], Weights::from_f32(&[1.0; 4])).stride([2, 2]);
    let layer = net.add(conv).unwrap();
    output(&net, layer.output(0).unwrap());
    let mut program = trt_sim::Program::from_network(&net, None).unwrap();
    let input = t(&[1.0; 16], &[1, 1, 4, 4]);
    let options = trt_sim::RunOptions::default();
    assert_eq!(
        f32s(
            &program
                .run(std::slice::from_ref(&input), &options)
                .unwrap()
                .outputs[0]
        ),
        [4.0; 4]
    );
    // A stride that changes the output size contradicts what TensorRT inferred: caught at that layer.
    let LayerDesc::Convolution(mut c) = layer.description().unwrap() else {
        panic!("not a convolution")
    };
    c.stride = [1, 1].into();
    program.set_description(0, c.into()).unwrap();
    let err = program.run(&[input], &options).unwrap_err();
    assert!(
        matches!(
            err,
            trt_sim::Error::Layer {
                index: 0,
                source: trt_sim::LayerError::ShapeDisagrees { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn strided_views_are_sliced_gathered_and_resized() {
    network!(net);
    // A transpose leaves a strided view; the layers after it must read it as laid out.
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let xt = net
        .add(Shuffle::transpose(x, [1, 0]))
        .unwrap()
        .output(0)
        .unwrap();
    let sliced = net
        .add(Slice::new(xt, [0, 0], [2, 2], [2, 1]))
        .unwrap()
        .output(0)
        .unwrap();
    let idx = constant_i64(&net, &[1], &[1]);
    let gathered = net.add(Gather::new(xt, idx, 1)).unwrap().output(0).unwrap();
    let resized = net
        .add(Resize::new(
            xt,
            ResizeOutput::Dims([3, 4].into()),
            InterpolationMode::Nearest,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [sliced, gathered, resized] {
        output(&net, y);
    }
    let r = run(&net, &[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])]);
    // xt = [[1, 4], [2, 5], [3, 6]].
    assert_eq!(f32s(&r[0]), [1.0, 4.0, 3.0, 6.0]);
    assert_eq!(f32s(&r[1]), [4.0, 5.0, 6.0]);
    assert_eq!(
        f32s(&r[2]),
        [1.0, 1.0, 4.0, 4.0, 2.0, 2.0, 5.0, 5.0, 3.0, 3.0, 6.0, 6.0]
    );
}
