use candle2trt::Result;
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
