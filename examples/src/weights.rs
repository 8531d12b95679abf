//! Building a model from a checkpoint with a strict load, as PyTorch's
//! `load_state_dict(strict=True)`.

use anyhow::Context;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;

/// Builds a model with `build` from `ckpt`, then fails unless every tensor the model asked for
/// was present with the right shape and every tensor of the checkpoint was used — except
/// BatchNorm's `num_batches_tracked` counters, which inference does not read.
///
/// ```no_run
/// use candle_core::{DType, Device};
/// use candle2trt_examples::models::torchvision::by_name;
/// # fn main() -> anyhow::Result<()> {
/// let ckpt = torch_weights::open("resnet50.pth")?;
/// let model = candle2trt_examples::weights::build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
///     by_name("resnet50", vb)
/// })?;
/// # Ok(()) }
/// ```
pub fn build_strict<M>(
    ckpt: &torch_weights::Checkpoint,
    dtype: DType,
    device: &Device,
    build: impl FnOnce(VarBuilder<'static>) -> candle_core::Result<M>,
) -> anyhow::Result<M> {
    let (vb, tracker) = ckpt.strict_var_builder(dtype, device);
    let model = build(vb).context("building the model")?;
    tracker
        .report()
        .ignore_unexpected(|name| name.ends_with("num_batches_tracked"))
        .into_result()
        .with_context(|| format!("loading {}", ckpt.path().display()))?;
    Ok(model)
}
