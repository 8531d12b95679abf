//! Element-wise layers: `IElementWiseLayer`, `IUnaryLayer`, `IActivationLayer`, `ISelectLayer`,
//! `IParametricReLULayer`.

use candle_core::{DType, Tensor};
use trt::{
    Activation, ActivationType, DataType, ElementWise, ElementWiseOperation as Op, ParametricRelu,
    Select, Unary, UnaryOperation as U,
};

use super::{broadcast, flat, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, is_int, map_f32, Value};

/// `IElementWiseLayer`: `a op b` with TensorRT's broadcast.
pub(crate) fn elementwise(d: &ElementWise<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (a, b) = (ctx.get(d.a)?, ctx.get(d.b)?);
    if a.dtype() != b.dtype() {
        return invalid!("operands of types {:?} and {:?}", a.dtype(), b.dtype());
    }
    let dims = broadcast(&[a.dims(), b.dims()])?;
    let dt = a.dtype();
    match d.op {
        // NvInfer.h: ElementWiseOperation kAND/kOR/kXOR, "Logical AND/OR/XOR of two elements".
        Op::And | Op::Or | Op::Xor => {
            if dt != DataType::Bool {
                return invalid!("{:?} of {dt:?} operands (Bool expected)", d.op);
            }
            let (x, y) = (
                flat::<u8>(a.tensor(), &dims)?,
                flat::<u8>(b.tensor(), &dims)?,
            );
            let f = |p: bool, q: bool| match d.op {
                Op::And => p && q,
                Op::Or => p || q,
                _ => p != q,
            };
            let v = x
                .iter()
                .zip(&y)
                .map(|(&p, &q)| u8::from(f(p != 0, q != 0)))
                .collect();
            Ok(Value::from_bool(tensor(v, &dims)?))
        }
        // kEQUAL / kGREATER / kLESS give Bool. IEEE comparisons: NaN compares false (NvInfer.h says "Check if
        // two elements are equal", "greater", "less"; nothing about NaN — listed in docs/verification.md).
        Op::Equal | Op::Greater | Op::Less => {
            let cmp = |o: std::cmp::Ordering| match d.op {
                Op::Equal => o.is_eq(),
                Op::Greater => o.is_gt(),
                _ => o.is_lt(),
            };
            let v: Vec<u8> = if is_float(dt) {
                let (x, y) = (
                    flat::<f32>(&a.to_f32()?, &dims)?,
                    flat::<f32>(&b.to_f32()?, &dims)?,
                );
                x.iter()
                    .zip(&y)
                    .map(|(p, q)| u8::from(p.partial_cmp(q).is_some_and(cmp)))
                    .collect()
            } else {
                let (x, y) = (
                    flat::<i64>(&a.to_i64()?, &dims)?,
                    flat::<i64>(&b.to_i64()?, &dims)?,
                );
                x.iter()
                    .zip(&y)
                    .map(|(p, q)| u8::from(cmp(p.cmp(q))))
                    .collect()
            };
            Ok(Value::from_bool(tensor(v, &dims)?))
        }
        _ if is_float(dt) => {
            let (x, y) = (a.to_f32()?, b.to_f32()?);
            let t = match d.op {
                Op::Sum => x.broadcast_add(&y)?,
                Op::Sub => x.broadcast_sub(&y)?,
                Op::Prod => x.broadcast_mul(&y)?,
                Op::Div => x.broadcast_div(&y)?,
                // kFLOOR_DIV: "Floor division of the first element by the second" — floor(a / b).
                Op::FloorDiv => zip_f32(&x, &y, &dims, |p, q| (p / q).floor())?,
                // kPOW: "The first element to the power of the second element": C's powf, so a negative base
                // with an integral exponent has a real result and with a fractional one NaN.
                Op::Pow => zip_f32(&x, &y, &dims, f32::powf)?,
                // kMAX / kMIN: NaN if either is NaN (NvInfer.h does not say; see docs/verification.md).
                Op::Max => zip_f32(&x, &y, &dims, |p, q| {
                    if p.is_nan() || q.is_nan() {
                        f32::NAN
                    } else {
                        p.max(q)
                    }
                })?,
                Op::Min => zip_f32(&x, &y, &dims, |p, q| {
                    if p.is_nan() || q.is_nan() {
                        f32::NAN
                    } else {
                        p.min(q)
                    }
                })?,
                _ => unreachable!("logical and comparison operations are handled above"),
            };
            Value::round_from_f32(t, dt)
        }
        _ if is_int(dt) => {
            let (x, y) = (
                flat::<i64>(&a.to_i64()?, &dims)?,
                flat::<i64>(&b.to_i64()?, &dims)?,
            );
            let mut out = Vec::with_capacity(x.len());
            for (&p, &q) in x.iter().zip(&y) {
                out.push(int_op(d.op, p, q)?);
            }
            // Wrapped to the operands' width (Int32: two's complement; NvInfer.h does not say).
            Value::from_i64(tensor(out, &dims)?).cast(dt)
        }
        _ => invalid!("{:?} of {dt:?} operands", d.op),
    }
}

