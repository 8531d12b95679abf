//! The layer kinds NVIDIA's ONNX parser emits beyond the converters' (scatter, non-zero, reverse sequence, grid
//! sample, einsum, LRN) and the inputs every layer holds (slice axes, a k tensor, block quantization, the
//! normalization's V1/V2 form): each network is built through `trt`, read back from TensorRT, simulated, and
//! compared with values computed here independently (plain loops in the test, or examples quoted from NvInfer.h and
//! ONNX's operator documentation, named at each test).

mod common;

use common::*;
use trt::*;

const F: DataType = DataType::Float;

fn out0<'n>(l: trt::Result<Layer<'n>>) -> trt::Tensor<'n> {
    l.expect("add").output(0).expect("output")
}

#[test]
fn slice_axes_static_and_as_input_5() {
    // NvInfer.h's example: input {{0, 2, 4}, {1, 3, 5}}, start {1}, size {2}, stride {1}, axes {1} -> {{2, 4}, {3, 5}}.
    network!(net);
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let a = out0(net.add(Slice::new(x, [1], [2], [1]).axes([1])));
    let axes = constant_i64(&net, &[-1], &[1]);
    let b = out0(net.add(Slice::new(x, [1], [2], [1]).axes_tensor(axes)));
    output(&net, a);
    output(&net, b);
    let r = run(&net, &[t(&[0.0, 2.0, 4.0, 1.0, 3.0, 5.0], &[2, 3])]);
    for v in &r {
        assert_eq!(v.dims(), [2, 2]);
        assert_eq!(f32s(v), [2.0, 4.0, 3.0, 5.0]);
    }
}

#[test]
fn top_k_takes_k_from_input_1() {
    network!(net);
    let x = net.add_input("x", F, [1, 5]).unwrap();
    let k = net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[2i32])))
        .unwrap()
        .output(0)
        .unwrap();
    // Static k 4 is overridden by the tensor's 2 ("which overrides the static k value in calculations").
    let layer = net
        .add(TopK::new(x, TopKOperation::Max, 4, 0b10, DataType::Int32).k_tensor(k))
        .unwrap();
    output(&net, layer.output(0).unwrap());
    output(&net, layer.output(1).unwrap());
    let r = run(&net, &[t(&[3.0, 9.0, 1.0, 7.0, 5.0], &[1, 5])]);
    assert_eq!(f32s(&r[0]), [9.0, 7.0]);
    assert_eq!(i64s(&r[1]), [1, 3]);
}

#[test]
fn a_description_that_omits_an_input_tensorrt_holds_is_refused() {
    network!(net);
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let axes = constant_i64(&net, &[1], &[1]);
    let y = out0(net.add(Slice::new(x, [1], [2], [1]).axes_tensor(axes)));
    output(&net, y);
    let mut program = trt_sim::Program::from_network(&net, None).unwrap();
    let i = program
        .steps()
        .iter()
        .position(|s| matches!(s.desc, LayerDesc::Slice(_)))
        .unwrap();
    let LayerDesc::Slice(mut slice) = program.steps()[i].desc.clone() else {
        unreachable!()
    };
    assert_eq!(slice.axes_tensor, Some(axes));
    // The same layer read by a description that forgets input 5 (as this crate's did before it read axes).
    slice.axes_tensor = None;
    program.set_description(i, slice.into()).unwrap();
    let err = program
        .run(&[t(&[0.0; 6], &[2, 3])], &trt_sim::RunOptions::default())
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("input 5") && msg.contains("not read back"),
        "{msg}"
    );
}

