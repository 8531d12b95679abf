//! [`TraceTensor`] for `candle_core::Tensor`: every method is the candle call of the same name,
//! or its reference implementation in `reference.rs` where candle has none.

use std::borrow::Borrow;

use candle_core::op::CmpOp;
use candle_core::shape::{Dim, Dims, ShapeWithOneHole};
use candle_core::{DType, Device, Module, ModuleT, Shape, Tensor};

use super::{
    reference, torch_ref, GroupNorm, Pad2d, PadMode, Pool2dConfig, ScopeGuard, TraceTensor,
};
use crate::Result;

impl TraceTensor for Tensor {
    fn dims(&self) -> &[usize] {
        Tensor::dims(self)
    }
    fn shape(&self) -> &Shape {
        Tensor::shape(self)
    }
    fn dtype(&self) -> DType {
        Tensor::dtype(self)
    }
    fn device(&self) -> &Device {
        Tensor::device(self)
    }
    fn as_candle(&self) -> &Tensor {
        self
    }
    fn scope(&self, _name: &str) -> ScopeGuard {
        ScopeGuard::noop()
    }
    fn apply_candle_fn<F>(&self, _name: &str, f: F) -> Result<Self>
    where
        F: FnOnce(&Tensor) -> candle_core::Result<Tensor>,
    {
        Ok(f(self)?)
    }
    fn parameter(&self, value: &Tensor) -> Result<Self> {
        Ok(value.clone())
    }
    fn custom_op<O: crate::CustomOp + ?Sized>(&self, others: &[&Self], op: &O) -> Result<Self> {
        crate::custom::plain(self, others, op)
    }

