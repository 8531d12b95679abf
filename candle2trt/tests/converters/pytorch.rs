//! PyTorch names with PyTorch's meaning (issue 18): every op here is checked against the values
//! PyTorch itself produced (`fixtures/pytorch_ops/cases.safetensors`, made by
//! `fixtures/pytorch_ops/make.py`), through plain candle and through a real engine's simulation.
//!
//! Tolerances (`Tol`, see `common/torch.rs`): `Exact` where both sides select or copy elements or
//! round to integers; `Eps(k)` counts the roundings in which candle, the simulator and PyTorch
//! may differ — each libm-style function (PyTorch's vectorized SLEEF, Rust's libm) is within
//! 1–2 ulp of the true value, so one function gives `k = 4`, and a composition adds each step's.

use candle2trt::{Result, TraceTensor};
use candle_core::D;

use crate::common::torch::{case, check_torch, max_abs, one, Tol};

torch_cases! {
    // --- torch.chunk / torch.split: pieces are copies, so exact.
    chunk_10_4_gives_3_3_3_1: "chunk_10_4", 1, Tol::Exact, |xs| xs[0].chunk(4, 1);
    chunk_6_4_gives_three_pieces: "chunk_6_4", 1, Tol::Exact, |xs| xs[0].chunk(4, 1);
    chunk_negative_dim: "chunk_neg_dim", 1, Tol::Exact, |xs| xs[0].chunk(3, D::Minus1);
    split_by_size: "split_size_4", 1, Tol::Exact, |xs| xs[0].split(4, 1);
    split_with_sizes: "split_sizes", 1, Tol::Exact, |xs| xs[0].split_with_sizes(&[2, 5, 3], 1);
    slice_with_step: "slice_step", 1, Tol::Exact, |xs| one(xs[0].slice(2, 1, 9, 3));
    slice_with_step_to_end: "slice_step_to_end", 1, Tol::Exact,
        |xs| one(xs[0].slice(2, 2, usize::MAX, 4));
    expand_minus_one: "expand", 1, Tol::Exact, |xs| one(xs[0].expand(&[-1, 3, 4]));
    expand_new_leading_dim: "expand_new_dim", 1, Tol::Exact,
        |xs| one(xs[0].expand(&[5, -1, -1, 4]));

    // --- Rounding: integer results of one rounding, exact (ties at x.5 in the inputs).
    floor: "floor", 1, Tol::Exact, |xs| one(xs[0].floor());
    ceil: "ceil", 1, Tol::Exact, |xs| one(xs[0].ceil());
    round_half_to_even: "round", 1, Tol::Exact, |xs| one(xs[0].round());
    trunc: "trunc", 1, Tol::Exact, |xs| one(xs[0].trunc());
    sign: "sign", 1, Tol::Exact, |xs| one(xs[0].sign());
    floor_divide: "floor_divide", 2, Tol::Exact, |xs| one(xs[0].floor_divide(&xs[1]));

    // --- Products: 4 factors (in [0.5, 1.5]), one rounding each, in another order than
    // PyTorch's vectorized reduction may use: k = 2·4.
    prod: "prod_dim1", 1, Tol::Eps(8.0), |xs| one(xs[0].prod(1));
    prod_keepdim: "prod_keepdim", 1, Tol::Eps(8.0), |xs| one(xs[0].prod_keepdim(D::Minus1));

    // --- One function each (see the module's doc): k = 4.
    asin: "asin", 1, Tol::Eps(4.0), |xs| one(xs[0].asin());
    acos: "acos", 1, Tol::Eps(4.0), |xs| one(xs[0].acos());
    atan: "atan", 1, Tol::Eps(4.0), |xs| one(xs[0].atan());
    tan: "tan", 1, Tol::Eps(4.0), |xs| one(xs[0].tan());
    sinh: "sinh", 1, Tol::Eps(4.0), |xs| one(xs[0].sinh());
    cosh: "cosh", 1, Tol::Eps(4.0), |xs| one(xs[0].cosh());
    asinh: "asinh", 1, Tol::Eps(4.0), |xs| one(xs[0].asinh());
    acosh: "acosh", 1, Tol::Eps(4.0), |xs| one(xs[0].acosh());
    atanh: "atanh", 1, Tol::Eps(4.0), |xs| one(xs[0].atanh());

    // --- Scalar on the left. `1 - x`: one rounding on each side, the same one: exact.
    rsub_scalar: "rsub", 1, Tol::Exact, |xs| one(xs[0].rsub_scalar(1.0));
    // `100 / x`: PyTorch computes `reciprocal(x) · 100` (two roundings), we divide (one): k = 2.
    rdiv_scalar: "rdiv", 1, Tol::Eps(2.0), |xs| one(xs[0].rdiv_scalar(100.0));
    // `2 ** x`: candle's and the converter's pow is exp(x · ln 2) (|x| < 4, so the argument's
    // rounding costs up to 4 ulp of the result), PyTorch's pow one function: k = 4 + 4.
    rpow_scalar: "rpow", 1, Tol::Eps(8.0), |xs| one(xs[0].rpow_scalar(2.0));

    // --- Pooling. An average of ≤ 9 terms, summed in another order than PyTorch's and divided:
    // k = 2·9 + 2; with ceil_mode and padding counted, one more product: + 2.
    avg_pool2d_count_include_pad_false: "avg_pool2d_exclude_pad", 1, Tol::Eps(20.0),
        |xs| one(xs[0].avg_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(3).with_stride(2).with_padding(1)
                .with_count_include_pad(false)));
    avg_pool2d_ceil_mode: "avg_pool2d_ceil", 1, Tol::Eps(22.0),
        |xs| one(xs[0].avg_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(2).with_stride(2).with_ceil_mode(true)));
    avg_pool2d_ceil_mode_padded: "avg_pool2d_ceil_pad", 1, Tol::Eps(22.0),
        |xs| one(xs[0].avg_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(3).with_stride(2).with_padding(1).with_ceil_mode(true)));
    avg_pool2d_ceil_mode_exclude_pad: "avg_pool2d_ceil_exclude_pad", 1, Tol::Eps(22.0),
        |xs| one(xs[0].avg_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(3).with_stride(2).with_padding(1).with_ceil_mode(true)
                .with_count_include_pad(false)));
    max_pool2d_ceil_mode: "max_pool2d_ceil", 1, Tol::Exact,
        |xs| one(xs[0].max_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(3).with_stride(2).with_ceil_mode(true)));
    // A maximum selects: exact.
    adaptive_max_pool2d_unequal_windows: "adaptive_max_pool2d", 1, Tol::Exact,
        |xs| one(xs[0].adaptive_max_pool2d((3, 4)));
    adaptive_max_pool2d_equal_windows: "adaptive_max_pool2d_even", 1, Tol::Exact,
        |xs| one(xs[0].adaptive_max_pool2d((7, 3)));
    adaptive_avg_pool2d_unequal_windows: "adaptive_avg_pool2d", 1, Tol::Eps(20.0),
        |xs| one(xs[0].adaptive_avg_pool2d((3, 4)));
    max_pool1d: "max_pool1d", 1, Tol::Exact,
        |xs| one(xs[0].max_pool1d(&candle2trt::Pool1dConfig::new(3).with_stride(2).with_padding(1)));
    avg_pool1d: "avg_pool1d", 1, Tol::Eps(8.0),
        |xs| one(xs[0].avg_pool1d(&candle2trt::Pool1dConfig::new(3).with_stride(2)));
    avg_pool1d_count_include_pad_false: "avg_pool1d_exclude_pad", 1, Tol::Eps(10.0),
        |xs| one(xs[0].avg_pool1d(&candle2trt::Pool1dConfig::new(4).with_stride(2).with_padding(2)
            .with_count_include_pad(false)));
    adaptive_avg_pool1d: "adaptive_avg_pool1d", 1, Tol::Eps(10.0),
        |xs| one(xs[0].adaptive_avg_pool1d(4));

    // --- Resizing. Nearest selects: exact. Bilinear: 4 taps, weights and sum rounded: k = 16.
    // Bicubic: 16 taps whose weights (|w| sums to ≤ 1.6 per axis) are rounded on each side:
    // k = 2·16·1.6² ≈ 82, taken as 96.
    nearest_up: "nearest_up", 1, Tol::Exact, |xs| one(xs[0].upsample_nearest2d(8, 11));
    nearest_down: "nearest_down", 1, Tol::Exact, |xs| one(xs[0].upsample_nearest2d(3, 4));
    bilinear_up: "bilinear_up", 1, Tol::Eps(16.0),
        |xs| one(xs[0].upsample_bilinear2d(8, 11, false));
    bilinear_up_align_corners: "bilinear_up_corners", 1, Tol::Eps(16.0),
        |xs| one(xs[0].upsample_bilinear2d(8, 11, true));
    bilinear_down: "bilinear_down", 1, Tol::Eps(16.0),
        |xs| one(xs[0].upsample_bilinear2d(3, 4, false));
    bicubic_up: "bicubic_up", 1, Tol::Eps(96.0), |xs| one(xs[0].upsample_bicubic2d(8, 11, false));
    bicubic_up_align_corners: "bicubic_up_corners", 1, Tol::Eps(96.0),
        |xs| one(xs[0].upsample_bicubic2d(8, 11, true));
    bicubic_down: "bicubic_down", 1, Tol::Eps(96.0),
        |xs| one(xs[0].upsample_bicubic2d(3, 4, false));
}