#[test]
fn normalization_v1_scales_per_group_and_v2_per_channel() {
    // Group norm of [1, 4, 2] in 2 groups; v2 (addNormalizationV2) takes per-channel scale/bias [1, 4, 1], the
    // deprecated addNormalization per-group [1, 2, 1] (NvInfer.h: "[1, G, 1, 1] for GroupNormalization").
    network!(net);
    let x = net.add_input("x", F, [1, 4, 2]).unwrap();
    let s4 = constant(&net, &[1.0, 2.0, 3.0, 4.0], &[1, 4, 1]);
    let b4 = constant(&net, &[0.0, 0.5, 1.0, 1.5], &[1, 4, 1]);
    let s2 = constant(&net, &[2.0, -1.0], &[1, 2, 1]);
    let b2 = constant(&net, &[1.0, 0.0], &[1, 2, 1]);
    let eps = 1e-5;
    let v2 = out0(net.add(Normalization::new(x, s4, b4, 0b100, eps).groups(2)));
    let v1 = out0(net.add(Normalization::new(x, s2, b2, 0b100, eps).groups(2).v1()));
    output(&net, v2);
    output(&net, v1);
    let xs = [1.0f32, 2.0, 3.0, 5.0, -1.0, 0.0, 4.0, 2.0];
    let r = run(&net, &[t(&xs, &[1, 4, 2])]);
    // Expected: each group of 4 values normalized (population variance) in f64.
    let norm: Vec<f64> = xs
        .chunks(4)
        .flat_map(|g| {
            let m = g.iter().map(|&v| v as f64).sum::<f64>() / 4.0;
            let var = g.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / 4.0;
            g.iter()
                .map(move |&v| (v as f64 - m) / (var + eps as f64).sqrt())
                .collect::<Vec<_>>()
        })
        .collect();
    let (sc4, bc4) = ([1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 1.0, 1.5]);
    let want_v2: Vec<f32> = (0..8)
        .map(|i| (norm[i] * sc4[i / 2] + bc4[i / 2]) as f32)
        .collect();
    let (sg, bg) = ([2.0, -1.0], [1.0, 0.0]);
    let want_v1: Vec<f32> = (0..8)
        .map(|i| (norm[i] * sg[i / 4] + bg[i / 4]) as f32)
        .collect();
    // f32 rounding of values below 4 in magnitude: 1e-5 absolute is far above it and far below any mix-up.
    close(&f32s(&r[0]), &want_v2, 1e-5);
    close(&f32s(&r[1]), &want_v1, 1e-5);
}

#[test]
fn block_quantization_reads_the_block_shape() {
    // Blocks of 2 rows: scale [2, 2] covers a [4, 2] input ("output[r,s] = clamp(round(input[r,s] / scale[r//B,
    // s]))"). FP8 output so that every quotient is exact on the E4M3 grid.
    network!(net);
    let x = net.add_input("x", F, [4, 2]).unwrap();
    let scale = constant(&net, &[1.0, 2.0, 4.0, 8.0], &[2, 2]);
    let q = match net.add(Quantize::new(x, scale, DataType::Fp8, None).block_shape([2, 1])) {
        Ok(l) => l.output(0).unwrap(),
        Err(e) => panic!("TensorRT refused FP8 block quantization: {e}"),
    };
    output(&net, q);
    let program = trt_sim::Program::from_network(&net, None).unwrap();
    let LayerDesc::Quantize(d) = &program.steps().last().unwrap().desc else {
        panic!("not a quantize layer");
    };
    assert_eq!(d.block_shape, Some(Dims::new(vec![2, 1])));
    let r = run(&net, &[t(&[3.0; 8], &[4, 2])]);
    assert_eq!(f32s(&r[0]), [3.0, 1.5, 3.0, 1.5, 0.75, 0.375, 0.75, 0.375]);
}

#[test]
fn non_zero_lists_positions_column_by_column_in_lexical_order() {
    network!(net);
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let y = out0(net.add(NonZero::new(x, DataType::Int64)));
    output(&net, y);
    // Non-zero at (0, 1), (1, 0), (1, 2); NaN counts (it is not equal to 0).
    let r = run(&net, &[t(&[0.0, 5.0, 0.0, -1.0, 0.0, f32::NAN], &[2, 3])]);
    assert_eq!(r[0].dtype(), DataType::Int64);
    assert_eq!(r[0].dims(), [2, 3]);
    assert_eq!(i64s(&r[0]), [0, 1, 1, 1, 0, 2]);
}

#[test]
fn reverse_sequence_reverses_the_first_len_elements_per_batch_entry() {
    network!(net);
    // Sequence axis 0 (length 4), batch axis 1 (2 entries): lengths 3 and 1.
    let x = net.add_input("x", F, [4, 2]).unwrap();
    let lens = net
        .add(Constant::new(vec![2], Weights::from_slice(&[3i32, 1])))
        .unwrap()
        .output(0)
        .unwrap();
    let y = out0(net.add(ReverseSequence::new(x, lens, 1, 0)));
    output(&net, y);
    let r = run(
        &net,
        &[t(&[0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0], &[4, 2])],
    );
    // Column 0: [0, 1, 2, 3] -> [2, 1, 0, 3]; column 1 (length 1) unchanged.
    assert_eq!(f32s(&r[0]), [2.0, 10.0, 1.0, 11.0, 0.0, 12.0, 3.0, 13.0]);
}

