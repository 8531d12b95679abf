use candle2trt::Result;
use candle_core::D;

use crate::common::{check, check_dynamic_fp16, randn};

macro_rules! reduce_tests {
    ($($test:ident: |$x:ident| $body:expr;)*) => {$(
        #[test]
        fn $test() -> Result<()> {
            model!(M, |$x| $body);
            check(&M, &[randn(&[2, 3, 4, 5])])?;
            Ok(())
        }
    )*};
}

reduce_tests! {
    sum_keepdim: |x| x.sum_keepdim(2);
    sum: |x| x.sum((1, 3));
    mean_keepdim: |x| x.mean_keepdim((2, 3));
    mean: |x| x.mean(D::Minus1);
    max_keepdim: |x| x.max_keepdim(1);
    max: |x| x.max(D::Minus1);
    min_keepdim: |x| x.min_keepdim(3);
    min: |x| x.min(0);
    softmax: |x| x.softmax(1);
    softmax_last_dim: |x| x.softmax_last_dim();
    log_softmax: |x| x.log_softmax(D::Minus1);
}

#[test]
fn reductions_and_softmax_dynamic_batch_fp16() -> Result<()> {
    model!(M, |x| x
        .softmax_last_dim()?
        .log_softmax(2)?
        .mean_keepdim(3)?
        .sum(2)?
        .max_keepdim(1));
    check_dynamic_fp16(&M, &[randn(&[2, 3, 4, 5])])?;
    Ok(())
}
