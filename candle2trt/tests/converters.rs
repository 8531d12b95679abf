//! One real-builder test per converter: each builds a TensorRT engine (no mocks) and checks
//! TensorRT's inferred shapes and the traced candle values against plain candle.
//! Families: activation, elementwise, matmul, conv (and pooling, resampling), norm, reduce,
//! shape; `dynamic` builds engines with a dynamic batch under fp16.

#[macro_use]
mod common;

mod converters {
    mod activation;
    mod conv;
    mod dynamic;
    mod elementwise;
    mod matmul;
    mod norm;
    mod reduce;
    mod shape;
}
