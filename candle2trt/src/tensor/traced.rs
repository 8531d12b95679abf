//! [`TraceTensor`] for [`TracedTensor`]: each method delegates to its converter in `ops/`.

use std::borrow::Borrow;

use candle_core::op::CmpOp;
use candle_core::shape::{Dim, Dims, ShapeWithOneHole};
use candle_core::{DType, Device, Shape, Tensor};

use super::{GroupNorm, Pad2d, PadMode, Pool2dConfig, ScopeGuard, TraceTensor};
use crate::error::OpFailure;
use crate::ops::{
    activation as act, attention, conv, elementwise as ew, gather, math, matmul, norm, parameter,
    pool, reduce, resize, rounding, shape,
};
use crate::trace::TracedTensor;
use crate::{Error, Result};

impl<'n> TraceTensor for TracedTensor<'n> {
    fn dims(&self) -> &[usize] {
        self.value.dims()
    }
    fn shape(&self) -> &Shape {
        self.value.shape()
    }
    fn dtype(&self) -> DType {
        self.value.dtype()
    }
    fn device(&self) -> &Device {
        self.value.device()
    }
    fn as_candle(&self) -> &Tensor {
        &self.value
    }
    fn scope(&self, name: &str) -> ScopeGuard {
        ScopeGuard::push(&self.tracer.scopes, &self.tracer.last_scope, name)
    }
    fn unnamed_scope(&self) -> ScopeGuard {
        let name = self.tracer.next_unnamed_child();
        self.scope(&name)
    }
    fn apply_candle_fn<F>(&self, name: &str, _f: F) -> Result<Self>
    where
        F: FnOnce(&Tensor) -> candle_core::Result<Tensor>,
    {
        Err(Error::at_op(self.op_context(name), OpFailure::NoConverter))
    }
    fn parameter(&self, value: &Tensor) -> Result<Self> {
        parameter::parameter(self, value)
    }
    fn custom_op<O: crate::CustomOp + ?Sized>(&self, others: &[&Self], op: &O) -> Result<Self> {
        crate::custom::traced(self, others, op)
    }

    fn relu(&self) -> Result<Self> {
        act::relu(self)
    }
    fn relu6(&self) -> Result<Self> {
        act::relu6(self)
    }
    fn leaky_relu(&self, negative_slope: f64) -> Result<Self> {
        act::leaky_relu(self, negative_slope)
    }
    fn gelu(&self) -> Result<Self> {
        act::gelu_erf(self)
    }
    fn gelu_tanh(&self) -> Result<Self> {
        act::gelu_tanh(self)
    }
    fn gelu_erf(&self) -> Result<Self> {
        act::gelu_erf(self)
    }
    fn silu(&self) -> Result<Self> {
        act::silu(self)
    }
    fn sigmoid(&self) -> Result<Self> {
        act::sigmoid(self)
    }
    fn tanh(&self) -> Result<Self> {
        act::tanh(self)
    }
    fn elu(&self, alpha: f64) -> Result<Self> {
        act::elu(self, alpha)
    }
    fn hard_sigmoid(&self) -> Result<Self> {
        act::hard_sigmoid(self)
    }
    fn hard_swish(&self) -> Result<Self> {
        act::hard_swish(self)
    }
    fn softplus(&self) -> Result<Self> {
        act::softplus(self)
    }
    fn clamp(&self, min: f64, max: f64) -> Result<Self> {
        act::clamp(self, min, max)
    }
    fn affine(&self, mul: f64, add: f64) -> Result<Self> {
        math::affine(self, mul, add)
    }
    fn exp(&self) -> Result<Self> {
        math::exp(self)
    }
    fn log(&self) -> Result<Self> {
        math::log(self)
    }
    fn sqrt(&self) -> Result<Self> {
        math::sqrt(self)
    }
    fn rsqrt(&self) -> Result<Self> {
        math::rsqrt(self)
    }
    fn sqr(&self) -> Result<Self> {
        math::sqr(self)
    }
    fn recip(&self) -> Result<Self> {
        math::recip(self)
    }
    fn abs(&self) -> Result<Self> {
        math::abs(self)
    }
    fn neg(&self) -> Result<Self> {
        math::neg(self)
    }
    fn sin(&self) -> Result<Self> {
        math::sin(self)
    }
    fn cos(&self) -> Result<Self> {
        math::cos(self)
    }
    fn erf(&self) -> Result<Self> {
        math::erf(self)
    }
    fn powf(&self, e: f64) -> Result<Self> {
        math::powf(self, e)
    }
    fn tan(&self) -> Result<Self> {
        math::tan(self)
    }
    fn asin(&self) -> Result<Self> {
        math::asin(self)
    }
    fn acos(&self) -> Result<Self> {
        math::acos(self)
    }
    fn atan(&self) -> Result<Self> {
        math::atan(self)
    }
    fn sinh(&self) -> Result<Self> {
        math::sinh(self)
    }
    fn cosh(&self) -> Result<Self> {
        math::cosh(self)
    }
    fn asinh(&self) -> Result<Self> {
        math::asinh(self)
    }
    fn acosh(&self) -> Result<Self> {
        math::acosh(self)
    }
    fn atanh(&self) -> Result<Self> {
        math::atanh(self)
    }

