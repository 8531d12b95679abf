//! Inputs at a profile corner: the sample cut or extended to the corner's dims, every extension
//! with values of its own, so that a batch's rows (or a sequence's positions) differ and a
//! network that mixes, reverses or repeats them computes something else than candle.

use candle_core::{DType, Tensor};

use crate::Result;

/// SplitMix64: a small seeded generator (the corners are the same in every run).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `x` cut (leading elements) or extended along each axis to `target`. Elements the sample does
/// not have are drawn from `seed`: real inputs uniformly within the sample's own range `[min,
/// max]`; integer and boolean inputs (token ids, masks, type ids) from the values the sample
/// holds, so they stay valid.
pub(crate) fn at_dims(x: &Tensor, target: &[usize], seed: u64) -> Result<Tensor> {
    let mut cut = x.clone();
    for (d, &t) in target.iter().enumerate() {
        if t < cut.dims()[d] {
            cut = cut.narrow(d, 0, t)?;
        }
    }
    let dims = cut.dims().to_vec();
    if dims.as_slice() == target {
        return Ok(cut);
    }
    let values = cut.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    let real = matches!(
        x.dtype(),
        DType::F16 | DType::BF16 | DType::F32 | DType::F64
    );
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mut rng = SplitMix(seed);
    let n: usize = target.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut index = vec![0usize; target.len()];
    for _ in 0..n {
        let inside = index.iter().zip(&dims).all(|(&i, &d)| i < d);
        let v = if inside {
            let flat = index.iter().zip(&dims).fold(0, |f, (&i, &d)| f * d + i);
            values[flat]
        } else if real && lo <= hi {
            lo + (hi - lo) * rng.unit()
        } else {
            values[(rng.next() % values.len().max(1) as u64) as usize]
        };
        out.push(v);
        for a in (0..target.len()).rev() {
            index[a] += 1;
            if index[a] < target[a] {
                break;
            }
            index[a] = 0;
        }
    }
    Ok(Tensor::from_vec(out, target, x.device())?.to_dtype(x.dtype())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Before: a batch-1 sample was tiled, so every row of the profile's max was a copy and a
    /// network that reversed the batch computed candle's numbers there.
    #[test]
    fn extended_rows_differ_and_stay_in_range() {
        let x = Tensor::new(&[[0.5f32, -1.0, 2.0]], &Device::Cpu).unwrap();
        let y = at_dims(&x, &[4, 3], 7).unwrap();
        let rows = y.to_vec2::<f32>().unwrap();
        assert_eq!(rows[0], [0.5, -1.0, 2.0]);
        for r in &rows[1..] {
            assert_ne!(r, &rows[0]);
            assert!(r.iter().all(|v| (-1.0..=2.0).contains(v)), "{r:?}");
        }
        let reversed: Vec<_> = rows.iter().rev().cloned().collect();
        assert_ne!(reversed, rows);
        // Seeded: the same corner every time.
        assert_eq!(
            at_dims(&x, &[4, 3], 7).unwrap().to_vec2::<f32>().unwrap(),
            rows
        );
    }

    #[test]
    fn ids_and_masks_keep_the_samples_values() {
        let ids = Tensor::new(&[[3u32, 9, 9, 1]], &Device::Cpu).unwrap();
        let y = at_dims(&ids, &[3, 6], 1).unwrap().to_vec2::<u32>().unwrap();
        assert_eq!(&y[0][..4], &[3, 9, 9, 1]);
        assert!(y.iter().flatten().all(|v| [3, 9, 1].contains(v)), "{y:?}");
        let mask = Tensor::new(&[[1u8, 1, 0]], &Device::Cpu).unwrap();
        let m = at_dims(&mask, &[2, 3], 2).unwrap().to_vec2::<u8>().unwrap();
        assert!(m.iter().flatten().all(|v| *v <= 1));
        // Cutting keeps the leading elements.
        let cut = at_dims(&ids, &[1, 2], 1).unwrap().to_vec2::<u32>().unwrap();
        assert_eq!(cut, [[3, 9]]);
    }
}
