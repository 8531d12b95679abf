//! Tracing that does not surprise: the size dynamic dimensions are traced at, and what errors
//! say about it.

use std::cell::RefCell;

use candle2trt::{convert, ConversionOptions, Error, Result, TraceModule, TraceTensor};

use crate::common::{check_with, randn};

/// Records the batch size each forward saw.
#[derive(Default)]
struct SeesBatch(RefCell<Vec<usize>>);

impl TraceModule for SeesBatch {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        self.0.borrow_mut().push(x.dim(0)?);
        let b = x.dim(0)?;
        x.relu()?.reshape((b, ()))
    }
}

/// A batch-1 sample with 3 channels is traced at batch 2 (the smallest size that is neither the
/// sample's nor a static dimension), not 5.
#[test]
fn batch_one_is_traced_at_two() -> Result<()> {
    let model = SeesBatch::default();
    let options = ConversionOptions::default().with_dynamic_batch(1, 1, 8);
    check_with(&model, &[randn(&[1, 3, 4, 4])], &options)?;
    // The plain run of `check_with` first, then the trace.
    assert_eq!(model.0.borrow()[1], 2, "{:?}", model.0.borrow());
    // A static dimension of 2 moves it to 3.
    let model = SeesBatch::default();
    check_with(&model, &[randn(&[1, 2, 4, 4])], &options)?;
    assert_eq!(model.0.borrow()[1], 3, "{:?}", model.0.borrow());
    Ok(())
}

/// A sample at the top of the profile is traced smaller; the reference outputs (checked against
/// plain candle by `check_with`) are still the sample's.
#[test]
fn sample_at_the_profile_maximum_is_traced_smaller() -> Result<()> {
    let model = SeesBatch::default();
    let options = ConversionOptions::default().with_dynamic_batch(1, 4, 4);
    let module = check_with(&model, &[randn(&[4, 3, 5, 5])], &options)?;
    assert_eq!(model.0.borrow()[1], 2, "{:?}", model.0.borrow());
    assert_eq!(module.reference_outputs()[0].dims(), [4, 75]);
    Ok(())
}

/// A reshape that hard-codes the sample's batch fails at that op (it used to pass for the
/// dynamic batch because the batch-8 sample was traced at 8); the message shows the user's
/// shapes, the traced size, and how to write the reshape.
#[test]
fn hard_coded_batch_fails_with_the_users_shapes() {
    crate::model!(HardCoded, |x| x.reshape((8, 48)));
    let options = ConversionOptions::default().with_dynamic_batch(1, 8, 16);
    let err = convert(&HardCoded, &[randn(&[8, 3, 4, 4])], &options)
        .expect_err("a hard-coded batch must not pass for the dynamic one");
    assert!(
        matches!(&err, Error::CandleOp { op, .. } if op == "reshape"),
        "{err:?}"
    );
    let text = err.to_string();
    println!("{text}");
    for part in [
        "[11, 3, 4, 4]",
        "sample's sizes: [8, 3, 4, 4]",
        "8 traced as 11",
        "x.dim(0)?",
        "hole `()`",
    ] {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

/// A reshape that would fix the dynamic batch is refused with how to write it, and the user's
/// shapes.
#[test]
fn reshape_fixing_the_batch_says_how_to_write_it() {
    // (B, 3, 4, 4) -> (B·3, 16) with the product written from the sample: no hole, the batch
    // moves into a merged dimension.
    crate::model!(Merged, |x| {
        let b = x.dim(0)?;
        x.reshape((b * 3, 16))
    });
    let options = ConversionOptions::default().with_dynamic_batch(1, 1, 8);
    let err = convert(&Merged, &[randn(&[1, 3, 4, 4])], &options).expect_err("refused");
    assert!(
        matches!(&err, Error::UnsupportedArguments { op, .. } if op == "reshape"),
        "{err:?}"
    );
    let text = err.to_string();
    println!("{text}");
    for part in [
        "leave a hole",
        "sample's sizes: [1, 3, 4, 4]",
        "1 traced as 2",
    ] {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

/// An op the model did not scope is found by the module it follows.
#[test]
fn unscoped_op_is_named_after_the_last_module() {
    crate::model!(AfterBlock, |x| {
        let y = {
            let _scope = x.scope("features");
            let _inner = x.scope("3");
            x.relu()?
        };
        y.reshape((5, ()))
    });
    let err = convert(
        &AfterBlock,
        &[randn(&[2, 3])],
        &ConversionOptions::default(),
    )
    .expect_err("6 elements do not reshape to 5 rows");
    assert!(
        matches!(&err, Error::CandleOp { op, module_path, .. }
            if op == "reshape" && module_path.to_string() == "<root>, after features.3"),
        "{err:?}"
    );
}
