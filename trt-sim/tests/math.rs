//! Element-wise, reduction, matrix, normalization and quantization layers against hand-computed values.

mod common;

use common::*;
use trt::*;

const F: DataType = DataType::Float;

/// `a op b` for each op on 1-D f32 inputs.
fn binary(op: ElementWiseOperation, a: &[f32], b: &[f32]) -> Option<Vec<trt_sim::Value>> {
    let lib = common::library()?;
    let logger = trt::Logger::new(trt::Severity::Warning).expect("logger");
    let builder = trt::Builder::new(lib, &logger).expect("builder");
    let net = builder.create_network().expect("network");
    let n = a.len() as i64;
    let x = net.add_input("a", F, [n]).unwrap();
    let y = net.add_input("b", F, [n]).unwrap();
    let z = net
        .add(ElementWise::new(x, y, op))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, z);
    Some(run(&net, &[t(a, &[a.len()]), t(b, &[b.len()])]))
}

#[test]
fn elementwise_real_operations() {
    use ElementWiseOperation as E;
    let (a, b) = ([7.0, -7.0, -2.0, f32::NAN], [2.0, 2.0, 3.0, 1.0]);
    let Some(sum) = binary(E::Sum, &a, &b) else {
        return;
    };
    close(&f32s(&sum[0]), &[9.0, -5.0, 1.0, f32::NAN], 0.0);
    let cases: [(E, [f32; 4]); 7] = [
        (E::Prod, [14.0, -14.0, -6.0, f32::NAN]),
        (E::Sub, [5.0, -9.0, -5.0, f32::NAN]),
        (E::Div, [3.5, -3.5, -2.0 / 3.0, f32::NAN]),
        (E::FloorDiv, [3.0, -4.0, -1.0, f32::NAN]),
        // A negative base with an integral exponent has a real power (C's powf).
        (E::Pow, [49.0, 49.0, -8.0, f32::NAN]),
        (E::Max, [7.0, 2.0, 3.0, f32::NAN]),
        (E::Min, [2.0, -7.0, -2.0, f32::NAN]),
    ];
    for (op, expected) in cases {
        let got = f32s(&binary(op, &a, &b).unwrap()[0]);
        close(&got, &expected, 1e-6);
    }
    // NaN compares false: so "not less" is true for NaN (how a converter's `ge` built as Not(Less) differs from
    // candle's `ge` on NaN).
    let less = binary(E::Less, &a, &b).unwrap();
    assert_eq!(less[0].dtype(), DataType::Bool);
    assert_eq!(i64s(&less[0]), [0, 1, 1, 0]);
    assert_eq!(i64s(&binary(E::Greater, &a, &b).unwrap()[0]), [1, 0, 0, 0]);
    assert_eq!(
        i64s(&binary(E::Equal, &[1.0, f32::NAN], &[1.0, f32::NAN]).unwrap()[0]),
        [1, 0]
    );
}

#[test]
fn elementwise_integers_and_booleans() {
    network!(net);
    let a = net.add_input("a", DataType::Int32, [4]).unwrap();
    let b = net.add_input("b", DataType::Int32, [4]).unwrap();
    let div = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Div))
        .unwrap()
        .output(0)
        .unwrap();
    let fdiv = net
        .add(ElementWise::new(a, b, ElementWiseOperation::FloorDiv))
        .unwrap()
        .output(0)
        .unwrap();
    let pow = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Pow))
        .unwrap()
        .output(0)
        .unwrap();
    let gt = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Greater))
        .unwrap()
        .output(0)
        .unwrap();
    let lt = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Less))
        .unwrap()
        .output(0)
        .unwrap();
    let xor = net
        .add(ElementWise::new(gt, lt, ElementWiseOperation::Xor))
        .unwrap()
        .output(0)
        .unwrap();
    let not = net
        .add(Unary::new(xor, UnaryOperation::Not))
        .unwrap()
        .output(0)
        .unwrap();
    let prod = net
        .add(ElementWise::new(a, a, ElementWiseOperation::Prod))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [div, fdiv, pow, xor, not, prod] {
        output(&net, y);
    }
    let outs = run(
        &net,
        &[ti(&[7, -7, 2, 65536], &[4]), ti(&[2, 2, 3, 2], &[4])],
    );
    assert_eq!(outs[0].dtype(), DataType::Int32);
    // Integer division truncates; floor division rounds down.
    assert_eq!(i64s(&outs[0]), [3, -3, 0, 32768]);
    assert_eq!(i64s(&outs[1]), [3, -4, 0, 32768]);
    assert_eq!(i64s(&outs[2]), [49, 49, 8, 0]);
    assert_eq!(i64s(&outs[3]), [1, 1, 1, 1]);
    assert_eq!(i64s(&outs[4]), [0, 0, 0, 0]);
    // 65536² overflows Int32 and wraps.
    assert_eq!(i64s(&outs[5]), [49, 49, 4, 0]);
}

