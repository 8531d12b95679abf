//! The CPU simulation of a converted network (`trt-sim`, what `convert`'s verification runs)
//! against a plain candle CPU forward of the same model: ResNet-50, f32, batch 1, random weights.
//!
//! ```text
//! cargo bench -p candle2trt-benches --bench simulation
//! ```
//!
//! The simulated network is the one TensorRT holds: batch norms folded into the convolutions, so
//! it has fewer layers than candle's forward. `trt_sim/tf32` rounds every convolution and
//! matrix-multiply input to TF32 (the engine as built by default); `trt_sim/f32` does not.

use std::time::Duration;

use candle2trt::{with_network, ConversionOptions};
use candle2trt_benches::{build, input};
use candle_core::{DType, Device};
use criterion::{criterion_group, criterion_main, Criterion};
use trt_sim::{Program, RunOptions};

fn simulation(c: &mut Criterion) {
    let dev = Device::Cpu;
    let (model, image) = build("resnet50", DType::F32, &dev).expect("resnet50 builds");
    let x = input(image, 1, DType::F32, &dev).expect("input");
    let mut group = c.benchmark_group("resnet50_f32_batch1");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("candle_cpu", |b| {
        b.iter(|| {
            model
                .forward_candle(std::slice::from_ref(&x))
                .expect("candle forward")
        })
    });
    with_network(&*model, &[&x], &ConversionOptions::default(), |network| {
        let program = Program::from_network(network, None).expect("read back");
        for (name, tf32) in [("trt_sim/tf32", true), ("trt_sim/f32", false)] {
            let options = RunOptions {
                tf32,
                keep_all: false,
                ..Default::default()
            };
            group.bench_function(name, |b| {
                b.iter(|| {
                    program
                        .run(std::slice::from_ref(&x), &options)
                        .expect("simulation")
                })
            });
        }
    })
    .expect("trace");
    group.finish();
}

criterion_group!(benches, simulation);
criterion_main!(benches);
