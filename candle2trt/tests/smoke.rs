//! Smoke test: SimpleCNN-shaped model, fp16, dynamic batch.

use candle2trt::{convert, ConversionOptions, Result, TraceModule, TraceTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear};

struct SimpleCnn {
    conv: Conv2d,
    fc: Linear,
}

impl TraceModule for SimpleCnn {
    fn forward<T: TraceTensor>(&self, xs: &T) -> Result<T> {
        let xs = xs.apply_named("conv", &self.conv)?.relu()?.max_pool2d(2)?;
        let b = xs.dim(0)?;
        xs.reshape((b, ()))?.apply_named("fc", &self.fc)
    }
}

#[test]
fn smoke() -> Result<()> {
    let dev = Device::Cpu;
    let w = Tensor::randn(0f32, 0.1, (16, 3, 3, 3), &dev)?;
    let b = Tensor::randn(0f32, 0.1, 16, &dev)?;
    let conv = Conv2d::new(
        w,
        Some(b),
        Conv2dConfig {
            padding: 1,
            ..Default::default()
        },
    );
    let fc = Linear::new(
        Tensor::randn(0f32, 0.1, (10, 4096), &dev)?,
        Some(Tensor::zeros(10, DType::F32, &dev)?),
    );
    let m = SimpleCnn { conv, fc };
    let x = Tensor::randn(0f32, 1.0, (1, 3, 32, 32), &dev)?;
    let plain = m.forward(&x)?;
    let opts = ConversionOptions::default()
        .with_fp16(true)
        .with_dynamic_batch(1, 4, 8);
    let module = convert(&m, &[x], &opts)?;
    println!("{}", module.report());
    let diff = (module.reference_outputs()[0].clone() - plain)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    assert_eq!(diff, 0.0);
    Ok(())
}