#[test]
fn integer_division_by_zero_is_an_error_naming_the_layer() {
    network!(net);
    let a = net.add_input("a", DataType::Int64, [2]).unwrap();
    let b = net.add_input("b", DataType::Int64, [2]).unwrap();
    let l = net
        .add(ElementWise::new(a, b, ElementWiseOperation::Div))
        .unwrap();
    l.set_name("divide").unwrap();
    output(&net, l.output(0).unwrap());
    let program = trt_sim::Program::from_network(&net, None).unwrap();
    let err = program
        .run(
            &[ti(&[1, 2], &[2]), ti(&[1, 0], &[2])],
            &trt_sim::RunOptions::default(),
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("'divide'") && text.contains("by zero"),
        "{text}"
    );
}

#[test]
fn unary_operations() {
    use UnaryOperation as U;
    let x = [-1.5f32, -0.5, 0.5, 2.5];
    let cases: [(U, [f32; 4]); 8] = [
        (U::Abs, [1.5, 0.5, 0.5, 2.5]),
        (U::Neg, [1.5, 0.5, -0.5, -2.5]),
        (U::Ceil, [-1.0, -0.0, 1.0, 3.0]),
        (U::Floor, [-2.0, -1.0, 0.0, 2.0]),
        // kROUND: to nearest even.
        (U::Round, [-2.0, -0.0, 0.0, 2.0]),
        (U::Sign, [-1.0, -1.0, 1.0, 1.0]),
        (U::Recip, [-1.0 / 1.5, -2.0, 2.0, 0.4]),
        (
            U::Erf,
            [-0.966_105_15, -0.520_499_9, 0.520_499_9, 0.999_593],
        ),
    ];
    for (op, expected) in cases {
        network!(net);
        let i = net.add_input("x", F, [4]).unwrap();
        let y = net.add(Unary::new(i, op)).unwrap().output(0).unwrap();
        output(&net, y);
        close(&out(&net, &[t(&x, &[4])]), &expected, 1e-6);
    }
}

#[test]
fn activations_follow_their_formulas() {
    use ActivationType as A;
    let x = [-2.0f32, 0.0, 3.0];
    let cases: [(A, f32, f32, [f32; 3]); 9] = [
        (A::Relu, 0.0, 0.0, [0.0, 0.0, 3.0]),
        (A::LeakyRelu, 0.1, 0.0, [-0.2, 0.0, 3.0]),
        (A::Clip, -1.0, 2.0, [-1.0, 0.0, 2.0]),
        (A::HardSigmoid, 0.2, 0.5, [0.1, 0.5, 1.0]),
        (
            A::ScaledTanh,
            2.0,
            0.5,
            [2.0 * -0.761_594_2, 0.0, 2.0 * 0.905_148_25],
        ),
        (A::ThresholdedRelu, 1.0, 0.0, [0.0, 0.0, 3.0]),
        (
            A::Selu,
            2.0,
            3.0,
            [3.0 * (2.0 * (-2f32).exp() - 2.0), 0.0, 9.0],
        ),
        (A::Softsign, 0.0, 0.0, [-2.0 / 3.0, 0.0, 0.75]),
        (A::Elu, 1.0, 0.0, [(-2f32).exp() - 1.0, 0.0, 3.0]),
    ];
    for (kind, alpha, beta, expected) in cases {
        network!(net);
        let i = net.add_input("x", F, [3]).unwrap();
        let y = net
            .add(Activation::new(i, kind).params(alpha, beta))
            .unwrap()
            .output(0)
            .unwrap();
        output(&net, y);
        close(&out(&net, &[t(&x, &[3])]), &expected, 1e-6);
    }
    // Softplus does not overflow where exp(beta * x) would: alpha * log(exp(beta*x) + 1) ~ alpha * beta * x.
    network!(net);
    let i = net.add_input("x", F, [2]).unwrap();
    let y = net
        .add(Activation::new(i, A::Softplus).params(1.0, 1.0))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    close(
        &out(&net, &[t(&[1000.0, 0.0], &[2])]),
        &[1000.0, std::f32::consts::LN_2],
        1e-6,
    );
}

