use candle2trt::Result;

use crate::common::{check, check_dynamic_fp16, rand_pos, randn};

macro_rules! unary_tests {
    ($($test:ident: |$x:ident| $body:expr, $input:expr;)*) => {$(
        #[test]
        fn $test() -> Result<()> {
            model!(M, |$x| $body);
            check(&M, &[$input])?;
            Ok(())
        }
    )*};
}

unary_tests! {
    affine: |x| x.affine(2.0, -1.0), randn(&[2, 8]);
    exp: |x| x.exp(), randn(&[2, 8]);
    log: |x| x.log(), rand_pos(&[2, 8]);
    sqrt: |x| x.sqrt(), rand_pos(&[2, 8]);
    rsqrt: |x| x.rsqrt(), rand_pos(&[2, 8]);
    sqr: |x| x.sqr(), randn(&[2, 8]);
    recip: |x| x.recip(), rand_pos(&[2, 8]);
    abs: |x| x.abs(), randn(&[2, 8]);
    neg: |x| x.neg(), randn(&[2, 8]);
    sin: |x| x.sin(), randn(&[2, 8]);
    cos: |x| x.cos(), randn(&[2, 8]);
    erf: |x| x.erf(), randn(&[2, 8]);
    powf: |x| x.powf(1.5), rand_pos(&[2, 8]);
    add_scalar: |x| x.add_scalar(3.0), randn(&[2, 8]);
    sub_scalar: |x| x.sub_scalar(3.0), randn(&[2, 8]);
    mul_scalar: |x| x.mul_scalar(3.0), randn(&[2, 8]);
    div_scalar: |x| x.div_scalar(3.0), randn(&[2, 8]);
    maximum_scalar: |x| x.maximum_scalar(0.1), randn(&[2, 8]);
    minimum_scalar: |x| x.minimum_scalar(0.1), randn(&[2, 8]);
}

#[test]
fn transcendental_ops_in_f16_with_dynamic_batch() -> Result<()> {
    model!(M, |x| x
        .exp()?
        .add_scalar(1.0)?
        .log()?
        .powf(0.5)?
        .erf()?
        .softplus());
    let m = check_dynamic_fp16(&M, &[randn(&[2, 8])])?;
    // The f32 policy puts casts around each transcendental op.
    assert!(m.layers().iter().filter(|l| l.layer_type == "Cast").count() >= 10);
    Ok(())
}

#[test]
fn fp32_policy_none_keeps_everything_in_f16() -> Result<()> {
    use candle2trt::{ConversionOptions, Fp32Policy};
    model!(M, |x| x.exp()?.softmax_last_dim()?.sum_keepdim(1));
    let options = ConversionOptions {
        fp16_mode: true,
        fp32_policy: Fp32Policy::none(),
        ..Default::default()
    };
    let m = crate::common::check_with(&M, &[randn(&[2, 8])], &options)?;
    let casts = m.layers().iter().filter(|l| l.layer_type == "Cast").count();
    assert_eq!(casts, 2, "only the input and output casts:\n{}", m.report());
    Ok(())
}
