//! [`TraceTensor`] for [`TracedTensor`]: each method delegates to its converter in `ops`.

use std::borrow::Borrow;

use candle_core::op::CmpOp;
use candle_core::shape::{Dim, Dims, ShapeWithOneHole};
use candle_core::{DType, Device, Shape, Tensor, ToUsize2};
use trt::ElementWiseOperation as Ew;

use super::TracedTensor;
use crate::ops::{activation as act, conv, elementwise as ew, matmul, norm, reduce, shape};
use crate::tensor::{ScopeGuard, TraceTensor};
use crate::Result;

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
        ScopeGuard::push(&self.tracer.scopes, name)
    }
    fn apply_candle_fn<F>(&self, name: &str, _f: F) -> Result<Self>
    where
        F: FnOnce(&Tensor) -> candle_core::Result<Tensor>,
    {
        Err(shape::unsupported(self, name))
    }
    fn parameter(&self, value: &Tensor) -> Result<Self> {
        shape::parameter(self, value)
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
        act::gelu(self)
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
        act::affine(self, mul, add)
    }
    fn exp(&self) -> Result<Self> {
        act::exp(self)
    }
    fn log(&self) -> Result<Self> {
        act::log(self)
    }
    fn sqrt(&self) -> Result<Self> {
        act::sqrt(self)
    }
    fn rsqrt(&self) -> Result<Self> {
        act::rsqrt(self)
    }
    fn sqr(&self) -> Result<Self> {
        act::sqr(self)
    }
    fn recip(&self) -> Result<Self> {
        act::recip(self)
    }
    fn abs(&self) -> Result<Self> {
        act::abs(self)
    }
    fn neg(&self) -> Result<Self> {
        act::neg(self)
    }
    fn sin(&self) -> Result<Self> {
        act::sin(self)
    }
    fn cos(&self) -> Result<Self> {
        act::cos(self)
    }
    fn erf(&self) -> Result<Self> {
        act::erf(self)
    }
    fn powf(&self, e: f64) -> Result<Self> {
        act::powf(self, e)
    }

    fn add_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "add_scalar", v, Ew::Sum, |t| t.add_scalar(v))
    }
    fn sub_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "sub_scalar", v, Ew::Sub, |t| t.sub_scalar(v))
    }
    fn mul_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "mul_scalar", v, Ew::Prod, |t| t.mul_scalar(v))
    }
    fn div_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "div_scalar", v, Ew::Div, |t| t.div_scalar(v))
    }
    fn maximum_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "maximum_scalar", v, Ew::Max, |t| t.maximum_scalar(v))
    }
    fn minimum_scalar(&self, v: f64) -> Result<Self> {
        act::scalar_op(self, "minimum_scalar", v, Ew::Min, |t| t.minimum_scalar(v))
    }

    fn add(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "add", Ew::Sum, TraceTensor::add)
    }
    fn sub(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "sub", Ew::Sub, TraceTensor::sub)
    }
    fn mul(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "mul", Ew::Prod, TraceTensor::mul)
    }
    fn div(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "div", Ew::Div, TraceTensor::div)
    }
    fn broadcast_add(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_add", Ew::Sum, |a, b| {
            TraceTensor::broadcast_add(a, b)
        })
    }
    fn broadcast_sub(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_sub", Ew::Sub, |a, b| {
            TraceTensor::broadcast_sub(a, b)
        })
    }
    fn broadcast_mul(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_mul", Ew::Prod, |a, b| {
            TraceTensor::broadcast_mul(a, b)
        })
    }
    fn broadcast_div(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_div", Ew::Div, |a, b| {
            TraceTensor::broadcast_div(a, b)
        })
    }
    fn broadcast_pow(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_pow", Ew::Pow, |a, b| {
            TraceTensor::broadcast_pow(a, b)
        })
    }
    fn broadcast_maximum(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_maximum", Ew::Max, |a, b| {
            TraceTensor::broadcast_maximum(a, b)
        })
    }
    fn broadcast_minimum(&self, rhs: &Self) -> Result<Self> {
        ew::binary(self, rhs, "broadcast_minimum", Ew::Min, |a, b| {
            TraceTensor::broadcast_minimum(a, b)
        })
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
    fn chunk<D: Dim>(&self, chunks: usize, dim: D) -> Result<Vec<Self>> {
        shape::chunk(self, chunks, dim)
    }
    fn cat<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self> {
        shape::cat(tensors, dim)
    }
    fn stack<A: Borrow<Self>, D: Dim>(tensors: &[A], dim: D) -> Result<Self> {
        shape::stack(tensors, dim)
    }
    fn index_select<D: Dim>(&self, indexes: &Self, dim: D) -> Result<Self> {
        shape::index_select(self, indexes, dim)
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
    fn softmax<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::softmax(self, dim)
    }
    fn softmax_last_dim(&self) -> Result<Self> {
        reduce::softmax(self, candle_core::D::Minus1)
    }
    fn log_softmax<D: Dim>(&self, dim: D) -> Result<Self> {
        reduce::log_softmax(self, dim)
    }

    fn max_pool2d_with_stride<K: ToUsize2>(&self, kernel: K, stride: K) -> Result<Self> {
        conv::max_pool2d(self, kernel.to_usize2(), stride.to_usize2(), (0, 0))
    }
    fn max_pool2d_with_padding(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self> {
        conv::max_pool2d(self, kernel, stride, padding)
    }
    fn max_pool2d_ceil(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self> {
        conv::max_pool2d_ceil(self, kernel, stride, padding)
    }
    fn avg_pool2d_with_stride<K: ToUsize2>(&self, kernel: K, stride: K) -> Result<Self> {
        conv::avg_pool2d(self, kernel.to_usize2(), stride.to_usize2(), (0, 0))
    }
    fn avg_pool2d_with_padding(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self> {
        conv::avg_pool2d(self, kernel, stride, padding)
    }
    fn adaptive_avg_pool2d(&self, output_size: (usize, usize)) -> Result<Self> {
        conv::adaptive_avg_pool2d(self, output_size)
    }
    fn upsample_nearest2d(&self, target_h: usize, target_w: usize) -> Result<Self> {
        conv::upsample_nearest2d(self, target_h, target_w)
    }
    fn upsample_bilinear2d(
        &self,
        target_h: usize,
        target_w: usize,
        align_corners: bool,
    ) -> Result<Self> {
        conv::upsample_bilinear2d(self, target_h, target_w, align_corners)
    }

    fn conv1d(&self, layer: &candle_nn::Conv1d) -> Result<Self> {
        conv::conv1d(self, layer)
    }
    fn conv2d(&self, layer: &candle_nn::Conv2d) -> Result<Self> {
        conv::conv2d(self, layer)
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
    fn group_norm(
        &self,
        num_groups: usize,
        weight: &Tensor,
        bias: &Tensor,
        eps: f64,
    ) -> Result<Self> {
        norm::group_norm(self, num_groups, weight, bias, eps)
    }
    fn embedding(&self, layer: &candle_nn::Embedding) -> Result<Self> {
        shape::embedding(self, layer)
    }
}
