use candle2trt::{CmpOp, Result};
use candle_core::DType;

use crate::common::{check, check_dynamic_fp16, rand_pos, randn};

macro_rules! binary_tests {
    ($($test:ident: |$xs:ident| $body:expr, [$($input:expr),*];)*) => {$(
        #[test]
        fn $test() -> Result<()> {
            model_n!(M, |$xs| $body);
            check(&M, &[$($input),*])?;
            Ok(())
        }
    )*};
}

binary_tests! {
    add: |xs| xs[0].add(&xs[1]), [randn(&[2, 3, 4]), randn(&[2, 3, 4])];
    sub: |xs| xs[0].sub(&xs[1]), [randn(&[2, 3, 4]), randn(&[2, 3, 4])];
    mul: |xs| xs[0].mul(&xs[1]), [randn(&[2, 3, 4]), randn(&[2, 3, 4])];
    div: |xs| xs[0].div(&xs[1]), [randn(&[2, 3, 4]), rand_pos(&[2, 3, 4])];
    broadcast_add: |xs| xs[0].broadcast_add(&xs[1]), [randn(&[2, 3, 4]), randn(&[3, 1])];
    broadcast_sub: |xs| xs[0].broadcast_sub(&xs[1]), [randn(&[4]), randn(&[2, 3, 4])];
    broadcast_mul: |xs| xs[0].broadcast_mul(&xs[1]), [randn(&[2, 1, 4]), randn(&[2, 3, 1])];
    broadcast_div: |xs| xs[0].broadcast_div(&xs[1]), [randn(&[2, 3, 4]), rand_pos(&[1, 4])];
    broadcast_pow: |xs| xs[0].broadcast_pow(&xs[1]), [rand_pos(&[2, 3, 4]), randn(&[4])];
    broadcast_maximum: |xs| xs[0].broadcast_maximum(&xs[1]), [randn(&[2, 3, 4]), randn(&[3, 4])];
    broadcast_minimum: |xs| xs[0].broadcast_minimum(&xs[1]), [randn(&[2, 3, 4]), randn(&[2, 1, 1])];
    eq: |xs| xs[0].eq(&xs[1]), [randn(&[2, 5]).round().unwrap(), randn(&[2, 5]).round().unwrap()];
    ne: |xs| xs[0].ne(&xs[1]), [randn(&[2, 5]).round().unwrap(), randn(&[2, 5]).round().unwrap()];
    lt: |xs| xs[0].lt(&xs[1]), [randn(&[2, 5]), randn(&[2, 5])];
    le: |xs| xs[0].le(&xs[1]), [randn(&[2, 5]), randn(&[2, 5])];
    gt: |xs| xs[0].gt(&xs[1]), [randn(&[2, 5]), randn(&[2, 5])];
    ge: |xs| xs[0].ge(&xs[1]), [randn(&[2, 5]), randn(&[2, 5])];
    broadcast_ge: |xs| xs[0].broadcast_ge(&xs[1]), [randn(&[2, 5]), randn(&[5])];
    where_cond: |xs| xs[0].gt(&xs[1])?.where_cond(&xs[0], &xs[1]), [randn(&[2, 5]), randn(&[2, 5])];
}

#[test]
fn cmp_scalar_and_mask_arithmetic() -> Result<()> {
    // An attention-mask pattern: compare, cast the 0/1 mask to f32, scale, add.
    model!(M, |x| {
        let mask = x.cmp_scalar(0.0, CmpOp::Gt)?.to_dtype(DType::F32)?;
        x.add(&mask.affine(-1e4, 1e4)?)
    });
    check(&M, &[randn(&[2, 7])])?;
    Ok(())
}

#[test]
fn where_cond_from_u8_input() -> Result<()> {
    model_n!(M, |xs| xs[0].where_cond(&xs[1], &xs[2]));
    let cond = randn(&[2, 5]).gt(0.0).unwrap();
    check(&M, &[cond, randn(&[2, 5]), randn(&[2, 5])])?;
    Ok(())
}

#[test]
fn broadcast_binary_ops_with_dynamic_batch_fp16() -> Result<()> {
    model_n!(M, |xs| xs[0]
        .broadcast_add(&xs[1])?
        .broadcast_mul(&xs[0])?
        .broadcast_maximum(&xs[1]));
    // Input 1 has a dynamic batch too (dimension 0 of every input is dynamic).
    check_dynamic_fp16(&M, &[randn(&[2, 3, 4]), randn(&[2, 1, 4])])?;
    Ok(())
}
