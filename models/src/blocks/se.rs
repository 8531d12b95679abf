//! Squeeze-and-excitation.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Conv2d, VarBuilder};

/// The configuration of a [`SqueezeExcitation`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SqueezeExcitationConfig {
    /// Channels of the squeezed vector.
    pub squeeze_channels: usize,
    /// The activation between the two 1×1 convolutions (torchvision's default: ReLU;
    /// EfficientNet: SiLU).
    pub activation: Activation,
    /// The gate applied to the scale (`Sigmoid`; MobileNetV3: `HardSigmoid`).
    pub gate: Activation,
}

impl SqueezeExcitationConfig {
    /// torchvision's `SqueezeExcitation(input_channels, squeeze_channels)`: ReLU, sigmoid.
    pub fn new(squeeze_channels: usize) -> Self {
        Self {
            squeeze_channels,
            activation: Activation::Relu,
            gate: Activation::Sigmoid,
        }
    }

    /// Sets the activation between the two convolutions.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
}

/// Squeeze-and-excitation (Hu et al.): global average pool → 1×1 conv → activation → 1×1 conv
/// → gate, which scales the input's channels. The two convolutions have biases; their key
/// names are the caller's (`fc1`/`fc2` in torchvision, `_se_reduce`/`_se_expand` in
/// EfficientNet-PyTorch).
#[derive(Debug, Clone)]
pub struct SqueezeExcitation {
    reduce: Conv2d,
    expand: Conv2d,
    names: (String, String),
    activation: Activation,
    gate: Activation,
}

impl SqueezeExcitation {
    /// Loads `vb.<reduce>.{weight,bias}` `(squeeze, channels, 1, 1)` and
    /// `vb.<expand>.{weight,bias}` `(channels, squeeze, 1, 1)`.
    pub fn new(
        channels: usize,
        cfg: SqueezeExcitationConfig,
        reduce: impl Into<String>,
        expand: impl Into<String>,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let (reduce, expand) = (reduce.into(), expand.into());
        let one = candle_nn::Conv2dConfig::default();
        Ok(Self {
            reduce: candle_nn::conv2d(channels, cfg.squeeze_channels, 1, one, vb.pp(&reduce))?,
            expand: candle_nn::conv2d(cfg.squeeze_channels, channels, 1, one, vb.pp(&expand))?,
            names: (reduce, expand),
            activation: cfg.activation,
            gate: cfg.gate,
        })
    }
}

impl TraceModule for SqueezeExcitation {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let scale = x.adaptive_avg_pool2d((1, 1))?;
        let scale = scale.apply_named(&self.names.0, &self.reduce)?;
        let scale = self.activation.forward(&scale)?;
        let scale = scale.apply_named(&self.names.1, &self.expand)?;
        self.gate.forward(&scale)?.broadcast_mul(x)
    }
}
