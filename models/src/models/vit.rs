//! torchvision's Vision Transformer (`torchvision.models.vit_b_16` and its family).
//!
//! Keys: `conv_proj`, `class_token`, `encoder.pos_embedding`,
//! `encoder.layers.encoder_layer_{i}.{ln_1, self_attention.{in_proj_weight, in_proj_bias,
//! out_proj}, ln_2, mlp.0, mlp.3}`, `encoder.ln`, `heads.head`. LayerNorm epsilon 1e-6, GELU in
//! its exact (erf) form, dropout the identity.
//!
//! Attention (`nn.MultiheadAttention`, `batch_first=True`) is
//! [`TraceTensor::scaled_dot_product_attention`] with the scale `1/√head_dim`: one fused
//! TensorRT attention in the engine, matrix products and a softmax in plain candle.

use candle2trt::{Result, TraceModule, TraceTensor};
use candle_core::Tensor;
use candle_nn::{Conv2d, Conv2dConfig, LayerNorm, Linear, VarBuilder};

/// The shape of a Vision Transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VitConfig {
    /// Square input side.
    pub image_size: usize,
    /// Square patch side (the stride of `conv_proj`).
    pub patch_size: usize,
    /// Encoder layers.
    pub num_layers: usize,
    /// Attention heads.
    pub num_heads: usize,
    /// Token width.
    pub hidden_dim: usize,
    /// Width of the MLP blocks.
    pub mlp_dim: usize,
    /// Classifier outputs.
    pub num_classes: usize,
}

impl VitConfig {
    /// `vit_b_16`: 224×224 input, 16×16 patches, 12 layers of 12 heads, width 768, MLP 3072.
    pub fn vit_b_16() -> Self {
        Self {
            image_size: 224,
            patch_size: 16,
            num_layers: 12,
            num_heads: 12,
            hidden_dim: 768,
            mlp_dim: 3072,
            num_classes: 1000,
        }
    }

    /// Tokens per image: the patches and the class token.
    pub fn seq_len(&self) -> usize {
        (self.image_size / self.patch_size).pow(2) + 1
    }
}

/// torchvision's `LayerNorm(eps=1e-6)` of the Vision Transformer.
const LN_EPS: f64 = 1e-6;

/// `nn.MultiheadAttention(hidden, heads, batch_first=True)` for self-attention.
#[derive(Debug, Clone)]
pub struct SelfAttention {
    in_proj: Linear,
    out_proj: Linear,
    num_heads: usize,
}

impl SelfAttention {
    /// Loads `vb.in_proj_weight` `(3·hidden, hidden)`, `vb.in_proj_bias` and `vb.out_proj`.
    pub fn new(hidden: usize, num_heads: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        if num_heads == 0 || hidden % num_heads != 0 {
            candle_core::bail!("hidden_dim {hidden} is not a multiple of num_heads {num_heads}")
        }
        let w = vb.get((3 * hidden, hidden), "in_proj_weight")?;
        let b = vb.get(3 * hidden, "in_proj_bias")?;
        Ok(Self {
            in_proj: Linear::new(w, Some(b)),
            out_proj: candle_nn::linear(hidden, hidden, vb.pp("out_proj"))?,
            num_heads,
        })
    }

    /// `(batch, tokens, hidden)` → `(batch, tokens, hidden)`.
    pub fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let (b, s, h) = (x.dim(0)?, x.dim(1)?, x.dim(2)?);
        let head_dim = h / self.num_heads;
        let qkv = x.apply_named("in_proj", &self.in_proj)?;
        // (b, s, 3h) → three (b, heads, s, head_dim)
        let heads = |i: usize| -> Result<T> {
            qkv.narrow(2, i * h, h)?
                .reshape((b, s, self.num_heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (heads(0)?, heads(1)?, heads(2)?);
        let scale = 1.0 / (head_dim as f64).sqrt();
        q.scaled_dot_product_attention(&k, &v, None, scale)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, s, h))?
            .apply_named("out_proj", &self.out_proj)
    }
}

/// torchvision's `EncoderBlock`: pre-norm attention and MLP, each with a residual.
#[derive(Debug, Clone)]
pub struct EncoderBlock {
    ln_1: LayerNorm,
    self_attention: SelfAttention,
    ln_2: LayerNorm,
    mlp_0: Linear,
    mlp_3: Linear,
}