    fn relu(&self) -> Result<Self> {
        Ok(Tensor::relu(self)?)
    }
    fn leaky_relu(&self, negative_slope: f64) -> Result<Self> {
        Ok(candle_nn::ops::leaky_relu(self, negative_slope)?)
    }
    fn gelu_tanh(&self) -> Result<Self> {
        Ok(Tensor::gelu(self)?)
    }
    fn gelu_erf(&self) -> Result<Self> {
        Ok(Tensor::gelu_erf(self)?)
    }
    fn silu(&self) -> Result<Self> {
        Ok(Tensor::silu(self)?)
    }
    fn sigmoid(&self) -> Result<Self> {
        Ok(candle_nn::ops::sigmoid(self)?)
    }
    fn tanh(&self) -> Result<Self> {
        Ok(Tensor::tanh(self)?)
    }
    fn elu(&self, alpha: f64) -> Result<Self> {
        Ok(Tensor::elu(self, alpha)?)
    }
    fn hard_sigmoid(&self) -> Result<Self> {
        Ok(candle_nn::ops::hard_sigmoid(self)?)
    }
    fn hard_swish(&self) -> Result<Self> {
        Ok((self * candle_nn::ops::hard_sigmoid(self)?)?)
    }
    fn softplus(&self) -> Result<Self> {
        Ok(reference::softplus(self)?)
    }
    fn clamp(&self, min: f64, max: f64) -> Result<Self> {
        Ok(Tensor::clamp(self, min, max)?)
    }
    fn affine(&self, mul: f64, add: f64) -> Result<Self> {
        Ok(Tensor::affine(self, mul, add)?)
    }
    fn exp(&self) -> Result<Self> {
        Ok(Tensor::exp(self)?)
    }
    fn log(&self) -> Result<Self> {
        Ok(Tensor::log(self)?)
    }
    fn sqrt(&self) -> Result<Self> {
        Ok(Tensor::sqrt(self)?)
    }
    fn rsqrt(&self) -> Result<Self> {
        Ok(Tensor::sqrt(self)?.recip()?)
    }
    fn sqr(&self) -> Result<Self> {
        Ok(Tensor::sqr(self)?)
    }
    fn recip(&self) -> Result<Self> {
        Ok(Tensor::recip(self)?)
    }
    fn abs(&self) -> Result<Self> {
        Ok(Tensor::abs(self)?)
    }
    fn neg(&self) -> Result<Self> {
        Ok(Tensor::neg(self)?)
    }
    fn sin(&self) -> Result<Self> {
        Ok(Tensor::sin(self)?)
    }
    fn cos(&self) -> Result<Self> {
        Ok(Tensor::cos(self)?)
    }
    fn erf(&self) -> Result<Self> {
        Ok(Tensor::erf(self)?)
    }
    fn powf(&self, e: f64) -> Result<Self> {
        Ok(Tensor::powf(self, e)?)
    }
    fn tan(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::tan)?)
    }
    fn asin(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::asin)?)
    }
    fn acos(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::acos)?)
    }
    fn atan(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::atan)?)
    }
    fn sinh(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::sinh)?)
    }
    fn cosh(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::cosh)?)
    }
    fn asinh(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::asinh)?)
    }
    fn acosh(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::acosh)?)
    }
    fn atanh(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::atanh)?)
    }

    fn floor(&self) -> Result<Self> {
        Ok(Tensor::floor(self)?)
    }
    fn ceil(&self) -> Result<Self> {
        Ok(Tensor::ceil(self)?)
    }
    fn round(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::round_ties_even)?)
    }
    fn trunc(&self) -> Result<Self> {
        Ok(torch_ref::map_f64(self, f64::trunc)?)
    }
    fn sign(&self) -> Result<Self> {
        Ok(Tensor::sign(self)?)
    }
    fn floor_divide(&self, rhs: &Self) -> Result<Self> {
        Ok(torch_ref::floor_divide(self, rhs)?)
    }
    fn remainder(&self, rhs: &Self) -> Result<Self> {
        Ok(torch_ref::remainder(self, rhs)?)
    }
    fn fmod(&self, rhs: &Self) -> Result<Self> {
        Ok(torch_ref::fmod(self, rhs)?)
    }

    fn add_scalar(&self, v: f64) -> Result<Self> {
        Ok((self + v)?)
    }
    fn sub_scalar(&self, v: f64) -> Result<Self> {
        Ok((self - v)?)
    }
    fn mul_scalar(&self, v: f64) -> Result<Self> {
        Ok((self * v)?)
    }
    fn div_scalar(&self, v: f64) -> Result<Self> {
        Ok((self / v)?)
    }
    fn maximum_scalar(&self, v: f64) -> Result<Self> {
        Ok(Tensor::maximum(self, v)?)
    }
    fn minimum_scalar(&self, v: f64) -> Result<Self> {
        Ok(Tensor::minimum(self, v)?)
    }

    fn add(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::add(self, rhs)?)
    }
    fn sub(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::sub(self, rhs)?)
    }
    fn mul(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::mul(self, rhs)?)
    }
    fn div(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::div(self, rhs)?)
    }
    fn broadcast_add(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_add(self, rhs)?)
    }
    fn broadcast_sub(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_sub(self, rhs)?)
    }
    fn broadcast_mul(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_mul(self, rhs)?)
    }
    fn broadcast_div(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_div(self, rhs)?)
    }
    fn broadcast_pow(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_pow(self, rhs)?)
    }
    fn broadcast_maximum(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_maximum(self, rhs)?)
    }
    fn broadcast_minimum(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_minimum(self, rhs)?)
    }

    fn broadcast_cmp(&self, rhs: &Self, op: CmpOp) -> Result<Self> {
        Ok(reference::broadcast_cmp(self, rhs, op)?)
    }
    fn cmp_scalar(&self, rhs: f64, op: CmpOp) -> Result<Self> {
        Ok(Tensor::cmp(self, rhs, op)?)
    }
    fn where_cond(&self, on_true: &Self, on_false: &Self) -> Result<Self> {
        Ok(Tensor::where_cond(self, on_true, on_false)?)
    }

    fn matmul(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::matmul(self, rhs)?)
    }
    fn broadcast_matmul(&self, rhs: &Self) -> Result<Self> {
        Ok(Tensor::broadcast_matmul(self, rhs)?)
    }

    fn reshape<S: ShapeWithOneHole + Clone>(&self, shape: S) -> Result<Self> {
        Ok(Tensor::reshape(self, shape)?)
    }
    fn flatten_from<Dm: Dim>(&self, start_dim: Dm) -> Result<Self> {
        Ok(Tensor::flatten_from(self, start_dim)?)
    }
    fn flatten_all(&self) -> Result<Self> {
        Ok(Tensor::flatten_all(self)?)
    }
    fn squeeze<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::squeeze(self, dim)?)
    }
    fn unsqueeze<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::unsqueeze(self, dim)?)
    }
    fn transpose<D1: Dim, D2: Dim>(&self, dim1: D1, dim2: D2) -> Result<Self> {
        Ok(Tensor::transpose(self, dim1, dim2)?)
    }
    fn permute<Ds: Dims>(&self, dims: Ds) -> Result<Self> {
        Ok(Tensor::permute(self, dims)?)
    }
    fn narrow<Dm: Dim>(&self, dim: Dm, start: usize, len: usize) -> Result<Self> {
        Ok(Tensor::narrow(self, dim, start, len)?)
    }
    fn narrow_like<Dm: Dim, L: Dim>(
        &self,
        dim: Dm,
        start: usize,
        like: &Self,
        like_dim: L,
    ) -> Result<Self> {
        let len = like.dim(like_dim)?;
        Ok(Tensor::narrow(self, dim, start, len)?)
    }
    fn chunk<Dm: Dim>(&self, chunks: usize, dim: Dm) -> Result<Vec<Self>> {
        let axis = dim.to_index(self.shape(), "chunk")?;
        let pieces = torch_ref::chunk_pieces(self.dims()[axis], chunks)?;
        Ok(torch_ref::pieces(self, axis, &pieces)?)
    }
    fn split<Dm: Dim>(&self, split_size: usize, dim: Dm) -> Result<Vec<Self>> {
        let axis = dim.to_index(self.shape(), "split")?;
        let pieces = torch_ref::split_pieces(self.dims()[axis], split_size)?;
        Ok(torch_ref::pieces(self, axis, &pieces)?)
    }
    fn split_with_sizes<Dm: Dim>(&self, sizes: &[usize], dim: Dm) -> Result<Vec<Self>> {
        let axis = dim.to_index(self.shape(), "split_with_sizes")?;
        let pieces = torch_ref::split_sizes_pieces(self.dims()[axis], sizes)?;
        Ok(torch_ref::pieces(self, axis, &pieces)?)
    }
    fn slice<Dm: Dim>(&self, dim: Dm, start: usize, end: usize, step: usize) -> Result<Self> {
        let axis = dim.to_index(self.shape(), "slice")?;
        Ok(torch_ref::slice(self, axis, start, end, step)?)
    }
    fn expand(&self, sizes: &[i64]) -> Result<Self> {
        Ok(torch_ref::expand(self, sizes)?)
    }
    fn cat<A: Borrow<Self>, Dm: Dim>(tensors: &[A], dim: Dm) -> Result<Self> {
        let ts: Vec<&Tensor> = tensors.iter().map(|t| t.borrow()).collect();
        Ok(Tensor::cat(&ts, dim)?)
    }
    fn stack<A: Borrow<Self>, Dm: Dim>(tensors: &[A], dim: Dm) -> Result<Self> {
        let ts: Vec<&Tensor> = tensors.iter().map(|t| t.borrow()).collect();
        Ok(Tensor::stack(&ts, dim)?)
    }
    fn index_select<Dm: Dim>(&self, indexes: &Self, dim: Dm) -> Result<Self> {
        Ok(Tensor::index_select(self, indexes, dim)?)
    }
    fn to_dtype(&self, dtype: DType) -> Result<Self> {
        Ok(Tensor::to_dtype(self, dtype)?)
    }
    fn contiguous(&self) -> Result<Self> {
        Ok(Tensor::contiguous(self)?)
    }
    fn pad_with_zeros<Dm: Dim>(&self, dim: Dm, left: usize, right: usize) -> Result<Self> {
        Ok(Tensor::pad_with_zeros(self, dim, left, right)?)
    }
    fn pad2d(&self, pad: Pad2d, mode: PadMode) -> Result<Self> {
        Ok(reference::pad2d(self, pad, mode)?)
    }

    fn sum_keepdim<Ds: Dims>(&self, dims: Ds) -> Result<Self> {
        Ok(Tensor::sum_keepdim(self, dims)?)
    }
    fn sum<Ds: Dims>(&self, dims: Ds) -> Result<Self> {
        Ok(Tensor::sum(self, dims)?)
    }
    fn mean_keepdim<Ds: Dims>(&self, dims: Ds) -> Result<Self> {
        Ok(Tensor::mean_keepdim(self, dims)?)
    }
    fn mean<Ds: Dims>(&self, dims: Ds) -> Result<Self> {
        Ok(Tensor::mean(self, dims)?)
    }
    fn max_keepdim<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::max_keepdim(self, dim)?)
    }
    fn max<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::max(self, dim)?)
    }
    fn min_keepdim<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::min_keepdim(self, dim)?)
    }
    fn min<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(Tensor::min(self, dim)?)
    }
    fn prod<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        let axis = dim.to_index(self.shape(), "prod")?;
        Ok(torch_ref::prod(self, axis, false)?)
    }
    fn prod_keepdim<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        let axis = dim.to_index(self.shape(), "prod_keepdim")?;
        Ok(torch_ref::prod(self, axis, true)?)
    }
    fn softmax<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(candle_nn::ops::softmax(self, dim)?)
    }
    fn softmax_last_dim(&self) -> Result<Self> {
        Ok(candle_nn::ops::softmax_last_dim(self)?)
    }
    fn scaled_dot_product_attention(
        &self,
        key: &Self,
        value: &Self,
        mask: Option<&Self>,
        scale: f64,
    ) -> Result<Self> {
        let scores = (self * scale)?.matmul(&key.t()?.contiguous()?)?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask)?,
            None => scores,
        };
        Ok(candle_nn::ops::softmax_last_dim(&scores)?.matmul(&value.contiguous()?)?)
    }
    fn log_softmax<Dm: Dim>(&self, dim: Dm) -> Result<Self> {
        Ok(candle_nn::ops::log_softmax(self, dim)?)
    }

    fn max_pool2d<K: candle_core::ToUsize2>(&self, kernel: K) -> Result<Self> {
        Ok(Tensor::max_pool2d(self, kernel)?)
    }
    fn max_pool2d_with_stride<K: candle_core::ToUsize2>(
        &self,
        kernel: K,
        stride: K,
    ) -> Result<Self> {
        Ok(Tensor::max_pool2d_with_stride(self, kernel, stride)?)
    }
    fn max_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self> {
        Ok(reference::max_pool2d(self, config)?)
    }
    fn avg_pool2d<K: candle_core::ToUsize2>(&self, kernel: K) -> Result<Self> {
        Ok(Tensor::avg_pool2d(self, kernel)?)
    }
    fn avg_pool2d_with_stride<K: candle_core::ToUsize2>(
        &self,
        kernel: K,
        stride: K,
    ) -> Result<Self> {
        Ok(Tensor::avg_pool2d_with_stride(self, kernel, stride)?)
    }
    fn avg_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self> {
        Ok(reference::avg_pool2d(self, config)?)
    }
    fn adaptive_avg_pool2d(&self, output_size: (usize, usize)) -> Result<Self> {
        Ok(reference::adaptive_avg_pool2d(self, output_size)?)
    }
    fn adaptive_max_pool2d(&self, output_size: (usize, usize)) -> Result<Self> {
        Ok(torch_ref::adaptive_max_pool2d(self, output_size)?)
    }
    fn upsample_bicubic2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self> {
        Ok(torch_ref::upsample_bicubic2d(
            self,
            (target_h, target_w),
            align_corners,
        )?)
    }
    fn upsample_nearest2d(&self, target_h: usize, target_w: usize) -> Result<Self> {
        Ok(Tensor::upsample_nearest2d(self, target_h, target_w)?)
    }
    fn upsample_bilinear2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self> {
        Ok(Tensor::upsample_bilinear2d(
            self,
            target_h,
            target_w,
            align_corners,
        )?)
    }

    fn conv1d(&self, layer: &candle_nn::Conv1d) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
    fn conv2d(&self, layer: &candle_nn::Conv2d) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
    fn conv2d_padded(&self, layer: &candle_nn::Conv2d, pad: Pad2d) -> Result<Self> {
        Ok(reference::conv2d_padded(self, layer, pad)?)
    }
    fn conv_transpose2d(&self, layer: &candle_nn::ConvTranspose2d) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
    fn linear(&self, layer: &candle_nn::Linear) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
    fn batch_norm(&self, layer: &candle_nn::BatchNorm) -> Result<Self> {
        Ok(layer.forward_t(self, false)?)
    }
    fn layer_norm(&self, layer: &candle_nn::LayerNorm) -> Result<Self> {
        if layer.weight().rank() == 1 {
            return Ok(layer.forward(self)?);
        }
        Ok(torch_ref::layer_norm(
            self,
            layer.weight(),
            layer.bias(),
            layer.eps(),
            layer.remove_mean(),
        )?)
    }
    fn rms_norm(&self, layer: &candle_nn::RmsNorm) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
    fn group_norm(&self, layer: &GroupNorm) -> Result<Self> {
        let gn = candle_nn::GroupNorm::new(
            layer.weight().clone(),
            layer.bias().clone(),
            layer.num_channels(),
            layer.num_groups(),
            layer.eps(),
        )?;
        Ok(gn.forward(self)?)
    }
    fn embedding(&self, layer: &candle_nn::Embedding) -> Result<Self> {
        Ok(layer.forward(self)?)
    }
}
