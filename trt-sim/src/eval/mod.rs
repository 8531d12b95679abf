//! One evaluation function per TensorRT layer type, each written from NvInfer.h's documentation of that layer
//! (cited next to every semantic choice), grouped by family like `trt::layers`: `conv` (convolution,
//! deconvolution, pooling, padding), `resize`, `elementwise` (binary, unary, activation, select, PReLU),
//! `shape` (shuffle, slice, concatenation, shape, squeeze/unsqueeze, fill, cast, identity, constant),
//! `index` (gather, one-hot, non-zero, reverse sequence, scatter), `nms`, `grid_sample`, `reduce` (reduce, softmax,
//! top-k, cumulative), `matmul`, `einsum`, `norm` (normalization, scale, LRN), `quant` (quantize, dequantize),
//! `attention` (fused attention's input and output layers).
//!
//! Reals are computed in f32 (f64 inside reductions) from the stored inputs and rounded once, to the type
//! TensorRT declares for the output (see `Value::declare`).

mod attention;
mod conv;
mod einsum;
mod elementwise;
mod grid_sample;
mod index;
mod matmul;
mod nms;
mod norm;
mod quant;
mod reduce;
mod resize;
mod shape;

use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use trt::{DataType, LayerDesc};

use crate::error::{invalid, unsupported, LayerResult};
use crate::program::Program;
use crate::value::{from_weights, map_f32, round_tf32, Value};

/// Weights of a layer turned into values once per program (not per run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    /// Per layer kind: convolution `[kernel, bias?]`, constant `[value]`, scale `[shift?, scale?, power?]`
    /// (as `Option`s in that order).
    values: Vec<Option<Value>>,
    /// The first value (a convolution or matrix kernel) rounded to TF32, made on first use.
    tf32: OnceLock<Tensor>,
    /// An attention-output layer's input (its attention-input layer's output), as an index into
    /// `Program::tensors`; not set for a description replaced by `Program::set_description`, which is then
    /// computed from that description.
    pub(crate) attention_input: Option<usize>,
}

impl Prepared {
    pub(crate) fn new(desc: &LayerDesc<'_>) -> LayerResult<Self> {
        let values = match desc {
            LayerDesc::Convolution(c) => conv::prepare_kernel(
                &c.kernel_weights,
                c.bias.as_ref(),
                c.out_channels,
                &c.kernel,
                c.groups,
                false,
            )?,
            LayerDesc::Deconvolution(c) => conv::prepare_kernel(
                &c.kernel_weights,
                c.bias.as_ref(),
                c.out_channels,
                &c.kernel,
                c.groups,
                true,
            )?,
            LayerDesc::Constant(c) => {
                let dims = c
                    .dims
                    .iter()
                    .map(|&d| usize::try_from(d))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        crate::error::LayerError::Invalid(format!("constant with dims {}", c.dims))
                    })?;
                vec![Some(from_weights(&c.weights, &dims)?)]
            }
            LayerDesc::Scale(s) => [&s.shift, &s.scale, &s.power]
                .into_iter()
                .map(|w| {
                    w.as_ref()
                        .map(|w| from_weights(w, &[w.count() as usize]))
                        .transpose()
                })
                .collect::<LayerResult<_>>()?,
            _ => Vec::new(),
        };
        Ok(Prepared {
            values,
            tf32: OnceLock::new(),
            attention_input: None,
        })
    }

    fn get(&self, i: usize) -> Option<&Value> {
        self.values.get(i).and_then(Option::as_ref)
    }
}

/// What a layer's evaluation can see: the values computed so far and the run's options.
pub(crate) struct Ctx<'a, 'n> {
    pub(crate) program: &'a Program<'n>,
    pub(crate) values: &'a [Option<Value>],
    /// TF32 rounding of convolution and matrix-multiply inputs of type Float.
    pub(crate) tf32: bool,
    /// The run's options (Half as Float, Q/DQ as identity).
    pub(crate) options: &'a crate::RunOptions,
}

