//! Per-side padding: `conv2d_padded`, pooling with `side_padding` and `pad2d`, each one TensorRT
//! layer where padding dimension by dimension took several.

use candle2trt::{
    ConversionOptions, Pad2d, PadMode, Pool2dConfig, Result, TraceModule, TraceTensor,
};
use candle_core::Tensor;
use candle_nn::{Conv2d, Conv2dConfig};

use crate::common::{check, check_dynamic_fp16, check_with, randn};

fn conv(c_in: usize, c_out: usize, k: usize, cfg: Conv2dConfig) -> Conv2d {
    let w = randn(&[c_out, c_in / cfg.groups, k, k]);
    Conv2d::new(w, Some(randn(&[c_out])), cfg)
}

/// TensorFlow "SAME" for a 3×3 stride-2 window on an even size: nothing before, one after.
const SAME: Pad2d = Pad2d {
    top: 0,
    bottom: 1,
    left: 0,
    right: 1,
};

struct Padded(Conv2d, Pad2d);
impl TraceModule for Padded {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        x.conv2d_padded(&self.0, self.1)
    }
}

/// The same padding written as two `pad_with_zeros` before the convolution.
struct TwoPads(Conv2d, Pad2d);
impl TraceModule for TwoPads {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let p = self.1;
        x.pad_with_zeros(2, p.top, p.bottom)?
            .pad_with_zeros(3, p.left, p.right)?
            .conv2d(&self.0)
    }
}

fn stride2() -> Conv2dConfig {
    Conv2dConfig {
        stride: 2,
        ..Default::default()
    }
}

/// `conv(F.pad(x, (0, 1, 0, 1)))` (PyTorch) equals one padded convolution, in candle and as
/// one TensorRT layer; the convolution's own symmetric padding adds to it.
#[test]
fn conv2d_padded_is_one_convolution() -> Result<()> {
    let x = randn(&[1, 3, 8, 8]);
    let c = conv(3, 4, 3, stride2());
    let one = Padded(c.clone(), SAME).forward(&x)?;
    let two = TwoPads(c.clone(), SAME).forward(&x)?;
    assert_eq!(one.dims(), [1, 4, 4, 4]);
    assert_eq!(
        one.flatten_all()?.to_vec1::<f32>()?,
        two.flatten_all()?.to_vec1::<f32>()?
    );
    let module = check(&Padded(c.clone(), SAME), std::slice::from_ref(&x))?;
    let layers: Vec<_> = module
        .layers()
        .iter()
        .map(|l| l.layer_type.as_str())
        .collect();
    assert_eq!(layers, ["Convolution"], "{:?}", module.layers());
    // A layer padding of 1 plus (1, 2, 0, 3) per side.
    let cfg = Conv2dConfig {
        padding: 1,
        ..stride2()
    };
    check(&Padded(conv(3, 4, 3, cfg), Pad2d::new(1, 2, 0, 3)), &[x])?;
    Ok(())
}

/// Under a dynamic batch, padding dimension by dimension costs shape-tensor layers around each
/// slice; the padded convolution stays one layer. Measured here, asserted: 1 layer against 11.
#[test]
fn conv2d_padded_dynamic_batch_layer_counts() -> Result<()> {
    let c = conv(3, 4, 3, stride2());
    let x = randn(&[1, 3, 8, 8]);
    let one = check_dynamic_fp16(&Padded(c.clone(), SAME), std::slice::from_ref(&x))?;
    let two = check_dynamic_fp16(&TwoPads(c, SAME), &[x])?;
    let count =
        |m: &candle2trt::TrtModule, op: &str| m.layers().iter().filter(|l| l.op == op).count();
    assert_eq!(count(&one, "conv2d_padded"), 1);
    let pads = count(&two, "pad_with_zeros");
    println!(
        "dynamic batch: conv2d_padded 1 layer; pad_with_zeros ×2 + conv2d {} layers; engines {} vs {} bytes",
        pads + count(&two, "conv2d"),
        one.engine_bytes().len(),
        two.engine_bytes().len()
    );
    assert!(pads >= 2 * 5, "two pads took {pads} layers");
    Ok(())
}

/// A batch norm after a padded convolution folds into it, as after `conv2d`.
#[test]
fn batch_norm_folds_into_a_padded_convolution() -> Result<()> {
    let c = conv(3, 4, 3, stride2());
    let bn = candle_nn::BatchNorm::new(
        4,
        Tensor::new(&[0.1f32, -0.2, 0.3, 0.0], &crate::common::device())?,
        Tensor::new(&[1.0f32, 2.0, 0.5, 1.5], &crate::common::device())?,
        Tensor::new(&[1.0f32, 0.5, 2.0, 1.0], &crate::common::device())?,
        Tensor::new(&[0.0f32, 0.1, -0.1, 0.2], &crate::common::device())?,
        1e-3,
    )?;
    struct M(Conv2d, candle_nn::BatchNorm);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.conv2d_padded(&self.0, SAME)?.batch_norm(&self.1)
        }
    }
    let module = check(&M(c, bn), &[randn(&[1, 3, 8, 8])])?;
    assert!(
        module.layers().iter().any(|l| l.folded_into.is_some()),
        "{:?}",
        module.layers()
    );
    Ok(())
}