    fn floor(&self) -> Result<Self> {
        rounding::floor(self)
    }
    fn ceil(&self) -> Result<Self> {
        rounding::ceil(self)
    }
    fn round(&self) -> Result<Self> {
        rounding::round(self)
    }
    fn trunc(&self) -> Result<Self> {
        rounding::trunc(self)
    }
    fn sign(&self) -> Result<Self> {
        rounding::sign(self)
    }
    fn floor_divide(&self, rhs: &Self) -> Result<Self> {
        rounding::floor_divide(self, rhs)
    }
    fn remainder(&self, rhs: &Self) -> Result<Self> {
        rounding::remainder(self, rhs)
    }
    fn fmod(&self, rhs: &Self) -> Result<Self> {
        rounding::fmod(self, rhs)
    }

    fn add_scalar(&self, v: f64) -> Result<Self> {
        math::add_scalar(self, v)
    }
    fn sub_scalar(&self, v: f64) -> Result<Self> {
        math::sub_scalar(self, v)
    }
    fn mul_scalar(&self, v: f64) -> Result<Self> {
        math::mul_scalar(self, v)
    }
    fn div_scalar(&self, v: f64) -> Result<Self> {
        math::div_scalar(self, v)
    }
    fn maximum_scalar(&self, v: f64) -> Result<Self> {
        math::maximum_scalar(self, v)
    }
    fn minimum_scalar(&self, v: f64) -> Result<Self> {
        math::minimum_scalar(self, v)
    }

    fn add(&self, rhs: &Self) -> Result<Self> {
        ew::add(self, rhs)
    }
    fn sub(&self, rhs: &Self) -> Result<Self> {
        ew::sub(self, rhs)
    }
    fn mul(&self, rhs: &Self) -> Result<Self> {
        ew::mul(self, rhs)
    }
    fn div(&self, rhs: &Self) -> Result<Self> {
        ew::div(self, rhs)
    }
    fn broadcast_add(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_add(self, rhs)
    }
    fn broadcast_sub(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_sub(self, rhs)
    }
    fn broadcast_mul(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_mul(self, rhs)
    }
    fn broadcast_div(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_div(self, rhs)
    }
    fn broadcast_pow(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_pow(self, rhs)
    }
    fn broadcast_maximum(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_maximum(self, rhs)
    }
    fn broadcast_minimum(&self, rhs: &Self) -> Result<Self> {
        ew::broadcast_minimum(self, rhs)
    }

    fn broadcast_cmp(&self, rhs: &Self, op: CmpOp) -> Result<Self> {
        ew::broadcast_cmp(self, rhs, op)
    }
    fn cmp_scalar(&self, rhs: f64, op: CmpOp) -> Result<Self> {
        ew::cmp_scalar(self, rhs, op)
    }
    fn where_cond(&self, on_true: &Self, on_false: &Self) -> Result<Self> {
        ew::where_cond(self, on_true, on_false)
    }

    fn matmul(&self, rhs: &Self) -> Result<Self> {
        matmul::matmul(self, rhs)
    }
    fn broadcast_matmul(&self, rhs: &Self) -> Result<Self> {
        matmul::broadcast_matmul(self, rhs)
    }

    fn reshape<S: ShapeWithOneHole + Clone>(&self, s: S) -> Result<Self> {
        shape::reshape(self, s)
    }
    fn flatten_from<D: Dim>(&self, start_dim: D) -> Result<Self> {
        shape::flatten_from(self, start_dim)
    }
    fn flatten_all(&self) -> Result<Self> {
        shape::flatten_all(self)
    }
    fn squeeze<D: Dim>(&self, dim: D) -> Result<Self> {
        shape::squeeze(self, dim)
    }
    fn unsqueeze<D: Dim>(&self, dim: D) -> Result<Self> {
        shape::unsqueeze(self, dim)
    }
    fn transpose<D1: Dim, D2: Dim>(&self, dim1: D1, dim2: D2) -> Result<Self> {
        shape::transpose(self, dim1, dim2)
    }
    fn permute<D: Dims>(&self, dims: D) -> Result<Self> {
        shape::permute(self, dims)
    }
    fn narrow<D: Dim>(&self, dim: D, start: usize, len: usize) -> Result<Self> {
        shape::narrow(self, dim, start, len)
    }
    fn scaled_dot_product_attention(
        &self,
        key: &Self,
        value: &Self,
        mask: Option<&Self>,
        scale: f64,
    ) -> Result<Self> {
        attention::scaled_dot_product_attention(self, key, value, mask, scale)
    }
    fn narrow_like<D: Dim, L: Dim>(
        &self,
        dim: D,
        start: usize,
        like: &Self,
        like_dim: L,
    ) -> Result<Self> {
        shape::narrow_like(self, dim, start, like, like_dim)
    }
    fn chunk<D: Dim>(&self, chunks: usize, dim: D) -> Result<Vec<Self>> {
        shape::chunk(self, chunks, dim)
    }
    fn split<D: Dim>(&self, split_size: usize, dim: D) -> Result<Vec<Self>> {
        shape::split(self, split_size, dim)
    }
    fn split_with_sizes<D: Dim>(&self, sizes: &[usize], dim: D) -> Result<Vec<Self>> {
        shape::split_with_sizes(self, sizes, dim)
    }
    fn slice<D: Dim>(&self, dim: D, start: usize, end: usize, step: usize) -> Result<Self> {
        shape::slice(self, dim, start, end, step)
    }
    fn expand(&self, sizes: &[i64]) -> Result<Self> {
        shape::expand(self, sizes)
    }
    fn cat<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self> {
        shape::cat(tensors, dim)
    }
    fn stack<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self> {
        shape::stack(tensors, dim)
    }
    fn index_select<D: Dim>(&self, indexes: &Self, dim: D) -> Result<Self> {
        gather::index_select(self, indexes, dim)
    }
    fn to_dtype(&self, dtype: DType) -> Result<Self> {
        shape::to_dtype(self, dtype)
    }
    fn contiguous(&self) -> Result<Self> {
        shape::contiguous(self)
    }
    fn pad_with_zeros<D: Dim>(&self, dim: D, left: usize, right: usize) -> Result<Self> {
        shape::pad_with_zeros(self, dim, left, right)
    }
    fn pad2d(&self, pad: Pad2d, mode: PadMode) -> Result<Self> {
        shape::pad2d(self, pad, mode)
    }

