//! `nn.Sequential` of one module type.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_nn::VarBuilder;

/// `nn.Sequential(*layers)` whose layers are all of type `M`: applied in order, each in the
/// scope of its index, and loaded from `vb.<index>` — the names PyTorch gives `Sequential`
/// children (`layer1.0`, `layer1.1`, …).
///
/// PyTorch numbers every child, including those without weights (ReLU, pooling): a
/// `Sequential` that continues another one starts at that index
/// ([`Sequential::load_from`]`(1, …)` for MobileNetV2's blocks after the stem at `features.0`).
///
/// ```no_run
/// use candle2trt_models::blocks::{ConvNormAct, ConvNormActConfig, ConvNormActNames, Sequential};
/// # fn demo(vb: candle_nn::VarBuilder) -> candle_core::Result<()> {
/// // nn.Sequential(Conv2dNormActivation(16, 16), Conv2dNormActivation(16, 16))
/// let layers = Sequential::load(2, vb, |_, vb| {
///     ConvNormAct::new(16, 16, ConvNormActConfig::new(3), ConvNormActNames::sequential(), vb)
/// })?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Sequential<M> {
    first_index: usize,
    layers: Vec<M>,
}

impl<M> Sequential<M> {
    /// Layers `0`, `1`, … in order.
    pub fn new(layers: Vec<M>) -> Self {
        Self::starting_at(0, layers)
    }

    /// Layers named `first_index`, `first_index + 1`, … in order.
    pub fn starting_at(first_index: usize, layers: Vec<M>) -> Self {
        Self {
            first_index,
            layers,
        }
    }

    /// Builds `count` layers: `build(position, vb.pp(index))` for positions `0..count`, named
    /// `0..count`.
    pub fn load(
        count: usize,
        vb: VarBuilder,
        build: impl FnMut(usize, VarBuilder) -> candle_core::Result<M>,
    ) -> candle_core::Result<Self> {
        Self::load_from(0, count, vb, build)
    }

    /// Builds `count` layers named `first_index..first_index + count`: `build(position,
    /// vb.pp(first_index + position))`.
    pub fn load_from(
        first_index: usize,
        count: usize,
        vb: VarBuilder,
        mut build: impl FnMut(usize, VarBuilder) -> candle_core::Result<M>,
    ) -> candle_core::Result<Self> {
        let layers = (0..count)
            .map(|i| build(i, vb.pp(first_index + i)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self::starting_at(first_index, layers))
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[M] {
        &self.layers
    }

    /// The name (index) of the first layer.
    pub fn first_index(&self) -> usize {
        self.first_index
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers (the forward is then the identity).
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<M: TraceModule> TraceModule for Sequential<M> {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let mut x = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            x = x.apply_named(&(self.first_index + i).to_string(), layer)?;
        }
        Ok(x)
    }
}
