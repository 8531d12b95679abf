//! Explicit quantization: `IQuantizeLayer`, `IDequantizeLayer`.

use candle_core::Tensor;
use trt::{DataType, Dequantize, Quantize};

use super::{axis, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, map_f32, round_fp4_e2m1, round_fp8_e4m3, round_half_even, Value};

/// The scale (and zero point) shaped to broadcast against `dims`: a single coefficient for per-tensor
/// quantization, or "a 1D tensor for per-channel quantization" whose size "must match the size of the
/// quantization axis".
fn coefficients(v: &Value, axis_: Option<i32>, dims: &[usize], what: &str) -> LayerResult<Tensor> {
    let t = v.to_f32()?;
    let n = t.elem_count();
    if n == 1 {
        return Ok(t.flatten_all()?.reshape(vec![1; dims.len()])?);
    }
    let Some(a) = axis_ else {
        return invalid!("{n} {what} coefficients for per-tensor quantization");
    };
    let a = axis(a as i64, dims.len())?;
    if t.rank() != 1 {
        return unsupported!("block quantization ({what} of dims {:?})", t.dims());
    }
    if dims[a] != n {
        return invalid!("{n} {what} coefficients for axis {a} of length {}", dims[a]);
    }
    let shape: Vec<usize> = (0..dims.len())
        .map(|i| if i == a { n } else { 1 })
        .collect();
    Ok(t.reshape(shape)?)
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
    let scale = coefficients(ctx.get(d.scale)?, d.axis, &dims, "scale")?;
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
        q = q.broadcast_add(&coefficients(z, d.axis, &dims, "zero point")?)?;
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
    let scale = coefficients(ctx.get(d.scale)?, d.axis, &dims, "scale")?;
    let mut q = x.to_f32()?;
    if let Some(z) = ctx.opt(d.zero_point)? {
        q = q.broadcast_sub(&coefficients(z, d.axis, &dims, "zero point")?)?;
    }
    if !is_float(d.output_type) {
        return invalid!("dequantization to {:?}", d.output_type);
    }
    Value::round_from_f32(q.broadcast_mul(&scale)?, to)
}
