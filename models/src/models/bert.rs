//! The Hugging Face `BertModel` encoder (`transformers.models.bert.modeling_bert`), eager
//! attention, inference mode.
//!
//! Keys: `embeddings.{word,position,token_type}_embeddings`, `embeddings.LayerNorm`,
//! `encoder.layer.{i}.attention.self.{query,key,value}`, `encoder.layer.{i}.attention.output.
//! {dense,LayerNorm}`, `encoder.layer.{i}.intermediate.dense`, `encoder.layer.{i}.output.
//! {dense,LayerNorm}`, `pooler.dense`. Checkpoints of task models (`BertForMaskedLM`, …) put
//! the encoder under `bert.`: pass `vb.pp("bert")`.
//!
//! [`BertModel`] is a [`TraceModel`] with the inputs `input_ids`, `attention_mask`,
//! `token_type_ids` (integers, `(batch, seq)`) and the outputs `last_hidden_state`
//! `(batch, seq, hidden)` and `pooler_output` `(batch, hidden)`.

use candle2trt::{Result, TraceModel, TraceTensor};
use candle_core::DType;
use candle_nn::{Activation, Embedding, LayerNorm, Linear, VarBuilder};

/// The fields of a Hugging Face `config.json` that `BertModel` uses.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Feed-forward activation (`"gelu"` is the exact erf form).
    pub hidden_act: Activation,
    /// Rows of the position-embedding table (longest sequence).
    pub max_position_embeddings: usize,
    /// Rows of the token-type table.
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Only `"absolute"` is supported.
    #[serde(default = "absolute")]
    pub position_embedding_type: String,
}

fn absolute() -> String {
    "absolute".to_string()
}

impl BertConfig {
    /// Reads a Hugging Face `config.json`.
    pub fn from_json_file(path: impl AsRef<std::path::Path>) -> crate::Result<Self> {
        let path = path.as_ref();
        let config_error = |message: String| crate::Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| config_error(format!("cannot read it: {e}")))?;
        serde_json::from_str(&text).map_err(|e| config_error(format!("not a BERT config: {e}")))
    }
}

/// The value added to the attention scores of padded key positions. Hugging Face uses the
/// dtype's lowest value; any value below about −100 gives exactly the same f32 softmax (the
/// masked terms underflow to 0), and −10 000 (BERT's original choice) stays finite in f16,
/// where `f32::MIN` would become −∞ and `0 · −∞` a NaN.
pub const MASK_VALUE: f64 = -10_000.0;

/// `BertEmbeddings`: word + position + token-type embeddings, LayerNorm.
#[derive(Debug, Clone)]
pub struct BertEmbeddings {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    layer_norm: LayerNorm,
}

impl BertEmbeddings {
    /// Loads `vb.{word,position,token_type}_embeddings` and `vb.LayerNorm`, and checks the
    /// `vb.position_ids` buffer (`0, 1, …`) that checkpoints of older `transformers` versions
    /// store, so that a strict load accepts them.
    pub fn new(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        if vb.contains_tensor("position_ids") {
            let n = cfg.max_position_embeddings;
            let ids = vb
                .get_with_hints_dtype((1, n), "position_ids", Default::default(), DType::I64)?
                .flatten_all()?
                .to_vec1::<i64>()?;
            if ids.iter().enumerate().any(|(i, &id)| id != i as i64) {
                candle_core::bail!("position_ids is not 0, 1, …, {}", n - 1)
            }
        }
        Ok(Self {
            word_embeddings: candle_nn::embedding(cfg.vocab_size, h, vb.pp("word_embeddings"))?,
            position_embeddings: candle_nn::embedding(
                cfg.max_position_embeddings,
                h,
                vb.pp("position_embeddings"),
            )?,
            token_type_embeddings: candle_nn::embedding(
                cfg.type_vocab_size,
                h,
                vb.pp("token_type_embeddings"),
            )?,
            layer_norm: candle_nn::layer_norm(h, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
        })
    }

    /// `(batch, seq)` ids and token types → `(batch, seq, hidden)`.
    pub fn forward<T: TraceTensor>(&self, input_ids: &T, token_type_ids: &T) -> Result<T> {
        let inputs_embeds = input_ids.apply_named("word_embeddings", &self.word_embeddings)?;
        let token_type_embeddings =
            token_type_ids.apply_named("token_type_embeddings", &self.token_type_embeddings)?;
        // position_ids = arange(seq_len): the first seq_len rows of the table, seq_len read
        // from the ids (at run time when the sequence length is dynamic).
        let position_embeddings = {
            let _scope = input_ids.scope("position_embeddings");
            input_ids
                .parameter(self.position_embeddings.embeddings())?
                .narrow_like(0, 0, input_ids, 1)?
        };
        let embeddings = inputs_embeds
            .add(&token_type_embeddings)?
            .broadcast_add(&position_embeddings)?;
        embeddings
            .apply_named("LayerNorm", &self.layer_norm)?
            .dropout(0.1)
    }
}

/// `BertSelfAttention` + `BertSelfOutput`: multi-head scaled dot-product attention with an
/// additive padding mask, output projection, residual, LayerNorm.
#[derive(Debug, Clone)]
pub struct BertAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    dense: Linear,
    layer_norm: LayerNorm,
    num_heads: usize,
    head_dim: usize,
}

