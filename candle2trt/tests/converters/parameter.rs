use candle2trt::{Result, TraceModule, TraceTensor};

use crate::common::{check, randn};

#[test]
fn parameter_constant() -> Result<()> {
    struct M(candle_core::Tensor);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.broadcast_add(&x.parameter(&self.0)?)
        }
    }
    check(&M(randn(&[1, 4])), &[randn(&[3, 4])])?;
    Ok(())
}
