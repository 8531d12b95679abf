//! Whole networks built with `trt` directly (not through the converter), read back, simulated at the
//! corners of their optimization profile, and compared with candle computing the same function.

mod common;

use candle_core::{DType, Device, Tensor, D};
use common::*;
use trt::*;
use trt_sim::{Program, RunOptions};

const F: DataType = DataType::Float;

/// Deterministic pseudo-random values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// conv(3→4, 3×3, pad 1, bias) → ReLU → max pool 2/2 → depthwise conv 3×3 → global average → linear(4→5)
/// → softmax, with a dynamic batch.
#[test]
fn small_cnn_matches_candle_at_every_profile_corner() {
    network!(net, builder);
    let (w1, b1) = (values(4 * 3 * 9, 1), values(4, 2));
    let w2 = values(4 * 9, 3);
    let (w3, b3) = (values(5 * 4, 4), values(5, 5));
    let x = net.add_input("x", F, [-1, 3, 8, 8]).unwrap();
    let conv = net
        .add(
            Convolution::new(x, 4, [3, 3], Weights::from_f32(&w1))
                .bias(Weights::from_f32(&b1))
                .padding([1, 1]),
        )
        .unwrap()
        .output(0)
        .unwrap();
    let relu = net
        .add(Activation::new(conv, ActivationType::Relu))
        .unwrap()
        .output(0)
        .unwrap();
    let pool = net
        .add(Pooling::new(relu, PoolingType::Max, [2, 2]).stride([2, 2]))
        .unwrap()
        .output(0)
        .unwrap();
    let dw = net
        .add(
            Convolution::new(pool, 4, [3, 3], Weights::from_f32(&w2))
                .groups(4)
                .padding([1, 1]),
        )
        .unwrap()
        .output(0)
        .unwrap();
    let gap = net
        .add(Reduce::new(dw, ReduceOperation::Avg, 0b1100, false))
        .unwrap()
        .output(0)
        .unwrap();
    let w = constant(&net, &w3, &[5, 4]);
    let fc = net
        .add(MatrixMultiply::new(
            gap,
            MatrixOperation::None,
            w,
            MatrixOperation::Transpose,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let bias = constant(&net, &b3, &[1, 5]);
    let fc = net
        .add(ElementWise::new(fc, bias, ElementWiseOperation::Sum))
        .unwrap()
        .output(0)
        .unwrap();
    let y = net.add(Softmax::new(fc, 0b10)).unwrap().output(0).unwrap();
    net.mark_output_named(y, "y").unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("x", [1, 3, 8, 8], [2, 3, 8, 8], [3, 3, 8, 8])
        .unwrap();
    let program = Program::from_network(&net, Some(&profile)).unwrap();

    let dev = &Device::Cpu;
    let reference = |x: &Tensor| -> Tensor {
        let k1 = Tensor::from_slice(&w1, (4, 3, 3, 3), dev).unwrap();
        let y = x.conv2d(&k1, 1, 1, 1, 1).unwrap();
        let y = y
            .broadcast_add(&Tensor::from_slice(&b1, (1, 4, 1, 1), dev).unwrap())
            .unwrap();
        let y = y.relu().unwrap().max_pool2d(2).unwrap();
        let k2 = Tensor::from_slice(&w2, (4, 1, 3, 3), dev).unwrap();
        let y = y.conv2d(&k2, 1, 1, 1, 4).unwrap().mean((2, 3)).unwrap();
        let y = y
            .matmul(&Tensor::from_slice(&w3, (5, 4), dev).unwrap().t().unwrap())
            .unwrap();
        let y = y
            .broadcast_add(&Tensor::from_slice(&b3, (1, 5), dev).unwrap())
            .unwrap();
        candle_nn::ops::softmax(&y, D::Minus1).unwrap()
    };
    for batch in [1usize, 3] {
        let x = Tensor::from_vec(
            values(batch * 3 * 64, 10 + batch as u64),
            (batch, 3, 8, 8),
            dev,
        )
        .unwrap();
        let expected = reference(&x);
        let exact = program
            .run(
                std::slice::from_ref(&x),
                &RunOptions {
                    tf32: false,
                    keep_all: false,
                    ..Default::default()
                },
            )
            .unwrap();
        let got = exact.outputs[0].to_f32().unwrap();
        assert_eq!(got.dims(), [batch, 5]);
        let err = max_abs_diff(&got, &expected);
        assert!(
            err < 1e-6,
            "batch {batch}: f32 simulation differs from candle by {err}"
        );
        let tf32 = program
            .run(std::slice::from_ref(&x), &RunOptions::default())
            .unwrap();
        let err32 = max_abs_diff(&tf32.outputs[0].to_f32().unwrap(), &expected);
        assert!(
            err32 > 0.0 && err32 < 1e-3,
            "batch {batch}: TF32 error {err32}"
        );
        say(&format!(
            "small CNN, batch {batch}: f32 max |error| {err:.2e}, TF32 {err32:.2e}"
        ));
    }
}

/// Token ids → embedding (gather) → layer norm → single-head self-attention → GELU → residual → mean over
/// tokens, with dynamic batch and sequence length.
#[test]
fn attention_block_matches_candle_with_two_dynamic_dims() {
    network!(net, builder);
    let (vocab, d) = (11usize, 8usize);
    let table = values(vocab * d, 20);
    let (gamma, beta) = (values(d, 21), values(d, 22));
    let wq = values(d * d, 23);
    let ids = net.add_input("ids", DataType::Int64, [-1, -1]).unwrap();
    let emb_table = constant(&net, &table, &[vocab as i64, d as i64]);
    let emb = net
        .add(Gather::new(emb_table, ids, 0))
        .unwrap()
        .output(0)
        .unwrap();
    let g = constant(&net, &gamma, &[1, 1, d as i64]);
    let b = constant(&net, &beta, &[1, 1, d as i64]);
    let ln = net
        .add(Normalization::new(emb, g, b, 0b100, 1e-5))
        .unwrap()
        .output(0)
        .unwrap();
    let w = constant(&net, &wq, &[1, d as i64, d as i64]);
    let q = net
        .add(MatrixMultiply::new(
            ln,
            MatrixOperation::None,
            w,
            MatrixOperation::None,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let scores = net
        .add(MatrixMultiply::new(
            q,
            MatrixOperation::None,
            ln,
            MatrixOperation::Transpose,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let scale = constant(&net, &[1.0 / (d as f32).sqrt()], &[1, 1, 1]);
    let scores = net
        .add(ElementWise::new(scores, scale, ElementWiseOperation::Prod))
        .unwrap()
        .output(0)
        .unwrap();
    let probs = net
        .add(Softmax::new(scores, 0b100))
        .unwrap()
        .output(0)
        .unwrap();
    let ctx = net
        .add(MatrixMultiply::new(
            probs,
            MatrixOperation::None,
            ln,
            MatrixOperation::None,
        ))
        .unwrap()
        .output(0)
        .unwrap();
    let act = net
        .add(Activation::new(ctx, ActivationType::GeluErf))
        .unwrap()
        .output(0)
        .unwrap();
    let res = net
        .add(ElementWise::new(act, emb, ElementWiseOperation::Sum))
        .unwrap()
        .output(0)
        .unwrap();
    let pooled = net
        .add(Reduce::new(res, ReduceOperation::Avg, 0b10, false))
        .unwrap()
        .output(0)
        .unwrap();
    net.mark_output_named(pooled, "pooled").unwrap();
    let mut profile = builder.create_optimization_profile().unwrap();
    profile
        .set_dimensions("ids", [1, 1], [2, 3], [2, 4])
        .unwrap();
    let program = Program::from_network(&net, Some(&profile)).unwrap();

    let dev = &Device::Cpu;
    let reference = |ids: &Tensor| -> Tensor {
        let (bsz, t) = ids.dims2().unwrap();
        let table = Tensor::from_slice(&table, (vocab, d), dev).unwrap();
        let emb = table
            .index_select(&ids.flatten_all().unwrap(), 0)
            .unwrap()
            .reshape((bsz, t, d))
            .unwrap();
        let mean = emb.mean_keepdim(2).unwrap();
        let c = emb.broadcast_sub(&mean).unwrap();
        let var = c.sqr().unwrap().mean_keepdim(2).unwrap();
        let ln = c
            .broadcast_div(&(var + 1e-5).unwrap().sqrt().unwrap())
            .unwrap();
        let ln = ln
            .broadcast_mul(&Tensor::from_slice(&gamma, d, dev).unwrap())
            .unwrap()
            .broadcast_add(&Tensor::from_slice(&beta, d, dev).unwrap())
            .unwrap();
        let q = ln
            .broadcast_matmul(&Tensor::from_slice(&wq, (d, d), dev).unwrap())
            .unwrap();
        let scores = (q.matmul(&ln.t().unwrap()).unwrap() * (1.0 / (d as f64).sqrt())).unwrap();
        let probs = candle_nn::ops::softmax_last_dim(&scores).unwrap();
        let ctx = probs.matmul(&ln).unwrap().gelu_erf().unwrap();
        (ctx + emb).unwrap().mean(1).unwrap()
    };
    for (bsz, t) in [(1usize, 1usize), (2, 4), (2, 3)] {
        let ids: Vec<i64> = (0..bsz * t).map(|i| ((i * 7 + 3) % vocab) as i64).collect();
        let ids = Tensor::from_vec(ids, (bsz, t), dev).unwrap();
        let expected = reference(&ids);
        let run = program
            .run(
                std::slice::from_ref(&ids),
                &RunOptions {
                    tf32: false,
                    keep_all: true,
                    ..Default::default()
                },
            )
            .unwrap();
        let got = run.outputs[0].to_f32().unwrap();
        assert_eq!(got.dims(), [bsz, d]);
        let err = max_abs_diff(&got, &expected);
        assert!(
            err < 1e-5,
            "ids {bsz}×{t}: simulation differs from candle by {err}"
        );
        // keep_all keeps every intermediate: the embedding is the gathered rows.
        let emb_index = program.tensor_index(emb).unwrap();
        assert_eq!(run.value(emb_index).unwrap().dims(), [bsz, t, d]);
        assert_eq!(run.value(emb_index).unwrap().tensor().dtype(), DType::F32);
    }
}
