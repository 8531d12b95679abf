use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::Embedding;

use crate::common::{check, check_dynamic_fp16, ids, randn};

#[test]
fn index_select_with_index_input() -> Result<()> {
    model_n!(M, |xs| xs[0].index_select(&xs[1], 1));
    check(&M, &[randn(&[2, 6, 3]), ids(&[5, 0, 2, 2], &[4])])?;
    Ok(())
}

#[test]
fn index_select_with_parameter_indices() -> Result<()> {
    struct M(candle_core::Tensor);
    impl TraceModule for M {
        fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
            x.index_select(&x.parameter(&self.0)?, 0)
        }
    }
    check(&M(ids(&[1, 1, 0], &[3])), &[randn(&[2, 6])])?;
    Ok(())
}

#[test]
fn embedding() -> Result<()> {
    let emb = Embedding::new(randn(&[10, 4]), 4);
    check(&emb, &[ids(&[1, 9, 3, 0, 0, 2], &[2, 3])])?;
    Ok(())
}

#[test]
fn embedding_dynamic_batch() -> Result<()> {
    let emb = Embedding::new(randn(&[10, 4]), 4);
    check_dynamic_fp16(&emb, &[ids(&[1, 9, 3, 0, 0, 2], &[2, 3])])?;
    Ok(())
}
