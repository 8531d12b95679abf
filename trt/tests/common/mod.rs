//! Shared by the integration tests that need the TensorRT library.
#![allow(dead_code)]

use std::sync::OnceLock;

use trt::{
    Builder, BuilderConfig, Library, LoadError, Logger, Network, SerializedEngine, Severity,
    Tensor, Weights,
};

/// Prints a line through libtest's capture (`built engine for ...`, `SKIPPED: ...`): it is shown with the
/// test's name by `--show-output` (as `cargo xtask test` runs), and with a failing test's output.
pub fn say(line: &str) {
    eprintln!("{line}");
}

/// The skip reason when `e` means "no library for these headers" in the one configuration where none is expected:
/// the build against standard TensorRT (Enterprise) headers, for which this machine provisions no library (`cargo
/// xtask test`'s second flavor; the header flavor is fixed when trt-sys is built), and only when the search found
/// none or found one of another version. A library the user named (`named`: `TENSORRT_LIBRARY`,
/// `TENSORRT_LIB_DIR`) that does not load is never absent: `None`, and the caller fails. The reason starts with the
/// exact tag `no TensorRT <major>.<minor> library:` that `cargo xtask test` allows on that step only.
pub fn absent_library_reason(
    e: &LoadError,
    named: Option<&trt::Candidate>,
    rtx: bool,
) -> Option<String> {
    let searched = named.is_none()
        && matches!(
            e,
            LoadError::NotFound { .. } | LoadError::VersionMismatch { .. }
        );
    (searched && !rtx).then(|| {
        let h = trt::header_version();
        format!(
            "no TensorRT {}.{} library: Enterprise headers {h}: {e}",
            h.major, h.minor
        )
    })
}

/// The loaded library, or `None` (with a printed reason) where [`absent_library_reason`] says none is expected.
/// Any other failure to load (with TensorRT-RTX headers: any at all; a named library that does not load) is a
/// provisioning error and fails the test.
pub fn library() -> Option<&'static Library> {
    static RESULT: OnceLock<Result<&'static Library, String>> = OnceLock::new();
    let result = RESULT.get_or_init(|| match Library::load() {
        Ok(lib) => Ok(lib),
        Err(e) => match absent_library_reason(
            &e,
            trt::SearchConfig::from_env().named().as_ref(),
            trt::HEADERS_ARE_RTX,
        ) {
            Some(reason) => Err(reason),
            None => panic!(
                "{} library not loadable (run `cargo xtask setup`): {e}",
                if trt::HEADERS_ARE_RTX {
                    "TensorRT-RTX"
                } else {
                    "TensorRT"
                }
            ),
        },
    });
    match result {
        Ok(lib) => Some(lib),
        Err(reason) => {
            // The whole reason (every place searched) once per test binary, its first line afterwards.
            static TOLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if TOLD.swap(true, std::sync::atomic::Ordering::Relaxed) {
                say(&format!(
                    "SKIPPED: {}",
                    reason.lines().next().unwrap_or_default()
                ));
            } else {
                say(&format!("SKIPPED: {reason}"));
            }
            None
        }
    }
}

/// Library + logger + builder, or return from the test (skipped).
#[macro_export]
macro_rules! setup {
    ($lib:ident, $logger:ident, $builder:ident) => {
        let Some($lib) = common::library() else {
            return;
        };
        let $logger = trt::Logger::new(trt::Severity::Warning).expect("logger");
        let $builder = trt::Builder::new($lib, &$logger).expect("builder");
        let _ = (&$lib, &$logger, &$builder);
    };
}

pub fn logger() -> Logger {
    Logger::new(Severity::Warning).expect("logger")
}

/// Builds `network` with a default config, checks the engine is non-empty and prints its size.
pub fn build(builder: &Builder<'_>, network: &Network<'_>, what: &str) -> SerializedEngine {
    let config = builder.create_config().expect("config");
    build_with(builder, network, &config, what)
}

