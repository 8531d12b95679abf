//! Helpers of the numbered examples and their tests: a small command-line parser, the PyTorch
//! fixtures and the provisioned real weights, photographs decoded into model inputs, sentences
//! tokenized into BERT's inputs, and the `tracing` subscriber that shows TensorRT's log. The
//! models themselves are the `candle2trt-models` crate.

pub mod cli;
pub mod fixtures;
pub mod images;
pub mod synthetic;
pub mod text;

/// Installs a `tracing` subscriber on stderr filtered by `RUST_LOG` (default `warn`), so that
/// TensorRT's own log (target `tensorrt`) shows: `RUST_LOG=tensorrt=info cargo run --example …`.
/// A second call (or a subscriber installed elsewhere) is left alone.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
