//! Calibrators: a streaming histogram of `|x|` per quantized tensor and the four ways of
//! choosing its range (`amax`) from it — max, percentile, entropy (TensorRT's minimum KL
//! divergence) and MSE — as pytorch-quantization and NVIDIA Model Optimizer define them.
//!
//! Memory is bounded whatever the dataset: one histogram of [`BINS`] counts per tensor. The
//! first batch fixes the histogram's range to its own `max |x|`; a later batch with a larger
//! value doubles the range (merging bins pairwise) until it fits, so the result depends only on
//! the batches and their order (deterministic).

use std::fmt;
use std::str::FromStr;

/// Number of histogram bins (TensorRT's entropy calibrator uses 2048).
pub const BINS: usize = 2048;
/// First candidate threshold (in bins) of the entropy and MSE searches.
const START_BIN: usize = 128;
/// Quantization levels of the positive half of INT8 (the entropy calibrator merges the
/// reference distribution into this many bins).
const LEVELS: usize = 128;

/// How the range of an activation is chosen from its calibration statistics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Calibrator {
    /// The largest `|x|` seen (NVIDIA Model Optimizer's default; fragile with outliers).
    Max,
    /// The given percentile of `|x|` (pytorch-quantization: 99.99 by default, also 99.999).
    Percentile(f64),
    /// TensorRT's entropy calibrator: the threshold whose 128-level quantization of the 2048-bin
    /// histogram has the smallest KL divergence from it (torch2trt's default, "entropy 2").
    #[default]
    Entropy,
    /// The threshold with the smallest mean squared quantization error over the histogram.
    Mse,
}

impl fmt::Display for Calibrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Calibrator::Max => f.write_str("max"),
            Calibrator::Percentile(p) => write!(f, "percentile({p})"),
            Calibrator::Entropy => f.write_str("entropy"),
            Calibrator::Mse => f.write_str("mse"),
        }
    }
}

impl FromStr for Calibrator {
    type Err = String;

    /// `max`, `entropy`, `mse`, `percentile` (99.99) or `percentile(P)` / `percentile:P`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "max" => Calibrator::Max,
            "entropy" => Calibrator::Entropy,
            "mse" => Calibrator::Mse,
            "percentile" => Calibrator::Percentile(99.99),
            _ => {
                let p = s
                    .strip_prefix("percentile")
                    .map(|r| r.trim_matches(|c| c == '(' || c == ')' || c == ':' || c == '='))
                    .and_then(|r| r.parse::<f64>().ok())
                    .filter(|p| *p > 0.0 && *p <= 100.0);
                match p {
                    Some(p) => Calibrator::Percentile(p),
                    None => {
                        return Err(format!(
                            "unknown calibrator {s:?} (max, percentile[(P)], entropy, mse)"
                        ))
                    }
                }
            }
        })
    }
}

