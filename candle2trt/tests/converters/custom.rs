//! Users' own converters (`TraceTensor::custom_op`): checked like the built-in ones.

use candle2trt::{
    convert, custom_op, ConversionOptions, CustomLayers, Error, Result, TraceModule, TraceTensor,
};
use candle_core::Tensor;
use trt::{ActivationType, ElementWiseOperation as Ew};

use crate::common::{check, check_dynamic_fp16, randn};

/// `clamp(x, lo, hi) · scale`: one Clip activation and one product, where the built-in ops would
/// take a clamp and an affine.
fn clamp_scale(lo: f32, hi: f32, scale: f64) -> impl candle2trt::CustomOp {
    custom_op(
        "clamp_scale",
        move |xs| xs[0].clamp(lo, hi)? * scale,
        move |layers: &CustomLayers<'_>, xs| {
            let clip = trt::Activation::new(xs[0], ActivationType::Clip).params(lo, hi);
            let clamped = layers.add(clip)?;
            let s = layers.scalar(scale, clamped)?;
            layers.add(trt::ElementWise::new(clamped, s, Ew::Prod))
        },
    )
}

struct ClampScaleNet;

impl TraceModule for ClampScaleNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let _scope = x.scope("head");
        x.custom_op(&[], &clamp_scale(-0.5, 0.5, 3.0))?.relu()
    }
}

/// A custom op converts, its layers are named after the op and the module path, and the traced
/// candle value is the closure's (what plain candle computes).
#[test]
fn custom_op_converts_and_is_named() -> Result<()> {
    let x = randn(&[2, 3, 4]);
    let module = check(&ClampScaleNet, std::slice::from_ref(&x))?;
    let custom: Vec<_> = module
        .layers()
        .iter()
        .filter(|l| l.op == "clamp_scale")
        .collect();
    // Clip, the scalar constant, the product.
    assert_eq!(custom.len(), 3, "{:?}", module.layers());
    assert!(custom.iter().all(|l| l.module_path == "head"), "{custom:?}");
    let expected = (x.clamp(-0.5f32, 0.5f32)? * 3.0)?.relu()?;
    let got = &module.reference_outputs()[0];
    assert_eq!(got.to_vec3::<f32>()?, expected.to_vec3::<f32>()?);
    Ok(())
}

/// Under fp16 and a dynamic batch: the scalar follows the network's type, the batch stays dynamic.
#[test]
fn custom_op_dynamic_fp16() -> Result<()> {
    check_dynamic_fp16(&ClampScaleNet, &[randn(&[1, 6])])?;
    Ok(())
}

/// A two-input custom op: `a · sigmoid(b)` (a gate), its operands in order.
#[test]
fn custom_op_with_two_inputs() -> Result<()> {
    crate::model_n!(Gate, |xs| xs[0].custom_op(&[&xs[1]], &gate_op()));
    fn gate_op() -> impl candle2trt::CustomOp {
        custom_op(
            "gate",
            |xs| xs[0] * candle_nn::ops::sigmoid(xs[1])?,
            |layers: &CustomLayers<'_>, xs| {
                let s = layers.add(trt::Activation::new(xs[1], ActivationType::Sigmoid))?;
                layers.add(trt::ElementWise::new(xs[0], s, Ew::Prod))
            },
        )
    }
    let (a, b) = (randn(&[2, 5]), randn(&[2, 5]));
    let plain = a.custom_op(&[&b], &gate_op())?;
    assert_eq!(
        plain.to_vec2::<f32>()?,
        (&a * candle_nn::ops::sigmoid(&b)?)?.to_vec2::<f32>()?
    );
    check(&Gate, &[a, b])?;
    Ok(())
}

/// A wrong converter — its layers keep the input's shape where candle's value is transposed — is
/// caught at that op: a typed error naming the custom op and its module path.
#[test]
fn wrong_custom_converter_is_caught() {
    struct Wrong;
    impl TraceModule for Wrong {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let _scope = x.scope("block");
            let transpose = custom_op(
                "my_transpose",
                |xs| xs[0].t(),
                |layers: &CustomLayers<'_>, xs| layers.add(trt::Identity::new(xs[0])),
            );
            x.custom_op(&[], &transpose)
        }
    }
    let err = convert(&Wrong, &[randn(&[2, 3])], &ConversionOptions::default())
        .expect_err("a wrong converter must fail");
    match &err {
        Error::ShapeMismatch {
            op,
            module_path,
            candle,
            tensorrt,
            ..
        } => {
            assert_eq!(op, "my_transpose");
            assert_eq!(module_path.to_string(), "block");
            assert_eq!(
                (candle.as_slice(), tensorrt.as_slice()),
                (&[3, 2][..], &[2, 3][..])
            );
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("my_transpose"), "{err}");
}

/// TensorRT refusing a custom op's layer is an error naming the custom op, with TensorRT's words.
#[test]
fn tensorrt_refusal_in_a_custom_op_names_it() {
    crate::model!(Refused, |x| {
        let bad = custom_op(
            "bad_product",
            |xs| Ok(xs[0].clone()),
            |layers: &CustomLayers<'_>, xs| {
                // A rank-1 constant against a rank-2 input: TensorRT refuses the element-wise layer.
                let c = layers.constant(&Tensor::ones(
                    7,
                    candle_core::DType::F32,
                    &crate::common::device(),
                )?)?;
                layers.add(trt::ElementWise::new(xs[0], c, Ew::Prod))
            },
        );
        x.custom_op(&[], &bad)
    });
    let err = convert(&Refused, &[randn(&[2, 3])], &ConversionOptions::default())
        .expect_err("TensorRT must refuse");
    assert_eq!(err.op(), Some("bad_product"), "{err:?}");
}

/// The escape hatch without a converter says where to write one.
#[test]
fn unsupported_op_points_to_custom_op() {
    crate::model!(Opaque, |x| x.apply_candle_fn("my_cumsum", |t| t.cumsum(1)));
    let err = convert(&Opaque, &[randn(&[2, 3])], &ConversionOptions::default())
        .expect_err("no converter");
    assert!(matches!(err, Error::UnsupportedOp { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("my_cumsum") && text.contains("custom_op"),
        "{text}"
    );
}