#[test]
fn scatter_element_and_nd_follow_the_onnx_examples() {
    // ONNX ScatterElements' and ScatterND's documented examples (IScatterLayer says "similar to" neither, but its
    // kELEMENT and kND pseudo-code compute them).
    network!(net);
    let data = net.add_input("data", F, [3, 3]).unwrap();
    let idx = constant_i64(&net, &[1, 0, 2, 0, 2, 1], &[2, 3]);
    let upd = constant(&net, &[1.0, 1.1, 1.2, 2.0, 2.1, 2.2], &[2, 3]);
    let e = out0(net.add(Scatter::new(data, idx, upd, ScatterMode::Element, 0)));
    output(&net, e);
    let data8 = net.add_input("data8", F, [8]).unwrap();
    let idx8 = constant_i64(&net, &[4, 3, 1, 7], &[4, 1]);
    let upd8 = constant(&net, &[9.0, 10.0, 11.0, 12.0], &[4]);
    let nd = out0(net.add(Scatter::new(data8, idx8, upd8, ScatterMode::Nd, 0)));
    output(&net, nd);
    let r = run(
        &net,
        &[
            t(&[0.0; 9], &[3, 3]),
            t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], &[8]),
        ],
    );
    assert_eq!(f32s(&r[0]), [2.0, 1.1, 0.0, 1.0, 0.0, 2.2, 0.0, 2.1, 1.2]);
    assert_eq!(f32s(&r[1]), [1.0, 11.0, 3.0, 10.0, 9.0, 6.0, 7.0, 12.0]);
}

#[test]
fn scatter_keeps_int64_values_exact() {
    network!(net);
    let data = net.add_input("data", DataType::Int64, [3]).unwrap();
    let idx = constant_i64(&net, &[2], &[1, 1]);
    let upd = constant_i64(&net, &[(1i64 << 60) + 1], &[1]);
    let y = out0(net.add(Scatter::new(data, idx, upd, ScatterMode::Nd, 0)));
    output(&net, y);
    let r = run(&net, &[ti(&[(1 << 53) + 1, -7, 0], &[3])]);
    assert_eq!(i64s(&r[0]), [(1 << 53) + 1, -7, (1 << 60) + 1]);
}

/// `equation` over the inputs, simulated.
fn einsum(equation: &str, inputs: &[(&[f32], &[i64])]) -> (Vec<usize>, Vec<f32>) {
    let Some(lib) = common::library() else {
        return (Vec::new(), Vec::new());
    };
    let logger = Logger::new(Severity::Warning).unwrap();
    let builder = Builder::new(lib, &logger).unwrap();
    let net = builder.create_network().unwrap();
    let xs: Vec<_> = inputs
        .iter()
        .enumerate()
        .map(|(i, (_, d))| net.add_input(&format!("x{i}"), F, d.to_vec()).unwrap())
        .collect();
    let y = out0(net.add(Einsum::new(xs, equation)));
    output(&net, y);
    let values: Vec<_> = inputs
        .iter()
        .map(|(v, d)| t(v, &d.iter().map(|&n| n as usize).collect::<Vec<_>>()))
        .collect();
    let r = run(&net, &values);
    (r[0].dims().to_vec(), f32s(&r[0]))
}

