//! Shared by the integration tests that need the TensorRT library.
#![allow(dead_code)]

use std::io::Write;
use std::sync::OnceLock;

use trt::{
    Builder, BuilderConfig, Library, LoadError, Logger, Network, SerializedEngine, Severity, Tensor,
};

/// Prints a line to the process's stderr directly, so it shows whatever the test harness captures
/// (`built engine for ...`, `SKIPPED: ...`).
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The loaded library, or `None` (with a printed reason) when the library that matches the headers is
/// not available in a configuration where that is expected: headers of another TensorRT than the
/// provisioned TensorRT-RTX (the Enterprise-headers CI job) or a version mismatch. With TensorRT-RTX
/// headers a missing library is a provisioning error and fails the test.
pub fn library() -> Option<&'static Library> {
    static RESULT: OnceLock<Result<&'static Library, String>> = OnceLock::new();
    let result = RESULT.get_or_init(|| match Library::load() {
        Ok(lib) => Ok(lib),
        Err(e @ LoadError::VersionMismatch { .. }) => {
            Err(format!("library does not match the headers: {e}"))
        }
        Err(e @ LoadError::NotFound { .. }) if !trt::HEADERS_ARE_RTX => Err(format!(
            "no {} for these standard TensorRT headers: {e}",
            trt::LIBRARY_NAME
        )),
        Err(e) => panic!("TensorRT-RTX library not loadable (run `cargo xtask setup`): {e}"),
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
