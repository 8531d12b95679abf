//! Indexing: `IGatherLayer`, `IOneHotLayer`.

use candle_core::Tensor;
use trt::{DataType, Gather, GatherMode, OneHot};

use super::{axis, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::Value;

/// Indices into an axis of length `n`: negative ones count from the back; out-of-bounds ones point at `n`
/// (a zero slot the caller appends): NvInfer.h `IGatherLayer`, "Zero will be stored for OOB access".
fn resolve(indices: &[i64], n: usize) -> (Vec<u32>, bool) {
    let mut oob = false;
    let v = indices
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + n as i64 } else { i };
            if (0..n as i64).contains(&j) {
                j as u32
            } else {
                oob = true;
                n as u32
            }
        })
        .collect();
    (v, oob)
}

/// `t` with one zero element appended along `axis`.
fn zero_slot(t: &Tensor, axis: usize) -> LayerResult<Tensor> {
    Ok(t.pad_with_zeros(axis, 0, 1)?)
}

/// `IGatherLayer`:
/// - kDEFAULT ("Similar to ONNX Gather"): "Each index in indices is used to index Data along axis gatherAxis";
///   output dims "copying dimensions of Data, and replacing the dimension for axis gatherAxis with the
///   dimensions of indices".
/// - kELEMENT ("Similar to ONNX GatherElements"): "output[J] = data[K]" with K = J whose element [axis] is
///   replaced by the index.
/// - kND ("Similar to ONNX GatherND"): "output[i_1, ..., i_{q-1}] = data[indices[i_1, ..., i_{q-1}]]".
///
/// Negative indices count from the back ("using a negative index for it has undefined behavior" only for
/// dynamic axes); out-of-bounds reads give zero.
pub(crate) fn gather(d: &Gather<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (data, idx) = (ctx.get(d.data)?, ctx.get(d.indices)?);
    if !matches!(idx.dtype(), DataType::Int32 | DataType::Int64) {
        return invalid!("indices of type {:?}", idx.dtype());
    }
    let dd = data.dims().to_vec();
    let id = idx.dims().to_vec();
    let raw = idx.i64s()?;
    if d.nb_elementwise_dims != 0 {
        return unsupported!("gathers with {} element-wise dims", d.nb_elementwise_dims);
    }
    match d.mode {
        GatherMode::Default => {
            let a = axis(d.axis as i64, dd.len())?;
            let (v, oob) = resolve(&raw, dd[a]);
            let src = if oob {
                zero_slot(data.tensor(), a)?
            } else {
                data.tensor().clone()
            };
            let flat = src
                .contiguous()?
                .index_select(&tensor(v, &[raw.len()])?, a)?;
            let mut out: Vec<usize> = dd[..a].to_vec();
            out.extend(&id);
            out.extend(&dd[a + 1..]);
            Ok(data.with_tensor(flat.reshape(out)?))
        }
        GatherMode::Element => {
            let a = axis(d.axis as i64, dd.len())?;
            if id.len() != dd.len() {
                return invalid!(
                    "element gather of rank-{} indices from rank-{} data",
                    id.len(),
                    dd.len()
                );
            }
            let (v, oob) = resolve(&raw, dd[a]);
            let src = if oob {
                zero_slot(data.tensor(), a)?
            } else {
                data.tensor().clone()
            };
            // Other dims of the indices must not exceed the data's ("q = r").
            let mut lim = src.dims().to_vec();
            for (k, (&n, &m)) in id.iter().zip(&dd).enumerate() {
                if k != a && n > m {
                    return invalid!("indices {id:?} exceed data {dd:?} on axis {k}");
                }
                if k != a {
                    lim[k] = n;
                }
            }
            let mut src = src;
            for (k, &n) in lim.iter().enumerate() {
                if k != a && src.dims()[k] != n {
                    src = src.narrow(k, 0, n)?;
                }
            }
            let v: Vec<i64> = v.into_iter().map(i64::from).collect();
            let out = src.contiguous()?.gather(&tensor(v, &id)?, a)?;
            Ok(data.with_tensor(out))
        }
        GatherMode::Nd => {
            let Some(&k) = id.last() else {
                return invalid!("kND gather with scalar indices");
            };
            if k > dd.len() {
                return invalid!("kND index depth {k} exceeds data rank {}", dd.len());
            }
            let lead: usize = dd[..k].iter().product();
            let mut rest: Vec<usize> = vec![lead];
            rest.extend(&dd[k..]);
            let src = data.tensor().reshape(rest)?;
            let mut linear = Vec::with_capacity(raw.len() / k.max(1));
            for tuple in raw.chunks(k.max(1)) {
                let mut l: i64 = 0;
                let mut oob = false;
                for (j, &i) in tuple.iter().enumerate() {
                    let n = dd[j] as i64;
                    let i = if i < 0 { i + n } else { i };
                    oob |= !(0..n).contains(&i);
                    l = l * n + i;
                }
                linear.push(if oob { -1 } else { l });
            }
            let (v, oob) = resolve(&linear, lead);
            let src = if oob { zero_slot(&src, 0)? } else { src };
            let n = v.len();
            let flat = src.contiguous()?.index_select(&tensor(v, &[n])?, 0)?;
            let mut out: Vec<usize> = id[..id.len() - 1].to_vec();
            out.extend(&dd[k..]);
            Ok(data.with_tensor(flat.reshape(out)?))
        }
    }
}

/// `IOneHotLayer`: `values = [off, on]`; the new axis of length `depth` at `axis`; an index `i` (negative:
/// from `depth`'s end) is `on` at position `i` and `off` elsewhere; out-of-range indices give all `off`.
/// (NvInfer.h describes the layer through ONNX's OneHot; see docs/verification.md.)
pub(crate) fn one_hot(d: &OneHot<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (idx, values, depth) = (ctx.get(d.indices)?, ctx.get(d.values)?, ctx.get(d.depth)?);
    let depth = depth.i64s()?.first().copied().unwrap_or(0);
    if depth < 0 {
        return invalid!("depth {depth}");
    }
    let vals = values.tensor().flatten_all()?;
    if vals.dims()[0] != 2 {
        return invalid!("values of {} elements (2 expected)", vals.dims()[0]);
    }
    let id = idx.dims().to_vec();
    let a = axis(d.axis as i64, id.len() + 1)?;
    let raw = idx.i64s()?;
    let inner: usize = id[a..].iter().product();
    let outer: usize = id[..a].iter().product();
    let depth_u = depth as usize;
    let mut pick = Vec::with_capacity(raw.len() * depth_u);
    for o in 0..outer {
        for k in 0..depth_u {
            for i in 0..inner {
                let v = raw[o * inner + i];
                let v = if v < 0 { v + depth } else { v };
                pick.push(u32::from(v == k as i64));
            }
        }
    }
    let mut out = id[..a].to_vec();
    out.push(depth_u);
    out.extend(&id[a..]);
    let n = pick.len();
    let t = vals
        .contiguous()?
        .index_select(&tensor(pick, &[n])?, 0)?
        .reshape(out)?;
    Ok(values.with_tensor(t))
}