    fn sum_keepdim<D: Dims>(&self, dims: D) -> Result<Self> {
        reduce::sum_keepdim(self, dims)
    }
    fn sum<D: Dims>(&self, dims: D) -> Result<Self> {
        reduce::sum(self, dims)
    }
    fn mean_keepdim<D: Dims>(&self, dims: D) -> Result<Self> {
        reduce::mean_keepdim(self, dims)
    }
    fn mean<D: Dims>(&self, dims: D) -> Result<Self> {
        reduce::mean(self, dims)
    }
    fn max_keepdim<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::max_keepdim(self, dim)
    }
    fn max<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::max(self, dim)
    }
    fn min_keepdim<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::min_keepdim(self, dim)
    }
    fn min<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::min(self, dim)
    }
    fn prod<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::prod(self, dim)
    }
    fn prod_keepdim<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::prod_keepdim(self, dim)
    }
    fn softmax<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::softmax(self, dim)
    }
    fn softmax_last_dim(&self) -> Result<Self> {
        reduce::softmax(self, candle_core::D::Minus1)
    }
    fn log_softmax<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::log_softmax(self, dim)
    }

    fn max_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self> {
        pool::max_pool2d(self, config)
    }
    fn avg_pool2d_with_config(&self, config: &Pool2dConfig) -> Result<Self> {
        pool::avg_pool2d(self, config)
    }
    fn adaptive_avg_pool2d(&self, output_size: (usize, usize)) -> Result<Self> {
        pool::adaptive_avg_pool2d(self, output_size)
    }
    fn adaptive_max_pool2d(&self, output_size: (usize, usize)) -> Result<Self> {
        pool::adaptive_max_pool2d(self, output_size)
    }
    fn upsample_bicubic2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self> {
        resize::upsample_bicubic2d(self, target_h, target_w, align_corners)
    }
    fn upsample_nearest2d(&self, target_h: usize, target_w: usize) -> Result<Self> {
        resize::upsample_nearest2d(self, target_h, target_w)
    }
    fn upsample_bilinear2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self> {
        resize::upsample_bilinear2d(self, target_h, target_w, align_corners)
    }

    fn conv1d(&self, layer: &candle_nn::Conv1d) -> Result<Self> {
        conv::conv1d(self, layer)
    }
    fn conv2d(&self, layer: &candle_nn::Conv2d) -> Result<Self> {
        conv::conv2d(self, layer)
    }
    fn conv2d_padded(&self, layer: &candle_nn::Conv2d, pad: Pad2d) -> Result<Self> {
        conv::conv2d_padded(self, layer, pad)
    }
    fn conv_transpose2d(&self, layer: &candle_nn::ConvTranspose2d) -> Result<Self> {
        conv::conv_transpose2d(self, layer)
    }
    fn linear(&self, layer: &candle_nn::Linear) -> Result<Self> {
        matmul::linear(self, layer)
    }
    fn batch_norm(&self, layer: &candle_nn::BatchNorm) -> Result<Self> {
        norm::batch_norm(self, layer)
    }
    fn layer_norm(&self, layer: &candle_nn::LayerNorm) -> Result<Self> {
        norm::layer_norm(self, layer)
    }
    fn rms_norm(&self, layer: &candle_nn::RmsNorm) -> Result<Self> {
        norm::rms_norm(self, layer)
    }
    fn group_norm(&self, layer: &GroupNorm) -> Result<Self> {
        norm::group_norm(self, layer)
    }
    fn embedding(&self, layer: &candle_nn::Embedding) -> Result<Self> {
        gather::embedding(self, layer)
    }
}
