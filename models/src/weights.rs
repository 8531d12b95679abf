//! Building a model from a checkpoint with a strict load, as PyTorch's
//! `load_state_dict(strict=True)`.

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

use crate::{Error, Result};

/// Builds a model with `build` from `ckpt`, then fails unless every tensor the model asked for
/// was present with the right shape and every tensor of the checkpoint was used — except
/// BatchNorm's `num_batches_tracked` counters, which inference does not read.
///
/// The error, [`Error::StrictLoad`], lists every missing key, every unexpected key and every
/// shape mismatch at once (the model is built on zeros where a tensor does not fit, so one run
/// finds them all).
///
/// ```no_run
/// use candle_core::{DType, Device};
/// use candle2trt_models::models::torchvision::by_name;
/// # fn main() -> candle2trt_models::Result<()> {
/// let ckpt = torch_weights::open("resnet50.pth")?;
/// let model = candle2trt_models::weights::build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
///     by_name("resnet50", vb)
/// })?;
/// # Ok(()) }
/// ```
pub fn build_strict<M, E>(
    ckpt: &torch_weights::Checkpoint,
    dtype: DType,
    device: &Device,
    build: impl FnOnce(VarBuilder<'static>) -> std::result::Result<M, E>,
) -> Result<M>
where
    E: Into<Error>,
{
    let (vb, tracker) = ckpt.strict_var_builder(dtype, device);
    let built = build(vb).map_err(Into::into);
    let report = tracker
        .report()
        .ignore_unexpected(|name| name.ends_with("num_batches_tracked"));
    // A mismatch explains a build failure better than the failure itself (a layer built on
    // placeholder zeros of the wrong shape can fail further on).
    if !report.is_clean() {
        return Err(Error::StrictLoad {
            path: ckpt.path().to_path_buf(),
            report: Box::new(report),
        });
    }
    built
}