/// A streaming histogram of `|x|` over `[0, range]` in [`BINS`] bins, and the running max.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    counts: Vec<u64>,
    range: f32,
    amax: f32,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BINS],
            range: 0.0,
            amax: 0.0,
        }
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest `|x|` seen.
    pub fn amax(&self) -> f32 {
        self.amax
    }

    /// The number of values seen.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The upper edge of the histogram (bin width is `range / BINS`).
    pub fn range(&self) -> f32 {
        self.range
    }

    /// Adds `values` (non-finite values are ignored).
    pub fn add(&mut self, values: &[f32]) {
        let batch_max = values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0f32, |m, v| m.max(v.abs()));
        if batch_max > self.amax {
            self.amax = batch_max;
        }
        if self.range == 0.0 {
            if batch_max == 0.0 {
                // Only zeros so far: they all fall into bin 0 whatever the range becomes.
                self.counts[0] += values.iter().filter(|v| v.is_finite()).count() as u64;
                return;
            }
            self.range = batch_max;
        }
        while batch_max > self.range {
            self.double_range();
        }
        let scale = BINS as f32 / self.range;
        for v in values.iter().filter(|v| v.is_finite()) {
            let b = ((v.abs() * scale) as usize).min(BINS - 1);
            self.counts[b] += 1;
        }
    }

    fn double_range(&mut self) {
        for i in 0..BINS / 2 {
            self.counts[i] = self.counts[2 * i] + self.counts[2 * i + 1];
        }
        for c in &mut self.counts[BINS / 2..] {
            *c = 0;
        }
        self.range *= 2.0;
    }

    fn width(&self) -> f64 {
        self.range as f64 / BINS as f64
    }

    /// The range `calibrator` chooses (0 when nothing but zeros was seen).
    pub fn choose(&self, calibrator: Calibrator) -> f32 {
        if self.amax == 0.0 {
            return 0.0;
        }
        let a = match calibrator {
            Calibrator::Max => self.amax as f64,
            Calibrator::Percentile(p) => self.percentile(p),
            Calibrator::Entropy => self.entropy(),
            Calibrator::Mse => self.mse(),
        };
        (a as f32).min(self.amax)
    }

    /// The upper edge of the first bin where the cumulative count reaches `p` %.
    fn percentile(&self, p: f64) -> f64 {
        let total = self.total() as f64;
        let target = total * p / 100.0;
        let mut cumulative = 0.0;
        for (i, &c) in self.counts.iter().enumerate() {
            cumulative += c as f64;
            if cumulative >= target {
                return (i + 1) as f64 * self.width();
            }
        }
        self.range as f64
    }

    /// The last bin holding data, plus one (thresholds beyond it all equal the max).
    fn used_bins(&self) -> usize {
        self.counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(1, |i| i + 1)
            .max(1)
    }

    /// TensorRT's entropy calibration: for each threshold `i` (in bins, from 128), the
    /// reference `P` is the histogram's first `i` bins with all counts beyond folded into bin
    /// `i - 1`; the candidate `Q` merges those `i` bins into 128 levels and spreads each level's
    /// count evenly over its non-empty bins. The threshold with the smallest KL(P‖Q) wins (the
    /// largest such threshold on ties). Bin 0 takes bin 1's count first, so that the spike of
    /// exact zeros (ReLU) does not dominate.
    fn entropy(&self) -> f64 {
        let mut bins: Vec<f64> = self.counts.iter().map(|&c| c as f64).collect();
        bins[0] = bins[1];
        let stop = self.used_bins().max(START_BIN);
        let mut suffix = vec![0.0; BINS + 1];
        for i in (0..BINS).rev() {
            suffix[i] = suffix[i + 1] + bins[i];
        }
        let mut best = (f64::INFINITY, stop);
        let mut q = vec![0.0; BINS];
        for i in START_BIN..=stop {
            // Q: merge bins [0, i) into LEVELS levels, spread over non-empty bins.
            for level in 0..LEVELS {
                let lo = level * i / LEVELS;
                let hi = ((level + 1) * i / LEVELS).max(lo + 1).min(i);
                let sum: f64 = bins[lo..hi].iter().sum();
                let nonzero = bins[lo..hi].iter().filter(|&&c| c > 0.0).count();
                for j in lo..hi {
                    q[j] = if bins[j] > 0.0 {
                        sum / nonzero as f64
                    } else {
                        0.0
                    };
                }
            }
            let p_total: f64 = suffix[0];
            let q_total: f64 = q[..i].iter().sum();
            if p_total == 0.0 || q_total == 0.0 {
                continue;
            }
            let mut kl = 0.0;
            for j in 0..i {
                let p = if j == i - 1 {
                    bins[j] + suffix[i]
                } else {
                    bins[j]
                } / p_total;
                if p == 0.0 {
                    continue;
                }
                let qj = q[j] / q_total;
                if qj == 0.0 {
                    kl = f64::INFINITY;
                    break;
                }
                kl += p * (p / qj).ln();
            }
            if kl <= best.0 {
                best = (kl, i);
            }
        }
        best.1 as f64 * self.width()
    }

    /// The threshold (a bin edge from 128) whose symmetric 8-bit quantization of the bin
    /// centres has the smallest mean squared error, values beyond it clamped.
    fn mse(&self) -> f64 {
        let w = self.width();
        let stop = self.used_bins().max(START_BIN);
        let mut best = (f64::INFINITY, stop);
        for i in START_BIN..=stop {
            let amax = i as f64 * w;
            let step = amax / 127.0;
            let mut err = 0.0;
            for (j, &c) in self.counts[..stop].iter().enumerate() {
                if c == 0 {
                    continue;
                }
                let x = (j as f64 + 0.5) * w;
                let q = (x / step).round_ties_even().min(127.0) * step;
                err += c as f64 * (x - q) * (x - q);
            }
            if err < best.0 {
                best = (err, i);
            }
        }
        best.1 as f64 * w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard normal samples from a fixed-seed generator (xorshift + Box–Muller).
    fn normal(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        let mut uniform = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let (u, v) = (uniform(), uniform());
                ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
            })
            .collect()
    }

    fn gaussian_with_outliers() -> Histogram {
        let mut h = Histogram::new();
        let mut x = normal(200_000, 7);
        x.extend([40.0, -35.0]);
        for chunk in x.chunks(10_000) {
            h.add(chunk);
        }
        h
    }

    #[test]
    fn max_is_the_largest_magnitude() {
        let mut h = Histogram::new();
        h.add(&[0.5, -3.0, 1.0]);
        h.add(&[2.0, f32::NAN]);
        assert_eq!(h.choose(Calibrator::Max), 3.0);
        // The NaN is not counted.
        assert_eq!(h.total(), 4);
    }

    #[test]
    fn percentile_of_evenly_spaced_values() {
        let mut h = Histogram::new();
        let x: Vec<f32> = (0..100_000).map(|k| k as f32 / 100_000.0).collect();
        h.add(&x);
        let p99 = h.choose(Calibrator::Percentile(99.0));
        assert!((p99 - 0.99).abs() < 2e-3, "{p99}");
        let p50 = h.choose(Calibrator::Percentile(50.0));
        assert!((p50 - 0.5).abs() < 2e-3, "{p50}");
    }

    #[test]
    fn the_range_grows_by_doubling_and_keeps_counts() {
        let mut h = Histogram::new();
        h.add(&[0.25, 1.0]);
        assert_eq!(h.range(), 1.0);
        h.add(&[3.5]);
        assert_eq!(h.range(), 4.0);
        assert_eq!(h.total(), 3);
        // 0.25 was in bin 512 of [0, 1]; after two doublings it is in bin 128 of [0, 4].
        assert_eq!(h.counts[128], 1);
        assert_eq!(h.counts[(3.5 / 4.0 * BINS as f32) as usize], 1);
    }

    /// On a standard normal with two far outliers, entropy clips near the bulk, max follows
    /// the outlier, the 99.99th percentile lies near 3.9σ; MSE, which pays the outliers'
    /// squared clipping error, clips above the percentile but below the max.
    #[test]
    fn calibrators_on_a_gaussian_with_outliers() {
        let h = gaussian_with_outliers();
        assert_eq!(h.choose(Calibrator::Max), 40.0);
        let e = h.choose(Calibrator::Entropy);
        assert!((2.5..8.0).contains(&e), "entropy amax {e}");
        let p = h.choose(Calibrator::Percentile(99.99));
        assert!((3.5..5.0).contains(&p), "percentile amax {p}");
        let m = h.choose(Calibrator::Mse);
        assert!(m > p && m < 38.0, "mse amax {m}");
    }

    /// Uniform data has no tail: the MSE-optimal threshold is close to its max.
    #[test]
    fn mse_keeps_the_range_of_uniform_data() {
        let mut h = Histogram::new();
        let x: Vec<f32> = (0..50_000).map(|k| (k as f32 / 25_000.0) - 1.0).collect();
        h.add(&x);
        let m = h.choose(Calibrator::Mse);
        assert!(m > 0.95, "{m}");
    }

    #[test]
    fn same_batches_same_result() {
        let a = gaussian_with_outliers();
        let b = gaussian_with_outliers();
        assert_eq!(a, b);
        assert_eq!(
            a.choose(Calibrator::Entropy).to_bits(),
            b.choose(Calibrator::Entropy).to_bits()
        );
    }

    #[test]
    fn calibrator_names_parse() {
        assert_eq!("max".parse::<Calibrator>(), Ok(Calibrator::Max));
        assert_eq!(
            "percentile(99.999)".parse::<Calibrator>(),
            Ok(Calibrator::Percentile(99.999))
        );
        assert_eq!(
            "percentile".parse::<Calibrator>(),
            Ok(Calibrator::Percentile(99.99))
        );
        assert!("minmax".parse::<Calibrator>().is_err());
    }
}
