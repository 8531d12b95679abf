//! `IMatrixMultiplyLayer`.

use trt::{MatrixMultiply, MatrixOperation as M};

use super::Ctx;
use crate::error::{invalid, LayerResult};
use crate::value::{is_float, Value};

/// `op(A) * op(B)` (NvInfer.h: `MatrixOperation`): kNONE treats the last two dims as the matrix; kTRANSPOSE
/// "Like kNONE, but transpose the matrix dimensions"; kVECTOR "Treat x as a vector if it has one dimension, or
/// as a collection of vectors": the first operand's vectors are rows (`[M, K]` as `[M, 1, K]`), the second's
/// columns (`[M, K]` as `[M, K, 1]`), and the vector dimension leaves the output. Other dims broadcast: "If the
/// dimension is 1 for one of the tensors but not the other tensor, the former tensor is broadcast along that
/// dimension". Float inputs are rounded to TF32 where TF32 is allowed.
pub(crate) fn matrix_multiply(d: &MatrixMultiply<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (a, b) = (ctx.get(d.a)?, ctx.get(d.b)?);
    if !is_float(a.dtype()) || a.dtype() != b.dtype() {
        return invalid!("matrix multiply of {:?} and {:?}", a.dtype(), b.dtype());
    }
    let mut x = ctx.mma_operand(d.a)?;
    let mut y = ctx.mma_operand(d.b)?;
    let (ra, rb) = (x.rank(), y.rank());
    if (ra < 2 && d.op_a != M::Vector) || (rb < 2 && d.op_b != M::Vector) || ra == 0 || rb == 0 {
        return invalid!(
            "operands of dims {:?} ({:?}) and {:?} ({:?})",
            a.dims(),
            d.op_a,
            b.dims(),
            d.op_b
        );
    }
    match d.op_a {
        M::Vector => x = x.unsqueeze(ra.saturating_sub(1))?,
        M::Transpose => x = x.transpose(ra - 2, ra - 1)?,
        M::None => {}
    }
    match d.op_b {
        M::Vector => y = y.unsqueeze(rb)?,
        M::Transpose => y = y.transpose(rb - 2, rb - 1)?,
        M::None => {}
    }
    if x.rank() < 2 || y.rank() < 2 {
        return invalid!("operands of dims {:?} and {:?}", a.dims(), b.dims());
    }
    if x.rank() != y.rank() {
        return invalid!(
            "the collections of {:?} ({:?}) and {:?} ({:?}) have different ranks",
            a.dims(),
            d.op_a,
            b.dims(),
            d.op_b
        );
    }
    let (kx, ky) = (x.dims()[x.rank() - 1], y.dims()[y.rank() - 2]);
    if kx != ky {
        return invalid!(
            "inner dims {kx} and {ky} differ ({:?} × {:?})",
            a.dims(),
            b.dims()
        );
    }
    let batch = super::broadcast(&[&x.dims()[..x.rank() - 2], &y.dims()[..y.rank() - 2]])?;
    let mut xs = batch.clone();
    xs.extend(&x.dims()[x.rank() - 2..]);
    let mut ys = batch.clone();
    ys.extend(&y.dims()[y.rank() - 2..]);
    // candle's matmul reads a transposed matrix through its strides; only broadcast batch dims
    // need a copy.
    let x = if x.dims() == xs.as_slice() {
        x
    } else {
        x.broadcast_as(xs)?.contiguous()?
    };
    let y = if y.dims() == ys.as_slice() {
        y
    } else {
        y.broadcast_as(ys)?.contiguous()?
    };
    let mut out = match x.matmul(&y) {
        Ok(t) => t,
        // Layouts candle's GEMM cannot stride through are copied first.
        Err(_) => x.contiguous()?.matmul(&y.contiguous()?)?,
    };
    let r = out.rank();
    if d.op_b == M::Vector {
        out = out.squeeze(r - 1)?;
    }
    if d.op_a == M::Vector {
        out = out.squeeze(out.rank() - if d.op_b == M::Vector { 1 } else { 2 })?;
    }
    Value::round_from_f32(out, a.dtype())
}