/// `remainder` / `fmod` computed by the engine as `a - q·b` (TensorRT has no modulo) where
/// PyTorch (and plain candle) computes C's exact `fmod`: the product `q·b` and the difference
/// round once each, at most half an ulp of `max |a|` each — bound one ulp of `max |a|`, taken
/// as `2⁻²³ · 2^ceil(log2 max|a|)`.
fn ulp_bound(name: &str) -> f32 {
    let a = max_abs(&case(name).ins[0]);
    f32::EPSILON * 2f32.powf(a.log2().ceil())
}

#[test]
fn remainder_has_the_sign_of_the_divisor() -> Result<()> {
    torch_model!(M, |xs| one(xs[0].remainder(&xs[1])));
    check_torch(&M, "remainder", 2, Tol::Abs(ulp_bound("remainder")))
}

#[test]
fn fmod_has_the_sign_of_the_dividend() -> Result<()> {
    torch_model!(M, |xs| one(xs[0].fmod(&xs[1])));
    check_torch(&M, "fmod", 2, Tol::Abs(ulp_bound("fmod")))
}

#[test]
fn remainder_and_fmod_by_scalars() -> Result<()> {
    torch_model!(R, |xs| one(xs[0].remainder_scalar(1.5)));
    check_torch(
        &R,
        "remainder_scalar",
        1,
        Tol::Abs(ulp_bound("remainder_scalar")),
    )?;
    torch_model!(F, |xs| one(xs[0].fmod_scalar(-1.5)));
    check_torch(&F, "fmod_scalar", 1, Tol::Abs(ulp_bound("fmod_scalar")))
}

