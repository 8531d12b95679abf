//! Indexing: `IGatherLayer`, `IOneHotLayer`, `INonZeroLayer`, `IReverseSequenceLayer`, `IScatterLayer`.

use candle_core::Tensor;
use trt::{DataType, Gather, GatherMode, NonZero, OneHot, ReverseSequence, Scatter, ScatterMode};

use super::{axis, tensor, Ctx};
use crate::error::{invalid, unsupported, LayerResult};
use crate::value::{is_float, Value};

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
    let e = usize::try_from(d.nb_elementwise_dims).unwrap_or(usize::MAX);
    if e != 0 && d.mode != GatherMode::Nd {
        return unsupported!(
            "{:?} gathers with {} element-wise dims",
            d.mode,
            d.nb_elementwise_dims
        );
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
        // Element-wise dims: "the number of leading dimensions of indices tensor to be handled elementwise";
        // "the first nbElementWiseDims dimensions of data and index must be equal" (no broadcast for kND). Each
        // such entry gathers from its own slice of data: the index tuples address the dims after them.
        GatherMode::Nd => {
            let Some(&k) = id.last() else {
                return invalid!("kND gather with scalar indices");
            };
            if e + k > dd.len() || e + 1 > id.len() || id[..e] != dd[..e] {
                return invalid!(
                    "kND gather of indices {id:?} from data {dd:?} with {e} element-wise dims"
                );
            }
            let batch: usize = dd[..e].iter().product();
            let per: usize = dd[e..e + k].iter().product();
            let lead = batch * per;
            let mut rest: Vec<usize> = vec![lead];
            rest.extend(&dd[e + k..]);
            let src = data.tensor().reshape(rest)?;
            let tuples_per_batch = raw.len() / k.max(1) / batch.max(1);
            let mut linear = Vec::with_capacity(raw.len() / k.max(1));
            for (t, tuple) in raw.chunks(k.max(1)).enumerate() {
                let mut l: i64 = 0;
                let mut oob = false;
                for (j, &i) in tuple.iter().enumerate() {
                    let n = dd[e + j] as i64;
                    let i = if i < 0 { i + n } else { i };
                    oob |= !(0..n).contains(&i);
                    l = l * n + i;
                }
                let b = (t / tuples_per_batch.max(1)) as i64;
                linear.push(if oob { -1 } else { b * per as i64 + l });
            }
            let (v, oob) = resolve(&linear, lead);
            let src = if oob { zero_slot(&src, 0)? } else { src };
            let n = v.len();
            let flat = src.contiguous()?.index_select(&tensor(v, &[n])?, 0)?;
            let mut out: Vec<usize> = id[..id.len() - 1].to_vec();
            out.extend(&dd[e + k..]);
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

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        s[a] = s[a + 1] * dims[a + 1];
    }
    s
}

/// The elements of flat `src` at `picks`, with `dims`: an index selection that keeps the storage type (integers
/// are not routed through f32).
fn pick(src: &Tensor, picks: Vec<u32>, dims: &[usize]) -> LayerResult<Tensor> {
    let n = picks.len();
    Ok(src
        .flatten_all()?
        .contiguous()?
        .index_select(&tensor(picks, &[n])?, 0)?
        .reshape(dims)?)
}

/// `INonZeroLayer`: "For an input with dimensions [L1, L2, ..., Lm], the output has dimensions [m,n], where n is
/// the number of non-zero elements. I.e., each column denotes a m-D position. The columns are lexically ordered."
/// "For boolean input, "non-zero" means "true"." NaN is non-zero (it compares unequal to zero).
pub(crate) fn non_zero(d: &NonZero<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let x = ctx.get(d.input)?;
    let dims = x.dims().to_vec();
    let nonzero: Vec<bool> = if is_float(x.dtype()) {
        super::f32s(&x.to_f32()?)?
            .into_iter()
            .map(|v| v != 0.0)
            .collect()
    } else {
        x.i64s()?.into_iter().map(|v| v != 0).collect()
    };
    let st = strides(&dims);
    let positions: Vec<usize> = (0..nonzero.len()).filter(|&i| nonzero[i]).collect();
    let n = positions.len();
    // Row a holds coordinate a of every position; flat order is already lexical.
    let mut out = vec![0i64; dims.len() * n];
    for (j, &p) in positions.iter().enumerate() {
        for a in 0..dims.len() {
            out[a * n + j] = ((p / st[a]) % dims[a]) as i64;
        }
    }
    if !matches!(d.indices_type, DataType::Int32 | DataType::Int64) {
        return invalid!("indices of type {:?}", d.indices_type);
    }
    Value::from_i64(tensor(out, &[dims.len(), n])?).cast(d.indices_type)
}

