//! The CPU simulation of a converted network (`trt-sim`, what `convert`'s verification runs)
//! against a plain candle CPU forward of the same model: ResNet-50 and MobileNetV2, f32, batch 1,
//! 224×224, random weights.
//!
//! ```text
//! cargo bench -p candle2trt-benches --bench simulation
//! ```
//!
//! The simulated network is the one TensorRT holds: batch norms folded into the convolutions, so
//! it has fewer layers than candle's forward. `trt_sim/tf32` rounds every convolution and
//! matrix-multiply input to TF32 (the engine as built by default); `trt_sim/f32` does not.
//!
//! Before criterion's groups, each model is also timed back to back — candle, simulation with TF32,
//! without, in turn, several rounds — and the medians and their ratios printed (`quick:` lines): on a
//! shared machine, a ratio of interleaved runs is steadier than medians taken minutes apart.

use std::time::{Duration, Instant};

use candle2trt::{with_network, ConversionOptions};
use candle2trt_benches::{build, input};
use candle_core::{DType, Device};
use criterion::{criterion_group, criterion_main, Criterion};
use trt_sim::{Program, RunOptions};

/// The models compared.
const MODELS: [&str; 2] = ["resnet50", "mobilenet_v2"];

/// Rounds of the back-to-back timing.
const QUICK_ROUNDS: usize = 5;

fn options(tf32: bool) -> RunOptions {
    RunOptions {
        tf32,
        keep_all: false,
        ..Default::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn simulation(c: &mut Criterion) {
    let dev = Device::Cpu;
    for name in MODELS {
        let (model, image) = build(name, DType::F32, &dev).expect("model builds");
        let x = input(image, 1, DType::F32, &dev).expect("input");
        let candle = || {
            model
                .forward_candle(std::slice::from_ref(&x))
                .expect("candle forward")
        };
        with_network(&*model, &[&x], &ConversionOptions::default(), |network| {
            let program = Program::from_network(network, None).expect("read back");
            let sim = |tf32: bool| {
                program
                    .run(std::slice::from_ref(&x), &options(tf32))
                    .expect("simulation")
            };
            // Warm-up (allocations, rayon's pool), then interleaved rounds.
            candle();
            sim(true);
            let mut times = [Vec::new(), Vec::new(), Vec::new()];
            for _ in 0..QUICK_ROUNDS {
                let t = Instant::now();
                candle();
                times[0].push(t.elapsed().as_secs_f64());
                for (i, tf32) in [(1, true), (2, false)] {
                    let t = Instant::now();
                    sim(tf32);
                    times[i].push(t.elapsed().as_secs_f64());
                }
            }
            let [tc, tt, tf] = times.map(median);
            eprintln!(
                "quick: {name} f32 batch 1, median of {QUICK_ROUNDS} interleaved rounds: candle_cpu \
                 {tc:.3} s, trt_sim/tf32 {tt:.3} s ({:.2}x), trt_sim/f32 {tf:.3} s ({:.2}x)",
                tt / tc,
                tf / tc
            );

            let mut group = c_group(c, name);
            group.bench_function("candle_cpu", |b| b.iter(candle));
            for (label, tf32) in [("trt_sim/tf32", true), ("trt_sim/f32", false)] {
                group.bench_function(label, |b| b.iter(|| sim(tf32)));
            }
            group.finish();
        })
        .expect("trace");
    }
}

/// The criterion group of one model: few samples (a forward takes a large fraction of a second).
fn c_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(format!("{name}_f32_batch1"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group
}

criterion_group!(benches, simulation);
criterion_main!(benches);
