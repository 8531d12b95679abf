use candle2trt::{ConversionOptions, Result, ShapeRange, TraceTensor};

use crate::common::{check, check_dynamic_fp16, check_with, randn};

/// `(batch, heads, tokens, head_dim)` query, key and value from one `(batch, tokens, 3·16)`
/// input: four heads of 4.
fn qkv<T: TraceTensor>(x: &T) -> Result<(T, T, T)> {
    let (b, s) = (x.dim(0)?, x.dim(1)?);
    let part = |i: usize| -> Result<T> {
        x.narrow(2, 16 * i, 16)?
            .reshape((b, s, 4, 4))?
            .transpose(1, 2)?
            .contiguous()
    };
    Ok((part(0)?, part(1)?, part(2)?))
}

#[test]
fn fused_attention() -> Result<()> {
    model!(M, |x| {
        let (q, k, v) = qkv(x)?;
        q.scaled_dot_product_attention(&k, &v, None, 0.5)
    });
    let m = check(&M, &[randn(&[2, 5, 48])])?;
    let kinds: Vec<&str> = m.layers().iter().map(|l| l.layer_type.as_str()).collect();
    assert!(
        kinds.contains(&"AttentionOutput") && !m.layers().iter().any(|l| l.op == "softmax"),
        "{kinds:?}"
    );
    check_dynamic_fp16(&M, &[randn(&[2, 5, 48])])?;
    Ok(())
}

#[test]
fn fused_attention_with_an_additive_mask_and_dynamic_tokens() -> Result<()> {
    // BERT's padding mask: (batch, 1, 1, kv_tokens), 0 or -10 000.
    model_n!(M, |xs| {
        let (q, k, v) = qkv(&xs[0])?;
        let mask = xs[1]
            .affine(10_000.0, -10_000.0)?
            .unsqueeze(1)?
            .unsqueeze(1)?;
        q.scaled_dot_product_attention(&k, &v, Some(&mask), 0.5)
    });
    let mask = candle_core::Tensor::new(
        &[[1f32, 1., 1., 0., 0.], [1., 1., 1., 1., 1.]],
        &crate::common::device(),
    )?;
    check(&M, &[randn(&[2, 5, 48]), mask.clone()])?;
    let range = |c| ShapeRange {
        min: vec![1, 1, c],
        opt: vec![2, 5, c],
        max: vec![4, 9, c],
    };
    let options = ConversionOptions {
        input_shapes: vec![
            Some(range(48)),
            Some(ShapeRange {
                min: vec![1, 1],
                opt: vec![2, 5],
                max: vec![4, 9],
            }),
        ],
        ..Default::default()
    };
    check_with(&M, &[randn(&[2, 5, 48]), mask.clone()], &options)?;
    // Under fp16 a masked attention is decomposed (TensorRT-RTX does not build it fused).
    let m = check_with(
        &M,
        &[randn(&[2, 5, 48]), mask],
        &ConversionOptions::default().with_fp16(true),
    )?;
    assert!(m
        .layers()
        .iter()
        .all(|l| !l.layer_type.starts_with("Attention")));
    Ok(())
}