/// `IReverseSequenceLayer`: "slices the input tensor along the axis batchAxis. For the i-th slice, the operation
/// reverses the first N elements, specified by the corresponding i-th value in sequenceLens, along sequenceAxis
/// and keeps the remaining elements unchanged."
pub(crate) fn reverse_sequence(d: &ReverseSequence<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (x, lens) = (ctx.get(d.input)?, ctx.get(d.sequence_lens)?);
    let dims = x.dims().to_vec();
    let (b, s) = (
        axis(d.batch_axis as i64, dims.len())?,
        axis(d.sequence_axis as i64, dims.len())?,
    );
    if b == s {
        return invalid!("batch axis and sequence axis are both {b}");
    }
    let lens = lens.i64s()?;
    if lens.len() != dims[b] {
        return invalid!(
            "{} sequence lengths for batch axis {b} of length {}",
            lens.len(),
            dims[b]
        );
    }
    if let Some(l) = lens.iter().find(|&&l| l < 0 || l as usize > dims[s]) {
        return invalid!("sequence length {l} on an axis of length {}", dims[s]);
    }
    let st = strides(&dims);
    let total: usize = dims.iter().product();
    let picks = (0..total)
        .map(|i| {
            let (bi, si) = ((i / st[b]) % dims[b], (i / st[s]) % dims[s]);
            let len = lens[bi] as usize;
            if si < len {
                (i - si * st[s] + (len - 1 - si) * st[s]) as u32
            } else {
                i as u32
            }
        })
        .collect();
    Ok(x.with_tensor(pick(x.tensor(), picks, &dims)?))
}

/// `IScatterLayer`: "The output is computed by copying the data, and then updating elements of it based on
/// indices."
/// - kELEMENT: "For each element X of indices: Let J denote a sequence for the subscripts of X; Let K = sequence J
///   with element [axis] replaced by X; output[K] = updates[J]".
/// - kND: "define k = indices[q-1], it follows that updates dims are {i_0,...,i_{q-2},d_k,...,d_{r-1}}";
///   "foreach slice in indices[i_0,...,i_{q-2}]: output[indices[slice]] = updates[slice]".
///
/// "Writes to the same output element cause undefined behavior": refused. Negative indices count from the back
/// (as for `IGatherLayer`, docs/verification.md); out-of-bounds ones are refused (nothing to write to).
pub(crate) fn scatter(d: &Scatter<'_>, ctx: &Ctx<'_, '_>) -> LayerResult<Value> {
    let (data, idx, upd) = (ctx.get(d.data)?, ctx.get(d.indices)?, ctx.get(d.updates)?);
    if !matches!(idx.dtype(), DataType::Int32 | DataType::Int64) {
        return invalid!("indices of type {:?}", idx.dtype());
    }
    if upd.dtype() != data.dtype() {
        return invalid!(
            "updates of type {:?} into data of type {:?}",
            upd.dtype(),
            data.dtype()
        );
    }
    let dd = data.dims().to_vec();
    let (id, ud) = (idx.dims().to_vec(), upd.dims().to_vec());
    let raw = idx.i64s()?;
    let total: usize = dd.iter().product();
    let st = strides(&dd);
    let resolve = |i: i64, n: usize| -> LayerResult<usize> {
        let j = if i < 0 { i + n as i64 } else { i };
        if (0..n as i64).contains(&j) {
            Ok(j as usize)
        } else {
            invalid!("scatter index {i} on an axis of length {n}")
        }
    };
    // (output flat index, updates flat index) pairs.
    let mut writes: Vec<(usize, usize)> = Vec::new();
    match d.mode {
        ScatterMode::Element => {
            let a = axis(d.axis as i64, dd.len())?;
            if id.len() != dd.len() || ud != id {
                return invalid!("element scatter of indices {id:?}, updates {ud:?} into {dd:?}");
            }
            let ist = strides(&id);
            for (j, &x) in raw.iter().enumerate() {
                let mut k = 0;
                for ax in 0..id.len() {
                    let c = (j / ist[ax]) % id[ax];
                    let c = if ax == a { resolve(x, dd[a])? } else { c };
                    if c >= dd[ax] {
                        return invalid!("indices {id:?} exceed data {dd:?} on axis {ax}");
                    }
                    k += c * st[ax];
                }
                writes.push((k, j));
            }
        }
        ScatterMode::Nd => {
            let Some(&k) = id.last() else {
                return invalid!("kND scatter with scalar indices");
            };
            if k == 0 || k > dd.len() {
                return invalid!("kND index depth {k} for data of rank {}", dd.len());
            }
            let mut expect = id[..id.len() - 1].to_vec();
            expect.extend(&dd[k..]);
            if ud != expect {
                return invalid!(
                    "updates {ud:?} where {expect:?} is expected (indices {id:?}, data {dd:?})"
                );
            }
            let slice: usize = dd[k..].iter().product();
            for (t, tuple) in raw.chunks(k).enumerate() {
                let mut base = 0;
                for (ax, &i) in tuple.iter().enumerate() {
                    base += resolve(i, dd[ax])? * st[ax];
                }
                for e in 0..slice {
                    writes.push((base + e, t * slice + e));
                }
            }
        }
    }
    let mut picks: Vec<u32> = (0..total as u32).collect();
    let mut written = vec![false; total];
    for (o, u) in writes {
        if std::mem::replace(&mut written[o], true) {
            return invalid!(
                "two updates write output element {o} (undefined behavior in NvInfer.h)"
            );
        }
        picks[o] = (total + u) as u32;
    }
    let both = Tensor::cat(
        &[&data.tensor().flatten_all()?, &upd.tensor().flatten_all()?],
        0,
    )?;
    Ok(data.with_tensor(pick(&both, picks, &dd)?))
}
