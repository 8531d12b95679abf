//! `IAttention` (fused attention): its attention-input and attention-output layers. Line numbers cite
//! TensorRT-RTX 1.7's NvInfer.h.

use candle_core::Tensor;
use trt::{Attention, AttentionNormalizationOp as N, CausalMaskKind as C, DataType};

use super::{f32s, flat, tensor, Ctx, Prepared};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, map_f32, round_tf32, Value};

/// The attention-input layer computes the whole attention (NvInfer.h, `IAttention`: "An attention subgraph
/// implicitly includes three main components, two MatrixMultiply layers known as BMM1 and BMM2, and one
/// normalization operation", l. 6844; `IAttentionInputLayer`: "three to four inputs and one output", l. 6788), so
/// that the attention-output layer ("one input and one output", l. 6827) passes it on.
pub(crate) fn attention_input(d: &Attention<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    compute(d, ctx)
}

/// The attention-output layer: the value of its input, the attention-input layer's output; computed here
/// where that link is not known (a description replaced by `Program::set_description`).
pub(crate) fn attention_output(
    d: &Attention<'_>,
    prepared: &Prepared,
    ctx: &Ctx<'_, '_>,
) -> LayerResult<Value> {
    match prepared
        .attention_input
        .and_then(|t| ctx.values.get(t))
        .and_then(Option::as_ref)
    {
        Some(v) => Ok(v.clone()),
        None => compute(d, ctx),
    }
}

/// `normalization(q kᵀ + mask) v` on `[batch, heads, tokens, head_dim]` (NvInfer.h `IAttention`'s graph:
/// Key → Transpose → BMM1 with Query → mask → Normalization → BMM2 with Value, l. 6850-6864; no scaling step).
fn compute(d: &Attention<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (q, k, v) = (ctx.get(d.query)?, ctx.get(d.key)?, ctx.get(d.value)?);
    // "Query ... is a tensor of type kFLOAT, kHALF or kBF16" (l. 6868); key and value alike.
    if !is_float(q.dtype()) || q.dtype() != k.dtype() || q.dtype() != v.dtype() {
        return invalid!(
            "attention of query {:?}, key {:?}, value {:?}",
            q.dtype(),
            k.dtype(),
            v.dtype()
        );
    }
    // Only the padded form: "For query form kPADDED_BHND, shape is [batchSize, numHeadsQuery, numTokens,
    // dimHead]" (l. 6870; kPACKED_NHD needs sequence lengths, which this binding does not set).
    let (qd, kd, vd) = (q.dims(), k.dims(), v.dims());
    if qd.len() != 4 || kd.len() != 4 || vd.len() != 4 {
        return unsupported!(
            "attention of rank {}, {}, {} (packed form)",
            qd.len(),
            kd.len(),
            vd.len()
        );
    }
    let (b, h, sq, dh) = (qd[0], qd[1], qd[2], qd[3]);
    let skv = kd[2];
    if kd[0] != b || vd[0] != b || kd[3] != dh || vd[2] != skv || vd[1] != kd[1] {
        return invalid!("attention of query {qd:?}, key {kd:?}, value {vd:?}");
    }
    // numHeadsKeyValue may differ from numHeadsQuery in the header's shapes, but how query heads share a
    // key/value head is not documented (assumption 25).
    if kd[1] != h {
        return unsupported!(
            "attention with {h} query heads and {} key/value heads (grouping not documented)",
            kd[1]
        );
    }
    // BMM1 and BMM2 are "MatrixMultiply layers": inputs of type Float are rounded to TF32 where TF32 is allowed,
    // like `IMatrixMultiplyLayer`; so are the normalized scores into BMM2 (assumption 23 in docs/verification.md).
    let qf = ctx.mma_operand(d.query)?.contiguous()?;
    let kt = ctx.mma_operand(d.key)?.transpose(2, 3)?.contiguous()?;
    let mut scores = f32s(&qf.matmul(&kt)?)?;
    let dims = [b, h, sq, skv];
    if let Some(m) = ctx.opt(d.mask)? {
        if d.causal != C::None {
            // setCausalKind: "Cannot be used together with setMask()" (l. 6993).
            return invalid!("attention with both a mask and causal kind {:?}", d.causal);
        }
        if m.dims().len() != 4 || super::broadcast(&[m.dims(), &dims])? != dims {
            // setMask: "4d shape broadcastable to [batchSize, numHeadsQuery, sequenceLengthQuery,
            // sequenceLengthKeyValue]" (l. 6929).
            return invalid!("attention mask {:?} for scores {dims:?}", m.dims());
        }
        let mv: Vec<f32> = flat(&m.to_f32()?, &dims)?;
        if m.dtype() == DataType::Bool {
            // "For a kBOOL mask, a True value indicates that the corresponding position is allowed to attend"
            // (l. 6883): the others take no weight (-inf before the softmax; assumption 25).
            for (s, &keep) in scores.iter_mut().zip(&mv) {
                if keep == 0.0 {
                    *s = f32::NEG_INFINITY;
                }
            }
        } else {
            // "For other data types, the mask values will be added to the BMM1 output, known as an add mask."
            // (l. 6884)
            for (s, &a) in scores.iter_mut().zip(&mv) {
                *s += a;
            }
        }
    }
    // CausalMaskKind: kUPPER_LEFT attends where "j <= i" (l. 6697), kLOWER_RIGHT where "j <= i + (s_kv - s_q)"
    // (l. 6699).
    let shift = match d.causal {
        C::None => None,
        C::UpperLeft => Some(0),
        C::LowerRight => Some(skv as i64 - sq as i64),
    };
    if let Some(shift) = shift {
        for (r, row) in scores.chunks_mut(skv.max(1)).enumerate() {
            let i = (r % sq.max(1)) as i64;
            for (j, s) in row.iter_mut().enumerate() {
                if j as i64 > i + shift {
                    *s = f32::NEG_INFINITY;
                }
            }
        }
    }
    match d.normalization {
        // kSOFTMAX: "Apply softmax normalization on the attention scores on the `s_kv` dimension" (l. 6676);
        // accumulated in f64 like ISoftMaxLayer. A row with every position masked has no defined result: NaN (0/0,
        // assumption 25).
        N::Softmax if skv > 0 => {
            for row in scores.chunks_mut(skv) {
                let max = row.iter().fold(f32::NEG_INFINITY, |a, &x| a.max(x)) as f64;
                let e: Vec<f64> = row.iter().map(|&x| (x as f64 - max).exp()).collect();
                let sum: f64 = e.iter().sum();
                for (s, e) in row.iter_mut().zip(e) {
                    *s = (e / sum) as f32;
                }
            }
        }
        // kNONE: "Apply no normalization on the attention scores" (l. 6675).
        N::Softmax | N::None => {}
    }
    let mut p: Tensor = tensor(scores, &dims)?;
    if ctx.tf32 && q.dtype() == DataType::Float {
        p = map_f32(&p, round_tf32)?;
    }
    let vf = ctx.mma_operand(d.value)?.contiguous()?;
    // "Output has the same shape, form, and data type as the query input" (l. 6889): one rounding to its type
    // (assumption 24).
    Value::round_from_f32(p.matmul(&vf)?, q.dtype())
}
