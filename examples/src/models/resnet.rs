//! torchvision's ResNet (`torchvision.models.resnet`): ResNet-18/34 with `BasicBlock`,
//! ResNet-50/101/152 with `Bottleneck` (stride on the 3×3 convolution, "ResNet v1.5").
//!
//! Keys: `conv1`, `bn1`, `layer{1..4}.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3]}`,
//! `layer{k}.0.downsample.{0,1}`, `fc`.

use candle2trt::{Pool2dConfig, Result, TraceModule, TraceTensor};
use candle_nn::{BatchNorm, Conv2d, Linear, VarBuilder};

use super::common::{batch_norm2d, conv2d, sequential, BN_EPS};

/// The residual block type of a ResNet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Two 3×3 convolutions (expansion 1): ResNet-18/34.
    Basic,
    /// 1×1 → 3×3 → 1×1 convolutions (expansion 4): ResNet-50/101/152.
    Bottleneck,
}

impl BlockKind {
    /// Output channels over `planes`.
    pub fn expansion(self) -> usize {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

/// A ResNet's architecture: block type and number of blocks per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResNetConfig {
    /// Block type.
    pub block: BlockKind,
    /// Blocks in `layer1` … `layer4`.
    pub layers: [usize; 4],
    /// Classifier outputs.
    pub num_classes: usize,
}

impl ResNetConfig {
    /// `resnet18`.
    pub fn resnet18() -> Self {
        Self::new(BlockKind::Basic, [2, 2, 2, 2])
    }
    /// `resnet34`.
    pub fn resnet34() -> Self {
        Self::new(BlockKind::Basic, [3, 4, 6, 3])
    }
    /// `resnet50`.
    pub fn resnet50() -> Self {
        Self::new(BlockKind::Bottleneck, [3, 4, 6, 3])
    }
    /// `resnet101`.
    pub fn resnet101() -> Self {
        Self::new(BlockKind::Bottleneck, [3, 4, 23, 3])
    }
    /// `resnet152`.
    pub fn resnet152() -> Self {
        Self::new(BlockKind::Bottleneck, [3, 8, 36, 3])
    }

    fn new(block: BlockKind, layers: [usize; 4]) -> Self {
        Self {
            block,
            layers,
            num_classes: 1000,
        }
    }
}

/// `downsample = nn.Sequential(conv1x1(inplanes, planes * expansion, stride),
/// norm_layer(planes * expansion))`.
#[derive(Debug, Clone)]
pub struct Downsample {
    conv: Conv2d,
    bn: BatchNorm,
}

impl Downsample {
    fn new(
        in_planes: usize,
        out_planes: usize,
        stride: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            conv: conv2d(in_planes, out_planes, 1, stride, 0, 1, false, vb.pp("0"))?,
            bn: batch_norm2d(out_planes, BN_EPS, vb.pp("1"))?,
        })
    }
}

impl TraceModule for Downsample {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        x.apply_named("0", &self.conv)?.apply_named("1", &self.bn)
    }
}

/// `torchvision.models.resnet.BasicBlock`.
#[derive(Debug, Clone)]
pub struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    downsample: Option<Downsample>,
}

impl BasicBlock {
    /// `BasicBlock(inplanes, planes, stride, downsample)`.
    pub fn new(
        in_planes: usize,
        planes: usize,
        stride: usize,
        downsample: bool,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            conv1: conv2d(in_planes, planes, 3, stride, 1, 1, false, vb.pp("conv1"))?,
            bn1: batch_norm2d(planes, BN_EPS, vb.pp("bn1"))?,
            conv2: conv2d(planes, planes, 3, 1, 1, 1, false, vb.pp("conv2"))?,
            bn2: batch_norm2d(planes, BN_EPS, vb.pp("bn2"))?,
            downsample: downsample
                .then(|| Downsample::new(in_planes, planes, stride, vb.pp("downsample")))
                .transpose()?,
        })
    }
}

impl TraceModule for BasicBlock {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let out = x.apply_named("conv1", &self.conv1)?;
        let out = out.apply_named("bn1", &self.bn1)?.relu()?;
        let out = out.apply_named("conv2", &self.conv2)?;
        let out = out.apply_named("bn2", &self.bn2)?;
        let identity = match &self.downsample {
            Some(downsample) => x.apply_named("downsample", downsample)?,
            None => x.clone(),
        };
        out.add(&identity)?.relu()
    }
}

/// `torchvision.models.resnet.Bottleneck` (stride on `conv2`).
#[derive(Debug, Clone)]
pub struct Bottleneck {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    conv3: Conv2d,
    bn3: BatchNorm,
    downsample: Option<Downsample>,
}