#[test]
fn einsum_products_sums_diagonals_transposes_and_ellipses() {
    if common::library().is_none() {
        return;
    }
    let a: Vec<f32> = (1..=6).map(|v| v as f32).collect(); // [2, 3]
    let b: Vec<f32> = (1..=12).map(|v| v as f32 * 0.5).collect(); // [3, 4]
                                                                  // Matrix product by loops.
    let mut mm = vec![0f32; 8];
    for i in 0..2 {
        for k in 0..4 {
            mm[i * 4 + k] = (0..3).map(|j| a[i * 3 + j] * b[j * 4 + k]).sum();
        }
    }
    assert_eq!(
        einsum("ij,jk->ik", &[(&a, &[2, 3]), (&b, &[3, 4])]),
        (vec![2, 4], mm.clone())
    );
    // Implicit mode: "ij,jk" is "ij,jk->ik" (NvInfer.h's example).
    assert_eq!(
        einsum("ij,jk", &[(&a, &[2, 3]), (&b, &[3, 4])]),
        (vec![2, 4], mm)
    );
    assert_eq!(
        einsum("ij->ji", &[(&a, &[2, 3])]),
        (vec![3, 2], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    );
    assert_eq!(einsum("ij->", &[(&a, &[2, 3])]), (vec![], vec![21.0]));
    // Implicit mode of one input: "ji" keeps the labels in alphabetical order, a transpose.
    assert_eq!(
        einsum("ji", &[(&a, &[2, 3])]),
        (vec![3, 2], vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    );
    let sq: Vec<f32> = (0..18).map(|v| v as f32).collect(); // [2, 3, 3]
                                                            // Batch diagonal "...ii->...i": entries [b, i, i].
    assert_eq!(
        einsum("...ii->...i", &[(&sq, &[2, 3, 3])]),
        (vec![2, 3], vec![0.0, 4.0, 8.0, 9.0, 13.0, 17.0])
    );
    // Dot product "i,i->".
    let (u, v) = ([1.0f32, 2.0, 3.0], [4.0f32, -5.0, 6.0]);
    assert_eq!(
        einsum("i,i->", &[(&u, &[3]), (&v, &[3])]),
        (vec![], vec![12.0])
    );
}

#[test]
fn lrn_across_channels() {
    network!(net);
    let x = net.add_input("x", F, [1, 3, 1, 2]).unwrap();
    let (window, alpha, beta, k) = (3, 0.3f32, 0.75f32, 2.0f32);
    let y = out0(net.add(Lrn::new(x, window, alpha, beta, k)));
    output(&net, y);
    let xs = [1.0f32, -1.0, 2.0, 0.5, 3.0, 4.0];
    let r = run(&net, &[t(&xs, &[1, 3, 1, 2])]);
    // Channel c at position p: x / (k + alpha / window * sum of x^2 over channels c-1..=c+1)^beta.
    let at = |c: usize, p: usize| xs[c * 2 + p] as f64;
    let want: Vec<f32> = (0..3)
        .flat_map(|c: usize| {
            (0..2).map(move |p| {
                let sum: f64 = (c.saturating_sub(1)..=(c + 1).min(2))
                    .map(|j| at(j, p).powi(2))
                    .sum();
                (at(c, p) / (k as f64 + alpha as f64 / window as f64 * sum).powf(beta as f64))
                    as f32
            })
        })
        .collect();
    // Values below 4 in magnitude, one f32 rounding: 1e-6 absolute bounds it.
    close(&f32s(&r[0]), &want, 1e-6);
}

/// Grid sample of `[[1, 2, 3], [4, 5, 6]]` (1×1×2×3) at the (x, y) points of `grid`.
fn grid_sample(grid: &[f32], mode: InterpolationMode, align: bool, sample: SampleMode) -> Vec<f32> {
    let Some(lib) = common::library() else {
        return Vec::new();
    };
    let logger = Logger::new(Severity::Warning).unwrap();
    let builder = Builder::new(lib, &logger).unwrap();
    let net = builder.create_network().unwrap();
    let n = grid.len() / 2;
    let x = net.add_input("x", F, [1, 1, 2, 3]).unwrap();
    let g = net.add_input("grid", F, [1, 1, n as i64, 2]).unwrap();
    let y = out0(net.add(GridSample::new(x, g, mode, align, sample)));
    output(&net, y);
    out(
        &net,
        &[
            t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 1, 2, 3]),
            t(grid, &[1, 1, n, 2]),
        ],
    )
}