/// Max and average pooling with per-side padding: one pooling layer; padded positions never win
/// a max, zeros count in an average (PyTorch's `count_include_pad=True`).
#[test]
fn pooling_with_side_padding() -> Result<()> {
    let cfg = Pool2dConfig::new(3).with_stride(2).with_side_padding(SAME);
    // One 2×2 channel of -1s: max over the padded last window is -1, not 0.
    let x = Tensor::full(-1f32, (1, 1, 2, 2), &crate::common::device())?;
    assert_eq!(
        x.max_pool2d_with_config(&cfg)?
            .flatten_all()?
            .to_vec1::<f32>()?,
        [-1.0]
    );
    // Average over a 3×3 window holding four -1s and five zeros.
    let avg = x
        .avg_pool2d_with_config(&cfg)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    assert!((avg[0] + 4.0 / 9.0).abs() < 1e-6, "{avg:?}");
    crate::model!(Max, |x| x.max_pool2d_with_config(
        &Pool2dConfig::new(3).with_stride(2).with_side_padding(SAME)
    ));
    crate::model!(Avg, |x| x.avg_pool2d_with_config(
        &Pool2dConfig::new(3)
            .with_stride(2)
            .with_padding(1)
            .with_side_padding(Pad2d::new(0, 1, 1, 0))
    ));
    for module in [
        check(&Max, &[randn(&[1, 2, 8, 7])])?,
        check(&Avg, &[randn(&[1, 2, 8, 7])])?,
    ] {
        let types: Vec<_> = module
            .layers()
            .iter()
            .map(|l| l.layer_type.as_str())
            .collect();
        assert_eq!(types, ["Pooling"], "{:?}", module.layers());
    }
    Ok(())
}

/// `F.pad` on `[[1, 2, 3], [4, 5, 6]]` by (left 2, right 1, top 1, bottom 0), values from
/// PyTorch's documented semantics.
#[test]
fn pad2d_values_match_pytorch() -> Result<()> {
    let x = Tensor::new(
        &[[[[1f32, 2., 3.], [4., 5., 6.]]]],
        &crate::common::device(),
    )?;
    let pad = Pad2d::from_torch([2, 1, 1, 0]);
    let rows = |mode| -> Result<Vec<Vec<f32>>> {
        Ok(x.pad2d(pad, mode)?
            .squeeze(0)?
            .squeeze(0)?
            .to_vec2::<f32>()?)
    };
    // F.pad(x, (2, 1, 1, 0), value=9)
    assert_eq!(
        rows(PadMode::Constant(9.0))?,
        [
            [9., 9., 9., 9., 9., 9.],
            [9., 9., 1., 2., 3., 9.],
            [9., 9., 4., 5., 6., 9.]
        ]
    );
    // F.pad(x, (2, 1, 1, 0), mode="reflect"): the edge is not repeated.
    assert_eq!(
        rows(PadMode::Reflect)?,
        [
            [6., 5., 4., 5., 6., 5.],
            [3., 2., 1., 2., 3., 2.],
            [6., 5., 4., 5., 6., 5.]
        ]
    );
    // F.pad(x, (2, 1, 1, 0), mode="replicate")
    assert_eq!(
        rows(PadMode::Replicate)?,
        [
            [1., 1., 1., 2., 3., 3.],
            [1., 1., 1., 2., 3., 3.],
            [4., 4., 4., 5., 6., 6.]
        ]
    );
    // PyTorch refuses reflect padding as large as the dimension.
    let err = x
        .pad2d(Pad2d::new(2, 0, 0, 0), PadMode::Reflect)
        .expect_err("reflect padding 2 of a dimension of 2");
    assert!(err.to_string().contains("reflect"), "{err}");
    Ok(())
}

struct Pad(Pad2d, PadMode);
impl TraceModule for Pad {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        x.pad2d(self.0, self.1)
    }
}

/// Each mode converts as one slice layer (static shapes), and keeps a dynamic batch.
#[test]
fn pad2d_is_one_slice_layer() -> Result<()> {
    let pad = Pad2d::new(1, 2, 0, 3);
    for mode in [
        PadMode::Constant(0.0),
        PadMode::Constant(-1.5),
        PadMode::Reflect,
        PadMode::Replicate,
    ] {
        let module = check(&Pad(pad, mode), &[randn(&[1, 2, 5, 4])])?;
        let slices = module
            .layers()
            .iter()
            .filter(|l| l.layer_type == "Slice")
            .count();
        let compute: Vec<_> = module
            .layers()
            .iter()
            .filter(|l| l.layer_type != "Constant")
            .collect();
        assert_eq!(
            (slices, compute.len()),
            (1, 1),
            "{mode:?}: {:?}",
            module.layers()
        );
        check_dynamic_fp16(&Pad(pad, mode), &[randn(&[1, 2, 5, 4])])?;
    }
    // Rank 3 (N, H, W) pads its last two dimensions too.
    check_with(
        &Pad(pad, PadMode::Reflect),
        &[randn(&[2, 5, 4])],
        &ConversionOptions::default(),
    )?;
    Ok(())
}
