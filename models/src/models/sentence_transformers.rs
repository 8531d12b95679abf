//! Sentence embeddings as `sentence-transformers` computes them from a BERT encoder
//! (all-MiniLM-L6-v2 and its kind): `Transformer` → `Pooling(mean)` → `Normalize`.
//!
//! [`SentenceEmbedder`] is a [`TraceModel`] with the inputs `input_ids`, `attention_mask`,
//! `token_type_ids` (integers, `(batch, seq)`) and the outputs `last_hidden_state`
//! `(batch, seq, hidden)` and `sentence_embedding` `(batch, hidden)`: the pooling and the
//! normalization are part of the traced model, so the engine outputs the embeddings. Batch and
//! sequence length may both be dynamic.

use candle2trt::{Result, TraceModel, TraceTensor};
use candle_nn::VarBuilder;

use super::bert::{BertConfig, BertModel};

/// `sentence-transformers`' `Pooling(pooling_mode_mean_tokens=True)`: clamps the token count.
pub const MIN_TOKEN_COUNT: f64 = 1e-9;

/// `torch.nn.functional.normalize`'s default `eps`: the norm is clamped to it.
pub const NORMALIZE_EPS: f64 = 1e-12;

/// A BERT encoder followed by mean pooling over the attention mask and, unless turned off, L2
/// normalization.
#[derive(Debug, Clone)]
pub struct SentenceEmbedder {
    bert: BertModel,
    normalize: bool,
}

impl SentenceEmbedder {
    /// Builds the encoder from a checkpoint with Hugging Face's `BertModel` key names (the
    /// `model.safetensors` next to a sentence-transformers model's `config.json`); the pooler
    /// weights, when present, are loaded and not used (sentence-transformers does not use them).
    pub fn new(cfg: &BertConfig, normalize: bool, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            bert: BertModel::new(cfg, vb)?,
            normalize,
        })
    }

    /// The encoder.
    pub fn bert(&self) -> &BertModel {
        &self.bert
    }

    /// `(last_hidden_state, sentence_embedding)`.
    pub fn forward<T: TraceTensor>(
        &self,
        input_ids: &T,
        attention_mask: &T,
        token_type_ids: &T,
    ) -> Result<(T, T)> {
        let hidden = self
            .bert
            .encode(input_ids, attention_mask, token_type_ids)?;
        let _scope = hidden.scope("pooling");
        // sum(hidden · mask) / max(sum(mask), 1e-9) over the tokens.
        let mask = attention_mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.maximum_scalar(MIN_TOKEN_COUNT)?;
        let mean = summed.broadcast_div(&counts)?;
        if !self.normalize {
            return Ok((hidden, mean));
        }
        // x / max(‖x‖₂, 1e-12), as F.normalize(x, p=2, dim=1).
        let norm = mean
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .maximum_scalar(NORMALIZE_EPS)?;
        let embedding = mean.broadcast_div(&norm)?;
        Ok((hidden, embedding))
    }
}

impl TraceModel for SentenceEmbedder {
    /// Inputs `[input_ids, attention_mask, token_type_ids]`; outputs
    /// `[last_hidden_state, sentence_embedding]`.
    fn forward_inputs<T: TraceTensor>(&self, inputs: &[T]) -> Result<Vec<T>> {
        match inputs {
            [input_ids, attention_mask, token_type_ids] => {
                let (hidden, embedding) =
                    self.forward(input_ids, attention_mask, token_type_ids)?;
                Ok(vec![hidden, embedding])
            }
            _ => Err(candle2trt::Error::ModelInterface(format!(
                "SentenceEmbedder takes 3 inputs (input_ids, attention_mask, token_type_ids), {} were given",
                inputs.len()
            ))),
        }
    }
}
