//! ImageNet-1k: the 1,000 class names and the normalization the zoo's classifiers expect.
//!
//! The names are torchvision's (`torchvision.models._meta._IMAGENET_CATEGORIES`), one per line
//! in `data/imagenet_classes.txt`, in the order of the logits of every classifier here.

use std::sync::OnceLock;

use candle_core::{DType, Tensor, D};

/// The per-channel (RGB) mean of ImageNet, for inputs scaled to `[0, 1]`.
pub const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// The per-channel (RGB) standard deviation of ImageNet, for inputs scaled to `[0, 1]`.
pub const STD: [f32; 3] = [0.229, 0.224, 0.225];

const CLASSES_FILE: &str = include_str!("../../data/imagenet_classes.txt");

/// The 1,000 class names, by class index (`0` is "tench", `281` "tabby").
pub fn class_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| CLASSES_FILE.lines().collect())
}

/// `(x − MEAN) / STD` per channel, for an `(…, 3, H, W)` input in `[0, 1]` (torchvision's
/// `Normalize(mean, std)`).
pub fn normalize(x: &Tensor) -> candle_core::Result<Tensor> {
    let rank = x.rank();
    if rank < 3 || x.dim(rank - 3)? != 3 {
        candle_core::bail!("normalize expects (…, 3, H, W), got {:?}", x.dims())
    }
    let mut shape = vec![1; rank];
    shape[rank - 3] = 3;
    let mean = Tensor::new(&MEAN, x.device())?.reshape(shape.as_slice())?;
    let std = Tensor::new(&STD, x.device())?.reshape(shape.as_slice())?;
    x.to_dtype(DType::F32)?
        .broadcast_sub(&mean)?
        .broadcast_div(&std)
}

/// The `k` most probable classes of each row of `(batch, 1000)` logits: `(class index,
/// softmax probability)`, most probable first.
pub fn top_k(logits: &Tensor, k: usize) -> candle_core::Result<Vec<Vec<(usize, f32)>>> {
    let probs = candle_nn::ops::softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
    let rows = probs.to_vec2::<f32>()?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut ranked: Vec<(usize, f32)> = row.into_iter().enumerate().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(k);
            ranked
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::class_names;

    #[test]
    fn one_thousand_names_in_torchvision_order() {
        let names = class_names();
        assert_eq!(names.len(), 1000);
        assert_eq!(names[0], "tench");
        assert_eq!(names[281], "tabby");
        assert_eq!(names[967], "espresso");
        assert_eq!(names[999], "toilet tissue");
        assert!(names.iter().all(|n| !n.is_empty() && n.trim() == *n));
    }
}
