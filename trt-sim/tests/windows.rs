//! Sliding-window and resampling layers against hand-computed values: each network is defined with `trt`,
//! read back from TensorRT and simulated.

mod common;

use common::*;
use trt::*;

const F: DataType = DataType::Float;

#[test]
fn convolution_asymmetric_padding_stride_and_bias() {
    network!(net);
    // x = 1..9 as a 3×3 image; kernel 2×2 of ones; pre padding (1, 0), post (0, 1), stride (2, 1), bias 10.
    let x = net.add_input("x", F, [1, 1, 3, 3]).unwrap();
    let conv = Convolution::new(x, 1, [2, 2], Weights::from_f32(&[1.0; 4]))
        .bias(Weights::from_f32(&[10.0]))
        .stride([2, 1])
        .pre_post_padding([1, 0], [0, 1]);
    let y = net.add(conv).unwrap().output(0).unwrap();
    output(&net, y);
    // Padded rows: [0 0 0 0], [1 2 3 0], [4 5 6 0], [7 8 9 0] (row of zeros on top, column on the right).
    // Output rows at padded rows 0 and 2 (stride 2): window sums + 10.
    // row 0: [0+0+1+2, 0+0+2+3, 0+0+3+0] = [3, 5, 3]; row 1: [4+5+7+8, 5+6+8+9, 6+0+9+0] = [24, 28, 15].
    let got = out(
        &net,
        &[t(
            &(1..=9).map(|v| v as f32).collect::<Vec<_>>(),
            &[1, 1, 3, 3],
        )],
    );
    assert_eq!(got, [13.0, 15.0, 13.0, 34.0, 38.0, 25.0]);
}

#[test]
fn convolution_groups_and_dilation() {
    network!(net);
    // Two channels, two groups: channel 0 × kernel 1, channel 1 × kernel 2 (each a dilated 2×2 kernel with
    // only its corners reading the 3×3 input corners).
    let x = net.add_input("x", F, [1, 2, 3, 3]).unwrap();
    let kernel = [1.0, 0.0, 0.0, 1.0, 0.0, 2.0, 2.0, 0.0];
    let conv = Convolution::new(x, 2, [2, 2], Weights::from_f32(&kernel))
        .groups(2)
        .dilation([2, 2]);
    let y = net.add(conv).unwrap().output(0).unwrap();
    output(&net, y);
    let ch0: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let ch1: Vec<f32> = (1..=9).map(|v| 10.0 * v as f32).collect();
    let input = [ch0, ch1].concat();
    // ch0: x[0,0] + x[2,2] = 1 + 9; ch1: 2 * (x[0,2] + x[2,0]) = 2 * (30 + 70).
    assert_eq!(out(&net, &[t(&input, &[1, 2, 3, 3])]), [10.0, 200.0]);
}

#[test]
fn convolution_same_upper_pads_after() {
    network!(net);
    // I = 4, S = 2, F = 2: O = 2, P = floor(3/2)*2 + 2 - 4 = 0... use F = 3: P = 2 + 3 - 4 = 1, B = 0, A = 1.
    let x = net.add_input("x", F, [1, 1, 1, 4]).unwrap();
    let conv = Convolution::new(x, 1, [1, 3], Weights::from_f32(&[1.0, 1.0, 1.0]))
        .stride([1, 2])
        .padding_mode(PaddingMode::SameUpper);
    let y = net.add(conv).unwrap().output(0).unwrap();
    output(&net, y);
    // Windows over [1 2 3 4 | 0]: positions 0..3 = 6, 2..5 = 3 + 4 + 0 = 7.
    assert_eq!(
        out(&net, &[t(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 1, 4])]),
        [6.0, 7.0]
    );
}

