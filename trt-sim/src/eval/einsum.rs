//! `IEinsumLayer`, from the subset NvInfer.h documents: lower-case labels, repeated labels within one input
//! (diagonals), labels repeated across inputs (products), labels left out of the output (sums), implicit mode,
//! `->` explicit mode and `...` ellipses.

use trt::Einsum;

use super::{f32s, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, Value};

/// A dimension label: a letter, or the `i`-th dimension (from the left) of the broadcast ellipsis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Ellipsis(usize),
    Letter(u8),
}

/// The labels of one term; `None` where the term has an ellipsis, at its position.
fn term(s: &str) -> LayerResult<(Vec<u8>, Option<usize>)> {
    let mut letters = Vec::new();
    let mut ellipsis = None;
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("...") {
            if ellipsis.replace(letters.len()).is_some() {
                return invalid!("two ellipses in einsum term '{s}'");
            }
            rest = r;
        } else {
            let c = rest.as_bytes()[0];
            if !c.is_ascii_lowercase() {
                return unsupported!(
                    "einsum label '{}' (NvInfer.h documents lower-case letters)",
                    c as char
                );
            }
            letters.push(c);
            rest = &rest[1..];
        }
    }
    Ok((letters, ellipsis))
}

/// One term's labels for an operand of `rank` dims, the ellipsis taking the dims the letters leave, aligned to the
/// right of the broadcast ellipsis of `ell` dims.
fn expand(
    letters: &[u8],
    ellipsis: Option<usize>,
    rank: usize,
    ell: usize,
) -> LayerResult<Vec<Label>> {
    let n = rank.checked_sub(letters.len());
    let mut out: Vec<Label> = letters.iter().map(|&c| Label::Letter(c)).collect();
    match (ellipsis, n) {
        (None, Some(0)) => Ok(out),
        (Some(at), Some(n)) => {
            let e = (0..n).map(|i| Label::Ellipsis(ell - n + i));
            out.splice(at..at, e);
            Ok(out)
        }
        _ => invalid!(
            "einsum term of {} labels for a rank-{rank} operand",
            letters.len()
        ),
    }
}

/// "This layer implements a summation over the elements of the inputs along dimensions specified by the equation
/// parameter, based on the Einstein summation convention"; "The dimensions labeled with the same subscript must
/// match or be broadcastable. Repeated subscript labels in one input take the diagonal. Repeating a label across
/// multiple inputs means that those axes will be multiplied. Omitting a label from the output means values along
/// those axes will be summed. In implicit mode, the indices which appear once in the expression will be part of the
/// output in increasing alphabetical order." Implicit mode puts the ellipsis dims first (as numpy). "There is one
/// output of type DataType::kFLOAT". Products and sums in f64.
pub(crate) fn einsum(d: &Einsum<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let eq: String = d.equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms = lhs.split(',').map(term).collect::<LayerResult<Vec<_>>>()?;
    if terms.len() != d.inputs.len() {
        return invalid!("equation '{}' for {} inputs", d.equation, d.inputs.len());
    }
    let inputs = d
        .inputs
        .iter()
        .map(|&t| ctx.get(t))
        .collect::<LayerResult<Vec<_>>>()?;
    if let Some(v) = inputs.iter().find(|v| !is_float(v.dtype())) {
        return invalid!("einsum of a {:?} tensor", v.dtype());
    }
    let ell = terms
        .iter()
        .zip(&inputs)
        .filter(|((_, e), _)| e.is_some())
        .map(|((l, _), v)| v.dims().len().saturating_sub(l.len()))
        .max()
        .unwrap_or(0);
    let labels = terms
        .iter()
        .zip(&inputs)
        .map(|((l, e), v)| expand(l, *e, v.dims().len(), ell))
        .collect::<LayerResult<Vec<_>>>()?;
    // Each label's length: equal across operands, or 1 (broadcast).
    let mut all: Vec<Label> = labels.iter().flatten().copied().collect();
    all.sort();
    all.dedup();
    let mut size = vec![1usize; all.len()];
    for (ls, v) in labels.iter().zip(&inputs) {
        for (l, &n) in ls.iter().zip(v.dims()) {
            let s = &mut size[all.binary_search(l).unwrap_or(0)];
            match (*s, n) {
                (a, b) if a == b => {}
                (1, b) => *s = b,
                (_, 1) => {}
                (a, b) => return invalid!("einsum label {l:?} has lengths {a} and {b}"),
            }
        }
    }
    let out: Vec<Label> = match rhs {
        Some(r) => {
            let (letters, e) = term(r)?;
            let n = if e.is_some() { ell } else { 0 };
            expand(&letters, e, letters.len() + n, ell)?
        }
        None => {
            let mut o: Vec<Label> = (0..ell).map(Label::Ellipsis).collect();
            let flat: Vec<Label> = labels.iter().flatten().copied().collect();
            o.extend(
                all.iter()
                    .filter(|l| matches!(l, Label::Letter(_)))
                    .filter(|l| flat.iter().filter(|x| x == l).count() == 1),
            );
            o
        }
    };
    for l in &out {
        if all.binary_search(l).is_err() {
            return invalid!("einsum output label {l:?} is in no input");
        }
    }
    // Output labels first, then the summed ones; an odometer over all of them.
    let mut order: Vec<usize> = out
        .iter()
        .map(|l| all.binary_search(l).unwrap_or(0))
        .collect();
    if order.len() != out.iter().collect::<std::collections::BTreeSet<_>>().len() {
        return invalid!("repeated output label in '{}'", d.equation);
    }
    let summed: Vec<usize> = (0..all.len()).filter(|i| !order.contains(i)).collect();
    order.extend(summed);
    let lens: Vec<usize> = order.iter().map(|&i| size[i]).collect();
    let out_n: usize = lens[..out.len()].iter().product();
    let sum_n: usize = lens[out.len()..].iter().product();
    // Per operand: the flat stride of each label position in `order` (0 where broadcast or absent).
    let data = inputs
        .iter()
        .map(|v| {
            Ok(f32s(&v.to_f32()?)?
                .into_iter()
                .map(f64::from)
                .collect::<Vec<_>>())
        })
        .collect::<LayerResult<Vec<_>>>()?;
    let mut strides = vec![vec![0usize; order.len()]; inputs.len()];
    for (k, (ls, v)) in labels.iter().zip(&inputs).enumerate() {
        let dims = v.dims();
        let mut st = 1;
        for a in (0..dims.len()).rev() {
            if dims[a] != 1 {
                let p = order.iter().position(|&i| all[i] == ls[a]).unwrap_or(0);
                strides[k][p] += st;
            }
            st *= dims[a];
        }
    }
    let mut result = Vec::with_capacity(out_n);
    let mut idx = vec![0usize; order.len()];
    for o in 0..out_n {
        let mut rem = o;
        for p in (0..out.len()).rev() {
            idx[p] = rem % lens[p];
            rem /= lens[p];
        }
        let mut acc = 0f64;
        for s in 0..sum_n {
            let mut rem = s;
            for p in (out.len()..order.len()).rev() {
                idx[p] = rem % lens[p];
                rem /= lens[p];
            }
            let mut prod = 1f64;
            for (k, x) in data.iter().enumerate() {
                let off: usize = idx.iter().zip(&strides[k]).map(|(i, s)| i * s).sum();
                prod *= x[off];
            }
            acc += prod;
        }
        result.push(acc as f32);
    }
    Value::round_from_f32(tensor(result, &lens[..out.len()])?, trt::DataType::Float)
}
