//! Fused attention (`IAttention`).

use serde::Serialize;

use super::kind::{enum_field, null_or, Kind};
use crate::enums::{AttentionNormalizationOp, CausalMaskKind};
use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};

/// Fused attention ([`nvinfer1::IAttention`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_attention.html),
/// `addAttentionV2`): `normalization(q kᵀ + mask) v` on `[batch, heads, tokens, head_dim]` inputs.
///
/// TensorRT does **not** scale `q kᵀ` by `1/√head_dim`: NvInfer.h's attention graph is BMM1 → mask →
/// normalization → BMM2, with no scaling step. Scale the query (or the key) first for PyTorch's
/// `scaled_dot_product_attention`.
///
/// An `IAttention` is not an `ILayer`: TensorRT shows it as an attention-input layer (taking q, k, v and the
/// mask) and an attention-output layer. [`Network::add`] returns the output layer, whose output 0 is the
/// attention's output; both layers read back as this description. Needs TensorRT ≥ 10.16 or TensorRT-RTX ≥ 1.7
/// headers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention<'n> {
    /// Query.
    pub query: Tensor<'n>,
    /// Key.
    pub key: Tensor<'n>,
    /// Value.
    pub value: Tensor<'n>,
    /// A Bool mask (true attends), or an additive float mask, broadcastable to
    /// `[batch, heads, q_tokens, kv_tokens]`.
    pub mask: Option<Tensor<'n>>,
    /// Score normalization (softmax for standard attention).
    pub normalization: AttentionNormalizationOp,
    /// Causal masking (not together with `mask`).
    pub causal: CausalMaskKind,
    /// Let TensorRT split the op into separate layers where no fused kernel fits (TensorRT's default false).
    pub decomposable: bool,
}

impl<'n> Attention<'n> {
    /// Standard softmax attention, no mask, not causal, not decomposable.
    pub fn softmax(query: Tensor<'n>, key: Tensor<'n>, value: Tensor<'n>) -> Self {
        Attention {
            query,
            key,
            value,
            mask: None,
            normalization: AttentionNormalizationOp::Softmax,
            causal: CausalMaskKind::None,
            decomposable: false,
        }
    }
    /// Sets causal masking.
    pub fn causal(mut self, kind: CausalMaskKind) -> Self {
        self.causal = kind;
        self
    }
    /// Sets the mask.
    pub fn mask(mut self, mask: Tensor<'n>) -> Self {
        self.mask = Some(mask);
        self
    }
    /// Allows or forbids decomposition.
    pub fn decomposable(mut self, decomposable: bool) -> Self {
        self.decomposable = decomposable;
        self
    }
}

impl<'n> Kind<'n> for Attention<'n> {
    const OP: &'static str = "add_attention";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let mut t = vec![self.query, self.key, self.value];
        t.extend(self.mask);
        t
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let params = trt_sys::trt_attention_params {
            normalization: self.normalization as i32,
            causal_kind: self.causal as i32,
            mask: null_or(self.mask),
            decomposable: i32::from(self.decomposable),
        };
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_attention(
                n,
                self.query.raw(),
                self.key.raw(),
                self.value.raw(),
                &params,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let mut qkv = [std::ptr::null_mut(); 3];
        let mut p = trt_sys::trt_attention_params::default();
        // SAFETY: the layer is live; `p` and the 3-entry `qkv` are writable.
        let status =
            unsafe { trt_sys::trt_layer_get_attention(layer.raw(), &mut p, qkv.as_mut_ptr()) };
        if status != 0 {
            return Err(Error::invalid(Self::OP, trt_sys::take_last_error()));
        }
        let need = |raw| {
            layer
                .tensor(raw)
                .ok_or_else(|| Error::invalid(Self::OP, "attention without query, key or value"))
        };
        Ok(Attention {
            query: need(qkv[0])?,
            key: need(qkv[1])?,
            value: need(qkv[2])?,
            mask: layer.tensor(p.mask),
            normalization: enum_field(
                Self::OP,
                "normalization",
                p.normalization,
                AttentionNormalizationOp::from_raw,
            )?,
            causal: enum_field(
                Self::OP,
                "causal kind",
                p.causal_kind,
                CausalMaskKind::from_raw,
            )?,
            decomposable: p.decomposable != 0,
        })
    }
}
