//! GPU smoke test: build a conv+ReLU engine, deserialize it, create an execution context and enqueue,
//! printing each step's `Result`. On a GPU TensorRT-RTX does not support (e.g. an H100, compute capability
//! 9.0) deserialization fails, and that refusal must come back as a clean `Err`; this program prints it.
//!
//! Needs no CUDA library to build: device memory and streams come from the CUDA driver (`libcuda.so.1`),
//! opened at run time if present.
//!
//! ```text
//! cargo run -p trt --example gpu_smoke            # uses the provisioned TensorRT-RTX
//! TENSORRT_LIBRARY=/path/libtensorrt_rtx.so.1 ./gpu_smoke [engine-output-path]
//! ```
//!
//! Exit status: 0 when every step behaved (ran, or failed with a clean TensorRT error), 1 otherwise.

use std::ffi::c_void;
use std::process::ExitCode;

#[path = "../tests/common/cuda.rs"]
mod cuda;

use cuda::Cuda;
use trt::{
    header_version, Activation, ActivationType, Builder, Convolution, DataType, Error, Library,
    Logger, Runtime, SerializedEngine, Severity, Weights,
};

const N: i64 = 1;
const C: i64 = 3;
const H: i64 = 32;
const W: i64 = 32;
const K: i64 = 16;

fn build(lib: &'static Library, logger: &Logger) -> trt::Result<SerializedEngine> {
    let builder = Builder::new(lib, logger)?;
    let network = builder.create_network()?;
    let x = network.add_input("x", DataType::Float, [N, C, H, W])?;
    let kernel = Weights::from_f32(&vec![0.1; (K * C * 3 * 3) as usize]);
    let conv = network.add(
        Convolution::new(x, K, [3, 3], kernel)
            .bias(Weights::from_f32(&[0.0; K as usize]))
            .padding([1, 1]),
    )?;
    let y = network
        .add(Activation::new(conv.output(0)?, ActivationType::Relu))?
        .output(0)?;
    network.mark_output_named(y, "y")?;
    println!("  network output dims inferred by TensorRT: {}", y.dims()?);
    let mut config = builder.create_config()?;
    config.set_max_workspace(256 << 20)?;
    builder.build_serialized_network(&network, &config)
}

fn step<T, E: std::fmt::Display>(name: &str, r: std::result::Result<T, E>) -> Option<T> {
    match r {
        Ok(v) => {
            println!("[ok ] {name}");
            Some(v)
        }
        Err(e) => {
            println!("[err] {name}: {e}");
            None
        }
    }
}

fn main() -> ExitCode {
    let lib = match Library::load() {
        Ok(lib) => {
            println!(
                "[ok ] load TensorRT: {} (version {}, headers {})",
                lib.path().display(),
                lib.version(),
                header_version()
            );
            lib
        }
        Err(e) => {
            println!("[err] load TensorRT: {e}");
            return ExitCode::FAILURE;
        }
    };
    let logger = match Logger::new(Severity::Warning) {
        Ok(l) => l,
        Err(e) => {
            println!("[err] logger: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(engine) = step("build conv+relu engine", build(lib, &logger)) else {
        return ExitCode::FAILURE;
    };
    println!("  engine: {} bytes", engine.len());
    if let Some(path) = std::env::args().nth(1) {
        step(&format!("save engine to {path}"), engine.save(&path));
    }

    let cuda = match Cuda::open() {
        Ok(c) => {
            println!(
                "[ok ] CUDA driver: {} (compute capability {}.{})",
                c.device_name, c.compute_capability.0, c.compute_capability.1
            );
            Some(c)
        }
        Err(e) => {
            println!("[err] CUDA driver: {e} (continuing: deserialization reports the missing GPU itself)");
            None
        }
    };

    let Some(runtime) = step("create runtime", Runtime::new(lib, &logger)) else {
        return ExitCode::FAILURE;
    };
    let engine = match runtime.deserialize(engine.as_bytes()) {
        Ok(e) => {
            println!("[ok ] deserialize engine");
            e
        }
        Err(e) => {
            // The expected outcome on GPUs TensorRT-RTX does not support: a clean error with its message.
            let clean = matches!(e, Error::TensorRt { .. });
            println!("[err] deserialize engine: {e}");
            println!("SMOKE RESULT: deserialization refused, returned as a clean Err: {clean}");
            return if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match engine.io_tensors() {
        Ok(io) => io.iter().for_each(|t| {
            println!(
                "  io tensor {:?} {:?} {} {:?}",
                t.name, t.mode, t.shape, t.data_type
            )
        }),
        Err(e) => println!("[err] io tensors: {e}"),
    }
    let Some(mut context) = step(
        "create execution context",
        engine.create_execution_context(),
    ) else {
        return ExitCode::FAILURE;
    };

    let Some(cuda) = cuda else {
        println!("SMOKE RESULT: no CUDA driver for buffers; stopping before enqueue");
        return ExitCode::FAILURE;
    };
    let in_bytes = (N * C * H * W) as usize * 4;
    let out_bytes = (N * K * H * W) as usize * 4;
    let (Some(d_in), Some(d_out)) = (
        step("cuMemAlloc input", cuda.alloc(in_bytes)),
        step("cuMemAlloc output", cuda.alloc(out_bytes)),
    ) else {
        return ExitCode::FAILURE;
    };
    let input = vec![1.0f32; in_bytes / 4];
    step("copy input", cuda.upload(d_in, &input));
    let Some(stream) = step("create stream", cuda.stream()) else {
        return ExitCode::FAILURE;
    };
    step(
        "set address x",
        context.set_tensor_address("x", d_in as *mut c_void),
    );
    step(
        "set address y",
        context.set_tensor_address("y", d_out as *mut c_void),
    );
    // SAFETY: both I/O tensors point to device buffers of their full size, alive until the stream is synchronized
    // below; `stream` is a stream of the current context.
    let enqueued = step("enqueueV3", unsafe { context.enqueue(stream) }).is_some();
    step("synchronize", cuda.synchronize(stream));
    let mut output = vec![0f32; out_bytes / 4];
    step("copy output", cuda.download(d_out, &mut output));
    // Interior pixels see 27 ones times 0.1; corners see 12.
    let centre = output[(H / 2 * W + W / 2) as usize];
    let corner = output[0];
    let correct = (centre - 2.7).abs() < 1e-3 && (corner - 1.2).abs() < 1e-3;
    println!("  output centre {centre} (expected 2.7), corner {corner} (expected 1.2)");
    cuda.free(d_in);
    cuda.free(d_out);
    println!("SMOKE RESULT: enqueued {enqueued}, output correct {correct}");
    if enqueued && correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