#[test]
fn deconvolution_stride_and_crop() {
    network!(net);
    // 1-channel 1×2 input [1, 2], kernel 1×3 [1, 10, 100], stride 2: full output (I-1)*S + K = 5:
    // [1, 10, 100+2, 20, 200]; pre padding 1 and post 1 crop it to [10, 102, 20].
    let x = net.add_input("x", F, [1, 1, 1, 2]).unwrap();
    let d = Deconvolution::new(x, 1, [1, 3], Weights::from_f32(&[1.0, 10.0, 100.0]))
        .stride([1, 2])
        .pre_post_padding([0, 1], [0, 1]);
    let y = net.add(d).unwrap().output(0).unwrap();
    output(&net, y);
    assert_eq!(
        out(&net, &[t(&[1.0, 2.0], &[1, 1, 1, 2])]),
        [10.0, 102.0, 20.0]
    );
}

#[test]
fn deconvolution_groups() {
    network!(net);
    // Two groups of one channel each, 1×1 kernels 2 and 3, bias [1, -1].
    let x = net.add_input("x", F, [1, 2, 1, 2]).unwrap();
    let d = Deconvolution::new(x, 2, [1, 1], Weights::from_f32(&[2.0, 3.0]))
        .groups(2)
        .bias(Weights::from_f32(&[1.0, -1.0]));
    let y = net.add(d).unwrap().output(0).unwrap();
    output(&net, y);
    assert_eq!(
        out(&net, &[t(&[1.0, 2.0, 3.0, 4.0], &[1, 2, 1, 2])]),
        [3.0, 5.0, 8.0, 11.0]
    );
}

#[test]
fn pooling_max_average_and_padding_counts() {
    network!(net);
    let x = net.add_input("x", F, [1, 1, 2, 2]).unwrap();
    let pool = |kind| Pooling::new(x, kind, [2, 2]).padding([1, 1]).stride([2, 2]);
    // Padded 4×4 with the input in the middle: windows at (0,0), (0,2), (2,0), (2,2) each hold one input value.
    let max = net.add(pool(PoolingType::Max)).unwrap().output(0).unwrap();
    let excl = net
        .add(pool(PoolingType::Average))
        .unwrap()
        .output(0)
        .unwrap();
    let incl = net
        .add(pool(PoolingType::Average).exclusive(false))
        .unwrap()
        .output(0)
        .unwrap();
    let blend = net
        .add(
            pool(PoolingType::MaxAverageBlend)
                .exclusive(false)
                .blend_factor(0.5),
        )
        .unwrap()
        .output(0)
        .unwrap();
    for y in [max, excl, incl, blend] {
        output(&net, y);
    }
    let outs = run(&net, &[t(&[-1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2])]);
    // Max ignores padding (so -1 stays -1, not 0); the exclusive average divides by 1, the inclusive one by 4.
    assert_eq!(f32s(&outs[0]), [-1.0, 2.0, 3.0, 4.0]);
    assert_eq!(f32s(&outs[1]), [-1.0, 2.0, 3.0, 4.0]);
    assert_eq!(f32s(&outs[2]), [-0.25, 0.5, 0.75, 1.0]);
    assert_eq!(f32s(&outs[3]), [-0.625, 1.25, 1.875, 2.5]);
}

#[test]
fn pooling_round_up_reads_past_the_input() {
    network!(net);
    // I = 5, F = 2, S = 2: round down gives 2 windows, round up 3 (the last over [4, pad]).
    let x = net.add_input("x", F, [1, 1, 1, 5]).unwrap();
    let down = net
        .add(Pooling::new(x, PoolingType::Average, [1, 2]).stride([1, 2]))
        .unwrap()
        .output(0)
        .unwrap();
    let up = net
        .add(
            Pooling::new(x, PoolingType::Average, [1, 2])
                .stride([1, 2])
                .round_up(true)
                .exclusive(false),
        )
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, down);
    output(&net, up);
    let outs = run(&net, &[t(&[1.0, 3.0, 5.0, 7.0, 9.0], &[1, 1, 1, 5])]);
    assert_eq!(f32s(&outs[0]), [2.0, 6.0]);
    // The round-up window overlaps the padded input (no explicit padding) in one element: 9 / 1.
    assert_eq!(f32s(&outs[1]), [2.0, 6.0, 9.0]);
}

