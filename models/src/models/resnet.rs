//! torchvision's ResNet (`torchvision.models.resnet`): ResNet-18/34 with `BasicBlock`,
//! ResNet-50/101/152 with `Bottleneck` (stride on the 3×3 convolution, "ResNet v1.5").
//!
//! Keys: `conv1`, `bn1`, `layer{1..4}.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3]}`,
//! `layer{k}.0.downsample.{0,1}`, `fc`.

use candle2trt::{Pool2dConfig, Result, TraceModule, TraceTensor};
use candle_nn::{Activation, Linear, VarBuilder};

use crate::blocks::{ConvNormAct, ConvNormActConfig, ConvNormActNames, Sequential};

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

/// One residual block of either kind: the convolutions `conv1`, `conv2`[, `conv3`] with their
/// batch norms `bn1`, `bn2`[, `bn3`], ReLU between them, the identity (or its `downsample`
/// projection, `downsample.{0,1}`) added, then ReLU.
#[derive(Debug, Clone)]
pub struct ResidualBlock {
    convs: Vec<ConvNormAct>,
    downsample: Option<ConvNormAct>,
}

impl ResidualBlock {
    /// `BasicBlock(inplanes, planes, stride, downsample)` or `Bottleneck(…)` (stride on the
    /// 3×3 convolution, output `4 · planes` channels).
    pub fn new(
        kind: BlockKind,
        in_planes: usize,
        planes: usize,
        stride: usize,
        downsample: bool,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let out_planes = planes * kind.expansion();
        // (kernel, stride, in, out) of each convolution.
        let shapes = match kind {
            BlockKind::Basic => vec![(3, stride, in_planes, planes), (3, 1, planes, planes)],
            BlockKind::Bottleneck => vec![
                (1, 1, in_planes, planes),
                (3, stride, planes, planes),
                (1, 1, planes, out_planes),
            ],
        };
        let last = shapes.len() - 1;
        let convs = shapes
            .into_iter()
            .enumerate()
            .map(|(i, (k, s, inp, out))| {
                let act = (i < last).then_some(Activation::Relu);
                let cfg = ConvNormActConfig::new(k).stride(s).activation(act);
                let names = ConvNormActNames::new(format!("conv{}", i + 1), format!("bn{}", i + 1));
                ConvNormAct::new(inp, out, cfg, names, vb.clone())
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        // downsample = nn.Sequential(conv1x1(inplanes, planes * expansion, stride), norm_layer(…))
        let downsample = downsample
            .then(|| {
                let cfg = ConvNormActConfig::new(1).stride(stride).activation(None);
                let names = ConvNormActNames::sequential();
                ConvNormAct::new(in_planes, out_planes, cfg, names, vb.pp("downsample"))
            })
            .transpose()?;
        Ok(Self { convs, downsample })
    }
}

impl TraceModule for ResidualBlock {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let mut out = x.clone();
        for conv in &self.convs {
            out = conv.forward(&out)?;
        }
        let identity = match &self.downsample {
            Some(downsample) => x.apply_named("downsample", downsample)?,
            None => x.clone(),
        };
        out.add(&identity)?.relu()
    }
}

/// `torchvision.models.ResNet`.
#[derive(Debug, Clone)]
pub struct ResNet {
    stem: ConvNormAct,
    layers: [Sequential<ResidualBlock>; 4],
    fc: Linear,
}

impl ResNet {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &ResNetConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let expansion = cfg.block.expansion();
        // conv1 (7×7, stride 2, padding 3) → bn1 → ReLU
        let stem_cfg = ConvNormActConfig::new(7).stride(2);
        let stem = ConvNormAct::new(
            3,
            64,
            stem_cfg,
            ConvNormActNames::new("conv1", "bn1"),
            vb.clone(),
        )?;
        let mut in_planes = 64;
        // torchvision's `_make_layer`: the first block of a stage strides and, when the shape
        // changes, projects the identity through `downsample`.
        let mut make_layer = |planes: usize, blocks: usize, stride: usize, vb: VarBuilder| {
            Sequential::load(blocks, vb, |i, vb| {
                let stride = if i == 0 { stride } else { 1 };
                let downsample = i == 0 && (stride != 1 || in_planes != planes * expansion);
                let block =
                    ResidualBlock::new(cfg.block, in_planes, planes, stride, downsample, vb);
                in_planes = planes * expansion;
                block
            })
        };
        let layers = [
            make_layer(64, cfg.layers[0], 1, vb.pp("layer1"))?,
            make_layer(128, cfg.layers[1], 2, vb.pp("layer2"))?,
            make_layer(256, cfg.layers[2], 2, vb.pp("layer3"))?,
            make_layer(512, cfg.layers[3], 2, vb.pp("layer4"))?,
        ];
        let fc = candle_nn::linear(512 * expansion, cfg.num_classes, vb.pp("fc"))?;
        Ok(Self { stem, layers, fc })
    }
}

impl TraceModule for ResNet {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = self.stem.forward(x)?;
        let stem_pool = Pool2dConfig::new(3).with_stride(2).with_padding(1);
        let mut x = x.max_pool2d_with_config(&stem_pool)?;
        for (i, layer) in self.layers.iter().enumerate() {
            x = x.apply_named(&format!("layer{}", i + 1), layer)?;
        }
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten_from(1)?;
        x.apply_named("fc", &self.fc)
    }
}
