//! The rounding family with PyTorch's rules: `floor`, `ceil`, `round` (ties to even), `trunc`,
//! `sign` (TensorRT unary layers), and `floor_divide`, `remainder` (Python's sign rule) and
//! `fmod` (C's) built from element-wise layers, TensorRT having no modulo operation.

use trt::{DataType, ElementWiseOperation as Ew, UnaryOperation as U};

use super::unary_op;
use crate::trace::op::Op;
use crate::trace::TracedTensor;
use crate::{Result, TraceTensor};

macro_rules! rounding {
    ($($fn_name:ident => $kind:ident;)*) => {$(
        pub(crate) fn $fn_name<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
            unary_op(x, stringify!($fn_name), |v| TraceTensor::$fn_name(v), |op, h| {
                op.unary(h, U::$kind)
            })
        }
    )*};
}

// NvInfer.h, `UnaryOperation`: kFLOOR "Floor", kCEIL "Ceiling", kSIGN "Sign, If input > 0,
// output 1; if input < 0, output -1; if input == 0, output 0", kROUND "Round to nearest even for
// floating-point data type" — PyTorch's `torch.round`.
rounding! {
    floor => Floor;
    ceil => Ceil;
    round => Round;
    sign => Sign;
}

/// `trunc(x) = sign(x) · floor(|x|)`: TensorRT has no truncation; all three steps are exact.
fn trunc_layers<'n>(op: &Op<'_, 'n>, h: trt::Tensor<'n>) -> Result<trt::Tensor<'n>> {
    let s = op.unary(h, U::Sign)?;
    let a = op.unary(h, U::Abs)?;
    let f = op.unary(a, U::Floor)?;
    op.ew(s, f, Ew::Prod)
}

pub(crate) fn trunc<'n>(x: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    unary_op(x, "trunc", TraceTensor::trunc, trunc_layers)
}

fn is_int(dt: DataType) -> bool {
    matches!(dt, DataType::Int32 | DataType::Int64 | DataType::UInt8)
}

/// The three binary rounding ops, from `a`, `b` (broadcast) and kFLOOR_DIV ("Floor division of
/// the first element by the second").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    FloorDivide,
    Remainder,
    Fmod,
}

fn binary<'n>(a: &TracedTensor<'n>, b: &TracedTensor<'n>, kind: Kind) -> Result<TracedTensor<'n>> {
    let name = match kind {
        Kind::FloorDivide => "floor_divide",
        Kind::Remainder => "remainder",
        Kind::Fmod => "fmod",
    };
    let op = a.begin(name, &[b])?;
    let value = op.named(match kind {
        Kind::FloorDivide => TraceTensor::floor_divide(&a.value, &b.value),
        Kind::Remainder => TraceTensor::remainder(&a.value, &b.value),
        Kind::Fmod => TraceTensor::fmod(&a.value, &b.value),
    })?;
    let int = is_int(op.dtype(a.trt));
    let (x, y) = (a.trt, b.trt);
    // The quotient rounded as the op needs: toward -inf (floor_divide, remainder) or toward
    // zero (fmod; kDIV truncates integers, floats go through trunc).
    let q = match kind {
        Kind::FloorDivide | Kind::Remainder => op.ew_broadcast(x, y, Ew::FloorDiv)?,
        Kind::Fmod if int => op.ew_broadcast(x, y, Ew::Div)?,
        Kind::Fmod => {
            let d = op.ew_broadcast(x, y, Ew::Div)?;
            trunc_layers(&op, d)?
        }
    };
    let h = if kind == Kind::FloorDivide {
        q
    } else {
        // a - q·b: the remainder with the sign of b (floor) or of a (trunc).
        let qb = op.ew_broadcast(q, y, Ew::Prod)?;
        op.ew_broadcast(x, qb, Ew::Sub)?
    };
    op.finish(value, h)
}

pub(crate) fn floor_divide<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
) -> Result<TracedTensor<'n>> {
    binary(a, b, Kind::FloorDivide)
}

pub(crate) fn remainder<'n>(
    a: &TracedTensor<'n>,
    b: &TracedTensor<'n>,
) -> Result<TracedTensor<'n>> {
    binary(a, b, Kind::Remainder)
}

pub(crate) fn fmod<'n>(a: &TracedTensor<'n>, b: &TracedTensor<'n>) -> Result<TracedTensor<'n>> {
    binary(a, b, Kind::Fmod)
}
