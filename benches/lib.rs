//! Shared pieces of the benchmarks: the models under test, built with random weights (speed does not depend on the
//! values, and the benches then need no checkpoint), and the device to run candle on.

use anyhow::Result;
use candle2trt::DynTraceModel;
use candle2trt_models::models::simple_cnn::SimpleCnn;
use candle2trt_models::models::torchvision::{by_name, BoxedModel};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

/// The models benchmarked, by name: `simple_cnn`, `resnet18`, `mobilenet_v2`.
pub const MODELS: [&str; 3] = ["simple_cnn", "resnet18", "mobilenet_v2"];

/// Builds `name` with random weights of `dtype` on `device`; returns the model and the per-image input shape.
pub fn build(name: &str, dtype: DType, device: &Device) -> Result<(BoxedModel, [usize; 3])> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, dtype, device);
    Ok(match name {
        "simple_cnn" => (Box::new(SimpleCnn::new(vb)?), [3, 32, 32]),
        other => (by_name(other, vb)?, [3, 224, 224]),
    })
}

/// A random input batch.
pub fn input(image: [usize; 3], batch: usize, dtype: DType, device: &Device) -> Result<Tensor> {
    let [c, h, w] = image;
    Ok(Tensor::randn(0f32, 1f32, (batch, c, h, w), device)?.to_dtype(dtype)?)
}

/// The device candle runs on: CUDA device 0 when built with `cuda` and a GPU is present, else the CPU.
pub fn device() -> Device {
    if cfg!(feature = "cuda") {
        match Device::new_cuda(0) {
            Ok(d) => return d,
            Err(e) => {
                eprintln!("SKIPPED: candle CUDA unavailable ({e}); benchmarking candle on the CPU")
            }
        }
    }
    Device::Cpu
}

/// Runs the model once and waits for the device, so a timing loop measures finished work.
pub fn forward_synced<M: DynTraceModel + ?Sized>(model: &M, x: &Tensor) -> Result<Vec<Tensor>> {
    let out = model.forward_candle(std::slice::from_ref(x))?;
    x.device().synchronize()?;
    Ok(out)
}
