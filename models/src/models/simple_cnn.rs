//! The project brief's SimpleCNN: `Conv2d(3, 16, 3, padding=1)` → ReLU → `MaxPool2d(2)` →
//! flatten → `Linear(16·16·16, 10)`, for 1×3×32×32 inputs. Keys: `conv1`, `fc`.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Linear, VarBuilder};

use crate::blocks::{Conv, ConvConfig};

/// The SimpleCNN of the brief.
#[derive(Debug, Clone)]
pub struct SimpleCnn {
    conv1: Conv,
    fc: Linear,
}

impl SimpleCnn {
    /// Loads `conv1.{weight,bias}` and `fc.{weight,bias}`.
    pub fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            conv1: Conv::new(3, 16, ConvConfig::new(3).padding(1), vb.pp("conv1"))?,
            fc: candle_nn::linear(16 * 16 * 16, 10, vb.pp("fc"))?,
        })
    }
}

impl TraceModule for SimpleCnn {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("conv1", &self.conv1)?.relu()?.max_pool2d(2)?;
        // x.view(x.size(0), -1)
        x.flatten_from(1)?.apply_named("fc", &self.fc)
    }
}
