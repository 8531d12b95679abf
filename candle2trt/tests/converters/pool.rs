use candle2trt::{Pool2dConfig, Result, TraceTensor};

use crate::common::{check, check_dynamic_fp16, randn};

/// ResNet's stem: `torch.nn.MaxPool2d(3, stride=2, padding=1)`.
fn stem() -> Pool2dConfig {
    Pool2dConfig::new(3).with_stride(2).with_padding(1)
}

#[test]
fn max_pool2d() -> Result<()> {
    model!(M, |x| x.max_pool2d(2));
    check(&M, &[randn(&[1, 3, 9, 8])])?;
    Ok(())
}

#[test]
fn max_pool2d_with_stride() -> Result<()> {
    model!(M, |x| x.max_pool2d_with_stride(3, 2));
    check(&M, &[randn(&[2, 3, 11, 10])])?;
    Ok(())
}

#[test]
fn max_pool2d_with_padding() -> Result<()> {
    // ResNet's stem: MaxPool2d(3, stride=2, padding=1).
    model!(M, |x| x.max_pool2d_with_config(&stem()));
    check(&M, &[randn(&[1, 4, 16, 16])])?;
    Ok(())
}

#[test]
fn max_pool2d_ceil_mode() -> Result<()> {
    // SqueezeNet: MaxPool2d(3, stride=2, ceil_mode=True), 111 -> 55 and 55 -> 27; 6 -> 3 hangs over.
    model!(M, |x| x.max_pool2d_with_config(&Pool2dConfig {
        ceil_mode: true,
        ..Pool2dConfig::new(3).with_stride(2)
    }));
    check(&M, &[randn(&[1, 2, 111, 6])])?;
    model!(P, |x| x
        .max_pool2d_with_config(&stem().with_ceil_mode(true)));
    check(&P, &[randn(&[1, 2, 8, 7])])?;
    Ok(())
}

#[test]
fn max_pool2d_ceil_mode_values_match_pytorch() -> Result<()> {
    // torch.nn.MaxPool2d((1, 3), (1, 2), ceil_mode=True)(arange(6)) == [2, 4, 5]
    let x =
        candle_core::Tensor::arange(0f32, 6.0, &crate::common::device())?.reshape((1, 1, 1, 6))?;
    let cfg = Pool2dConfig::new((1, 3))
        .with_stride((1, 2))
        .with_ceil_mode(true);
    let y = x.max_pool2d_with_config(&cfg)?;
    assert_eq!(y.flatten_all()?.to_vec1::<f32>()?, [2.0, 4.0, 5.0]);
    Ok(())
}

#[test]
fn avg_pool2d() -> Result<()> {
    model!(M, |x| x.avg_pool2d(2));
    check(&M, &[randn(&[1, 3, 8, 8])])?;
    Ok(())
}

#[test]
fn avg_pool2d_with_stride_and_padding() -> Result<()> {
    model!(M, |x| x
        .avg_pool2d_with_stride(3, 2)?
        .avg_pool2d_with_config(
            &Pool2dConfig::new(3).with_stride(1).with_padding(1)
        ));
    check(&M, &[randn(&[1, 3, 13, 13])])?;
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_to_1x1() -> Result<()> {
    model!(M, |x| x.adaptive_avg_pool2d((1, 1))?.flatten_from(1));
    check(&M, &[randn(&[2, 8, 7, 7])])?;
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_divisible() -> Result<()> {
    model!(M, |x| x.adaptive_avg_pool2d((2, 3)));
    check(&M, &[randn(&[1, 4, 8, 9])])?;
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_uneven_windows() -> Result<()> {
    model!(M, |x| x.adaptive_avg_pool2d((3, 5)));
    check(&M, &[randn(&[1, 4, 8, 7])])?;
    // VGG at 32×32: a 1×1 feature map spread to 7×7.
    model!(V, |x| x.adaptive_avg_pool2d((7, 7)));
    check(&V, &[randn(&[1, 4, 1, 1])])?;
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_uneven_windows_values_match_pytorch() -> Result<()> {
    // torch.nn.AdaptiveAvgPool2d((1, 3))(arange(5)) == [0.5, 2.0, 3.5]
    let x =
        candle_core::Tensor::arange(0f32, 5.0, &crate::common::device())?.reshape((1, 1, 1, 5))?;
    let y = x.adaptive_avg_pool2d((1, 3))?;
    assert_eq!(y.flatten_all()?.to_vec1::<f32>()?, [0.5, 2.0, 3.5]);
    Ok(())
}

#[test]
fn adaptive_avg_pool2d_uneven_windows_dynamic_batch_fp16() -> Result<()> {
    model!(M, |x| x.adaptive_avg_pool2d((3, 3)));
    check_dynamic_fp16(&M, &[randn(&[2, 4, 8, 8])])?;
    Ok(())
}

#[test]
fn pools_and_upsampling_with_dynamic_batch_fp16() -> Result<()> {
    model!(M, |x| x
        .max_pool2d_with_config(&stem())?
        .upsample_nearest2d(16, 16)?
        .upsample_bilinear2d(20, 20, false)?
        .adaptive_avg_pool2d((1, 1)));
    check_dynamic_fp16(&M, &[randn(&[2, 3, 16, 16])])?;
    Ok(())
}
