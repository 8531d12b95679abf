//! Building blocks shared by the torchvision models (`torchvision.ops.misc` and
//! `torchvision.models._utils`).

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::{Activation, BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, VarBuilder};

/// `torchvision.models._utils._make_divisible`: rounds `v` to the nearest multiple of
/// `divisor` (at least `min_value`, by default `divisor`), never going more than 10% below `v`.
pub fn make_divisible(v: f64, divisor: usize, min_value: Option<usize>) -> usize {
    let min_value = min_value.unwrap_or(divisor);
    let d = divisor as f64;
    let mut new_v = min_value.max(((v + d / 2.0) as usize) / divisor * divisor);
    if (new_v as f64) < 0.9 * v {
        new_v += divisor;
    }
    new_v
}

/// `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups,
/// bias=bias)` with a square kernel.
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    in_channels: usize,
    out_channels: usize,
    kernel_size: usize,
    stride: usize,
    padding: usize,
    groups: usize,
    bias: bool,
    vb: VarBuilder,
) -> candle_core::Result<Conv2d> {
    let cfg = Conv2dConfig {
        padding,
        stride,
        groups,
        ..Default::default()
    };
    if bias {
        candle_nn::conv2d(in_channels, out_channels, kernel_size, cfg, vb)
    } else {
        candle_nn::conv2d_no_bias(in_channels, out_channels, kernel_size, cfg, vb)
    }
}

/// `nn.BatchNorm2d(num_features, eps=eps)`, used in evaluation mode (running statistics).
pub fn batch_norm2d(
    num_features: usize,
    eps: f64,
    vb: VarBuilder,
) -> candle_core::Result<BatchNorm> {
    let cfg = BatchNormConfig {
        eps,
        ..Default::default()
    };
    candle_nn::batch_norm(num_features, cfg, vb)
}

/// PyTorch's default `BatchNorm2d` epsilon.
pub const BN_EPS: f64 = 1e-5;

/// The configuration of a [`Conv2dNormActivation`], as torchvision's keyword arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvNormActConfig {
    /// Square kernel size; the padding is `(kernel_size - 1) / 2`, as torchvision's default.
    pub kernel_size: usize,
    /// Convolution stride.
    pub stride: usize,
    /// Convolution groups (`groups == channels` for a depthwise convolution).
    pub groups: usize,
    /// The activation after the norm (`None` for a linear projection).
    pub activation: Option<Activation>,
    /// Batch-norm epsilon.
    pub bn_eps: f64,
}

impl Default for ConvNormActConfig {
    /// `Conv2dNormActivation(in, out)`: 3×3, stride 1, ReLU, `BatchNorm2d` with eps `1e-5`.
    fn default() -> Self {
        Self {
            kernel_size: 3,
            stride: 1,
            groups: 1,
            activation: Some(Activation::Relu),
            bn_eps: BN_EPS,
        }
    }
}

/// `torchvision.ops.Conv2dNormActivation`: `Conv2d` (no bias) → `BatchNorm2d` → activation, a
/// `Sequential` whose keys are `0` (conv) and `1` (norm).
#[derive(Debug, Clone)]
pub struct Conv2dNormActivation {
    conv: Conv2d,
    norm: BatchNorm,
    activation: Option<Activation>,
}

impl Conv2dNormActivation {
    /// Loads `vb.0.weight` and `vb.1.{weight,bias,running_mean,running_var}`.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        cfg: ConvNormActConfig,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let padding = (cfg.kernel_size - 1) / 2;
        let conv = conv2d(
            in_channels,
            out_channels,
            cfg.kernel_size,
            cfg.stride,
            padding,
            cfg.groups,
            false,
            vb.pp("0"),
        )?;
        let norm = batch_norm2d(out_channels, cfg.bn_eps, vb.pp("1"))?;
        Ok(Self {
            conv,
            norm,
            activation: cfg.activation,
        })
    }
}

impl TraceModule for Conv2dNormActivation {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x
            .apply_named("0", &self.conv)?
            .apply_named("1", &self.norm)?;
        match &self.activation {
            Some(act) => x.apply_named("2", act),
            None => Ok(x),
        }
    }
}

/// `nn.Sequential(*layers)(x)`: applies the layers in order, each in the scope of its index.
pub fn sequential<T: TraceTensor, M: TraceModule>(x: &T, layers: &[M]) -> Result<T> {
    let mut x = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        x = x.apply_named(&i.to_string(), layer)?;
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::make_divisible;

    #[test]
    fn make_divisible_matches_torchvision() {
        // Values torchvision computes for MobileNetV2 / EfficientNet channel counts.
        assert_eq!(make_divisible(32.0 * 1.0, 8, None), 32);
        assert_eq!(make_divisible(32.0 * 1.1, 8, None), 32);
        assert_eq!(make_divisible(32.0 * 1.4, 8, None), 48);
        assert_eq!(make_divisible(16.0 * 0.5, 8, None), 8);
        assert_eq!(make_divisible(24.0 * 1.2, 8, None), 32);
        assert_eq!(make_divisible(3.0, 8, None), 8);
        // Never more than 10% below: 1280·0.35 = 448 stays; 92 → 96, not 88.
        assert_eq!(make_divisible(92.0, 8, None), 96);
    }
}