/// Integer arithmetic. kDIV truncates toward zero (C++'s integer division; NvInfer.h does not say) and
/// kFLOOR_DIV rounds toward negative infinity; a zero divisor has no result. kPOW with a negative exponent
/// is 0 unless the base is ±1 (the integer part of the real result).
fn int_op(op: Op, p: i64, q: i64) -> LayerResult<i64> {
    Ok(match op {
        Op::Sum => p.wrapping_add(q),
        Op::Sub => p.wrapping_sub(q),
        Op::Prod => p.wrapping_mul(q),
        Op::Max => p.max(q),
        Op::Min => p.min(q),
        Op::Div | Op::FloorDiv if q == 0 => return invalid!("integer division of {p} by zero"),
        Op::Div => p.wrapping_div(q),
        Op::FloorDiv => {
            let d = p.wrapping_div(q);
            if (p % q != 0) && ((p < 0) != (q < 0)) {
                d - 1
            } else {
                d
            }
        }
        Op::Pow if q < 0 => match p {
            1 => 1,
            -1 => {
                if q % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        },
        Op::Pow => p.wrapping_pow(q.min(u32::MAX as i64) as u32),
        other => return invalid!("{other:?} of integer operands"),
    })
}

/// `f(a, b)` element by element after broadcasting both to `dims`.
fn zip_f32(
    a: &Tensor,
    b: &Tensor,
    dims: &[usize],
    f: impl Fn(f32, f32) -> f32,
) -> LayerResult<Tensor> {
    let (x, y) = (flat::<f32>(a, dims)?, flat::<f32>(b, dims)?);
    tensor(x.iter().zip(&y).map(|(&p, &q)| f(p, q)).collect(), dims)
}

/// `IUnaryLayer` (NvInfer.h: `UnaryOperation`, one line per operation).
pub(crate) fn unary(d: &Unary<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dt = x.dtype();
    match d.op {
        // kNOT: "Logical NOT"; "Operations kNOT must have inputs of DataType::kBOOL".
        U::Not => {
            if dt != DataType::Bool {
                return invalid!("kNOT of a {dt:?} tensor");
            }
            let t = x.tensor().to_dtype(DType::U8)?;
            let v: Vec<u8> = t
                .flatten_all()?
                .to_vec1::<u8>()?
                .into_iter()
                .map(|b| u8::from(b == 0))
                .collect();
            Ok(Value::from_bool(tensor(v, x.dims())?))
        }
        // "Operation kSIGN and kABS must have inputs of floating-point type, DataType::kINT8, DataType::kINT32
        // or DataType::kINT64."
        U::Abs | U::Sign if is_int(dt) => {
            let f = if d.op == U::Abs {
                i64::wrapping_abs
            } else {
                i64::signum
            };
            let v = crate::value::map_i64(&x.to_i64()?, f)?;
            Ok(Value::stored(v, dt))
        }
        // kNEG of integers: NvInfer.h says "All other operations must have inputs of floating-point type", but
        // TensorRT-RTX 1.7 defines (Int64 output) and builds an engine for kNEG of Int32 and Int64 tensors (measured:
        // NVIDIA's ONNX parser emits it for LayerNormalization's expanded graph), so the simulation negates them,
        // wrapping at the type's width (docs/verification.md).
        U::Neg if is_int(dt) => {
            let v = crate::value::map_i64(&x.to_i64()?, i64::wrapping_neg)?;
            Value::from_i64(v).cast(dt)
        }
        // kISINF / kISNAN: Bool results.
        U::IsInf | U::IsNan => {
            let t = x.to_f32()?;
            let test = if d.op == U::IsInf {
                f32::is_infinite
            } else {
                f32::is_nan
            };
            let v: Vec<u8> = t
                .flatten_all()?
                .to_vec1::<f32>()?
                .into_iter()
                .map(|v| u8::from(test(v)))
                .collect();
            Ok(Value::from_bool(tensor(v, x.dims())?))
        }
        op => {
            if !is_float(dt) {
                return invalid!("{op:?} of a {dt:?} tensor: \"All other operations must have inputs of floating-point type\"");
            }
            let f: fn(f32) -> f32 = match op {
                U::Exp => f32::exp,
                U::Log => f32::ln,
                U::Sqrt => f32::sqrt,
                U::Recip => f32::recip,
                U::Abs => f32::abs,
                U::Neg => |v| -v,
                U::Sin => f32::sin,
                U::Cos => f32::cos,
                U::Tan => f32::tan,
                U::Sinh => f32::sinh,
                U::Cosh => f32::cosh,
                U::Asin => f32::asin,
                U::Acos => f32::acos,
                U::Atan => f32::atan,
                U::Asinh => f32::asinh,
                U::Acosh => f32::acosh,
                U::Atanh => f32::atanh,
                U::Ceil => f32::ceil,
                U::Floor => f32::floor,
                U::Erf => erf,
                // kSIGN: "If input > 0, output 1; if input < 0, output -1; if input == 0, output 0."
                U::Sign => |v| {
                    if v > 0.0 {
                        1.0
                    } else if v < 0.0 {
                        -1.0
                    } else {
                        v
                    }
                },
                // kROUND: "Round to nearest even for floating-point data type."
                U::Round => f32::round_ties_even,
                U::Not | U::IsInf | U::IsNan => unreachable!("handled above"),
            };
            Value::round_from_f32(map_f32(&x.to_f32()?, f)?, dt)
        }
    }
}

/// The error function (candle's f64 implementation).
fn erf(x: f32) -> f32 {
    erf64(x as f64) as f32
}

fn erf64(x: f64) -> f64 {
    candle_core::cpu::erf::erf_f64(x)
}

/// `IActivationLayer` (NvInfer.h: `ActivationType`, the formula of each type). Computed in f64 from the f32
/// input, rounded once.
pub(crate) fn activation(d: &Activation<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    if !is_float(x.dtype()) {
        return invalid!("activation of a {:?} tensor", x.dtype());
    }
    let (alpha, beta) = (d.alpha as f64, d.beta as f64);
    let f = move |v: f32| -> f32 {
        let x = v as f64;
        let y = match d.activation_type {
            // kRELU: "Rectified linear activation" (NaN passes through).
            ActivationType::Relu => {
                if x > 0.0 || x.is_nan() {
                    x
                } else {
                    0.0
                }
            }
            // kSIGMOID / kTANH.
            ActivationType::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            ActivationType::Tanh => x.tanh(),
            // kLEAKY_RELU: "x>=0 ? x : alpha * x".
            ActivationType::LeakyRelu => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            // kELU: "x>=0 ? x : alpha * (exp(x) - 1)".
            ActivationType::Elu => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * (x.exp() - 1.0)
                }
            }
            // kSELU: "x>0 ? beta * x : beta * (alpha*exp(x) - alpha)".
            ActivationType::Selu => {
                if x > 0.0 {
                    beta * x
                } else {
                    beta * (alpha * x.exp() - alpha)
                }
            }
            // kSOFTSIGN: "x / (1+|x|)".
            ActivationType::Softsign => x / (1.0 + x.abs()),
            // kSOFTPLUS: "alpha*log(exp(beta*x)+1)", evaluated without overflow as
            // alpha * (max(beta*x, 0) + log1p(exp(-|beta*x|))) (the formula read literally overflows to inf for
            // beta*x > 709 in f64; see docs/verification.md).
            ActivationType::Softplus => {
                let z = beta * x;
                alpha * (z.max(0.0) + (-z.abs()).exp().ln_1p())
            }
            // kCLIP: "max(alpha, min(beta, x))".
            ActivationType::Clip => alpha.max(beta.min(x)),
            // kHARD_SIGMOID: "max(0, min(1, alpha*x+beta))".
            ActivationType::HardSigmoid => 0f64.max(1f64.min(alpha * x + beta)),
            // kSCALED_TANH: "alpha*tanh(beta*x)".
            ActivationType::ScaledTanh => alpha * (beta * x).tanh(),
            // kTHRESHOLDED_RELU: "x>alpha ? x : 0".
            ActivationType::ThresholdedRelu => {
                if x > alpha {
                    x
                } else {
                    0.0
                }
            }
            // kGELU_ERF: "0.5 * x * (1 + erf(sqrt(0.5) * x))".
            ActivationType::GeluErf => 0.5 * x * (1.0 + erf64(0.5f64.sqrt() * x)),
            // kGELU_TANH: "0.5 * x * (1 + tanh(sqrt(2/pi) * (0.044715F * pow(x, 3) + x)))".
            ActivationType::GeluTanh => {
                0.5 * x
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (0.044715 * x.powi(3) + x)).tanh())
            }
        };
        y as f32
    };
    Value::round_from_f32(map_f32(&x.to_f32()?, f)?, x.dtype())
}