#[test]
fn padding_pads_and_crops_the_last_two_dims() {
    network!(net);
    let x = net.add_input("x", F, [1, 1, 2, 3]).unwrap();
    let y = net
        .add(Padding::new(x, [1, -1], [0, 1]))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    // Rows: one zero row on top; columns: first dropped, one zero appended.
    let got = out(&net, &[t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 1, 2, 3])]);
    assert_eq!(got, [0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
}

#[test]
fn resize_nearest_and_linear() {
    network!(net);
    let x = net.add_input("x", F, [1, 1, 1, 2]).unwrap();
    let dims = || ResizeOutput::Dims([1, 1, 1, 4].into());
    let nearest = net
        .add(Resize::new(x, dims(), InterpolationMode::Nearest))
        .unwrap()
        .output(0)
        .unwrap();
    let linear = net
        .add(
            Resize::new(x, dims(), InterpolationMode::Linear)
                .coordinate_transformation(ResizeCoordinateTransformation::HalfPixel),
        )
        .unwrap()
        .output(0)
        .unwrap();
    let corners = net
        .add(
            Resize::new(
                x,
                ResizeOutput::Scales(vec![1.0, 1.0, 1.0, 2.0]),
                InterpolationMode::Linear,
            )
            .coordinate_transformation(ResizeCoordinateTransformation::AlignCorners),
        )
        .unwrap()
        .output(0)
        .unwrap();
    for y in [nearest, linear, corners] {
        output(&net, y);
    }
    let outs = run(&net, &[t(&[0.0, 8.0], &[1, 1, 1, 2])]);
    // Asymmetric, floor: sources 0, 0.5, 1, 1.5 -> 0, 0, 1, 1.
    assert_eq!(f32s(&outs[0]), [0.0, 0.0, 8.0, 8.0]);
    // Half pixel: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    assert_eq!(f32s(&outs[1]), [0.0, 2.0, 6.0, 8.0]);
    // Align corners: sources 0, 1/3, 2/3, 1.
    close(&f32s(&outs[2]), &[0.0, 8.0 / 3.0, 16.0 / 3.0, 8.0], 1e-6);
}

#[test]
fn resize_from_a_shape_tensor() {
    network!(net, builder);
    let x = net.add_input("x", F, [-1, 1, 2]).unwrap();
    // Output dims = shape(x) * [1, 1, 2]: doubles the last dim whatever the batch.
    let shape = net.add(Shape::new(x)).unwrap().output(0).unwrap();
    let two = constant_i64(&net, &[1, 1, 2], &[3]);
    let size = net
        .add(ElementWise::new(shape, two, ElementWiseOperation::Prod))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net
        .add(Resize::new(
            x,
            ResizeOutput::ShapeTensor(size),
            InterpolationMode::Nearest,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 1, 2], [2, 1, 2], [3, 1, 2])
        .unwrap();
    let program = trt_sim::Program::from_network(&net, Some(&profile)).unwrap();
    let options = trt_sim::RunOptions {
        tf32: false,
        keep_all: false,
        ..Default::default()
    };
    for (batch, input) in [(1, vec![1.0, 2.0]), (3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])] {
        let r = program.run(&[t(&input, &[batch, 1, 2])], &options).unwrap();
        let expected: Vec<f32> = input.iter().flat_map(|&v| [v, v]).collect();
        assert_eq!(f32s(&r.outputs[0]), expected);
        assert_eq!(r.outputs[0].dims(), [batch, 1, 4]);
    }
    // Outside the profile: a clean error naming the input.
    let err = program
        .run(&[t(&[0.0; 8], &[4, 1, 2])], &options)
        .unwrap_err();
    assert!(err.to_string().contains("outside the profile"), "{err}");
}
