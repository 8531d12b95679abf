//! One simulated output against candle's, element by element.
//!
//! An element passes when `|simulated - candle| <= abs + (rel + γ) s` with
//! `s = max(|candle_i|, rms_i)`: its own magnitude (a rounding error is relative to the value it
//! rounds), floored at the root mean square of candle's values over the element's neighbourhood
//! (the [`WINDOW`] elements nearest it in memory order, `i - 4 ..= i + 4`), because an element
//! that results from cancellation (a logit near zero summed from large terms) carries the error
//! of the terms, whose size its neighbours' magnitudes stand for (neighbours in memory order are
//! the same channel's adjacent pixels, the same row's adjacent features). The floor is local:
//! one large value raises it only for its 8 neighbours, and a small head concatenated to a large
//! one is judged at its own scale everywhere but at its first and last 4 elements.

use candle_core::{DType, Tensor};

use crate::options::Tolerance;
use crate::Result;

/// The neighbourhood of an element whose RMS floors its scale: itself and 4 on each side.
pub(crate) const WINDOW: usize = 9;

/// What [`compare`] found.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// `max |simulated - candle|` over the elements where both are finite.
    pub max_abs_err: f64,
    /// `max |candle|` over its finite elements.
    pub reference_max_abs: f64,
    /// `max_i err_i / bound_i`: at most 1 when every element passes.
    pub worst_ratio: f64,
    /// The worst element: (flat index, simulated, candle, bound).
    worst: Option<(usize, f64, f64, f64)>,
    /// The first element that is NaN or infinite on one side only (or infinite of the other
    /// sign): (flat index, simulated, candle).
    one_sided: Option<(usize, f64, f64)>,
    /// `sum candle^2` and `sum (simulated - candle)^2` over the elements where both are finite.
    signal: f64,
    noise: f64,
}

impl Comparison {
    /// Whether an element is NaN or infinite on one side only.
    pub fn non_finite_one_side(&self) -> bool {
        self.one_sided.is_some()
    }

    /// The error relative to `max |candle|`.
    pub fn max_rel_err(&self) -> f64 {
        if self.reference_max_abs > 0.0 {
            self.max_abs_err / self.reference_max_abs
        } else {
            self.max_abs_err
        }
    }

    /// `10 log10(sum candle^2 / sum (simulated - candle)^2)` (infinite when equal).
    pub fn snr_db(&self) -> f64 {
        if self.noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (self.signal / self.noise).log10()
        }
    }

    /// Why this output fails (`None`: it passes). NaN or infinity on one side only fails in
    /// every precision; with `snr_floor` (a quantized network) the SNR is judged instead of
    /// the element bound.
    pub fn verdict(&self, snr_floor: Option<f64>) -> Option<String> {
        if let Some((i, x, y)) = self.one_sided {
            return Some(format!(
                "element {i} is {x} in the simulation and {y} in candle (NaN or infinity on one side only)"
            ));
        }
        if let Some(floor) = snr_floor {
            let snr = self.snr_db();
            return (snr < floor || snr.is_nan()).then(|| {
                format!(
                    "SNR {snr:.1} dB below the floor of {floor} dB (max |simulated - candle| = {:.3e}, max |candle| = {:.3e})",
                    self.max_abs_err, self.reference_max_abs
                )
            });
        }
        if self.worst_ratio <= 1.0 {
            return None;
        }
        let (i, x, y, bound) = self.worst.unwrap_or_default();
        Some(format!(
            "element {i}: |simulated - candle| = {:.3e} > {bound:.3e} (simulated {x:.6e}, candle {y:.6e}); \
             max |simulated - candle| = {:.3e}, max |candle| = {:.3e}",
            (x - y).abs(),
            self.max_abs_err,
            self.reference_max_abs
        ))
    }
}

