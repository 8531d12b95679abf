//! Raw FFI to TensorRT through a C shim. See the crate README.
