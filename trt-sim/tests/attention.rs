//! Fused attention (`IAttention`) against an independent candle computation of `softmax(q kᵀ + m) v`.

mod common;

use candle_core::{DType, Device, Tensor, D};
use common::*;
use trt::*;

const F: DataType = DataType::Float;

/// Deterministic values in about [-2, 2).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
        })
        .collect()
}

fn rand(dims: &[usize], seed: u64) -> Tensor {
    t(&values(dims.iter().product(), seed), dims)
}

/// `softmax(q kᵀ · scale + m) v` in candle (f32); `m` additive, broadcast to the scores.
fn reference(q: &Tensor, k: &Tensor, v: &Tensor, m: Option<&Tensor>, scale: f64) -> Vec<f32> {
    let mut s = (q.matmul(&k.t().unwrap()).unwrap() * scale).unwrap();
    if let Some(m) = m {
        s = s.broadcast_add(m).unwrap();
    }
    let max = s.max_keepdim(D::Minus1).unwrap();
    let e = s.broadcast_sub(&max).unwrap().exp().unwrap();
    let p = e.broadcast_div(&e.sum_keepdim(D::Minus1).unwrap()).unwrap();
    p.matmul(v)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
}

/// A Bool mask (1 attends) as the additive mask it stands for (0 or -inf).
fn additive(keep: &Tensor) -> Tensor {
    let zeros = keep.zeros_like().unwrap().to_dtype(DType::F32).unwrap();
    let ninf = (zeros.ones_like().unwrap() * f64::NEG_INFINITY).unwrap();
    keep.where_cond(&zeros, &ninf).unwrap()
}

/// A causal keep-mask `[sq, skv]`: position j attends where `j <= i + shift`.
fn causal_keep(sq: usize, skv: usize, shift: i64) -> Tensor {
    let v: Vec<u8> = (0..sq)
        .flat_map(|i| (0..skv).map(move |j| u8::from(j as i64 <= i as i64 + shift)))
        .collect();
    Tensor::from_vec(v, (sq, skv), &Device::Cpu).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

const QD: [usize; 4] = [2, 2, 3, 4];
const KD: [usize; 4] = [2, 2, 5, 4];

fn qkv() -> (Tensor, Tensor, Tensor) {
    (rand(&QD, 1), rand(&KD, 2), rand(&KD, 3))
}

fn dims(d: &[usize]) -> Vec<i64> {
    d.iter().map(|&x| x as i64).collect()
}

/// The network's f32 inputs `q` (`QD`), `k` and `v` (`KD`).
fn qkv_inputs<'n>(net: &'n Network<'_>) -> (trt::Tensor<'n>, trt::Tensor<'n>, trt::Tensor<'n>) {
    let input = |name, d: &[usize]| net.add_input(name, F, dims(d)).unwrap();
    (input("q", &QD), input("k", &KD), input("v", &KD))
}

#[test]
fn unmasked_attention_is_unscaled_softmax_attention() {
    network!(net);
    let (q, k, v) = qkv_inputs(&net);
    let a = net.add(Attention::softmax(q, k, v)).unwrap();
    assert_eq!(a.layer_type(), Some(LayerType::AttentionOutput));
    output(&net, a.output(0).unwrap());
    let (tq, tk, tv) = qkv();
    let got = run(&net, &[tq.clone(), tk.clone(), tv.clone()]);
    assert_eq!(got[0].dims(), QD);
    assert_eq!(got[0].dtype(), F);
    let got = f32s(&got[0]);
    close(&got, &reference(&tq, &tk, &tv, None, 1.0), 1e-5);
    // The deliberately wrong expectation: PyTorch's 1/√d scaling is not TensorRT's.
    let scaled = reference(&tq, &tk, &tv, None, 1.0 / (QD[3] as f64).sqrt());
    let diff = max_diff(&got, &scaled);
    assert!(
        diff > 0.05,
        "scaled attention should differ, max diff {diff}"
    );
    // kNONE normalization: q kᵀ v without softmax.
    network!(net2);
    let (q, k, v) = qkv_inputs(&net2);
    let mut plain = Attention::softmax(q, k, v).decomposable(true);
    plain.normalization = AttentionNormalizationOp::None;
    output(&net2, net2.add(plain).unwrap().output(0).unwrap());
    let got = out(&net2, &[tq.clone(), tk.clone(), tv.clone()]);
    let expected = tq
        .matmul(&tk.t().unwrap())
        .unwrap()
        .matmul(&tv)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    close(&got, &expected, 1e-4);
}