impl Bottleneck {
    /// `Bottleneck(inplanes, planes, stride, downsample)`; outputs `4 · planes` channels.
    pub fn new(
        in_planes: usize,
        planes: usize,
        stride: usize,
        downsample: bool,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let width = planes;
        let out_planes = planes * BlockKind::Bottleneck.expansion();
        Ok(Self {
            conv1: conv2d(in_planes, width, 1, 1, 0, 1, false, vb.pp("conv1"))?,
            bn1: batch_norm2d(width, BN_EPS, vb.pp("bn1"))?,
            conv2: conv2d(width, width, 3, stride, 1, 1, false, vb.pp("conv2"))?,
            bn2: batch_norm2d(width, BN_EPS, vb.pp("bn2"))?,
            conv3: conv2d(width, out_planes, 1, 1, 0, 1, false, vb.pp("conv3"))?,
            bn3: batch_norm2d(out_planes, BN_EPS, vb.pp("bn3"))?,
            downsample: downsample
                .then(|| Downsample::new(in_planes, out_planes, stride, vb.pp("downsample")))
                .transpose()?,
        })
    }
}

impl TraceModule for Bottleneck {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let out = x.apply_named("conv1", &self.conv1)?;
        let out = out.apply_named("bn1", &self.bn1)?.relu()?;
        let out = out.apply_named("conv2", &self.conv2)?;
        let out = out.apply_named("bn2", &self.bn2)?.relu()?;
        let out = out.apply_named("conv3", &self.conv3)?;
        let out = out.apply_named("bn3", &self.bn3)?;
        let identity = match &self.downsample {
            Some(downsample) => x.apply_named("downsample", downsample)?,
            None => x.clone(),
        };
        out.add(&identity)?.relu()
    }
}

/// One residual block of either kind.
#[derive(Debug, Clone)]
pub enum Block {
    /// ResNet-18/34.
    Basic(BasicBlock),
    /// ResNet-50/101/152.
    Bottleneck(Bottleneck),
}

impl TraceModule for Block {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        match self {
            Block::Basic(b) => b.forward(x),
            Block::Bottleneck(b) => b.forward(x),
        }
    }
}

/// `torchvision.models.ResNet`.
#[derive(Debug, Clone)]
pub struct ResNet {
    conv1: Conv2d,
    bn1: BatchNorm,
    layers: [Vec<Block>; 4],
    fc: Linear,
}

impl ResNet {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &ResNetConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let expansion = cfg.block.expansion();
        let conv1 = conv2d(3, 64, 7, 2, 3, 1, false, vb.pp("conv1"))?;
        let bn1 = batch_norm2d(64, BN_EPS, vb.pp("bn1"))?;
        let mut in_planes = 64;
        // torchvision's `_make_layer`: the first block of a stage strides and, when the shape
        // changes, projects the identity through `downsample`.
        let mut make_layer = |planes: usize, blocks: usize, stride: usize, vb: VarBuilder| {
            let mut layer = Vec::with_capacity(blocks);
            for i in 0..blocks {
                let stride = if i == 0 { stride } else { 1 };
                let downsample = i == 0 && (stride != 1 || in_planes != planes * expansion);
                let vb = vb.pp(i);
                layer.push(match cfg.block {
                    BlockKind::Basic => {
                        Block::Basic(BasicBlock::new(in_planes, planes, stride, downsample, vb)?)
                    }
                    BlockKind::Bottleneck => Block::Bottleneck(Bottleneck::new(
                        in_planes, planes, stride, downsample, vb,
                    )?),
                });
                in_planes = planes * expansion;
            }
            candle_core::Result::Ok(layer)
        };
        let layers = [
            make_layer(64, cfg.layers[0], 1, vb.pp("layer1"))?,
            make_layer(128, cfg.layers[1], 2, vb.pp("layer2"))?,
            make_layer(256, cfg.layers[2], 2, vb.pp("layer3"))?,
            make_layer(512, cfg.layers[3], 2, vb.pp("layer4"))?,
        ];
        let fc = candle_nn::linear(512 * expansion, cfg.num_classes, vb.pp("fc"))?;
        Ok(Self {
            conv1,
            bn1,
            layers,
            fc,
        })
    }
}

impl TraceModule for ResNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("conv1", &self.conv1)?;
        let x = x.apply_named("bn1", &self.bn1)?.relu()?;
        let stem_pool = Pool2dConfig::new(3).with_stride(2).with_padding(1);
        let mut x = x.max_pool2d_with_config(&stem_pool)?;
        for (i, layer) in self.layers.iter().enumerate() {
            let _scope = x.scope(&format!("layer{}", i + 1));
            x = sequential(&x, layer)?;
        }
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        x.apply_named("fc", &self.fc)
    }
}