#[test]
fn grid_sample_modes_by_hand() {
    use InterpolationMode::{Cubic, Linear, Nearest};
    use SampleMode::{Clamp, Fill, Reflect};
    if common::library().is_none() {
        return;
    }
    // Align corners: -1 and 1 are the corner pixels' centres. (0, 0) is column 1, row 0.5.
    close(
        &grid_sample(
            &[-1.0, -1.0, 1.0, 1.0, 0.0, 0.0, 0.5, -1.0],
            Linear,
            true,
            Fill,
        ),
        &[1.0, 6.0, 3.5, 2.5],
        1e-6,
    );
    // Without: -1 and 1 are the outer edges. (-1, -1) is pixel (-0.5, -0.5): a quarter of pixel (0, 0), the rest
    // zeros; (1, 0) is column 2.5, row 0.5: half of column 2's mean (3 + 6) / 2.
    close(
        &grid_sample(&[-1.0, -1.0, 0.0, 0.0, 1.0, 0.0], Linear, false, Fill),
        &[0.25, 3.5, 2.25],
        1e-6,
    );
    // Clamp moves those coordinates into the image: (0, 0) and column 2.
    close(
        &grid_sample(&[-1.0, -1.0, 1.0, 0.0], Linear, false, Clamp),
        &[1.0, 4.5],
        1e-6,
    );
    // Reflect about the edges: x = -1.5 is column -1.25, reflected about -0.5 to 0.25; row 0.5:
    // 0.75 * (1 + 4) / 2 + 0.25 * (2 + 5) / 2 = 2.75.
    close(
        &grid_sample(&[-1.5, 0.0], Linear, false, Reflect),
        &[2.75],
        1e-6,
    );
    // Nearest: (0.3, -0.2) is column 1.45, row 0.3: pixel (0, 1) = 2.
    close(
        &grid_sample(&[0.3, -0.2], Nearest, false, Fill),
        &[2.0],
        0.0,
    );
    // Cubic (Keys, A = -0.75) at column 1, row 0.5 with align corners: the row weights at t = 0.5 are
    // -0.09375, 0.59375, 0.59375, -0.09375 on rows -1..=2, rows -1 and 2 read zero: 0.59375 * (2 + 5).
    close(
        &grid_sample(&[0.0, 0.0], Cubic, true, Fill),
        &[4.15625],
        1e-5,
    );
}

