//! `TrtModule::forward` on candle CUDA tensors (feature `cuda`, a CUDA device).
//!
//! The input checks (device, dtype, contiguity, shape within the profile) run for real on any
//! CUDA device. Running the engine needs a GPU TensorRT supports: on the H100 lent here
//! (compute capability 9.0) TensorRT-RTX refuses it, which must come back as a clean `Err` naming
//! the GPU; the test prints `SKIPPED: <reason>` for that refusal and for a missing CUDA device
//! only, and fails on any other error.
#![cfg(feature = "cuda")]

#[macro_use]
mod common;

use candle2trt::{convert, ConversionOptions, Error, Result, TrtModule};
use candle_core::{DType, Device, Tensor};

fn cuda_device() -> Option<Device> {
    match Device::new_cuda(0) {
        Ok(d) => Some(d),
        Err(e) => {
            common::skip(format!("no CUDA device: {e}"));
            None
        }
    }
}

fn module() -> Result<TrtModule> {
    model!(M, |x| x.relu()?.mul_scalar(2.0)?.sum_keepdim(1));
    let options = ConversionOptions::default()
        .with_input_names(["x"])
        .with_output_names(["y"])
        .with_dynamic_batch(1, 2, 4);
    convert(&M, &[common::randn(&[2, 5])], &options)
}

fn invalid_input_reason(r: Result<Vec<Tensor>>) -> String {
    match r {
        Err(Error::InvalidInput {
            index: 0,
            name,
            reason,
        }) => {
            assert_eq!(name, "x");
            reason
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn input_checks_run_on_cuda_tensors() -> Result<()> {
    let Some(dev) = cuda_device() else {
        return Ok(());
    };
    let m = module()?;
    let x = Tensor::randn(0f32, 1.0, (3, 5), &dev)?;

    let r = invalid_input_reason(m.forward(&[&x.to_dtype(DType::F16)?]));
    assert!(r.contains("dtype"), "{r}");
    let r = invalid_input_reason(m.forward(&[&Tensor::randn(0f32, 1.0, (5, 3), &dev)?.t()?]));
    assert!(r.contains("contiguous"), "{r}");
    let r = invalid_input_reason(m.forward(&[&Tensor::randn(0f32, 1.0, (8, 5), &dev)?]));
    assert!(r.contains("profile"), "{r}");
    let r = invalid_input_reason(m.forward(&[&Tensor::randn(0f32, 1.0, (3, 6), &dev)?]));
    assert!(r.contains("dimension 1"), "{r}");
    let r = invalid_input_reason(m.forward(&[&x.to_device(&Device::Cpu)?]));
    assert!(r.contains("CUDA"), "{r}");
    Ok(())
}

#[test]
fn forward_on_candle_cuda_tensors() -> Result<()> {
    let Some(dev) = cuda_device() else {
        return Ok(());
    };
    let m = module()?;
    for batch in [1, 3] {
        let x = Tensor::randn(0f32, 1.0, (batch, 5), &dev)?;
        let expected = x.relu()?.affine(2.0, 0.0)?.sum_keepdim(1)?;
        match m.forward(&[&x]) {
            Ok(outputs) => {
                assert_eq!(outputs.len(), 1);
                assert!(outputs[0].device().is_cuda());
                assert_eq!(outputs[0].dims(), [batch, 1]);
                let d = common::max_diff(
                    &outputs[0].to_device(&Device::Cpu)?,
                    &expected.to_device(&Device::Cpu)?,
                );
                assert!(
                    d < 1e-4,
                    "batch {batch}: TensorRT differs from candle by {d}"
                );
                println!("batch {batch}: TensorRT matches candle ({d:.2e})");
            }
            // The one known refusal (TensorRT-RTX on a compute capability it does not support,
            // such as the H100 lent here), checked at the first batch: any other error fails.
            Err(e) if batch == 1 && common::is_gpu_refusal(&e) => {
                common::skip(format!(
                    "TensorRT-RTX refuses to run engines on this GPU: {e}"
                ));
                return Ok(());
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    Ok(())
}
