//! trt-sim's convolution, deconvolution and pooling are its own kernels (issue 17: not candle's, which the
//! reference forward uses). Each configuration the converters emit (`candle2trt/src/ops/conv.rs`, `pool.rs`:
//! strides, dilations, groups incl. depthwise, asymmetric padding from `F.pad` and `ceil_mode`, 1-D as
//! `[k, 1]`, transposed with `output_padding`), the other padding modes and 3-D windows is defined with `trt`,
//! read back from TensorRT (which infers the output dims; the simulator checks its own against them) and
//! simulated, then compared with
//! - the obvious direct loops in `conv.rs` and `pool.rs`, written from NvInfer.h's definitions and summed in f64, and
//! - candle's own `conv1d` / `conv2d` / `conv_transpose2d` / pooling, where candle has the op.
//!
//! Tolerances: the simulator sums `n` products (and the bias) in f32 in some order; the standard bound for
//! such a sum is `|fl(s) - s| <= gamma_n * sum |terms|` with `gamma_n = n u / (1 - n u)`, `u = 2^-24` (Higham,
//! *Accuracy and Stability of Numerical Algorithms*, §3.1), one rounding per product included. The f64
//! reference's own error (`n 2^-53 sum|terms|`) is added; candle's result obeys the same f32 bound, so the
//! two may differ by twice it.

#[path = "../common/mod.rs"]
mod common;
mod conv;
mod pool;

use candle_core::{Device, Tensor};
use common::*;
use trt::*;

const F: DataType = DataType::Float;
/// f32's unit roundoff.
const U: f64 = 1.0 / (1u64 << 24) as f64;

/// `gamma_n` for f32, plus the f64 reference's own error.
fn gamma(n: usize) -> f64 {
    let nu = n as f64 * U;
    nu / (1.0 - nu) + n as f64 * f64::EPSILON / 2.0
}

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32
        })
        .collect()
}

fn prod(d: &[usize]) -> usize {
    d.iter().product()
}

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// Multi-index of flat position `i` in `dims`.
fn unflat(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for d in (0..dims.len()).rev() {
        idx[d] = i % dims[d];
        i /= dims[d];
    }
    idx
}

/// Asserts `got` within `k * gamma_n * sum|terms|` of the reference; returns the largest error seen.
fn check(what: &str, got: &[f32], reference: &[(f64, f64)], n: usize, k: f64) -> f64 {
    assert_eq!(got.len(), reference.len(), "{what}: element count");
    let mut worst = 0f64;
    for (i, (&g, &(v, a))) in got.iter().zip(reference).enumerate() {
        let err = (g as f64 - v).abs();
        let bound = k * gamma(n) * a;
        assert!(
            err <= bound,
            "{what}: element {i}: {g} vs {v} (error {err:e} > bound {bound:e})"
        );
        worst = worst.max(err);
    }
    worst
}

fn tensor(v: &[f32], dims: &[usize]) -> Tensor {
    Tensor::from_slice(v, dims, &Device::Cpu).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// Asserts `a` and `b` (both f32 results of `n`-term sums) within twice the bound of each.
fn agree(what: &str, a: &[f32], b: &[f32], reference: &[(f64, f64)], n: usize) {
    let bs: Vec<(f64, f64)> = b
        .iter()
        .zip(reference)
        .map(|(&v, &(_, s))| (v as f64, s))
        .collect();
    check(what, a, &bs, n, 2.0);
}
