//! candle → TensorRT.
