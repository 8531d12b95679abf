//! The one matrix product the window kernels need, `dst += a · b` in f32, on the `gemm` crate (candle's own CPU
//! matrix-multiply library), with every bound checked before the unsafe call.

use crate::error::{invalid, LayerResult};

/// A read-only matrix view: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mat<'a> {
    pub(super) data: &'a [f32],
    pub(super) rs: usize,
    pub(super) cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix with `cols` columns.
    pub(super) fn rows(data: &'a [f32], cols: usize) -> Self {
        Mat {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// Whether a `rows × cols` view stays inside `data`.
    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0
            || cols == 0
            || (rows - 1)
                .checked_mul(self.rs)
                .zip((cols - 1).checked_mul(self.cs))
                .and_then(|(a, b)| a.checked_add(b))
                .is_some_and(|last| last < self.data.len())
    }
}

/// `dst[m × n] (row-major, contiguous) += a[m × k] · b[k × n]`, summed in f32. `parallel`: split the product
/// over rayon's threads (off when the caller already runs one product per thread).
pub(super) fn gemm_acc(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    a: Mat<'_>,
    b: Mat<'_>,
    parallel: bool,
) -> LayerResult<()> {
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    if dst.len() != m * n || !a.fits(m, k) || !b.fits(k, n) {
        return invalid!(
            "matrix product {m}×{k} · {k}×{n} over buffers of {}, {} and {} values",
            a.data.len(),
            b.data.len(),
            dst.len()
        );
    }
    let threads = rayon::current_num_threads();
    let parallelism = if parallel && threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `dst` is an exclusively borrowed m×n row-major buffer (checked length), and the last element
    // each of `a` (m×k) and `b` (k×n) addresses lies inside its slice (`Mat::fits`); the three do not alias
    // (`dst` is `&mut`). With `read_dst`, gemm computes dst := alpha·dst + beta·a·b (its documented contract).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            true,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_with_transposed_views_accumulates() {
        // a = [[1, 2, 3], [4, 5, 6]] given transposed (column-major), b = [[1, 0], [0, 1], [1, 1]].
        let at = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
        let a = Mat {
            data: &at,
            rs: 1,
            cs: 2,
        };
        let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut dst = vec![10.0; 4];
        gemm_acc((2, 2, 3), &mut dst, a, Mat::rows(&b, 2), false).unwrap();
        assert_eq!(dst, [14.0, 15.0, 20.0, 21.0]);
        // A view that runs past its buffer is refused, not read.
        let short = Mat::rows(&b[..5], 2);
        assert!(gemm_acc((2, 2, 3), &mut dst, a, short, false).is_err());
    }
}