impl<'n> Ctx<'_, 'n> {
    /// The value of tensor `t`.
    pub(crate) fn get(&self, t: trt::Tensor<'n>) -> LayerResult<&Value> {
        let i = self.program.tensor_index(t).ok_or_else(|| {
            crate::error::LayerError::Invalid(format!(
                "tensor '{}' is not in the network",
                t.name()
            ))
        })?;
        self.values[i].as_ref().ok_or_else(|| {
            crate::error::LayerError::Invalid(format!("tensor '{}' has no value yet", t.name()))
        })
    }

    /// The value of an optional tensor.
    pub(crate) fn opt(&self, t: Option<trt::Tensor<'n>>) -> LayerResult<Option<&Value>> {
        t.map(|t| self.get(t)).transpose()
    }

    /// `x` as f32, rounded to TF32 when TF32 is allowed and `x` is of type Float (`NvInfer.h:
    /// BuilderFlag::kTF32`: "Allow (but not require) computations on tensors of type DataType::kFLOAT to use
    /// TF32"; the simulation takes the allowed rounding).
    pub(crate) fn mma_input(&self, x: &Value) -> LayerResult<Tensor> {
        let t = x.to_f32()?;
        if self.tf32 && x.dtype() == DataType::Float {
            Ok(map_f32(&t, round_tf32)?)
        } else {
            Ok(t)
        }
    }

    /// Tensor `t` as a multiply input ([`Ctx::mma_input`]); the TF32 rounding of a constant is made
    /// once per program.
    pub(crate) fn mma_operand(&self, t: trt::Tensor<'n>) -> LayerResult<Tensor> {
        let v = self.get(t)?;
        if self.tf32 && v.dtype() == DataType::Float {
            if let Some(cache) = self
                .program
                .tensor_index(t)
                .and_then(|i| self.program.tf32_constant(i))
            {
                if let Some(r) = cache.get() {
                    return Ok(r.clone());
                }
                let r = self.mma_input(v)?;
                return Ok(cache.get_or_init(|| r).clone());
            }
        }
        self.mma_input(v)
    }

    /// Prepared weight 0 as a multiply input ([`Ctx::mma_input`]), its TF32 rounding cached.
    pub(crate) fn mma_weights(&self, p: &Prepared) -> LayerResult<Tensor> {
        let Some(w) = p.get(0) else {
            return invalid!("no weights");
        };
        if self.tf32 && w.dtype() == DataType::Float {
            if let Some(t) = p.tf32.get() {
                return Ok(t.clone());
            }
            let t = self.mma_input(w)?;
            Ok(p.tf32.get_or_init(|| t).clone())
        } else {
            Ok(w.to_f32()?)
        }
    }
}

/// Evaluates one layer: its outputs, before they are checked against TensorRT's declared dims and types.
pub(crate) fn eval<'n>(
    desc: &LayerDesc<'n>,
    prepared: &Prepared,
    ctx: &Ctx<'_, 'n>,
) -> LayerResult<Vec<Value>> {
    use LayerDesc as L;
    let one = |v: LayerResult<Value>| v.map(|v| vec![v]);
    match desc {
        L::Convolution(d) => one(conv::convolution(d, prepared, ctx)),
        L::Deconvolution(d) => one(conv::deconvolution(d, prepared, ctx)),
        L::Pooling(d) => one(conv::pooling(d, ctx)),
        L::Padding(d) => one(conv::padding(d, ctx)),
        L::Resize(d) => one(resize::resize(d, ctx)),
        L::ElementWise(d) => one(elementwise::elementwise(d, ctx)),
        L::Unary(d) => one(elementwise::unary(d, ctx)),
        L::Activation(d) => one(elementwise::activation(d, ctx)),
        L::Select(d) => one(elementwise::select(d, ctx)),
        L::ParametricRelu(d) => one(elementwise::parametric_relu(d, ctx)),
        L::Shuffle(d) => one(shape::shuffle(d, ctx)),
        L::Slice(d) => one(shape::slice(d, ctx)),
        L::Concatenation(d) => one(shape::concatenation(d, ctx)),
        L::Shape(d) => one(shape::shape(d, ctx)),
        L::Squeeze(d) => one(shape::squeeze(d, ctx)),
        L::Unsqueeze(d) => one(shape::unsqueeze(d, ctx)),
        L::Fill(d) => one(shape::fill(d, ctx)),
        L::Cast(d) => one(ctx
            .get(d.input)?
            .cast(ctx.options.held_type(d.to).unwrap_or(d.to))),
        L::Identity(d) => one(Ok(ctx.get(d.input)?.clone())),
        L::Constant(_) => match prepared.get(0) {
            Some(v) => Ok(vec![v.clone()]),
            None => invalid!("constant without a value"),
        },
        L::Gather(d) => one(index::gather(d, ctx)),
        L::OneHot(d) => one(index::one_hot(d, ctx)),
        L::NonZero(d) => one(index::non_zero(d, ctx)),
        L::ReverseSequence(d) => one(index::reverse_sequence(d, ctx)),
        L::Scatter(d) => one(index::scatter(d, ctx)),
        L::Nms(d) => nms::nms(d, ctx),
        L::GridSample(d) => one(grid_sample::grid_sample(d, ctx)),
        L::Einsum(d) => one(einsum::einsum(d, ctx)),
        L::Lrn(d) => one(norm::lrn(d, ctx)),
        L::Reduce(d) => one(reduce::reduce(d, ctx)),
        L::Softmax(d) => one(reduce::softmax(d, ctx)),
        L::TopK(d) => reduce::top_k(d, ctx),
        L::Cumulative(d) => one(reduce::cumulative(d, ctx)),
        L::MatrixMultiply(d) => one(matmul::matrix_multiply(d, ctx)),
        L::Normalization(d) => one(norm::normalization(d, ctx)),
        L::Scale(d) => one(norm::scale(d, prepared, ctx)),
        L::Quantize(d) => one(quant::quantize(d, ctx)),
        L::Dequantize(d) => one(quant::dequantize(d, ctx)),
        L::AttentionInput(d) => one(attention::attention_input(d, ctx)),
        L::Attention(d) => one(attention::attention_output(d, prepared, ctx)),
        other => unsupported!("{:?} layers", other.layer_type()),
    }
}