/// `ISelectLayer`: `numpy.where(condition, then, otherwise)` with broadcasting of all three ("The three input
/// tensors must share the same rank. Multidirectional broadcasting is supported.").
pub(crate) fn select(d: &Select<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (c, t, e) = (
        ctx.get(d.condition)?,
        ctx.get(d.then)?,
        ctx.get(d.otherwise)?,
    );
    if c.dtype() != DataType::Bool {
        return invalid!("condition of type {:?}", c.dtype());
    }
    if t.dtype() != e.dtype() {
        return invalid!("branches of types {:?} and {:?}", t.dtype(), e.dtype());
    }
    let dims = broadcast(&[c.dims(), t.dims(), e.dims()])?;
    let cond = c.tensor().broadcast_as(dims.as_slice())?.contiguous()?;
    let then = t.tensor().broadcast_as(dims.as_slice())?.contiguous()?;
    let other = e.tensor().broadcast_as(dims.as_slice())?.contiguous()?;
    Ok(t.with_tensor(cond.where_cond(&then, &other)?))
}

/// `IParametricReLULayer`: `x >= 0 ? x : slope * x`, the slope broadcast to the input (NvInfer.h describes the
/// layer only as "a parametric ReLU operation"; the formula is `ActivationType::kLEAKY_RELU`'s with a tensor
/// for alpha).
pub(crate) fn parametric_relu(d: &ParametricRelu<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (x, s) = (ctx.get(d.input)?, ctx.get(d.slope)?);
    if !is_float(x.dtype()) {
        return unsupported!("parametric ReLU of a {:?} tensor", x.dtype());
    }
    let dims = broadcast(&[x.dims(), s.dims()])?;
    let t = zip_f32(&x.to_f32()?, &s.to_f32()?, &dims, |v, a| {
        if v >= 0.0 {
            v
        } else {
            a * v
        }
    })?;
    Value::round_from_f32(t, x.dtype())
}
