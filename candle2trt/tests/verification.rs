//! `convert`'s verification: the report at the sample shape and the profile corners, TF32's effect,
//! and proof that the check can fail — deliberately wrong layer parameters, handed to TensorRT
//! itself (`Verify::fault_injection` mutates the description a converter gives `Network::add`),
//! are each caught and localized by op and module path: by the tracer, where TensorRT's inferred
//! dims then differ from candle's, else by the verification. `precision_faults.rs` holds the small
//! faults in every precision.

mod common;

use std::sync::Arc;

use candle2trt::{
    convert, ConversionOptions, Corner, Error, FaultInjection, Pool2dConfig, Result, TraceModule,
    TraceTensor, Verify,
};
use candle_core::{DType, Device, Tensor};
use common::randn;
use trt::LayerDesc;

/// Deterministic weights: `sin(i * 0.7 + seed)`.
fn weights(shape: &[usize], seed: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i as f64) * 0.7 + seed).sin() as f32)
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn conv(c_in: usize, c_out: usize, groups: usize, padding: usize) -> candle_nn::Conv2d {
    let cfg = candle_nn::Conv2dConfig {
        padding,
        groups,
        ..Default::default()
    };
    let w = weights(&[c_out, c_in / groups, 3, 3], 0.3);
    candle_nn::Conv2d::new(w, Some(weights(&[c_out], 1.1)), cfg)
}

macro_rules! scoped_model {
    ($name:ident, $scope:literal, |$x:ident| $body:expr) => {
        struct $name;
        impl TraceModule for $name {
            fn forward<T: TraceTensor>(&self, $x: &T) -> Result<T> {
                let _scope = $x.scope($scope);
                $body
            }
        }
    };
}

/// Options whose trace hands TensorRT every layer with `mutate(module_path, description)` applied.
fn with_fault(
    mutate: impl for<'a> Fn(&str, &mut LayerDesc<'a>) -> bool + Send + Sync + 'static,
) -> ConversionOptions {
    ConversionOptions {
        verify: Verify {
            fault_injection: Some(FaultInjection {
                mutate: Arc::new(mutate),
            }),
            ..Verify::default()
        },
        ..ConversionOptions::default()
    }
}

/// Converts with the fault and asserts it is caught and localized at `op` in `module_path`.
fn caught<M: TraceModule>(
    what: &str,
    model: &M,
    input: Tensor,
    options: ConversionOptions,
    op: &str,
    module_path: &str,
) {
    let err = match convert(model, &[input], &options) {
        Ok(_) => panic!("{what}: the wrong parameter was not caught"),
        Err(e) => e,
    };
    let (got_op, got_path) = match &err {
        Error::VerificationFailed {
            divergence: Some(d),
            ..
        } => (d.op.clone(), d.module_path.to_string()),
        Error::SimulationFailed {
            op, module_path, ..
        }
        | Error::ShapeMismatch {
            op, module_path, ..
        }
        | Error::TensorRtOp {
            op, module_path, ..
        } => (op.clone(), module_path.to_string()),
        other => panic!("{what}: caught but not localized: {other}"),
    };
    assert_eq!(
        (got_op.as_str(), got_path.as_str()),
        (op, module_path),
        "{what}: {err}"
    );
    println!("{what}: {err}");
}

/// The op adding the layer was called at module path `scope`, and `f` applies to its
/// description.
fn in_scope<'a>(
    scope: &str,
    path: &str,
    desc: &mut LayerDesc<'a>,
    f: impl FnOnce(&mut LayerDesc<'a>) -> bool,
) -> bool {
    path == scope && f(desc)
}

scoped_model!(Stem, "stem", |x| x.conv2d(&conv(3, 4, 1, 1))?.relu());
scoped_model!(Depthwise, "dw", |x| x.conv2d(&conv(4, 4, 4, 1)));
scoped_model!(Mean, "head", |x| x.mean(2));
scoped_model!(SumKeep, "head", |x| x.sum_keepdim(2));
scoped_model!(Softmax, "attn", |x| x.softmax_last_dim());
scoped_model!(MatmulW, "proj", |x| x
    .matmul(&x.parameter(&weights(&[5, 5], 2.0))?));