impl BertAttention {
    /// Loads `vb.self.{query,key,value}` and `vb.output.{dense,LayerNorm}`.
    pub fn new(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        if h % cfg.num_attention_heads != 0 {
            candle_core::bail!(
                "hidden_size {h} is not a multiple of num_attention_heads {}",
                cfg.num_attention_heads
            )
        }
        let (vs, vo) = (vb.pp("self"), vb.pp("output"));
        Ok(Self {
            query: candle_nn::linear(h, h, vs.pp("query"))?,
            key: candle_nn::linear(h, h, vs.pp("key"))?,
            value: candle_nn::linear(h, h, vs.pp("value"))?,
            dense: candle_nn::linear(h, h, vo.pp("dense"))?,
            layer_norm: candle_nn::layer_norm(h, cfg.layer_norm_eps, vo.pp("LayerNorm"))?,
            num_heads: cfg.num_attention_heads,
            head_dim: h / cfg.num_attention_heads,
        })
    }

    /// `hidden_states` `(batch, seq, hidden)`; `mask` the additive mask `(batch, 1, 1, seq)`.
    pub fn forward<T: TraceTensor>(&self, hidden_states: &T, mask: &T) -> Result<T> {
        let (b, s, h) = (
            hidden_states.dim(0)?,
            hidden_states.dim(1)?,
            hidden_states.dim(2)?,
        );
        let context = {
            let _scope = hidden_states.scope("self");
            // (b, s, h) → (b, heads, s, head_dim)
            let heads = |name: &str, proj: &Linear| -> Result<T> {
                hidden_states
                    .apply_named(name, proj)?
                    .reshape((b, s, self.num_heads, self.head_dim))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (
                heads("query", &self.query)?,
                heads("key", &self.key)?,
                heads("value", &self.value)?,
            );
            // softmax(q·kᵀ/√d + mask)·v (attention dropout is the identity at inference): one
            // fused TensorRT attention in f32.
            let scale = 1.0 / (self.head_dim as f64).sqrt();
            q.scaled_dot_product_attention(&k, &v, Some(mask), scale)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, s, h))?
        };
        let _scope = hidden_states.scope("output");
        let x = context.apply_named("dense", &self.dense)?.dropout(0.1)?;
        x.add(hidden_states)?
            .apply_named("LayerNorm", &self.layer_norm)
    }
}

/// `BertLayer`: attention, then the feed-forward block (`intermediate` + `output`).
#[derive(Debug, Clone)]
pub struct BertLayer {
    attention: BertAttention,
    intermediate: Linear,
    activation: Activation,
    output: Linear,
    output_layer_norm: LayerNorm,
}

impl BertLayer {
    /// Loads `vb.attention`, `vb.intermediate.dense`, `vb.output.{dense,LayerNorm}`.
    pub fn new(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
        Ok(Self {
            attention: BertAttention::new(cfg, vb.pp("attention"))?,
            intermediate: candle_nn::linear(h, i, vb.pp("intermediate.dense"))?,
            activation: cfg.hidden_act,
            output: candle_nn::linear(i, h, vb.pp("output.dense"))?,
            output_layer_norm: candle_nn::layer_norm(
                h,
                cfg.layer_norm_eps,
                vb.pp("output.LayerNorm"),
            )?,
        })
    }

