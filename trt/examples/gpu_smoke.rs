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

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::process::ExitCode;

use trt::{
    header_version, ActivationType, Builder, Convolution, DataType, Error, Library, Logger,
    Runtime, SerializedEngine, Severity, Weights,
};

const N: i64 = 1;
const C: i64 = 3;
const H: i64 = 32;
const W: i64 = 32;
const K: i64 = 16;

/// The few CUDA driver entry points this program needs, resolved with dlopen.
struct Cuda {
    _lib: libloading::Library,
    mem_alloc: unsafe extern "C" fn(*mut u64, usize) -> c_int,
    mem_free: unsafe extern "C" fn(u64) -> c_int,
    memcpy_htod: unsafe extern "C" fn(u64, *const c_void, usize) -> c_int,
    memcpy_dtoh: unsafe extern "C" fn(*mut c_void, u64, usize) -> c_int,
    stream_create: unsafe extern "C" fn(*mut *mut c_void, c_uint) -> c_int,
    stream_synchronize: unsafe extern "C" fn(*mut c_void) -> c_int,
    device_name: String,
    compute_capability: (i32, i32),
}

fn check(op: &str, code: c_int) -> Result<(), String> {
    if code == 0 {
        Ok(())
    } else {
        Err(format!("{op} failed with CUresult {code}"))
    }
}

impl Cuda {
    fn open() -> Result<Self, String> {
        // SAFETY: libcuda's initializers have no preconditions.
        let lib = unsafe { libloading::Library::new("libcuda.so.1") }
            .map_err(|e| format!("libcuda.so.1: {e}"))?;
        // SAFETY: each symbol is the CUDA driver API function of that name, with the C signature declared here
        // (cuda.h, 64-bit CUdeviceptr, the `_v2` variants that cuda.h maps the plain names to).
        unsafe {
            macro_rules! sym {
                ($name:literal) => {
                    *lib.get($name)
                        .map_err(|e| format!("{}: {e}", String::from_utf8_lossy($name)))?
                };
            }
            let init: unsafe extern "C" fn(c_uint) -> c_int = sym!(b"cuInit");
            let device_get: unsafe extern "C" fn(*mut c_int, c_int) -> c_int = sym!(b"cuDeviceGet");
            let get_name: unsafe extern "C" fn(*mut c_char, c_int, c_int) -> c_int =
                sym!(b"cuDeviceGetName");
            let get_attr: unsafe extern "C" fn(*mut c_int, c_int, c_int) -> c_int =
                sym!(b"cuDeviceGetAttribute");
            let retain: unsafe extern "C" fn(*mut *mut c_void, c_int) -> c_int =
                sym!(b"cuDevicePrimaryCtxRetain");
            let set_current: unsafe extern "C" fn(*mut c_void) -> c_int = sym!(b"cuCtxSetCurrent");
            check("cuInit", init(0))?;
            let mut dev = 0;
            check("cuDeviceGet", device_get(&mut dev, 0))?;
            let mut name = [0 as c_char; 128];
            check("cuDeviceGetName", get_name(name.as_mut_ptr(), 128, dev))?;
            let device_name = std::ffi::CStr::from_ptr(name.as_ptr())
                .to_string_lossy()
                .into_owned();
            let (mut major, mut minor) = (0, 0);
            check("cuDeviceGetAttribute", get_attr(&mut major, 75, dev))?; // COMPUTE_CAPABILITY_MAJOR
            check("cuDeviceGetAttribute", get_attr(&mut minor, 76, dev))?; // COMPUTE_CAPABILITY_MINOR
            let mut ctx = std::ptr::null_mut();
            check("cuDevicePrimaryCtxRetain", retain(&mut ctx, dev))?;
            check("cuCtxSetCurrent", set_current(ctx))?;
            Ok(Cuda {
                mem_alloc: sym!(b"cuMemAlloc_v2"),
                mem_free: sym!(b"cuMemFree_v2"),
                memcpy_htod: sym!(b"cuMemcpyHtoD_v2"),
                memcpy_dtoh: sym!(b"cuMemcpyDtoH_v2"),
                stream_create: sym!(b"cuStreamCreate"),
                stream_synchronize: sym!(b"cuStreamSynchronize"),
                device_name,
                compute_capability: (major, minor),
                _lib: lib,
            })
        }
    }

    fn alloc(&self, bytes: usize) -> Result<u64, String> {
        let mut p = 0u64;
        // SAFETY: a current context was set in `open`.
        check("cuMemAlloc", unsafe { (self.mem_alloc)(&mut p, bytes) })?;
        Ok(p)
    }
}

fn build(lib: &'static Library, logger: &Logger) -> trt::Result<SerializedEngine> {
    let builder = Builder::new(lib, logger)?;
    let network = builder.create_network()?;
    let x = network.add_input("x", DataType::Float, [N, C, H, W])?;
    let kernel = Weights::from_f32(&vec![0.1; (K * C * 3 * 3) as usize]);
    let conv = network.add_convolution(
        x,
        Convolution::new(K, [3, 3], kernel)
            .bias(Weights::from_f32(&[0.0; K as usize]))
            .padding([1, 1]),
    )?;
    let y = network
        .add_activation(conv.output(0)?, ActivationType::Relu)?
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
    // SAFETY: d_in has in_bytes bytes; `input` is that long.
    step(
        "copy input",
        check("cuMemcpyHtoD", unsafe {
            (cuda.memcpy_htod)(d_in, input.as_ptr().cast(), in_bytes)
        }),
    );
    let mut stream = std::ptr::null_mut();
    // SAFETY: current context set.
    step(
        "create stream",
        check("cuStreamCreate", unsafe {
            (cuda.stream_create)(&mut stream, 0)
        }),
    );
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
    // SAFETY: as above.
    step(
        "synchronize",
        check("cuStreamSynchronize", unsafe {
            (cuda.stream_synchronize)(stream)
        }),
    );
    let mut output = vec![0f32; out_bytes / 4];
    // SAFETY: d_out has out_bytes bytes; `output` is that long.
    step(
        "copy output",
        check("cuMemcpyDtoH", unsafe {
            (cuda.memcpy_dtoh)(output.as_mut_ptr().cast(), d_out, out_bytes)
        }),
    );
    // Interior pixels see 27 ones times 0.1; corners see 12.
    let centre = output[(H / 2 * W + W / 2) as usize];
    let corner = output[0];
    let correct = (centre - 2.7).abs() < 1e-3 && (corner - 1.2).abs() < 1e-3;
    println!("  output centre {centre} (expected 2.7), corner {corner} (expected 1.2)");
    // SAFETY: buffers came from cuMemAlloc and the stream is idle.
    unsafe {
        (cuda.mem_free)(d_in);
        (cuda.mem_free)(d_out);
    }
    println!("SMOKE RESULT: enqueued {enqueued}, output correct {correct}");
    if enqueued && correct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