/// `axis` (negative: from the back) as an index into `rank` dims.
pub(crate) fn axis(a: i64, rank: usize) -> LayerResult<usize> {
    let r = rank as i64;
    let a2 = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&a2) {
        Ok(a2 as usize)
    } else {
        invalid!("axis {a} of a rank-{rank} tensor")
    }
}

/// The axes of a bit mask (`1 << axis`), checked against `rank`.
pub(crate) fn mask_axes(mask: u32, rank: usize) -> LayerResult<Vec<usize>> {
    if rank < 32 && mask >> rank != 0 {
        return invalid!("axes mask {mask:#b} names an axis beyond rank {rank}");
    }
    Ok((0..rank).filter(|&a| mask & (1 << a) != 0).collect())
}

/// TensorRT's broadcast: same rank; per dim, equal lengths or one of them 1 (`NvInfer.h: IElementWiseLayer`,
/// "The input tensors must have the same rank. For each dimension, their lengths must match, or one of them
/// must be one").
pub(crate) fn broadcast(shapes: &[&[usize]]) -> LayerResult<Vec<usize>> {
    let rank = shapes[0].len();
    if shapes.iter().any(|s| s.len() != rank) {
        return invalid!("operands of different ranks: {shapes:?}");
    }
    let mut out = vec![1; rank];
    for (d, o) in out.iter_mut().enumerate() {
        for s in shapes {
            match (*o, s[d]) {
                (a, b) if a == b => {}
                (1, b) => *o = b,
                (_, 1) => {}
                _ => return invalid!("operands {shapes:?} do not broadcast"),
            }
        }
    }
    Ok(out)
}

/// `t` broadcast to `dims` and laid out contiguously, as a flat vector.
pub(crate) fn flat<T: candle_core::WithDType>(t: &Tensor, dims: &[usize]) -> LayerResult<Vec<T>> {
    Ok(t.broadcast_as(dims)?.flatten_all()?.to_vec1::<T>()?)
}

/// A CPU tensor from a flat vector.
pub(crate) fn tensor<T: candle_core::WithDType>(v: Vec<T>, dims: &[usize]) -> LayerResult<Tensor> {
    Ok(Tensor::from_vec(v, dims, &Device::Cpu)?)
}

/// Moves `axes` of `t` to the back (order kept) and returns it contiguous with the kept dims, as
/// `(tensor, kept dims, reduced length)`: each row of the result's last `len` elements is one reduction.
pub(crate) fn axes_last(t: &Tensor, axes: &[usize]) -> LayerResult<(Tensor, Vec<usize>, usize)> {
    let dims = t.dims();
    let kept: Vec<usize> = (0..dims.len()).filter(|a| !axes.contains(a)).collect();
    let mut perm = kept.clone();
    perm.extend(axes);
    let len: usize = axes.iter().map(|&a| dims[a]).product();
    let kept_dims: Vec<usize> = kept.iter().map(|&a| dims[a]).collect();
    let p = if perm.iter().enumerate().all(|(i, &a)| i == a) {
        t.clone()
    } else {
        t.permute(perm)?
    };
    Ok((p.contiguous()?, kept_dims, len))
}

/// The f32 values of an F32 tensor, laid out contiguously.
pub(crate) fn f32s(t: &Tensor) -> LayerResult<Vec<f32>> {
    Ok(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
}
