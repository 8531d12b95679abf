//! Explicit quantization: `IQuantizeLayer`, `IDequantizeLayer`.

use candle_core::Tensor;
use trt::{DataType, Dequantize, Quantize};

use super::{axis, tensor, Ctx};
use crate::error::{invalid, LayerResult};
use crate::value::{is_float, map_f32, round_fp4_e2m1, round_fp8_e4m3, round_half_even, Value};

/// The scale (and zero point) shaped to broadcast against `dims`: a single coefficient for per-tensor
/// quantization, or "a 1D tensor for per-channel quantization" whose size "must match the size of the
/// quantization axis".
///
/// Block quantization ("the same rank as the input tensor for block quantization"; "output[r,s] = clamp(round(input[r,s]
/// / scale[r//B, s]) ...)"): each coefficient covers a block of the input, of the layer's block shape where
/// `setBlockShape` gave one ("-1 which denotes a fully blocked dimension"), else of `input dim / scale dim` per dim.
fn coefficients(
    v: &Value,
    axis_: Option<i32>,
    block: Option<&trt::Dims>,
    dims: &[usize],
    what: &str,
) -> LayerResult<Tensor> {
    let t = v.to_f32()?;
    let n = t.elem_count();
    if block.is_some() || (t.rank() == dims.len() && t.rank() >= 2 && n > 1) {
        return blocked(&t, block, dims, what);
    }
    if n == 1 {
        return Ok(t.flatten_all()?.reshape(vec![1; dims.len()])?);
    }
    let Some(a) = axis_ else {
        return invalid!("{n} {what} coefficients for per-tensor quantization");
    };
    let a = axis(a as i64, dims.len())?;
    if t.rank() != 1 {
        return invalid!("{what} of dims {:?} for input {dims:?}", t.dims());
    }
    if dims[a] != n {
        return invalid!("{n} {what} coefficients for axis {a} of length {}", dims[a]);
    }
    let shape: Vec<usize> = (0..dims.len())
        .map(|i| if i == a { n } else { 1 })
        .collect();
    Ok(t.reshape(shape)?)
}

/// Block coefficients `t` repeated over their blocks to the input's `dims`.
fn blocked(
    t: &Tensor,
    block: Option<&trt::Dims>,
    dims: &[usize],
    what: &str,
) -> LayerResult<Tensor> {
    if t.rank() != dims.len() {
        return invalid!(
            "{what} of dims {:?} for block quantization of {dims:?}",
            t.dims()
        );
    }
    if let Some(b) = block {
        if b.rank() != dims.len() {
            return invalid!("block shape {b} for input {dims:?}");
        }
    }
    let mut out = t.clone();
    for (a, &len) in dims.iter().enumerate() {
        let m = t.dims()[a];
        let b = match block.map(|b| b[a]) {
            Some(-1) => len,
            Some(b) if b > 0 => b as usize,
            Some(b) => return invalid!("block size {b} on axis {a}"),
            None if m > 0 && len % m == 0 => len / m,
            None => return invalid!("{what} of dims {:?} does not block {dims:?}", t.dims()),
        };
        if b == 0 || len.div_ceil(b) != m {
            return invalid!(
                "{what} of dims {:?} for blocks of {b} along axis {a} of {dims:?}",
                t.dims()
            );
        }
        if b > 1 {
            let idx: Vec<u32> = (0..len).map(|i| (i / b) as u32).collect();
            out = out.contiguous()?.index_select(&tensor(idx, &[len])?, a)?;
        }
    }
    Ok(out)
}

/// `IQuantizeLayer`: "output = clamp(round(input / scale) + zeroPt)"; "Rounding type is rounding-to-nearest
/// ties-to-even"; "Clamping range according to data type: FP8: [-448, 448], INT4: [-8, 7], INT8: [-128, 127]".
/// For FP8 and FP4, "round" is to the nearest value of the format (after clamping).
pub(crate) fn quantize(d: &Quantize<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return invalid!("quantizing a {:?} tensor", x.dtype());
    }
    if ctx.options.qdq_identity {
        return Ok(x.clone());
    }
    let dims = x.dims().to_vec();
    let scale = coefficients(
        ctx.get(d.scale)?,
        d.axis,
        d.block_shape.as_ref(),
        &dims,
        "scale",
    )?;
    let mut q = x.to_f32()?.broadcast_div(&scale)?;
    let (lo, hi): (f32, f32) = match d.output_type {
        DataType::Int8 => (-128.0, 127.0),
        DataType::Int4 => (-8.0, 7.0),
        DataType::Fp8 => (-448.0, 448.0),
        DataType::Fp4 => (-6.0, 6.0),
        other => return invalid!("quantization to {other:?}"),
    };
    let real = matches!(d.output_type, DataType::Fp8 | DataType::Fp4);
    if !real {
        q = map_f32(&q, round_half_even)?;
    }
    if let Some(z) = ctx.opt(d.zero_point)? {
        q = q.broadcast_add(&coefficients(
            z,
            d.axis,
            d.block_shape.as_ref(),
            &dims,
            "zero point",
        )?)?;
    }
    let q = map_f32(&q, |v| {
        let c = if v.is_nan() { v } else { v.clamp(lo, hi) };
        match d.output_type {
            DataType::Fp8 => round_fp8_e4m3(c),
            DataType::Fp4 => round_fp4_e2m1(c),
            _ => c,
        }
    })?;
    if real {
        Ok(Value::stored(q, d.output_type))
    } else {
        Ok(Value::stored(
            q.to_dtype(candle_core::DType::I64)?,
            d.output_type,
        ))
    }
}

/// `IDequantizeLayer`: "output = (input - zeroPt) * scale", to Float, Half or BF16.
pub(crate) fn dequantize(d: &Dequantize<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let to = ctx
        .options
        .held_type(d.output_type)
        .unwrap_or(d.output_type);
    if ctx.options.qdq_identity && is_float(x.dtype()) {
        return Value::round_from_f32(x.to_f32()?, to);
    }
    let dims = x.dims().to_vec();
    let scale = coefficients(
        ctx.get(d.scale)?,
        d.axis,
        d.block_shape.as_ref(),
        &dims,
        "scale",
    )?;
    let mut q = x.to_f32()?;
    if let Some(z) = ctx.opt(d.zero_point)? {
        q = q.broadcast_sub(&coefficients(
            z,
            d.axis,
            d.block_shape.as_ref(),
            &dims,
            "zero point",
        )?)?;
    }
    if !is_float(d.output_type) {
        return invalid!("dequantization to {:?}", d.output_type);
    }
    Value::round_from_f32(q.broadcast_mul(&scale)?, to)
}