scoped_model!(Leaky, "act", |x| x.leaky_relu(0.1));
scoped_model!(Clamp, "act", |x| x.clamp(-0.5, 0.25));
scoped_model!(Upsample, "up", |x| x.upsample_bilinear2d(8, 8, false));
scoped_model!(Narrow, "cut", |x| x.narrow(2, 0, 3));
scoped_model!(AddBias, "bias", |x| x
    .broadcast_add(&x.parameter(&weights(&[1, 1, 8], 0.5))?));
scoped_model!(Norm, "ln", |x| x.layer_norm(&candle_nn::LayerNorm::new(
    weights(&[5], 0.2),
    weights(&[5], 0.9),
    1e-5
)));
scoped_model!(AvgPool, "pool", |x| x.avg_pool2d_with_config(
    &Pool2dConfig::new(3).with_stride(1).with_padding(1)
));
scoped_model!(Embed, "emb", |x| x
    .embedding(&candle_nn::Embedding::new(weights(&[6, 6], 0.1), 6)));
scoped_model!(Reshape, "flat", |x| {
    let b = x.dim(0)?;
    x.reshape((b, 4, 5))
});

fn image(c: usize, h: usize) -> Tensor {
    randn(&[1, c, h, h])
}

#[test]
fn wrong_convolution_parameters_are_caught_at_the_conv() {
    let pad_order = with_fault(|n, d| {
        in_scope("stem", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                (c.pre_padding, c.post_padding) = ([0, 0].into(), [2, 2].into());
                true
            }
            _ => false,
        })
    });
    caught(
        "padding order",
        &Stem,
        image(3, 8),
        pad_order,
        "conv2d",
        "stem",
    );
    let stride = with_fault(|n, d| {
        in_scope("stem", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                c.stride = [2, 2].into();
                true
            }
            _ => false,
        })
    });
    caught("stride", &Stem, image(3, 8), stride, "conv2d", "stem");
    let dilation = with_fault(|n, d| {
        in_scope("stem", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                c.dilation = [2, 2].into();
                true
            }
            _ => false,
        })
    });
    caught("dilation", &Stem, image(3, 8), dilation, "conv2d", "stem");
    let groups = with_fault(|n, d| {
        in_scope("dw", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                c.groups = 1;
                true
            }
            _ => false,
        })
    });
    caught("groups", &Depthwise, image(4, 6), groups, "conv2d", "dw");
    let layout = with_fault(|n, d| {
        in_scope("stem", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                let mut v: Vec<f32> = c
                    .kernel_weights
                    .to_f64()
                    .unwrap()
                    .iter()
                    .map(|&x| x as f32)
                    .collect();
                v.reverse();
                c.kernel_weights = trt::Weights::from_f32(&v);
                true
            }
            _ => false,
        })
    });
    caught(
        "kernel weight layout",
        &Stem,
        image(3, 8),
        layout,
        "conv2d",
        "stem",
    );
}

#[test]
fn wrong_reduction_parameters_are_caught() {
    let axes = with_fault(|n, d| {
        in_scope("head", n, d, |d| match d {
            LayerDesc::Reduce(r) => {
                r.axes = 0b010;
                true
            }
            _ => false,
        })
    });
    caught(
        "reduce axes mask",
        &Mean,
        randn(&[1, 5, 5]),
        axes,
        "mean",
        "head",
    );
    let keep = with_fault(|n, d| {
        in_scope("head", n, d, |d| match d {
            LayerDesc::Reduce(r) => {
                r.keep_dims = false;
                true
            }
            _ => false,
        })
    });
    caught(
        "keep dims",
        &SumKeep,
        randn(&[1, 5, 5]),
        keep,
        "sum_keepdim",
        "head",
    );
    let softmax = with_fault(|n, d| {
        in_scope("attn", n, d, |d| match d {
            LayerDesc::Softmax(s) => {
                s.axes = 0b010;
                true
            }
            _ => false,
        })
    });
    caught(
        "softmax axes mask",
        &Softmax,
        randn(&[1, 5, 5]),
        softmax,
        "softmax",
        "attn",
    );
}

