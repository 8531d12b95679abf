//! torchvision's SqueezeNet (`torchvision.models.squeezenet`): versions 1.0 and 1.1.
//!
//! Keys: `features.{i}` (the stem convolution at 0, `Fire` modules with
//! `squeeze`/`expand1x1`/`expand3x3`), `classifier.1` (the final 1×1 convolution).

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::VarBuilder;

use crate::blocks::{Conv, ConvConfig};

/// The SqueezeNet version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqueezeNetVersion {
    /// `squeezenet1_0`: 7×7 stem with 96 channels.
    V1_0,
    /// `squeezenet1_1`: 3×3 stem with 64 channels, pooling earlier (2.4× less computation).
    V1_1,
}

/// A SqueezeNet's architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqueezeNetConfig {
    /// 1.0 or 1.1.
    pub version: SqueezeNetVersion,
    /// Classifier outputs.
    pub num_classes: usize,
}

impl SqueezeNetConfig {
    /// The given version with 1000 classes.
    pub fn new(version: SqueezeNetVersion) -> Self {
        Self {
            version,
            num_classes: 1000,
        }
    }
}

/// `torchvision.models.squeezenet.Fire`: a 1×1 squeeze, then 1×1 and 3×3 expands concatenated
/// along the channels.
#[derive(Debug, Clone)]
pub struct Fire {
    squeeze: Conv,
    expand1x1: Conv,
    expand3x3: Conv,
}

impl Fire {
    /// `Fire(inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes)`.
    pub fn new(
        in_planes: usize,
        squeeze_planes: usize,
        expand1x1_planes: usize,
        expand3x3_planes: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let (one, three) = (ConvConfig::new(1), ConvConfig::new(3).padding(1));
        Ok(Self {
            squeeze: Conv::new(in_planes, squeeze_planes, one, vb.pp("squeeze"))?,
            expand1x1: Conv::new(squeeze_planes, expand1x1_planes, one, vb.pp("expand1x1"))?,
            expand3x3: Conv::new(squeeze_planes, expand3x3_planes, three, vb.pp("expand3x3"))?,
        })
    }
}

impl TraceModule for Fire {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("squeeze", &self.squeeze)?.relu()?;
        let e1 = x.apply_named("expand1x1", &self.expand1x1)?.relu()?;
        let e3 = x.apply_named("expand3x3", &self.expand3x3)?.relu()?;
        T::cat(&[e1, e3], 1)
    }
}

/// A `Fire` module of `features` at its torchvision index, after the
/// `MaxPool2d(3, 2, ceil_mode=True)` at `index - 1` when `pool_before`.
#[derive(Debug, Clone)]
struct FireAt {
    index: usize,
    pool_before: bool,
    fire: Fire,
}

/// `nn.MaxPool2d(kernel, stride, ceil_mode=True)` on a **non-negative** input.
///
/// `ceil_mode` lets the last window hang over the bottom/right edge (it always starts inside
/// the input); PyTorch ignores the positions outside. The trait's max pools have no ceil mode,
/// so the input is padded at the bottom and right with zeros, which is exact here: every
/// pooling layer of SqueezeNet follows a ReLU, so a window's maximum is at least 0 and a
/// padded zero never changes it.
pub fn max_pool2d_ceil_nonnegative<T: TraceTensor>(
    x: &T,
    kernel: usize,
    stride: usize,
) -> Result<T> {
    let pad = |size: usize| {
        let out = size.saturating_sub(kernel).div_ceil(stride) + 1;
        ((out - 1) * stride + kernel).saturating_sub(size)
    };
    let (pad_h, pad_w) = (pad(x.dim(2)?), pad(x.dim(3)?));
    let mut x = x.clone();
    if pad_h > 0 {
        x = x.pad_with_zeros(2, 0, pad_h)?;
    }
    if pad_w > 0 {
        x = x.pad_with_zeros(3, 0, pad_w)?;
    }
    x.max_pool2d_with_stride(kernel, stride)
}

/// A `Fire` of `features`: (index, max pool before it, in, squeeze, expand1x1, expand3x3).
type FireSpec = (usize, bool, usize, usize, usize, usize);

/// `torchvision.models.SqueezeNet`.
#[derive(Debug, Clone)]
pub struct SqueezeNet {
    /// `features.0` (ReLU at 1, max pool at 2).
    stem: Conv,
    fires: Vec<FireAt>,
    final_conv: Conv,
}