#[test]
fn bool_and_additive_masks_broadcast() {
    network!(net);
    let (q, k, v) = qkv_inputs(&net);
    // Bool mask per batch, broadcast over heads; additive mask per head, broadcast over the batch.
    let bm = net
        .add_input("bool_mask", DataType::Bool, [2, 1, 3, 5])
        .unwrap();
    let am = net.add_input("add_mask", F, [1, 2, 3, 5]).unwrap();
    let b = net.add(Attention::softmax(q, k, v).mask(bm)).unwrap();
    let a = net.add(Attention::softmax(q, k, v).mask(am)).unwrap();
    output(&net, b.output(0).unwrap());
    output(&net, a.output(0).unwrap());
    let (tq, tk, tv) = qkv();
    // Every query row keeps at least one position.
    let keep: Vec<u8> = (0..30)
        .map(|i| u8::from(i % 5 == 0 || i % 3 == 1))
        .collect();
    let keep = Tensor::from_vec(keep, (2, 1, 3, 5), &Device::Cpu).unwrap();
    let add = rand(&[1, 2, 3, 5], 4);
    let got = run(
        &net,
        &[
            tq.clone(),
            tk.clone(),
            tv.clone(),
            keep.clone(),
            add.clone(),
        ],
    );
    let bool_expected = reference(&tq, &tk, &tv, Some(&additive(&keep)), 1.0);
    close(&f32s(&got[0]), &bool_expected, 1e-5);
    close(
        &f32s(&got[1]),
        &reference(&tq, &tk, &tv, Some(&add), 1.0),
        1e-5,
    );
    // Wrong on purpose: the Bool mask read inverted (true = masked) does not match.
    let inverted = reference(
        &tq,
        &tk,
        &tv,
        Some(&additive(
            &(1.0 - keep.to_dtype(DType::F32).unwrap())
                .unwrap()
                .to_dtype(DType::U8)
                .unwrap(),
        )),
        1.0,
    );
    assert!(max_diff(&f32s(&got[0]), &inverted) > 0.05);
    // Without its mask the additive attention differs too (the mask is applied).
    assert!(max_diff(&f32s(&got[1]), &reference(&tq, &tk, &tv, None, 1.0)) > 0.05);
}

#[test]
fn causal_kinds_anchor_their_diagonals() {
    network!(net);
    let (q, k, v) = qkv_inputs(&net);
    for kind in [CausalMaskKind::UpperLeft, CausalMaskKind::LowerRight] {
        let a = net.add(Attention::softmax(q, k, v).causal(kind)).unwrap();
        output(&net, a.output(0).unwrap());
    }
    let (tq, tk, tv) = qkv();
    let got = run(&net, &[tq.clone(), tk.clone(), tv.clone()]);
    let (sq, skv) = (QD[2], KD[2]);
    let upper = reference(
        &tq,
        &tk,
        &tv,
        Some(&additive(&causal_keep(sq, skv, 0))),
        1.0,
    );
    let lower_shift = skv as i64 - sq as i64;
    let lower = reference(
        &tq,
        &tk,
        &tv,
        Some(&additive(&causal_keep(sq, skv, lower_shift))),
        1.0,
    );
    close(&f32s(&got[0]), &upper, 1e-5);
    close(&f32s(&got[1]), &lower, 1e-5);
    // With s_q != s_kv the two anchors differ (and neither is unmasked attention).
    assert!(max_diff(&upper, &lower) > 0.05);
    assert!(max_diff(&f32s(&got[0]), &reference(&tq, &tk, &tv, None, 1.0)) > 0.05);
}