#[test]
fn select_and_parametric_relu_broadcast() {
    network!(net);
    let x = net.add_input("x", F, [2, 2]).unwrap();
    let zero = constant(&net, &[0.0], &[1, 1]);
    let cond = net
        .add(ElementWise::new(x, zero, ElementWiseOperation::Greater))
        .unwrap()
        .output(0)
        .unwrap();
    let other = constant(&net, &[-5.0, -6.0], &[1, 2]);
    let sel = net
        .add(Select::new(cond, x, other))
        .unwrap()
        .output(0)
        .unwrap();
    let slope = constant(&net, &[0.5, 0.25], &[2, 1]);
    let prelu = net
        .add(ParametricRelu::new(x, slope))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, sel);
    output(&net, prelu);
    let outs = run(&net, &[t(&[1.0, -1.0, -2.0, 2.0], &[2, 2])]);
    assert_eq!(f32s(&outs[0]), [1.0, -6.0, -5.0, 2.0]);
    assert_eq!(f32s(&outs[1]), [1.0, -0.5, -0.5, 2.0]);
}

#[test]
fn reductions_softmax_top_k_and_cumulative() {
    network!(net);
    let x = net.add_input("x", F, [2, 3]).unwrap();
    let sum = net
        .add(Reduce::new(x, ReduceOperation::Sum, 0b10, true))
        .unwrap()
        .output(0)
        .unwrap();
    let max = net
        .add(Reduce::new(x, ReduceOperation::Max, 0b01, false))
        .unwrap()
        .output(0)
        .unwrap();
    let avg = net
        .add(Reduce::new(x, ReduceOperation::Avg, 0b11, false))
        .unwrap()
        .output(0)
        .unwrap();
    let prod = net
        .add(Reduce::new(x, ReduceOperation::Prod, 0b10, false))
        .unwrap()
        .output(0)
        .unwrap();
    let soft = net.add(Softmax::new(x, 0b01)).unwrap().output(0).unwrap();
    let topk = net
        .add(TopK::new(x, TopKOperation::Max, 2, 0b10, DataType::Int32))
        .unwrap();
    let axis = net
        .add(Constant::new(Dims::scalar(), Weights::from_slice(&[1i32])))
        .unwrap()
        .output(0)
        .unwrap();
    let cum = net
        .add(Cumulative::new(
            x,
            axis,
            CumulativeOperation::Sum,
            true,
            true,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [
        sum,
        max,
        avg,
        prod,
        soft,
        topk.output(0).unwrap(),
        topk.output(1).unwrap(),
        cum,
    ] {
        output(&net, y);
    }
    let outs = run(&net, &[t(&[1.0, 5.0, 3.0, 4.0, 2.0, 6.0], &[2, 3])]);
    assert_eq!(outs[0].dims(), [2, 1]);
    assert_eq!(f32s(&outs[0]), [9.0, 12.0]);
    assert_eq!(f32s(&outs[1]), [4.0, 5.0, 6.0]);
    assert_eq!(outs[2].dims(), [] as [usize; 0]);
    assert_eq!(f32s(&outs[2]), [3.5]);
    assert_eq!(f32s(&outs[3]), [15.0, 48.0]);
    // Softmax over axis 0 of columns [1, 4], [5, 2], [3, 6].
    let s = |a: f32, b: f32| 1.0 / (1.0 + (b - a).exp());
    close(
        &f32s(&outs[4]),
        &[
            s(1.0, 4.0),
            s(5.0, 2.0),
            s(3.0, 6.0),
            s(4.0, 1.0),
            s(2.0, 5.0),
            s(6.0, 3.0),
        ],
        1e-6,
    );
    assert_eq!(f32s(&outs[5]), [5.0, 3.0, 6.0, 4.0]);
    assert_eq!(outs[6].dtype(), DataType::Int32);
    assert_eq!(i64s(&outs[6]), [1, 2, 2, 0]);
    // Exclusive, reversed: each element is the sum of those after it.
    assert_eq!(f32s(&outs[7]), [8.0, 3.0, 0.0, 8.0, 6.0, 0.0]);
}

#[test]
fn matrix_multiply_transpose_vector_and_broadcast() {
    network!(net);
    let a = net.add_input("a", F, [2, 2, 3]).unwrap();
    let b = constant(&net, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0], &[1, 2, 3]);
    let ab = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::None,
            b,
            MatrixOperation::Transpose,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let v = constant(&net, &[1.0, 1.0, 1.0], &[1, 3]);
    let av = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::None,
            v,
            MatrixOperation::Vector,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, ab);
    output(&net, av);
    let input: Vec<f32> = (1..=12).map(|v| v as f32).collect();
    let outs = run(&net, &[t(&input, &[2, 2, 3])]);
    assert_eq!(outs[0].dims(), [2, 2, 2]);
    // Rows · [1,0,1] and · [0,1,1].
    assert_eq!(
        f32s(&outs[0]),
        [4.0, 5.0, 10.0, 11.0, 16.0, 17.0, 22.0, 23.0]
    );
    assert_eq!(outs[1].dims(), [2, 2]);
    assert_eq!(f32s(&outs[1]), [6.0, 15.0, 24.0, 33.0]);
}