impl EncoderBlock {
    /// Loads `vb.{ln_1, self_attention, ln_2, mlp.0, mlp.3}`.
    pub fn new(cfg: &VitConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = cfg.hidden_dim;
        Ok(Self {
            ln_1: candle_nn::layer_norm(h, LN_EPS, vb.pp("ln_1"))?,
            self_attention: SelfAttention::new(h, cfg.num_heads, vb.pp("self_attention"))?,
            ln_2: candle_nn::layer_norm(h, LN_EPS, vb.pp("ln_2"))?,
            mlp_0: candle_nn::linear(h, cfg.mlp_dim, vb.pp("mlp.0"))?,
            mlp_3: candle_nn::linear(cfg.mlp_dim, h, vb.pp("mlp.3"))?,
        })
    }
}

impl TraceModule for EncoderBlock {
    fn forward<T: TraceTensor>(&self, input: &T) -> Result<T> {
        let x = input.apply_named("ln_1", &self.ln_1)?;
        let x = {
            let _scope = x.scope("self_attention");
            self.self_attention.forward(&x)?
        };
        let x = x.add(input)?;
        let y = x
            .apply_named("ln_2", &self.ln_2)?
            .apply_named("mlp.0", &self.mlp_0)?
            .gelu_erf()?
            .apply_named("mlp.3", &self.mlp_3)?;
        x.add(&y)
    }
}

/// `torchvision.models.VisionTransformer`.
#[derive(Debug, Clone)]
pub struct VisionTransformer {
    cfg: VitConfig,
    conv_proj: Conv2d,
    class_token: Tensor,
    pos_embedding: Tensor,
    layers: Vec<EncoderBlock>,
    ln: LayerNorm,
    head: Linear,
}

impl VisionTransformer {
    /// Builds the model from a checkpoint with torchvision's key names.
    pub fn new(cfg: &VitConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let (h, p) = (cfg.hidden_dim, cfg.patch_size);
        if p == 0 || cfg.image_size % p != 0 {
            candle_core::bail!(
                "image_size {} is not a multiple of patch_size {p}",
                cfg.image_size
            )
        }
        let conv_cfg = Conv2dConfig {
            stride: p,
            ..Default::default()
        };
        let enc = vb.pp("encoder");
        let layers_vb = enc.pp("layers");
        Ok(Self {
            cfg: *cfg,
            conv_proj: candle_nn::conv2d(3, h, p, conv_cfg, vb.pp("conv_proj"))?,
            class_token: vb.get((1, 1, h), "class_token")?,
            pos_embedding: enc.get((1, cfg.seq_len(), h), "pos_embedding")?,
            layers: (0..cfg.num_layers)
                .map(|i| EncoderBlock::new(cfg, layers_vb.pp(format!("encoder_layer_{i}"))))
                .collect::<candle_core::Result<_>>()?,
            ln: candle_nn::layer_norm(h, LN_EPS, enc.pp("ln"))?,
            head: candle_nn::linear(h, cfg.num_classes, vb.pp("heads.head"))?,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &VitConfig {
        &self.cfg
    }
}

impl TraceModule for VisionTransformer {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        // (b, 3, H, W) → (b, h, H/p, W/p) → (b, patches, h)
        let x = x
            .apply_named("conv_proj", &self.conv_proj)?
            .flatten_from(2)?
            .transpose(1, 2)?
            .contiguous()?;
        // class_token.expand(b, -1, -1): a zero row of the batch plus the token, so that a
        // dynamic batch stays dynamic.
        let class_token = {
            let _scope = x.scope("class_token");
            x.narrow(1, 0, 1)?
                .affine(0.0, 0.0)?
                .broadcast_add(&x.parameter(&self.class_token)?)?
        };
        let x = T::cat(&[&class_token, &x], 1)?;
        let _scope = x.scope("encoder");
        let mut x = {
            let _scope = x.scope("pos_embedding");
            x.broadcast_add(&x.parameter(&self.pos_embedding)?)?
        };
        {
            let _scope = x.scope("layers");
            for (i, layer) in self.layers.iter().enumerate() {
                x = x.apply_named(&format!("encoder_layer_{i}"), layer)?;
            }
        }
        let x = x.apply_named("ln", &self.ln)?;
        drop(_scope);
        // The class token's output.
        x.narrow(1, 0, 1)?
            .squeeze(1)?
            .apply_named("heads.head", &self.head)
    }
}
