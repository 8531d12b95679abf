//! Safe TensorRT API.