impl SqueezeNet {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &SqueezeNetConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let f = vb.pp("features");
        let (stem, fires): (_, &[FireSpec]) = match cfg.version {
            SqueezeNetVersion::V1_0 => (
                Conv::new(3, 96, ConvConfig::new(7).stride(2), f.pp("0"))?,
                &[
                    (3, true, 96, 16, 64, 64),
                    (4, false, 128, 16, 64, 64),
                    (5, false, 128, 32, 128, 128),
                    (7, true, 256, 32, 128, 128),
                    (8, false, 256, 48, 192, 192),
                    (9, false, 384, 48, 192, 192),
                    (10, false, 384, 64, 256, 256),
                    (12, true, 512, 64, 256, 256),
                ],
            ),
            SqueezeNetVersion::V1_1 => (
                Conv::new(3, 64, ConvConfig::new(3).stride(2), f.pp("0"))?,
                &[
                    (3, true, 64, 16, 64, 64),
                    (4, false, 128, 16, 64, 64),
                    (6, true, 128, 32, 128, 128),
                    (7, false, 256, 32, 128, 128),
                    (9, true, 256, 48, 192, 192),
                    (10, false, 384, 48, 192, 192),
                    (11, false, 384, 64, 256, 256),
                    (12, false, 512, 64, 256, 256),
                ],
            ),
        };
        let fires = fires
            .iter()
            .map(|&(index, pool_before, inp, s, e1, e3)| {
                Ok(FireAt {
                    index,
                    pool_before,
                    fire: Fire::new(inp, s, e1, e3, f.pp(index))?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let final_conv = Conv::new(
            512,
            cfg.num_classes,
            ConvConfig::new(1),
            vb.pp("classifier.1"),
        )?;
        Ok(Self {
            stem,
            fires,
            final_conv,
        })
    }
}

impl TraceModule for SqueezeNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let mut x = x.clone();
        {
            let _scope = x.scope("features");
            x = x.apply_named("0", &self.stem)?.relu()?;
            for FireAt {
                index,
                pool_before,
                fire,
            } in &self.fires
            {
                if *pool_before {
                    let _scope = x.scope(&(index - 1).to_string());
                    x = max_pool2d_ceil_nonnegative(&x, 3, 2)?;
                }
                x = x.apply_named(&index.to_string(), fire)?;
            }
        }
        let _scope = x.scope("classifier");
        let x = x.dropout(0.5)?.apply_named("1", &self.final_conv)?.relu()?;
        x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    /// PyTorch's `max_pool2d(x, k, s, ceil_mode=True)` written out: windows that hang over the
    /// edge take the maximum of their positions inside the input.
    fn reference_ceil_pool(
        x: &[f32],
        h: usize,
        w: usize,
        k: usize,
        s: usize,
    ) -> (Vec<f32>, usize, usize) {
        let out = |n: usize| (n - k).div_ceil(s) + 1;
        let (oh, ow) = (out(h), out(w));
        let mut y = Vec::with_capacity(oh * ow);
        for i in 0..oh {
            for j in 0..ow {
                let mut m = f32::NEG_INFINITY;
                for r in i * s..(i * s + k).min(h) {
                    for c in j * s..(j * s + k).min(w) {
                        m = m.max(x[r * w + c]);
                    }
                }
                y.push(m);
            }
        }
        (y, oh, ow)
    }

    #[test]
    fn zero_padding_equals_ceil_mode_on_nonnegative_inputs() -> anyhow::Result<()> {
        // 14×8: both sides need one padded row/column; 13×13: none.
        for (h, w) in [(14, 8), (13, 13), (7, 4)] {
            let x = Tensor::randn(0f32, 1.0, (1, 1, h, w), &Device::Cpu)?.relu()?;
            let y = super::max_pool2d_ceil_nonnegative(&x, 3, 2)?;
            let (expected, oh, ow) = reference_ceil_pool(&x.flatten_all()?.to_vec1()?, h, w, 3, 2);
            assert_eq!(y.dims(), [1, 1, oh, ow], "{h}×{w}");
            assert_eq!(y.flatten_all()?.to_vec1::<f32>()?, expected, "{h}×{w}");
        }
        Ok(())
    }
}
