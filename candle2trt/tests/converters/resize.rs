use candle2trt::Result;

use crate::common::{check, randn};

#[test]
fn upsample_nearest2d() -> Result<()> {
    model!(M, |x| x.upsample_nearest2d(10, 12));
    check(&M, &[randn(&[1, 3, 5, 4])])?;
    Ok(())
}

#[test]
fn upsample_bilinear2d() -> Result<()> {
    model!(M, |x| x.upsample_bilinear2d(9, 7, false));
    check(&M, &[randn(&[1, 2, 4, 5])])?;
    Ok(())
}

#[test]
fn upsample_bilinear2d_align_corners() -> Result<()> {
    model!(M, |x| x.upsample_bilinear2d(9, 7, true));
    check(&M, &[randn(&[1, 2, 4, 5])])?;
    Ok(())
}