#[test]
fn dynamic_batch_and_tokens_and_half() {
    network!(net, builder);
    let q = net.add_input("q", F, [-1, 2, -1, 4]).unwrap();
    let k = net.add_input("k", F, [-1, 2, -1, 4]).unwrap();
    let v = net.add_input("v", F, [-1, 2, -1, 4]).unwrap();
    let a = net
        .add(Attention::softmax(q, k, v).decomposable(true))
        .unwrap();
    output(&net, a.output(0).unwrap());
    let mut profile = builder.create_optimization_profile().unwrap();
    for name in ["q", "k", "v"] {
        profile
            .set_dimensions(name, [1, 2, 1, 4], [2, 2, 4, 4], [3, 2, 8, 4])
            .unwrap();
    }
    let program = trt_sim::Program::from_network(&net, Some(&profile)).unwrap();
    let options = trt_sim::RunOptions {
        tf32: false,
        keep_all: false,
        ..Default::default()
    };
    for (b, s, seed) in [(1, 1, 10), (3, 7, 20)] {
        let d = [b, 2, s, 4];
        let (tq, tk, tv) = (rand(&d, seed), rand(&d, seed + 1), rand(&d, seed + 2));
        let got = program
            .run(&[tq.clone(), tk.clone(), tv.clone()], &options)
            .unwrap();
        assert_eq!(got.outputs[0].dims(), d);
        close(
            &f32s(&got.outputs[0]),
            &reference(&tq, &tk, &tv, None, 1.0),
            1e-5,
        );
    }

    // Half: f16 inputs, the output rounded to f16 once.
    network!(half);
    let h = DataType::Half;
    let q = half.add_input("q", h, dims(&QD)).unwrap();
    let k = half.add_input("k", h, dims(&KD)).unwrap();
    let v = half.add_input("v", h, dims(&KD)).unwrap();
    output(
        &half,
        half.add(Attention::softmax(q, k, v))
            .unwrap()
            .output(0)
            .unwrap(),
    );
    let (tq, tk, tv) = qkv();
    let r16 = |x: &Tensor| {
        x.to_dtype(DType::F16)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap()
    };
    let (hq, hk, hv) = (r16(&tq), r16(&tk), r16(&tv));
    let got = run(&half, &[tq, tk, tv]);
    assert_eq!(got[0].dtype(), h);
    let exact = reference(&hq, &hk, &hv, None, 1.0);
    let rounded: Vec<f32> = exact
        .iter()
        .map(|&x| half::f16::from_f32(x).to_f32())
        .collect();
    close(&f32s(&got[0]), &rounded, 2e-3);
}

#[test]
fn tf32_rounds_both_products_only_when_allowed() {
    network!(net);
    let (q, k, v) = qkv_inputs(&net);
    output(
        &net,
        net.add(Attention::softmax(q, k, v))
            .unwrap()
            .output(0)
            .unwrap(),
    );
    let (tq, tk, tv) = qkv();
    let inputs = [tq.clone(), tk.clone(), tv.clone()];
    let exact = f32s(&run_with(&net, &inputs, false)[0]);
    let tf32 = f32s(&run_with(&net, &inputs, true)[0]);
    let r = |x: &Tensor| {
        let v: Vec<f32> = x
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .into_iter()
            .map(trt_sim::round_tf32)
            .collect();
        t(&v, x.dims())
    };
    close(&exact, &reference(&tq, &tk, &tv, None, 1.0), 1e-5);
    assert!(max_diff(&exact, &tf32) > 0.0, "TF32 changes the result");
    // TF32 inputs bound the error to about 2^-11 relative per product.
    close(
        &tf32,
        &reference(&r(&tq), &r(&tk), &r(&tv), None, 1.0),
        2e-2,
    );
}

#[test]
fn a_changed_attention_description_changes_the_result_on_either_layer() {
    network!(net);
    let (q, k, v) = qkv_inputs(&net);
    output(
        &net,
        net.add(Attention::softmax(q, k, v))
            .unwrap()
            .output(0)
            .unwrap(),
    );
    let (tq, tk, tv) = qkv();
    let inputs = [tq.clone(), tk.clone(), tv.clone()];
    let options = trt_sim::RunOptions {
        tf32: false,
        keep_all: false,
        ..Default::default()
    };
    let program = trt_sim::Program::from_network(&net, None).unwrap();
    let types: Vec<_> = program
        .steps()
        .iter()
        .map(|s| s.desc.layer_type())
        .collect();
    assert_eq!(
        types,
        [LayerType::AttentionInput, LayerType::AttentionOutput]
    );
    let plain = f32s(&program.run(&inputs, &options).unwrap().outputs[0]);
    close(&plain, &reference(&tq, &tk, &tv, None, 1.0), 1e-5);
    let causal = reference(&tq, &tk, &tv, Some(&additive(&causal_keep(3, 5, 0))), 1.0);
    for (i, step) in program.steps().iter().enumerate() {
        let changed = match &step.desc {
            LayerDesc::AttentionInput(a) => {
                LayerDesc::AttentionInput(a.clone().causal(CausalMaskKind::UpperLeft))
            }
            LayerDesc::Attention(a) => {
                LayerDesc::Attention(a.clone().causal(CausalMaskKind::UpperLeft))
            }
            other => panic!("unexpected layer {other:?}"),
        };
        let mut p = program.clone();
        p.set_description(i, changed).unwrap();
        let got = f32s(&p.run(&inputs, &options).unwrap().outputs[0]);
        close(&got, &causal, 1e-5);
        assert!(max_diff(&got, &plain) > 0.05, "layer {i}'s change shows");
    }
}