#[test]
fn wrong_matrix_activation_and_elementwise_parameters_are_caught() {
    let transpose = with_fault(|n, d| {
        in_scope("proj", n, d, |d| match d {
            LayerDesc::MatrixMultiply(m) => {
                m.op_b = trt::MatrixOperation::Transpose;
                true
            }
            _ => false,
        })
    });
    caught(
        "matrix transpose flag",
        &MatmulW,
        randn(&[2, 5]),
        transpose,
        "matmul",
        "proj",
    );
    let alpha = with_fault(|n, d| {
        in_scope("act", n, d, |d| match d {
            LayerDesc::Activation(a) => {
                a.alpha = 0.3;
                true
            }
            _ => false,
        })
    });
    caught(
        "activation alpha",
        &Leaky,
        randn(&[2, 16]),
        alpha,
        "leaky_relu",
        "act",
    );
    let beta = with_fault(|n, d| {
        in_scope("act", n, d, |d| match d {
            LayerDesc::Activation(a) => {
                a.beta = 0.75;
                true
            }
            _ => false,
        })
    });
    caught(
        "activation beta",
        &Clamp,
        randn(&[2, 16]),
        beta,
        "clamp",
        "act",
    );
    let op = with_fault(|n, d| {
        in_scope("bias", n, d, |d| match d {
            LayerDesc::ElementWise(e) => {
                e.op = trt::ElementWiseOperation::Sub;
                true
            }
            _ => false,
        })
    });
    caught(
        "element-wise operation",
        &AddBias,
        randn(&[1, 2, 8]),
        op,
        "broadcast_add",
        "bias",
    );
    let eps = with_fault(|n, d| {
        in_scope("ln", n, d, |d| match d {
            LayerDesc::Normalization(l) => {
                l.epsilon = 1.0;
                true
            }
            _ => false,
        })
    });
    caught(
        "normalization epsilon",
        &Norm,
        randn(&[2, 3, 5]),
        eps,
        "layer_norm",
        "ln",
    );
}

#[test]
fn wrong_indexing_resampling_and_pooling_parameters_are_caught() {
    let gather = with_fault(|n, d| {
        in_scope("emb", n, d, |d| match d {
            LayerDesc::Gather(g) => {
                g.axis = 1;
                true
            }
            _ => false,
        })
    });
    let ids = Tensor::new(&[[0u32, 5, 2]], &Device::Cpu).unwrap();
    caught("gather axis", &Embed, ids, gather, "embedding", "emb");
    let mode = with_fault(|n, d| {
        in_scope("up", n, d, |d| match d {
            LayerDesc::Resize(r) => {
                r.mode = trt::InterpolationMode::Nearest;
                true
            }
            _ => false,
        })
    });
    caught(
        "resize mode",
        &Upsample,
        image(2, 4),
        mode,
        "upsample_bilinear2d",
        "up",
    );
    let stride = with_fault(|n, d| {
        in_scope("cut", n, d, |d| match d {
            LayerDesc::Slice(s) => {
                s.stride = [1, 1, 2].into();
                true
            }
            _ => false,
        })
    });
    caught(
        "slice stride",
        &Narrow,
        randn(&[1, 2, 8]),
        stride,
        "narrow",
        "cut",
    );
    let count = with_fault(|n, d| {
        in_scope("pool", n, d, |d| match d {
            LayerDesc::Pooling(p) => {
                p.average_count_excludes_padding = !p.average_count_excludes_padding;
                true
            }
            _ => false,
        })
    });
    caught(
        "average pool padding count",
        &AvgPool,
        image(2, 5),
        count,
        "avg_pool2d",
        "pool",
    );
}

#[test]
fn a_baked_dynamic_dimension_is_caught_at_a_profile_corner() {
    // reshape((B, 4, 5)) of a [B, 20] input, traced at the sample's B = 2: the fault bakes
    // B = 2 into the reshape TensorRT holds, as (2, -1, 5), so the output keeps a dynamic
    // dimension (2B) and the tracer's dynamic-shape check passes. The sample shape still
    // passes; the profile's min (B = 1: [2, 2, 5] where candle computes [1, 4, 5]) does not.
    let mut options = with_fault(|n, d| {
        in_scope("flat", n, d, |d| match d {
            LayerDesc::Shuffle(s) => {
                s.reshape = Some([2, -1, 5].into());
                s.reshape_tensor = None;
                true
            }
            _ => false,
        })
    });
    options = options.with_dynamic_batch(1, 2, 4);
    options.trace_at_sample_shape = true;
    let err = convert(&Reshape, &[randn(&[2, 20])], &options).expect_err("baked batch");
    let (corner, op, path) = match &err {
        Error::SimulationFailed {
            corner,
            op,
            module_path,
            ..
        } => (*corner, op.clone(), module_path.to_string()),
        Error::VerificationFailed {
            corner,
            divergence: Some(d),
            ..
        } => (*corner, d.op.clone(), d.module_path.to_string()),
        other => panic!("not caught at the corner: {other}"),
    };
    assert_eq!(corner, Corner::Min, "{err}");
    assert_eq!((op.as_str(), path.as_str()), ("reshape", "flat"), "{err}");
    println!("baked dynamic dimension: {err}");
}

