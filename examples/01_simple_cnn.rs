//! # 01 — SimpleCNN: PyTorch weights → candle → TensorRT engine
//!
//! The project brief's model, end to end:
//!
//! ```python
//! class SimpleCNN(nn.Module):          # PyTorch
//!     def __init__(self):
//!         self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
//!         self.relu = nn.ReLU()
//!         self.pool = nn.MaxPool2d(2)
//!         self.fc = nn.Linear(16 * 16 * 16, 10)
//!     def forward(self, x):
//!         x = self.pool(self.relu(self.conv1(x)))
//!         return self.fc(x.view(x.size(0), -1))
//!
//! model_trt = torch2trt(model, [x], fp16_mode=True,
//!                       input_names=["input_tensor"], output_names=["output_tensor"])
//! ```
//!
//! 1. The model is written once, generic over [`TraceTensor`]: the same code runs as plain
//!    candle and under candle2trt's tracer.
//! 2. Its weights come from the PyTorch checkpoint (read by `torch-weights`, no Python).
//! 3. Plain candle checks itself against PyTorch's reference output (`io.safetensors`).
//! 4. `candle2trt::convert` traces it and builds a TensorRT engine (fp16, named I/O, dynamic
//!    batch 1..8), saved to `simple_cnn.engine` (or the path given as the first argument;
//!    `--fp32` builds an f32 engine instead, `--no-tf32` clears TF32 for it). The network
//!    TensorRT holds is simulated on the CPU while converting: `simulated_max_abs_err` is the
//!    engine's expected error against PyTorch, at the sample's batch and the profile's 1 and 8.
//! 5. Where a TensorRT-capable GPU exists (feature `cuda`), the engine runs on candle CUDA
//!    tensors and is compared with candle; elsewhere the example says why it could not.
//!
//! Run: `cargo run --release -p candle2trt-examples --example 01_simple_cnn [engine path] [--fp32] [--no-tf32]`
//! (`cargo xtask demo`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use candle2trt::{convert, ConversionOptions, Result, TraceModule, TraceTensor, TrtModule};
use candle2trt_examples::fixtures::print_simulated;
use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};

/// The brief's SimpleCNN, with PyTorch's layer names (`conv1`, `fc`).
struct SimpleCnn {
    conv1: Conv2d,
    fc: Linear,
}

impl SimpleCnn {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        let padding_1 = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(Self {
            conv1: candle_nn::conv2d(3, 16, 3, padding_1, vb.pp("conv1"))?,
            fc: candle_nn::linear(16 * 16 * 16, 10, vb.pp("fc"))?,
        })
    }
}

impl TraceModule for SimpleCnn {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("conv1", &self.conv1)?.relu()?.max_pool2d(2)?;
        let batch = x.dim(0)?;
        // x.view(x.size(0), -1): under a dynamic batch the tracer keeps dimension 0 dynamic.
        x.reshape((batch, ()))?.apply_named("fc", &self.fc)
    }
}

/// Maximum absolute difference, computed in f32 on the CPU.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> anyhow::Result<f32> {
    let a = a.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
    let b = b.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
    Ok((a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?)
}

/// The brief's bound on candle's error against PyTorch.
const TOLERANCE: f32 = 1e-4;