#[test]
fn gather_nd_with_element_wise_dims() {
    // ONNX GatherND's documented example 5 (batch_dims = 1): data [[[0, 1], [2, 3]], [[4, 5], [6, 7]]],
    // indices [[1], [0]] -> [[2, 3], [4, 5]]: entry b reads data[b][indices[b]].
    network!(net);
    let data = net.add_input("data", F, [2, 2, 2]).unwrap();
    let idx = constant_i64(&net, &[1, 0], &[2, 1]);
    let y = out0(
        net.add(
            Gather::new(data, idx, 0)
                .mode(GatherMode::Nd)
                .nb_elementwise_dims(1),
        ),
    );
    output(&net, y);
    let xs: Vec<f32> = (0..8).map(|v| v as f32).collect();
    let r = run(&net, &[t(&xs, &[2, 2, 2])]);
    assert_eq!(r[0].dims(), [2, 2]);
    assert_eq!(f32s(&r[0]), [2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn integer_negation_wraps() {
    // TensorRT defines and builds kNEG of Int64/Int32 (NvInfer.h's "floating-point type" rule notwithstanding).
    network!(net);
    let x = net.add_input("x", DataType::Int32, [3]).unwrap();
    let y = out0(net.add(Unary::new(x, UnaryOperation::Neg)));
    output(&net, y);
    let r = run(&net, &[ti(&[5, -7, i32::MIN as i64], &[3])]);
    assert_eq!(r[0].dtype(), DataType::Int32);
    assert_eq!(i64s(&r[0]), [-5, 7, i32::MIN as i64]);
}

#[test]
fn a_layer_whose_input_is_set_to_a_later_layer_runs_after_it() {
    // Network order is relu (layer 0), then neg (layer 1); relu's input is then replaced by neg's output, as
    // NVIDIA's ONNX parser does with shape tensors it builds after their consumer.
    network!(net);
    let x = net.add_input("x", F, [3]).unwrap();
    let relu = net.add(Activation::new(x, ActivationType::Relu)).unwrap();
    let neg = out0(net.add(Unary::new(x, UnaryOperation::Neg)));
    relu.set_input(0, neg).unwrap();
    output(&net, relu.output(0).unwrap());
    let program = trt_sim::Program::from_network(&net, None).unwrap();
    let order: Vec<usize> = program.steps().iter().map(|s| s.index).collect();
    assert_eq!(order, [1, 0]);
    assert_eq!(out(&net, &[t(&[1.0, -2.0, 3.0], &[3])]), [0.0, 2.0, 0.0]);
}

#[test]
fn squeeze_without_axes_removes_every_static_unit_dim() {
    // NVIDIA's ONNX parser writes an ONNX Squeeze without axes as an ISqueezeLayer without input 1 (the model is
    // made by tests/data/make_squeeze_no_axes.py); NvInfer.h: "When the axes input is a nullptr, all dimensions of
    // the first input whose size is statically 1 in the network definition are removed."
    network!(net, builder);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/squeeze_no_axes.onnx"
    );
    drop(net);
    let net = Network::from_onnx_file(&builder, path).expect("parse");
    let program = trt_sim::Program::from_network(&net, None).unwrap();
    let squeeze = program
        .steps()
        .iter()
        .find_map(|s| match &s.desc {
            LayerDesc::Squeeze(d) => Some(d.clone()),
            _ => None,
        })
        .expect("a squeeze layer");
    assert_eq!(squeeze.axes, None);
    let xs = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let r = run(&net, &[t(&xs, &[1, 3, 1, 2])]);
    assert_eq!(r[0].dims(), [3, 2]);
    assert_eq!(f32s(&r[0]), xs);
}

#[test]
fn int8_and_bool_through_element_wise_gather_and_cast() {
    // NvInfer.h allows Int8 element-wise operands ("floating-point type, DataType::kINT8, DataType::kINT32, or
    // DataType::kINT64"); a sum past 127 wraps (two's complement, assumption 10), a cast to Float is exact.
    network!(net);
    let x = net.add_input("x", DataType::Int8, [3]).unwrap();
    let s = out0(net.add(ElementWise::new(x, x, ElementWiseOperation::Sum)));
    let f = out0(net.add(Cast::new(s, F)));
    let b = net.add_input("b", DataType::Bool, [4]).unwrap();
    let idx = constant_i64(&net, &[3, 1, 0], &[3]);
    let g = out0(net.add(Gather::new(b, idx, 0)));
    output(&net, s);
    output(&net, f);
    output(&net, g);
    let bools = candle_core::Tensor::new(&[1u8, 0, 0, 1], &candle_core::Device::Cpu).unwrap();
    let r = run(&net, &[ti(&[100, -3, 64], &[3]), bools]);
    assert_eq!(r[0].dtype(), DataType::Int8);
    assert_eq!(i64s(&r[0]), [-56, -6, -128]);
    assert_eq!(f32s(&r[1]), [-56.0, -6.0, -128.0]);
    assert_eq!(r[2].dtype(), DataType::Bool);
    assert_eq!(i64s(&r[2]), [1, 0, 1]);
}

#[test]
fn nms_keeps_the_best_boxes_that_overlap_less_than_the_threshold() {
    // ONNX NonMaxSuppression's "suppress by IoU" example (its scores transposed to TensorRT's [batch, boxes,
    // classes]): boxes 0-2 overlap each other, 3-4 too, 5 is alone; with IoU threshold 0.5 and at most 3 per class
    // the selection is box 3 (0.95), box 0 (0.9), box 5 (0.3), in decreasing score.
    network!(net);
    let boxes = net.add_input("boxes", F, [1, 6, 4]).unwrap();
    let scores = net.add_input("scores", F, [1, 6, 1]).unwrap();
    let max = net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[3i32])))
        .unwrap()
        .output(0)
        .unwrap();
    let iou = constant(&net, &[0.5], &[]);
    let score = constant(&net, &[0.0], &[]);
    let mut d = Nms::new(boxes, scores, max);
    d.iou_threshold = Some(iou);
    d.score_threshold = Some(score);
    d.indices_type = DataType::Int64;
    let layer = net.add(d.clone()).unwrap();
    output(&net, layer.output(0).unwrap());
    output(&net, layer.output(1).unwrap());
    let LayerDesc::Nms(back) = layer.description().unwrap() else {
        panic!("not an NMS layer");
    };
    assert_eq!(
        (back.iou_threshold, back.score_threshold),
        (Some(iou), Some(score))
    );
    assert_eq!(back.indices_type, DataType::Int64);
    let b = [
        0.0, 0.0, 1.0, 1.0, 0.0, 0.1, 1.0, 1.1, 0.0, -0.1, 1.0, 0.9, 0.0, 10.0, 1.0, 11.0, 0.0,
        10.1, 1.0, 11.1, 0.0, 100.0, 1.0, 101.0,
    ];
    let s = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3];
    let r = run(&net, &[t(&b, &[1, 6, 4]), t(&s, &[1, 6, 1])]);
    assert_eq!(r[0].dims(), [3, 3]);
    assert_eq!(i64s(&r[0]), [0, 0, 3, 0, 0, 0, 0, 0, 5]);
    assert_eq!(r[1].dtype(), DataType::Int32);
    assert_eq!(i64s(&r[1]), [3]);
}
