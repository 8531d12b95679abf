//! One real-builder test per converter: each builds a TensorRT engine (no mocks), checks
//! TensorRT's inferred shapes against candle's, and checks the tracer's consistency (the values it
//! computed while tracing equal plain candle's). One file per `src/ops/` family, with the same
//! name; `dynamic` builds engines with a dynamic batch under fp16.

#[macro_use]
mod common;

mod converters {
    mod activation;
    mod attention;
    mod conv;
    mod custom;
    mod dynamic;
    mod elementwise;
    mod gather;
    mod math;
    mod matmul;
    mod messages;
    mod norm;
    mod padding;
    mod parameter;
    mod pool;
    mod pytorch;
    mod pytorch_audit;
    mod reduce;
    mod resize;
    mod shape;
    mod tracing;
}