fn main() -> ExitCode {
    // TensorRT's log (target `tensorrt`) through `tracing`: `RUST_LOG=tensorrt=info` for more.
    candle2trt_examples::init_logging();
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let switch = |name: &str| args.iter().any(|a| a == name);
    let fp16 = !switch("--fp32");
    let engine_path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("simple_cnn.engine"));
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with("--") && !["--fp16", "--fp32", "--no-tf32"].contains(&a.as_str()))
    {
        anyhow::bail!("unknown option {unknown} (known: --fp16 (default), --fp32, --no-tf32)");
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/simple_cnn");

    // PyTorch's reference: input 1×3×32×32 and the logits PyTorch computed (f32, CPU).
    let io = candle_core::safetensors::load(fixtures.join("io.safetensors"), &Device::Cpu)?;
    let input = io
        .get("input")
        .context("io.safetensors: no `input`")?
        .clone();
    let reference = io
        .get("output")
        .context("io.safetensors: no `output`")?
        .clone();

    // The weights PyTorch saved (`torch.save(model.state_dict())` as safetensors); the same
    // weights load from `model.pt` or the legacy `model_legacy_format.pt`.
    let weights = fixtures.join("model.safetensors");
    let vb = torch_weights::open(&weights)
        .with_context(|| format!("reading {}", weights.display()))?
        .var_builder(DType::F32, &Device::Cpu);
    let model = SimpleCnn::new(vb)?;

    let candle_out = model.forward(&input)?;
    let candle_error = max_abs_diff(&candle_out, &reference)?;
    println!(
        "candle (CPU, f32) vs PyTorch: max abs error {candle_error:.3e} (tolerance {TOLERANCE:.0e})"
    );

    // torch2trt(model, [x], fp16_mode=True, input_names=[...], output_names=[...])
    let options = ConversionOptions {
        fp16_mode: fp16,
        tf32: !switch("--no-tf32"),
        input_names: vec!["input_tensor".into()],
        output_names: vec!["output_tensor".into()],
        max_workspace: Some(1 << 28),
        ..Default::default()
    }
    .with_dynamic_batch(1, 1, 8);
    let started = Instant::now();
    let trt_model = convert(&model, &[&input], &options)?;
    let conversion_time = started.elapsed();
    trt_model.save(&engine_path)?;

    let layers = trt_model.layers();
    let folded = layers.iter().filter(|l| l.folded_into.is_some()).count();
    // One traced op (conv2d, relu, ...) adds one or more layers named `<path>/<op>_<n>[.k]`.
    let mut ops: Vec<String> = layers
        .iter()
        .filter(|l| !l.op.ends_with("/cast"))
        .map(|l| {
            let last = l.name.rsplit('/').next().unwrap_or(&l.name);
            format!(
                "{}/{}",
                l.module_path,
                last.split('.').next().unwrap_or(last)
            )
        })
        .collect();
    ops.dedup();
    println!(
        "layers converted: {} model ops -> {} TensorRT layers ({folded} folded), incl. fp16 casts at the I/O",
        ops.len(),
        layers.len()
    );
    for l in layers {
        println!("  {:<24} {:<15} {}", l.name, l.layer_type, l.op);
    }
    for io in trt_model.inputs().iter().chain(trt_model.outputs()) {
        println!("  I/O {:<14} {:?} {:?}", io.name, io.dtype, io.dims);
    }
    println!(
        "engine: {} ({} bytes, TensorRT {}, {})",
        engine_path.display(),
        trt_model.engine_bytes().len(),
        trt_model.tensorrt_version(),
        trt_model.precision().as_str()
    );
    match trt_model.conversion_times() {
        Some((trace, build)) => println!(
            "conversion time: {:.3} s (trace {:.3} s, engine build {:.3} s)",
            conversion_time.as_secs_f64(),
            trace.as_secs_f64(),
            build.as_secs_f64()
        ),
        None => println!("conversion time: {:.3} s", conversion_time.as_secs_f64()),
    }

    print_simulated(&trt_model, &[&reference])?;
    run_engine(&engine_path, &model, &input)?;

    if candle_error <= TOLERANCE {
        println!("OK: candle matches PyTorch within {TOLERANCE:.0e}");
        Ok(true)
    } else {
        println!("FAILED: candle differs from PyTorch by {candle_error:.3e} > {TOLERANCE:.0e}");
        Ok(false)
    }
}

/// Runs the saved engine on candle CUDA tensors where that is possible.
fn run_engine(
    engine_path: &std::path::Path,
    model: &SimpleCnn,
    input: &Tensor,
) -> anyhow::Result<()> {
    let device = match Device::cuda_if_available(0) {
        Ok(d @ Device::Cuda(_)) => d,
        _ => {
            println!(
                "engine not run: {}",
                if cfg!(feature = "cuda") {
                    "no CUDA device found"
                } else {
                    "this build has no CUDA support (rebuild with `--features cuda` on a machine \
                     with an NVIDIA GPU that TensorRT supports)"
                }
            );
            return Ok(());
        }
    };
    let engine = TrtModule::load(engine_path)?;
    let x = input.to_device(&device)?;
    // The model's weights live on the CPU; its candle output there is the reference.
    let expected = model.forward(input)?;
    let outputs = match engine.forward(&[&x]) {
        Ok(o) => o,
        Err(e) => {
            println!("engine not run: {e}");
            return Ok(());
        }
    };
    let error = max_abs_diff(&outputs[0].to_device(&Device::Cpu)?, &expected)?;
    println!("TensorRT (fp16) vs candle (CPU, f32): max abs error {error:.3e}");
    let iterations = 200;
    for _ in 0..10 {
        engine.forward(&[&x])?;
    }
    device.synchronize()?;
    let started = Instant::now();
    for _ in 0..iterations {
        engine.forward(&[&x])?;
    }
    device.synchronize()?;
    let latency = started.elapsed().as_secs_f64() / iterations as f64;
    println!("TensorRT latency (batch 1): {:.3} ms", latency * 1e3);
    Ok(())
}
