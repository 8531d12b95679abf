//! Text for the sentence-embedding example and its test: Hugging Face's tokenizer
//! (`tokenizer.json`, read by the `tokenizers` crate) turning sentences into BERT's three
//! integer inputs, and the sentences of a reference file.

use std::path::Path;

use anyhow::Context;
use candle_core::{Device, Tensor};
use tokenizers::{PaddingStrategy, Tokenizer};

/// `input_ids`, `attention_mask`, `token_type_ids` of `texts`, padded to the longest, as
/// `(batch, seq)` i64 tensors.
pub fn tokenize(path: &Path, texts: &[String]) -> anyhow::Result<[Tensor; 3]> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| anyhow::anyhow!("cannot read the tokenizer {}: {e}", path.display()))?;
    // tokenizer.json pads every sequence to 128; pad to the batch's longest instead, as
    // `transformers`' `padding=True` does (the engine's sequence length is dynamic).
    if let Some(padding) = tokenizer.get_padding_mut() {
        padding.strategy = PaddingStrategy::BatchLongest;
    }
    let encodings = tokenizer
        .encode_batch(texts.to_vec(), true)
        .map_err(|e| anyhow::anyhow!("tokenizing with {}: {e}", path.display()))?;
    let seq = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
    let batch = encodings.len();
    let to_tensor = |field: fn(&tokenizers::Encoding) -> &[u32]| -> anyhow::Result<Tensor> {
        let mut values = Vec::with_capacity(batch * seq);
        for e in &encodings {
            let row = field(e);
            anyhow::ensure!(row.len() == seq, "the tokenizer did not pad to {seq}");
            values.extend(row.iter().map(|&v| i64::from(v)));
        }
        Ok(Tensor::from_vec(values, (batch, seq), &Device::Cpu)?)
    };
    Ok([
        to_tensor(tokenizers::Encoding::get_ids)?,
        to_tensor(tokenizers::Encoding::get_attention_mask)?,
        to_tensor(tokenizers::Encoding::get_type_ids)?,
    ])
}

/// The non-empty lines of `path`.
pub fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read sentences from {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// The sentences of a reference: `texts` in the `README.json` next to its io file.
pub fn fixture_texts(io: &Path) -> anyhow::Result<Vec<String>> {
    let readme = io.with_file_name("README.json");
    let text = std::fs::read_to_string(&readme).with_context(|| {
        format!(
            "cannot read {} (the sentences of {}; or give --texts)",
            readme.display(),
            io.display()
        )
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", readme.display()))?;
    json.get("texts")
        .and_then(|t| t.as_array())
        .and_then(|a| {
            a.iter()
                .map(|t| t.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
        })
        .with_context(|| format!("{} has no \"texts\" list of strings", readme.display()))
}
