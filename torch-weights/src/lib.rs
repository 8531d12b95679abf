//! PyTorch checkpoints into candle.