    /// One encoder layer.
    pub fn forward<T: TraceTensor>(&self, hidden_states: &T, mask: &T) -> Result<T> {
        let attention_output = {
            let _scope = hidden_states.scope("attention");
            self.attention.forward(hidden_states, mask)?
        };
        let intermediate = {
            let _scope = attention_output.scope("intermediate");
            let dense = attention_output.apply_named("dense", &self.intermediate)?;
            candle2trt::TraceModule::forward(&self.activation, &dense)?
        };
        let _scope = intermediate.scope("output");
        let x = intermediate
            .apply_named("dense", &self.output)?
            .dropout(0.1)?;
        x.add(&attention_output)?
            .apply_named("LayerNorm", &self.output_layer_norm)
    }
}

/// `transformers.BertModel` with its pooler.
#[derive(Debug, Clone)]
pub struct BertModel {
    embeddings: BertEmbeddings,
    layers: Vec<BertLayer>,
    pooler: Linear,
}

impl BertModel {
    /// Builds the model from a checkpoint with Hugging Face's key names.
    pub fn new(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        if cfg.position_embedding_type != "absolute" {
            candle_core::bail!(
                "position_embedding_type {:?} is not supported (only \"absolute\")",
                cfg.position_embedding_type
            )
        }
        let vb_l = vb.pp("encoder.layer");
        Ok(Self {
            embeddings: BertEmbeddings::new(cfg, vb.pp("embeddings"))?,
            layers: (0..cfg.num_hidden_layers)
                .map(|i| BertLayer::new(cfg, vb_l.pp(i)))
                .collect::<candle_core::Result<_>>()?,
            pooler: candle_nn::linear(cfg.hidden_size, cfg.hidden_size, vb.pp("pooler.dense"))?,
        })
    }

    /// The forward pass: `(last_hidden_state, pooler_output)`.
    ///
    /// `attention_mask` holds 1 for tokens to attend to and 0 for padding, as in Hugging Face.
    pub fn forward<T: TraceTensor>(
        &self,
        input_ids: &T,
        attention_mask: &T,
        token_type_ids: &T,
    ) -> Result<(T, T)> {
        let hidden = self.encode(input_ids, attention_mask, token_type_ids)?;
        let pooled = {
            let _scope = hidden.scope("pooler");
            let first_token = hidden.narrow(1, 0, 1)?.squeeze(1)?;
            first_token.apply_named("dense", &self.pooler)?.tanh()?
        };
        Ok((hidden, pooled))
    }

    /// The embeddings and the encoder without the pooler: `last_hidden_state`
    /// `(batch, seq, hidden)`. Batch and sequence length may both be dynamic.
    pub fn encode<T: TraceTensor>(
        &self,
        input_ids: &T,
        attention_mask: &T,
        token_type_ids: &T,
    ) -> Result<T> {
        let mut hidden = {
            let _scope = input_ids.scope("embeddings");
            self.embeddings.forward(input_ids, token_type_ids)?
        };
        // (1 - mask) · MASK_VALUE, broadcast over heads and query positions: (b, 1, 1, s).
        let mask = attention_mask
            .to_dtype(hidden.dtype())?
            .affine(-MASK_VALUE, MASK_VALUE)?
            .unsqueeze(1)?
            .unsqueeze(1)?;
        {
            let _scope = hidden.scope("encoder.layer");
            for (i, layer) in self.layers.iter().enumerate() {
                let _scope = hidden.scope(&i.to_string());
                hidden = layer.forward(&hidden, &mask)?;
            }
        }
        Ok(hidden)
    }
}

impl TraceModel for BertModel {
    /// Inputs `[input_ids, attention_mask, token_type_ids]`; outputs
    /// `[last_hidden_state, pooler_output]`.
    fn forward_inputs<T: TraceTensor>(&self, inputs: &[T]) -> Result<Vec<T>> {
        match inputs {
            [input_ids, attention_mask, token_type_ids] => {
                let (hidden, pooled) = self.forward(input_ids, attention_mask, token_type_ids)?;
                Ok(vec![hidden, pooled])
            }
            _ => Err(candle2trt::Error::ModelInterface(format!(
                "BertModel takes 3 inputs (input_ids, attention_mask, token_type_ids), {} were given",
                inputs.len()
            ))),
        }
    }
}
