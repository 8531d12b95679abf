use candle2trt::{GroupNorm, Result, TraceModule, TraceTensor};
use candle_nn::{BatchNorm, Conv2d, Conv2dConfig, LayerNorm, RmsNorm};

use crate::common::{check, check_dynamic_fp16, rand_pos, randn};

fn bn(c: usize) -> BatchNorm {
    BatchNorm::new(
        c,
        randn(&[c]),
        rand_pos(&[c]),
        randn(&[c]),
        randn(&[c]),
        1e-5,
    )
    .unwrap()
}

struct ConvBn {
    conv: Conv2d,
    bn: BatchNorm,
}

impl TraceModule for ConvBn {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        x.apply_named("conv", &self.conv)?
            .apply_named("bn", &self.bn)?
            .relu()
    }
}

#[test]
fn batch_norm_folded_into_conv() -> Result<()> {
    for bias in [false, true] {
        let conv = Conv2d::new(
            randn(&[8, 3, 3, 3]),
            bias.then(|| randn(&[8])),
            Conv2dConfig {
                padding: 1,
                ..Default::default()
            },
        );
        let m = check(&ConvBn { conv, bn: bn(8) }, &[randn(&[1, 3, 10, 10])])?;
        let folded: Vec<_> = m
            .layers()
            .iter()
            .filter(|l| l.folded_into.is_some())
            .collect();
        assert_eq!(folded.len(), 1, "{}", m.report());
        assert_eq!(folded[0].layer_type, "Convolution");
        assert_eq!(folded[0].module_path, "conv");
        // The folded convolution is the only other convolution; no element-wise scale.
        let bn_layers: Vec<_> = m.layers().iter().filter(|l| l.op == "batch_norm").collect();
        assert_eq!(bn_layers.len(), 1, "{}", m.report());
        assert_eq!(bn_layers[0].layer_type, "Convolution");
    }
    Ok(())
}

#[test]
fn batch_norm_standalone() -> Result<()> {
    struct M(BatchNorm);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.relu()?.apply(&self.0)
        }
    }
    check(&M(bn(4)), &[randn(&[2, 4, 5, 5])])?;
    check(&M(bn(4)), &[randn(&[2, 4])])?;
    Ok(())
}

#[test]
fn batch_norm_without_affine() -> Result<()> {
    let bn = BatchNorm::new_no_bias(4, randn(&[4]), rand_pos(&[4]), 1e-3).unwrap();
    check(&bn, &[randn(&[2, 4, 3, 3])])?;
    Ok(())
}

#[test]
fn layer_norm() -> Result<()> {
    let ln = LayerNorm::new(randn(&[16]), randn(&[16]), 1e-5);
    check(&ln, &[randn(&[2, 5, 16])])?;
    Ok(())
}

#[test]
fn layer_norm_without_bias() -> Result<()> {
    let ln = LayerNorm::new_no_bias(randn(&[16]), 1e-5);
    check(&ln, &[randn(&[2, 5, 16])])?;
    Ok(())
}

#[test]
fn layer_norm_rms_style() -> Result<()> {
    let ln = LayerNorm::rms_norm(randn(&[16]), 1e-6);
    check(&ln, &[randn(&[3, 16])])?;
    Ok(())
}

#[test]
fn rms_norm() -> Result<()> {
    let rms = RmsNorm::new(randn(&[16]), 1e-6);
    check(&rms, &[randn(&[2, 5, 16])])?;
    Ok(())
}

/// `torch.nn.GroupNorm(4, c)` with random weights.
fn gn(c: usize) -> GroupNorm {
    GroupNorm::new(randn(&[c]), randn(&[c]), 4, 1e-5).unwrap()
}

#[test]
fn group_norm() -> Result<()> {
    let m = gn(8);
    check(&m, &[randn(&[2, 8, 5, 6])])?;
    check(&m, &[randn(&[2, 8, 7])])?;
    Ok(())
}

#[test]
fn group_norm_refuses_groups_that_do_not_divide_the_channels() {
    let err = GroupNorm::new(randn(&[6]), randn(&[6]), 4, 1e-5).unwrap_err();
    assert!(err.to_string().contains("must divide"), "{err}");
}

#[test]
fn normalizations_with_dynamic_batch_fp16() -> Result<()> {
    struct M {
        conv_bn: ConvBn,
        gn: GroupNorm,
        ln: LayerNorm,
        rms: RmsNorm,
    }
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let x = x.apply_named("block", &self.conv_bn)?;
            let x = x.apply_named("gn", &self.gn)?.flatten_from(2)?;
            x.apply_named("ln", &self.ln)?.apply_named("rms", &self.rms)
        }
    }
    let conv = Conv2d::new(
        randn(&[8, 3, 3, 3]),
        None,
        Conv2dConfig {
            padding: 1,
            ..Default::default()
        },
    );
    let m = M {
        conv_bn: ConvBn { conv, bn: bn(8) },
        gn: gn(8),
        ln: LayerNorm::new(randn(&[36]), randn(&[36]), 1e-5),
        rms: RmsNorm::new(randn(&[36]), 1e-6),
    };
    let module = check_dynamic_fp16(&m, &[randn(&[2, 3, 6, 6])])?;
    assert!(module
        .layers()
        .iter()
        .any(|l| l.module_path == "block.conv" && l.folded_into.is_some()));
    Ok(())
}

#[test]
fn conv_output_read_elsewhere_is_not_reported_folded() -> Result<()> {
    // The conv output also feeds a residual add: TensorRT keeps the original convolution.
    struct M(ConvBn);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let c = x.apply_named("conv", &self.0.conv)?;
            c.apply_named("bn", &self.0.bn)?.add(&c)
        }
    }
    let conv = Conv2d::new(
        randn(&[3, 3, 3, 3]),
        None,
        Conv2dConfig {
            padding: 1,
            ..Default::default()
        },
    );
    let m = check(&M(ConvBn { conv, bn: bn(3) }), &[randn(&[1, 3, 6, 6])])?;
    assert!(
        m.layers().iter().all(|l| l.folded_into.is_none()),
        "{}",
        m.report()
    );
    Ok(())
}