/// Without a fault the same models pass, so what the tests above catch is the fault.
#[test]
fn the_models_pass_without_faults() -> Result<()> {
    let dynamic = ConversionOptions::default().with_dynamic_batch(1, 2, 4);
    convert(&Stem, &[image(3, 8)], &ConversionOptions::default())?;
    convert(&Depthwise, &[image(4, 6)], &ConversionOptions::default())?;
    convert(&Mean, &[randn(&[1, 5, 5])], &ConversionOptions::default())?;
    convert(
        &Embed,
        &[Tensor::new(&[[0u32, 5, 2]], &Device::Cpu)?],
        &ConversionOptions::default(),
    )?;
    convert(&Upsample, &[image(2, 4)], &ConversionOptions::default())?;
    convert(&AvgPool, &[image(2, 5)], &ConversionOptions::default())?;
    convert(&Reshape, &[randn(&[2, 20])], &dynamic)?;
    Ok(())
}

#[test]
fn the_report_has_every_corner_and_shows_tf32() -> Result<()> {
    let x = randn(&[2, 3, 8, 8]);
    let options = ConversionOptions::default().with_dynamic_batch(1, 2, 5);
    let module = convert(&Stem, &[&x], &options)?;
    assert!(module.meta().tf32);
    let report = module.verification().expect("on by default");
    let corners: Vec<(Corner, usize)> = report
        .checks
        .iter()
        .map(|c| (c.corner, c.input_dims[0][0]))
        .collect();
    assert_eq!(
        corners,
        [(Corner::Sample, 2), (Corner::Min, 1), (Corner::Max, 5)]
    );
    let exact = report
        .exact
        .as_ref()
        .expect("a TF32 engine shows TF32's effect");
    let tf32 = report.checks[0].max_abs_err();
    assert!(
        tf32 > exact.max_abs_err(),
        "TF32 {tf32} vs f32 {}",
        exact.max_abs_err()
    );
    assert!(exact.max_abs_err() < 1e-5, "{}", exact.max_abs_err());
    let text = module.report();
    for part in [
        "verification",
        "profile min [[1, 3, 8, 8]]",
        "profile max [[5, 3, 8, 8]]",
        "sample without TF32",
        "max_abs_err",
        "TF32 allowed",
    ] {
        assert!(text.contains(part), "{part} missing from\n{text}");
    }
    println!("{text}");
    // The simulated outputs at the sample shape are the engine's, TF32 included.
    let simulated = &module.simulated_outputs()[0];
    assert_eq!(simulated.dims(), [2, 4, 8, 8]);
    assert_eq!(simulated.dtype(), DType::F32);

    let off = convert(&Stem, &[&x], &options.clone().with_tf32(false))?;
    assert!(!off.meta().tf32);
    let report = off.verification().expect("on");
    assert!(report.exact.is_none());
    assert!(report.checks.iter().all(|c| !c.tf32));
    assert!(off.report().contains("TF32 off"));

    let unverified = convert(
        &Stem,
        &[&x],
        &ConversionOptions::default().with_verify(Verify::off()),
    )?;
    assert!(unverified.verification().is_none() && unverified.simulated_outputs().is_empty());
    Ok(())
}

/// A failure from a wrong shape names the op that produced it even with layer-wise localization
/// off (issue 18): a stride of 2 where the model has 1 shrinks the output, and the error names
/// `conv2d` at `stem`, not only the output.
#[test]
fn a_shape_failure_names_its_op_without_layerwise_localization() {
    let mut stride = with_fault(|n, d| {
        in_scope("stem", n, d, |d| match d {
            LayerDesc::Convolution(c) => {
                c.stride = [2, 2].into();
                true
            }
            _ => false,
        })
    });
    stride.verify.layerwise = false;
    caught(
        "stride, layerwise off",
        &Stem,
        image(3, 8),
        stride,
        "conv2d",
        "stem",
    );
}