#[test]
fn tf32_rounds_matrix_multiply_inputs_only_when_allowed() {
    network!(net);
    let a = net.add_input("a", F, [1, 1]).unwrap();
    let b = constant(&net, &[1.0 + 2f32.powi(-11) * 3.0], &[1, 1]);
    let y = net
        .add(MatrixMultiply::new(
            a,
            MatrixOperation::None,
            b,
            MatrixOperation::None,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    output(&net, y);
    let x = 1.0 + 2f32.powi(-12);
    let exact = f32s(&run_with(&net, &[t(&[x], &[1, 1])], false)[0])[0];
    let tf32 = f32s(&run_with(&net, &[t(&[x], &[1, 1])], true)[0])[0];
    assert_eq!(exact, x * (1.0 + 3.0 * 2f32.powi(-11)));
    // TF32: x rounds to 1, the constant to 1 + 2^-9 (a tie, to even).
    assert_eq!(tf32, 1.0 + 2f32.powi(-9));
}

#[test]
fn normalization_layer_and_group() {
    network!(net);
    let x = net.add_input("x", F, [1, 2, 2]).unwrap();
    let scale = constant(&net, &[2.0, 2.0], &[1, 1, 2]);
    let bias = constant(&net, &[1.0, 1.0], &[1, 1, 2]);
    let ln = net
        .add(Normalization::new(x, scale, bias, 0b100, 0.0))
        .unwrap()
        .output(0)
        .unwrap();
    let gs = constant(&net, &[1.0, 3.0], &[1, 2, 1]);
    let gb = constant(&net, &[0.0, 0.0], &[1, 2, 1]);
    let all = net
        .add(Normalization::new(x, gs, gb, 0b110, 0.0))
        .unwrap()
        .output(0)
        .unwrap();
    let x4 = net
        .add(Shuffle::reshape(x, [1, 4, 1, 1]))
        .unwrap()
        .output(0)
        .unwrap();
    let s4 = constant(&net, &[1.0, 2.0, 3.0, 4.0], &[1, 4, 1, 1]);
    let b4 = constant(&net, &[0.0; 4], &[1, 4, 1, 1]);
    let gn = net
        .add(Normalization::new(x4, s4, b4, 0b1100, 0.0).groups(2))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [ln, all, gn] {
        output(&net, y);
    }
    let outs = run(&net, &[t(&[1.0, 3.0, 5.0, 9.0], &[1, 2, 2])]);
    // Each row of two normalizes to [-1, 1]; times 2 plus 1.
    assert_eq!(f32s(&outs[0]), [-1.0, 3.0, -1.0, 3.0]);
    // Over all four (mean 4.5, variance 35 / 4), then per-channel scale 1 and 3.
    let sd = 8.75f32.sqrt();
    close(
        &f32s(&outs[1]),
        &[-3.5 / sd, -1.5 / sd, 3.0 * 0.5 / sd, 3.0 * 4.5 / sd],
        1e-6,
    );
    // Two groups of two channels, each normalized to [-1, 1], then per-channel scales 1..4.
    close(&f32s(&outs[2]), &[-1.0, 2.0, -3.0, 4.0], 1e-6);
}

#[test]
fn quantize_rounds_half_to_even_and_clamps() {
    network!(net);
    let x = net.add_input("x", F, [2, 4]).unwrap();
    let scale = constant(&net, &[0.5], &[]);
    let q = net
        .add(Quantize::new(x, scale, DataType::Int8, None))
        .unwrap()
        .output(0)
        .unwrap();
    let dq = net
        .add(Dequantize::new(q, scale, F, None))
        .unwrap()
        .output(0)
        .unwrap();
    let per = constant(&net, &[1.0, 100.0], &[2]);
    let qc = net
        .add(Quantize::new(x, per, DataType::Int8, Some(0)))
        .unwrap()
        .output(0)
        .unwrap();
    let dqc = net
        .add(Dequantize::new(qc, per, F, Some(0)))
        .unwrap()
        .output(0)
        .unwrap();
    let fp8 = net
        .add(Quantize::new(x, scale, DataType::Fp8, None))
        .unwrap()
        .output(0)
        .unwrap();
    let dq8 = net
        .add(Dequantize::new(fp8, scale, F, None))
        .unwrap()
        .output(0)
        .unwrap();
    for y in [dq, dqc, dq8] {
        output(&net, y);
    }
    // x / 0.5: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2, 1000 -> 127 (clamped).
    let input = [1.25, 1.75, -1.25, 500.0, 150.0, 149.0, -20000.0, 0.6];
    let outs = run(&net, &[t(&input, &[2, 4])]);
    assert_eq!(f32s(&outs[0])[..4], [1.0, 2.0, -1.0, 63.5]);
    // Per channel (axis 0): row 0 by 1, row 1 by 100: 1.5 -> 2 (even), 1.49 -> 1, -200 -> -128.
    assert_eq!(
        f32s(&outs[1]),
        [1.0, 2.0, -1.0, 127.0, 200.0, 100.0, -12800.0, 0.0]
    );
    // FP8 E4M3 of x / 0.5: 2.5 and 3.5 are on the grid; 1000 clamps to 448; 300 and 298 round to 288 (spacing
    // 32 above 256); 1.2 rounds to 1.25.
    assert_eq!(
        f32s(&outs[2]),
        [1.25, 1.75, -1.25, 224.0, 144.0, 144.0, -224.0, 0.625]
    );
}

#[test]
fn half_outputs_round_to_f16() {
    network!(net);
    let x = net.add_input("x", DataType::Half, [2]).unwrap();
    let one = net
        .add(Constant::new(
            [1],
            Weights::from_bytes(
                DataType::Half,
                half::f16::from_f32(1.0).to_le_bytes().to_vec(),
            )
            .unwrap(),
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let sum = net
        .add(ElementWise::new(x, one, ElementWiseOperation::Sum))
        .unwrap()
        .output(0)
        .unwrap();
    let wide = net.add(Cast::new(sum, F)).unwrap().output(0).unwrap();
    output(&net, wide);
    // 2048 + 1 is not an f16 (spacing 2 at 2048): the Half sum rounds to even (2048); 0.1 stores as f16.
    let outs = run(&net, &[t(&[2048.0, 0.1], &[2])]);
    assert_eq!(
        f32s(&outs[0]),
        [
            2048.0,
            half::f16::from_f32(1.0 + half::f16::from_f32(0.1).to_f32()).to_f32()
        ]
    );
}
