use candle2trt::{Result, TraceTensor};
use candle_nn::{
    Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig,
};

use crate::common::{check, check_dynamic_fp16, randn};

fn conv2d(i: usize, o: usize, k: usize, cfg: Conv2dConfig, bias: bool) -> Conv2d {
    Conv2d::new(
        randn(&[o, i / cfg.groups, k, k]),
        bias.then(|| randn(&[o])),
        cfg,
    )
}

#[test]
fn conv2d_bias_padding() -> Result<()> {
    let cfg = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    check(&conv2d(3, 16, 3, cfg, true), &[randn(&[1, 3, 32, 32])])?;
    Ok(())
}

#[test]
fn conv2d_stride_dilation_no_bias() -> Result<()> {
    let cfg = Conv2dConfig {
        padding: 2,
        stride: 2,
        dilation: 2,
        ..Default::default()
    };
    check(&conv2d(4, 6, 3, cfg, false), &[randn(&[2, 4, 17, 15])])?;
    Ok(())
}

#[test]
fn conv2d_groups() -> Result<()> {
    let cfg = Conv2dConfig {
        padding: 1,
        groups: 2,
        ..Default::default()
    };
    check(&conv2d(4, 6, 3, cfg, true), &[randn(&[1, 4, 8, 8])])?;
    Ok(())
}

#[test]
fn conv2d_depthwise() -> Result<()> {
    let cfg = Conv2dConfig {
        padding: 1,
        groups: 8,
        stride: 2,
        ..Default::default()
    };
    check(&conv2d(8, 8, 3, cfg, false), &[randn(&[1, 8, 9, 9])])?;
    Ok(())
}

#[test]
fn conv1d_groups_dilation_bias() -> Result<()> {
    let cfg = Conv1dConfig {
        padding: 2,
        stride: 2,
        dilation: 2,
        groups: 2,
        cudnn_fwd_algo: None,
    };
    let m = Conv1d::new(randn(&[6, 2, 3]), Some(randn(&[6])), cfg);
    check(&m, &[randn(&[2, 4, 20])])?;
    Ok(())
}

#[test]
fn conv1d_dynamic_batch_fp16() -> Result<()> {
    let m = Conv1d::new(randn(&[6, 4, 3]), None, Conv1dConfig::default());
    check_dynamic_fp16(&m, &[randn(&[2, 4, 20])])?;
    Ok(())
}

#[test]
fn conv_transpose2d_stride_padding_output_padding() -> Result<()> {
    let cfg = ConvTranspose2dConfig {
        padding: 1,
        output_padding: 1,
        stride: 2,
        dilation: 1,
    };
    let m = ConvTranspose2d::new(randn(&[4, 3, 3, 3]), Some(randn(&[3])), cfg);
    check(&m, &[randn(&[1, 4, 7, 7])])?;
    Ok(())
}

#[test]
fn conv_transpose2d_dilation_no_bias() -> Result<()> {
    let cfg = ConvTranspose2dConfig {
        padding: 0,
        output_padding: 0,
        stride: 1,
        dilation: 2,
    };
    let m = ConvTranspose2d::new(randn(&[4, 2, 3, 3]), None, cfg);
    check(&m, &[randn(&[2, 4, 5, 6])])?;
    Ok(())
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
    model!(M, |x| x.max_pool2d_with_padding((3, 3), (2, 2), (1, 1)));
    check(&M, &[randn(&[1, 4, 16, 16])])?;
    Ok(())
}

#[test]
fn max_pool2d_ceil_mode() -> Result<()> {
    // SqueezeNet: MaxPool2d(3, stride=2, ceil_mode=True), 111 -> 55 and 55 -> 27; 6 -> 3 hangs over.
    model!(M, |x| x.max_pool2d_ceil((3, 3), (2, 2), (0, 0)));
    check(&M, &[randn(&[1, 2, 111, 6])])?;
    model!(P, |x| x.max_pool2d_ceil((3, 3), (2, 2), (1, 1)));
    check(&P, &[randn(&[1, 2, 8, 7])])?;
    Ok(())
}

#[test]
fn max_pool2d_ceil_mode_values_match_pytorch() -> Result<()> {
    // torch.nn.MaxPool2d((1, 3), (1, 2), ceil_mode=True)(arange(6)) == [2, 4, 5]
    let x =
        candle_core::Tensor::arange(0f32, 6.0, &candle_core::Device::Cpu)?.reshape((1, 1, 1, 6))?;
    let y = x.max_pool2d_ceil((1, 3), (1, 2), (0, 0))?;
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
        .avg_pool2d_with_padding((3, 3), (1, 1), (1, 1)));
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
        candle_core::Tensor::arange(0f32, 5.0, &candle_core::Device::Cpu)?.reshape((1, 1, 1, 5))?;
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
fn upsample_nearest2d() -> Result<()> {
    model!(M, |x| x.upsample_nearest2d(10, 12));
    check(&M, &[randn(&[1, 3, 5, 4])])?;
    Ok(())
}

#[test]
fn upsample_bilinear2d() -> Result<()> {
    model!(M, |x| x.upsample_bilinear2d(9, 7, false));
    check(&M, &[randn(&[1, 2, 4, 5])])?;
    Ok(())
}

#[test]
fn upsample_bilinear2d_align_corners() -> Result<()> {
    model!(M, |x| x.upsample_bilinear2d(9, 7, true));
    check(&M, &[randn(&[1, 2, 4, 5])])?;
    Ok(())
}

#[test]
fn pools_and_upsampling_with_dynamic_batch_fp16() -> Result<()> {
    model!(M, |x| x
        .max_pool2d_with_padding((3, 3), (2, 2), (1, 1))?
        .upsample_nearest2d(16, 16)?
        .upsample_bilinear2d(20, 20, false)?
        .adaptive_avg_pool2d((1, 1)));
    check_dynamic_fp16(&M, &[randn(&[2, 3, 16, 16])])?;
    Ok(())
}