pub fn build_with(
    builder: &Builder<'_>,
    network: &Network<'_>,
    config: &BuilderConfig<'_>,
    what: &str,
) -> SerializedEngine {
    let engine = builder
        .build_serialized_network(network, config)
        .unwrap_or_else(|e| panic!("building {what} failed: {e}"));
    assert!(!engine.is_empty(), "{what}: empty engine");
    say(&format!("built engine for {what}: {} bytes", engine.len()));
    engine
}

/// Asserts TensorRT's inferred dims and type of `t`.
pub fn check(t: Tensor<'_>, dims: &[i64], data_type: trt::DataType) {
    assert_eq!(
        t.dims().expect("dims").as_slice(),
        dims,
        "dims of {}",
        t.name()
    );
    assert_eq!(
        t.data_type().expect("type"),
        data_type,
        "type of {}",
        t.name()
    );
}

/// TensorRT's refusals to deserialize an engine for want of a GPU it can run on, as it words them:
/// - no CUDA driver, as on the CPU-only development machine (TensorRT-RTX 1.7 there: `IRuntime::deserializeCudaEngine:
///   Error Code 1: Cuda Runtime (In ScopedCudaStream at …cudaResources.cpp:25 (cudaError 35: CUDA driver version is
///   insufficient for CUDA runtime version))`);
/// - a driver but no device (`cudaErrorNoDevice`, 100, in the CUDA runtime's words);
/// - TensorRT-RTX on a GPU whose compute capability it does not support (on the H100/H200: `Error Code 6: API Usage
///   Error (The engine cannot run on this GPU, which has compute capability 9.0. …)`).
const NO_SUPPORTED_GPU: [&str; 3] = [
    "(cudaError 35: CUDA driver version is insufficient for CUDA runtime version)",
    "(cudaError 100: no CUDA-capable device is detected)",
    "The engine cannot run on this GPU",
];

/// The skip reason for a failed deserialization that is one of TensorRT's known refusals for want of a supported
/// GPU; fails the test on any other error.
pub fn no_supported_gpu(e: &trt::Error) -> String {
    let known = matches!(
        e,
        trt::Error::TensorRt {
            op: "deserialize_cuda_engine",
            message,
            ..
        } if NO_SUPPORTED_GPU.iter().any(|refusal| message.contains(refusal))
    );
    assert!(
        known,
        "deserialization failed, and not for want of a supported GPU: {e:?}"
    );
    format!(
        "no supported GPU: {}",
        e.tensorrt_message()
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
    )
}

/// Checks a built engine as far as this machine allows: it is not empty, and TensorRT deserializes it with the
/// I/O tensors `io` (mode, shape, type, in order), or refuses it for want of a supported GPU (any other error fails).
pub fn check_engine_io(
    lib: &Library,
    logger: &Logger,
    engine: &SerializedEngine,
    io: &[(trt::TensorIOMode, &[i64], trt::DataType)],
) {
    assert!(!engine.is_empty(), "empty engine");
    let runtime = trt::Runtime::new(lib, logger).expect("runtime");
    match runtime.deserialize(engine.as_bytes()) {
        Ok(deserialized) => {
            let got: Vec<_> = deserialized
                .io_tensors()
                .expect("I/O tensors")
                .into_iter()
                .map(|t| (t.mode, t.shape.as_slice().to_vec(), t.data_type))
                .collect();
            let want: Vec<_> = io.iter().map(|&(m, s, t)| (m, s.to_vec(), t)).collect();
            assert_eq!(got, want, "the engine's I/O tensors");
        }
        Err(e) => say(&format!(
            "engine I/O not checked ({} bytes built): {}",
            engine.len(),
            no_supported_gpu(&e)
        )),
    };
}

/// `n` float weights cycling through -0.3, -0.2, …, 0.3 (small networks whose values are not checked).
pub fn f32s(n: usize) -> Weights {
    Weights::from_f32(
        &(0..n)
            .map(|i| (i % 7) as f32 * 0.1 - 0.3)
            .collect::<Vec<_>>(),
    )
}
