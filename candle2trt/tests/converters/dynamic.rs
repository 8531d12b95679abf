//! Whole blocks under a dynamic batch: the shape-agnostic reshapes in context.

use candle2trt::{ConversionOptions, Error, Result, TraceModule, TraceTensor};
use candle_nn::{LayerNorm, Linear};

use crate::common::{check, check_dynamic_fp16, check_with, randn};

/// A transformer self-attention block written as a zoo model would be.
struct Attention {
    qkv: Linear,
    out: Linear,
    norm: LayerNorm,
    heads: usize,
}

impl TraceModule for Attention {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let (b, s, h) = (x.dim(0)?, x.dim(1)?, x.dim(2)?);
        let d = h / self.heads;
        let qkv = x.apply_named("qkv", &self.qkv)?;
        let qkv = qkv
            .reshape((b, s, 3, self.heads, d))?
            .permute((2, 0, 3, 1, 4))?;
        let part = |i| qkv.narrow(0, i, 1)?.squeeze(0)?.contiguous();
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let att = q
            .matmul(&k.t()?.contiguous()?)?
            .mul_scalar(1.0 / (d as f64).sqrt())?
            .softmax_last_dim()?;
        let y = att
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, s, h))?;
        let y = y.apply_named("out", &self.out)?;
        x.add(&y)?.apply_named("norm", &self.norm)
    }
}

fn attention() -> Attention {
    Attention {
        qkv: Linear::new(
            randn(&[48, 16]).affine(0.2, 0.0).unwrap(),
            Some(randn(&[48])),
        ),
        out: Linear::new(randn(&[16, 16]).affine(0.2, 0.0).unwrap(), None),
        norm: LayerNorm::new(randn(&[16]), randn(&[16]), 1e-5),
        heads: 4,
    }
}

#[test]
fn attention_block_static() -> Result<()> {
    check(&attention(), &[randn(&[2, 5, 16])])?;
    Ok(())
}

#[test]
fn attention_block_dynamic_batch_fp16() -> Result<()> {
    check_dynamic_fp16(&attention(), &[randn(&[2, 5, 16])])?;
    Ok(())
}

#[test]
fn reshape_that_bakes_the_batch_is_an_error() -> Result<()> {
    // (b · 5, 16) without a hole would fix the batch to the sample's 2.
    model!(M, |x| x.reshape((x.dim(0)? * 5, 16)));
    let err = check_dynamic_fp16(&M, &[randn(&[2, 5, 16])]).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedArguments { ref op, .. } if op == "reshape"),
        "{err}"
    );
    assert!(err.to_string().contains("hole"), "{err}");
    Ok(())
}

#[test]
fn reduction_over_the_batch_is_reported() -> Result<()> {
    model!(M, |x| x.sum_keepdim(0));
    let err = check_dynamic_fp16(&M, &[randn(&[2, 5])]).unwrap_err();
    assert!(
        matches!(err, Error::DynamicShapeLost { ref op, .. } if op == "sum_keepdim"),
        "{err}"
    );
    Ok(())
}

#[test]
fn batch_one_samples_are_traced_at_a_distinct_size() -> Result<()> {
    // Merge the batch into rows, then split it out again with the batch read from the input:
    // at batch 1 the split's leading 1 would be indistinguishable from a unit dimension.
    model!(M, |x| {
        let b = x.dim(0)?;
        x.reshape(((), 20))?.reshape((b, (), 4))
    });
    let m = check_dynamic_fp16(&M, &[randn(&[1, 3, 20])])?;
    assert_eq!(m.outputs()[0].dims, [-1, 15, 4]);
    assert_eq!(m.reference_outputs()[0].dims(), [1, 15, 4]);
    Ok(())
}

#[test]
fn batch_moved_to_another_axis_stays_dynamic_there() -> Result<()> {
    // The dynamic batch ends up on axis 1: the engine's `-1` follows it there.
    model!(M, |x| x.transpose(0, 1)?.relu());
    let options = ConversionOptions::default().with_dynamic_batch(1, 2, 8);
    let m = check_with(&M, &[randn(&[2, 5])], &options)?;
    assert_eq!(m.outputs()[0].dims, [5, -1]);
    Ok(())
}

/// A table sliced to a dynamic sequence length (BERT's position embeddings): `narrow_like`
/// keeps the length dynamic, where `narrow(0, 0, x.dim(1)?)` would fix it to the traced size
/// (and `check_with` would fail on the static output dimension).
#[test]
fn narrow_like_follows_a_dynamic_sequence_length() -> Result<()> {
    struct M(candle_core::Tensor);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            let table = x.parameter(&self.0)?.narrow_like(0, 0, x, 1)?;
            x.broadcast_add(&table)
        }
    }
    let options = ConversionOptions {
        input_shapes: vec![Some(candle2trt::ShapeRange {
            min: vec![1, 1, 8],
            opt: vec![2, 5, 8],
            max: vec![4, 16, 8],
        })],
        ..Default::default()
    };
    let m = check_with(&M(randn(&[20, 8])), &[randn(&[2, 5, 8])], &options)?;
    assert_eq!(m.outputs()[0].dims, [-1, -1, 8]);
    // Static input: the plain slice.
    check(&M(randn(&[20, 8])), &[randn(&[2, 5, 8])])?;
    Ok(())
}
