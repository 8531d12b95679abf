use candle2trt::Result;
use candle_core::{DType, D};

use crate::common::{check, check_dynamic_fp16, randn};

macro_rules! shape_tests {
    ($($test:ident: |$x:ident| $body:expr, $input:expr;)*) => {$(
        #[test]
        fn $test() -> Result<()> {
            model!(M, |$x| $body);
            check(&M, &[$input])?;
            Ok(())
        }
    )*};
}

shape_tests! {
    reshape: |x| x.reshape((6, 20)), randn(&[2, 3, 4, 5]);
    reshape_with_hole: |x| x.reshape((2, (), 5)), randn(&[2, 3, 4, 5]);
    flatten_from: |x| x.flatten_from(1), randn(&[2, 3, 4, 5]);
    flatten_all: |x| x.flatten_all(), randn(&[2, 3, 4]);
    squeeze: |x| x.squeeze(1), randn(&[2, 1, 4]);
    squeeze_non_unit_is_noop: |x| x.squeeze(0)?.relu(), randn(&[2, 1, 4]);
    unsqueeze: |x| x.unsqueeze(1), randn(&[2, 4]);
    unsqueeze_last: |x| x.unsqueeze(D::Minus1), randn(&[2, 4]);
    transpose: |x| x.transpose(1, 3), randn(&[2, 3, 4, 5]);
    t: |x| x.t(), randn(&[2, 3, 4]);
    permute: |x| x.permute((0, 2, 3, 1)), randn(&[2, 3, 4, 5]);
    narrow: |x| x.narrow(2, 1, 2), randn(&[2, 3, 4, 5]);
    chunk: |x| {
        let c = x.chunk(3, 1)?;
        T::cat(&[&c[2], &c[0], &c[1]], 1)
    }, randn(&[2, 7, 3]);
    cat: |x| T::cat(&[x, &x.relu()?, x], D::Minus1), randn(&[2, 3, 4]);
    stack: |x| T::stack(&[x, &x.neg()?], 1), randn(&[2, 3, 4]);
    to_dtype_f16_roundtrip: |x| x.to_dtype(DType::F16)?.relu()?.to_dtype(DType::F32), randn(&[2, 8]);
    contiguous: |x| x.transpose(0, 1)?.contiguous(), randn(&[2, 8]);
    pad_with_zeros: |x| x.pad_with_zeros(D::Minus1, 2, 1), randn(&[2, 3, 4]);
}

#[test]
fn shape_ops_with_dynamic_batch_fp16() -> Result<()> {
    // Every op keeps dimension 0 dynamic: reshapes copy it or put it in the hole, slices get
    // their size from a shape tensor.
    model!(M, |x| {
        let b = x.dim(0)?;
        let y = x.reshape((b, 3, 20))?; // copies the batch
        let y = y.reshape(((), 20))?; // batch · 3 in the hole
        let y = y.reshape((b, (), 4))?;
        let y = y.narrow(1, 1, 10)?.pad_with_zeros(2, 1, 1)?;
        let c = y.chunk(2, 1)?;
        let y = T::cat(&[&c[1], &c[0]], 1)?;
        let y = T::stack(&[&y, &y], 1)?
            .narrow(1, 0, 1)?
            .squeeze(1)?
            .unsqueeze(1)?;
        y.permute((0, 2, 1, 3))?.transpose(2, 3)?.flatten_from(1)
    });
    check_dynamic_fp16(&M, &[randn(&[2, 3, 4, 5])])?;
    Ok(())
}
