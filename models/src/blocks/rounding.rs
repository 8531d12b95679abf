//! Channel and depth rounding of the scaled architectures (MobileNet, EfficientNet).

/// torchvision's `_make_divisible` (from TensorFlow's MobileNet): rounds `v` to the nearest
/// multiple of `divisor`, at least `min_value` (by default `divisor`), and never more than 10%
/// below `v`.
///
/// ```
/// use candle2trt_models::blocks::make_divisible;
/// assert_eq!(make_divisible(32.0 * 1.4, 8, None), 48);
/// assert_eq!(make_divisible(92.0, 8, None), 96); // 88 would be more than 10% below
/// ```
pub fn make_divisible(v: f64, divisor: usize, min_value: Option<usize>) -> usize {
    let min_value = min_value.unwrap_or(divisor);
    let d = divisor as f64;
    let mut new_v = min_value.max(((v + d / 2.0) as usize) / divisor * divisor);
    if (new_v as f64) < 0.9 * v {
        new_v += divisor;
    }
    new_v
}

/// EfficientNet's `round_filters`: `filters` scaled by the width multiplier, then
/// [`make_divisible`] by `divisor` (8 in every EfficientNet).
///
/// ```
/// use candle2trt_models::blocks::round_filters;
/// assert_eq!(round_filters(40, 1.1, 8), 48);
/// assert_eq!(round_filters(320, 1.4, 8), 448);
/// ```
pub fn round_filters(filters: usize, width_multiplier: f64, divisor: usize) -> usize {
    make_divisible(filters as f64 * width_multiplier, divisor, None)
}

/// EfficientNet's `round_repeats`: the number of blocks of a stage scaled by the depth
/// multiplier, rounded up.
///
/// ```
/// use candle2trt_models::blocks::round_repeats;
/// assert_eq!(round_repeats(3, 1.1), 4);
/// assert_eq!(round_repeats(4, 1.8), 8);
/// ```
pub fn round_repeats(repeats: usize, depth_multiplier: f64) -> usize {
    (repeats as f64 * depth_multiplier).ceil() as usize
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
        // Never more than 10% below: 92 → 96, not 88.
        assert_eq!(make_divisible(92.0, 8, None), 96);
    }
}
