use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::Linear;

use crate::common::{check, check_dynamic_fp16, randn};

#[test]
fn matmul_batched() -> Result<()> {
    model_n!(M, |xs| xs[0].matmul(&xs[1]));
    check(&M, &[randn(&[2, 3, 4, 5]), randn(&[2, 3, 5, 6])])?;
    Ok(())
}

#[test]
fn matmul_2d() -> Result<()> {
    model_n!(M, |xs| xs[0].matmul(&xs[1]));
    check(&M, &[randn(&[4, 5]), randn(&[5, 6])])?;
    Ok(())
}

#[test]
fn broadcast_matmul() -> Result<()> {
    model_n!(M, |xs| xs[0].broadcast_matmul(&xs[1]));
    check(&M, &[randn(&[2, 3, 4, 5]), randn(&[5, 6])])?;
    Ok(())
}

#[test]
fn matmul_with_parameter() -> Result<()> {
    struct M(candle_core::Tensor);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.broadcast_matmul(&x.parameter(&self.0)?)
        }
    }
    check(&M(randn(&[5, 3])), &[randn(&[2, 4, 5])])?;
    Ok(())
}

fn linear(i: usize, o: usize, bias: bool) -> Linear {
    Linear::new(randn(&[o, i]), bias.then(|| randn(&[o])))
}

#[test]
fn linear_2d() -> Result<()> {
    let m = linear(16, 8, true);
    check(&m, &[randn(&[3, 16])])?;
    Ok(())
}

#[test]
fn linear_3d_no_bias() -> Result<()> {
    let m = linear(16, 8, false);
    check(&m, &[randn(&[2, 5, 16])])?;
    Ok(())
}

#[test]
fn linear_4d() -> Result<()> {
    let m = linear(16, 8, true);
    check(&m, &[randn(&[2, 3, 5, 16])])?;
    Ok(())
}

#[test]
fn linear_dynamic_batch_fp16() -> Result<()> {
    let m = linear(16, 8, true);
    check_dynamic_fp16(&m, &[randn(&[3, 5, 16])])?;
    Ok(())
}