/// `torch.nn.LayerNorm((4, 5))` and `((3, 4, 5))`, and `InstanceNorm2d(3, affine=True)`: means
/// and variances over n ≤ 60 elements summed in another order than PyTorch's (n·ε relative
/// each, at worst), then one normalization, scale and shift: k = 2·60 + 8 = 128.
#[test]
fn layer_norm_over_the_last_k_dims_and_instance_norm() -> Result<()> {
    struct Ln(candle_nn::LayerNorm);
    impl candle2trt::TraceModule for Ln {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.layer_norm(&self.0)
        }
    }
    for name in ["layer_norm_2d", "layer_norm_3d", "layer_norm_last"] {
        let c = case(name);
        let ln = candle_nn::LayerNorm::new(c.ins[1].clone(), c.ins[2].clone(), 1e-5);
        check_torch(&Ln(ln), name, 1, Tol::Eps(128.0))?;
    }
    struct In(candle2trt::GroupNorm);
    impl candle2trt::TraceModule for In {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.instance_norm(&self.0)
        }
    }
    let c = case("instance_norm");
    let layer = candle2trt::instance_norm(
        3,
        Some(c.ins[1].clone()),
        Some(c.ins[2].clone()),
        1e-5,
        c.ins[0].device(),
    )?;
    check_torch(&In(layer), "instance_norm", 1, Tol::Eps(128.0))
}

/// The new shape and rounding ops keep a dynamic batch dynamic (fp16, batch 1..=8; the values
/// are checked by verification at the sample and the profile's corners).
#[test]
fn new_ops_keep_a_dynamic_batch() -> Result<()> {
    use crate::common::{check_dynamic_fp16, randn};
    model!(Shapes, |x| {
        let s = x.slice(2, 1, 9, 3)?;
        let parts = s.split_with_sizes(&[1, 2], 2)?;
        let e = parts[0].expand(&[-1, 3, 2])?;
        e.add(&parts[1])?
            .round()?
            .add(&x.narrow(2, 0, 2)?.trunc()?)?
            .rsub_scalar(1.0)
    });
    check_dynamic_fp16(&Shapes, &[randn(&[2, 3, 11])])?;
    model!(Pools, |x| x
        .avg_pool2d_with_config(
            &candle2trt::Pool2dConfig::new(3)
                .with_stride(2)
                .with_padding(1)
                .with_ceil_mode(true)
        )?
        .adaptive_max_pool2d((2, 3)));
    check_dynamic_fp16(&Pools, &[randn(&[2, 3, 7, 9])])?;
    Ok(())
}
