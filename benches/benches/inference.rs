//! candle vs the TensorRT engine, per model × batch × precision; engine build time.
//!
//! ```text
//! cargo bench -p candle2trt-benches                      # candle on the CPU, engine builds
//! cargo bench -p candle2trt-benches --features cuda      # candle CUDA and, where TensorRT can run, the engine
//! ```
//!
//! Where the engine cannot run (no GPU, or a GPU TensorRT-RTX refuses, such as an H100), the TensorRT rows print
//! `SKIPPED:` with TensorRT's reason and are left out.

use std::time::{Duration, Instant};

use candle2trt::{convert, ConversionOptions, TrtModule};
use candle2trt_benches::{build, device, forward_synced, input, MODELS};
use candle_core::{DType, Device};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BATCHES: [usize; 2] = [1, 8];

fn precisions(device: &Device) -> Vec<(&'static str, DType)> {
    // candle's CPU convolutions have no f16 kernels worth timing; on CUDA both precisions are compared.
    if device.is_cuda() {
        vec![("f32", DType::F32), ("f16", DType::F16)]
    } else {
        vec![("f32", DType::F32)]
    }
}

fn inference(c: &mut Criterion) {
    let dev = device();
    let mut group = c.benchmark_group(if dev.is_cuda() {
        "candle_cuda"
    } else {
        "candle_cpu"
    });
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for name in MODELS {
        for (prec, dtype) in precisions(&dev) {
            let (model, image) = build(name, dtype, &dev).expect("model builds");
            for batch in BATCHES {
                let x = input(image, batch, dtype, &dev).expect("input");
                group.throughput(Throughput::Elements(batch as u64));
                group.bench_with_input(
                    BenchmarkId::new(format!("{name}/{prec}"), batch),
                    &x,
                    |b, x| {
                        b.iter_custom(|iters| {
                            let start = Instant::now();
                            for _ in 0..iters {
                                forward_synced(&*model, x).expect("candle forward");
                            }
                            start.elapsed()
                        })
                    },
                );
            }
        }
    }
    group.finish();

    let mut group = c.benchmark_group("tensorrt");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for name in MODELS {
        for (prec, dtype) in [("f32", DType::F32), ("f16", DType::F16)] {
            for batch in BATCHES {
                let Some((engine, x)) = engine_for(name, dtype, batch, &dev) else {
                    continue;
                };
                group.throughput(Throughput::Elements(batch as u64));
                group.bench_with_input(
                    BenchmarkId::new(format!("{name}/{prec}"), batch),
                    &x,
                    |b, x| {
                        b.iter_custom(|iters| {
                            let start = Instant::now();
                            for _ in 0..iters {
                                engine
                                    .forward(std::slice::from_ref(x))
                                    .expect("engine forward");
                            }
                            x.device().synchronize().expect("synchronize");
                            start.elapsed()
                        })
                    },
                );
            }
        }
    }
    group.finish();
}

/// Converts `name` for `batch` and checks that the engine runs here; `None` (with the reason printed) otherwise.
fn engine_for(
    name: &str,
    dtype: DType,
    batch: usize,
    dev: &Device,
) -> Option<(TrtModule, candle_core::Tensor)> {
    let (model, image) = build(name, DType::F32, &Device::Cpu).expect("model builds");
    let sample = input(image, batch, DType::F32, &Device::Cpu).expect("input");
    let options = ConversionOptions {
        fp16_mode: dtype == DType::F16,
        ..Default::default()
    };
    let engine = match convert(&*model, std::slice::from_ref(&sample), &options) {
        Ok(e) => e,
        Err(e) => {
            println!("SKIPPED: tensorrt {name} batch {batch}: conversion failed: {e}");
            return None;
        }
    };
    let x = match sample.to_device(dev) {
        Ok(x) => x,
        Err(e) => {
            println!("SKIPPED: tensorrt {name}: input to device: {e}");
            return None;
        }
    };
    match engine.forward(std::slice::from_ref(&x)) {
        Ok(_) => Some((engine, x)),
        Err(e) => {
            println!("SKIPPED: tensorrt {name} batch {batch}: the engine cannot run here: {e}");
            None
        }
    }
}

fn engine_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_build");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for name in MODELS {
        let (model, image) = build(name, DType::F32, &Device::Cpu).expect("model builds");
        let x = input(image, 1, DType::F32, &Device::Cpu).expect("input");
        for (prec, fp16_mode) in [("f32", false), ("f16", true)] {
            let options = ConversionOptions {
                fp16_mode,
                ..Default::default()
            };
            group.bench_function(BenchmarkId::new(name, prec), |b| {
                b.iter(|| convert(&*model, std::slice::from_ref(&x), &options).expect("conversion"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, inference, engine_build);
criterion_main!(benches);