/// `a` (simulated) against `b` (candle), element by element, each within
/// `tolerance.bound(s, extra_rel)`; `None` when the dims differ. NaN where both have NaN, and
/// equal infinities, count as equal.
pub(crate) fn compare(
    a: &Tensor,
    b: &Tensor,
    tolerance: &Tolerance,
    extra_rel: f64,
) -> Result<Option<Comparison>> {
    if a.dims() != b.dims() {
        return Ok(None);
    }
    let a = a.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    let b = b.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    // Prefix sums of candle's squares (non-finite values count as 0) for the local RMS.
    let mut squares = Vec::with_capacity(b.len() + 1);
    squares.push(0f64);
    for y in &b {
        let sq = if y.is_finite() { y * y } else { 0.0 };
        squares.push(squares.last().copied().unwrap_or(0.0) + sq);
    }
    let half = WINDOW / 2;
    let local_rms = |i: usize| {
        let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(b.len()));
        ((squares[hi] - squares[lo]).max(0.0) / (hi - lo) as f64).sqrt()
    };
    let mut c = Comparison {
        max_abs_err: 0.0,
        reference_max_abs: b
            .iter()
            .filter(|y| y.is_finite())
            .fold(0f64, |m, y| m.max(y.abs())),
        worst_ratio: 0.0,
        worst: None,
        one_sided: None,
        signal: 0.0,
        noise: 0.0,
    };
    for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
        let same = x == y || (x.is_nan() && y.is_nan());
        if !(x.is_finite() && y.is_finite()) {
            if !same && c.one_sided.is_none() {
                c.one_sided = Some((i, x, y));
            }
            continue;
        }
        let err = (x - y).abs();
        let bound = tolerance.bound(y.abs().max(local_rms(i)), extra_rel);
        let ratio = if err == 0.0 { 0.0 } else { err / bound };
        if ratio > c.worst_ratio || ratio.is_nan() {
            c.worst_ratio = if ratio.is_nan() { f64::INFINITY } else { ratio };
            c.worst = Some((i, x, y, bound));
        }
        c.max_abs_err = c.max_abs_err.max(err);
        c.signal += y * y;
        c.noise += err * err;
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn t(v: &[f32]) -> Tensor {
        Tensor::new(v, &Device::Cpu).unwrap()
    }

    const F32: Tolerance = Tolerance {
        abs: 1e-5,
        rel: 1e-4,
    };

    /// Before: `compare` turned a one-sided NaN into +inf, which `inf <= inf` accepted under
    /// `Tolerance::reported_only`, and an infinity on one side was no error at all there.
    #[test]
    fn nan_or_infinity_on_one_side_fails_in_every_precision() {
        let loose = Tolerance {
            abs: f64::INFINITY,
            rel: 0.0,
        };
        for (sim, reference) in [
            (f32::NAN, 1.0),
            (1.0, f32::NAN),
            (f32::INFINITY, 1.0),
            (f32::NEG_INFINITY, f32::INFINITY),
        ] {
            for tol in [F32, loose] {
                let c = compare(&t(&[0.5, sim]), &t(&[0.5, reference]), &tol, 0.0)
                    .unwrap()
                    .unwrap();
                assert!(c.verdict(None).is_some(), "{sim} vs {reference}");
                assert!(c.verdict(Some(-1e9)).is_some(), "{sim} vs {reference}");
            }
        }
        let both = compare(
            &t(&[f32::NAN, f32::INFINITY]),
            &t(&[f32::NAN, f32::INFINITY]),
            &F32,
            0.0,
        )
        .unwrap()
        .unwrap();
        assert_eq!(both.verdict(None), None);
    }

    /// A small head (values 0.01) concatenated to a large one (values 1000), the small head
    /// 100 % wrong. Judged against `max |candle|` (the old bound, `1e-5 + 1e-4 · 1000 = 0.1`)
    /// the error 0.01 passed; per element (floored at the neighbourhood's RMS) it fails, even
    /// with an f16-sized budget.
    #[test]
    fn a_wrong_small_head_next_to_a_large_one_fails() {
        let mut reference = vec![1000f32; 100];
        reference.extend([0.01f32; 10]);
        let mut sim = reference.clone();
        for v in &mut sim[100..] {
            *v *= 2.0;
        }
        let old_bound = 1e-5 + 1e-4 * 1000.0;
        let c = compare(&t(&sim), &t(&reference), &F32, 0.0)
            .unwrap()
            .unwrap();
        assert!(c.max_abs_err <= old_bound);
        assert!(c.verdict(None).is_some());
        // One f16 rounding budget (2^-11) does not hide it either.
        let c = compare(&t(&sim), &t(&reference), &F32, 2f64.powi(-11))
            .unwrap()
            .unwrap();
        assert!(c.verdict(None).is_some());
        // Right, it passes.
        let c = compare(&t(&reference), &t(&reference), &F32, 0.0)
            .unwrap()
            .unwrap();
        assert_eq!(c.verdict(None), None);
    }

    /// An element that cancels to near zero is judged at its neighbourhood's RMS, not its own
    /// size.
    #[test]
    fn cancellation_is_judged_at_the_neighbourhood_rms() {
        let reference = [3.0f32, -4.0, 1e-6];
        let sim = [3.0f32, -4.0, 1e-6 + 2e-4];
        // rms = sqrt((9 + 16) / 3) = 2.89; bound = 1e-5 + 1e-4 · 2.89 = 3.0e-4 > 2e-4.
        let c = compare(&t(&sim), &t(&reference), &F32, 0.0)
            .unwrap()
            .unwrap();
        assert_eq!(c.verdict(None), None, "{c:?}");
    }

    #[test]
    fn snr_floor_judges_quantized_outputs() {
        let reference: Vec<f32> = (0..100).map(|i| (i as f32 * 0.3).sin()).collect();
        // Noise at 1/100 of the amplitude: SNR about 37 dB.
        let fine: Vec<f32> = reference
            .iter()
            .enumerate()
            .map(|(i, y)| y + 0.01 * (i as f32 * 1.7).cos())
            .collect();
        // Noise at half the amplitude: SNR about 6 dB.
        let bad: Vec<f32> = reference
            .iter()
            .enumerate()
            .map(|(i, y)| y + 0.5 * (i as f32 * 1.7).cos())
            .collect();
        let fine = compare(&t(&fine), &t(&reference), &F32, 0.0)
            .unwrap()
            .unwrap();
        let bad = compare(&t(&bad), &t(&reference), &F32, 0.0)
            .unwrap()
            .unwrap();
        assert!(fine.snr_db() > 30.0 && bad.snr_db() < 10.0);
        assert_eq!(fine.verdict(Some(20.0)), None);
        assert!(bad.verdict(Some(20.0)).is_some());
    }
}
