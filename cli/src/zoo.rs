//! The one place where the command line meets the model zoo.
//!
//! Everything else in the CLI sees [`ZooModel`]: build it by name from a checkpoint, make sample
//! inputs, run it in plain candle, convert it. The zoo is the `candle2trt-models` crate
//! (`models::{torchvision, bert, simple_cnn}`); this file is the only one that imports it.

use std::path::Path;

use anyhow::{bail, Context};
use candle2trt::{ConversionOptions, TraceModel, TrtModule};
use candle2trt_models::models::bert::{BertConfig, BertModel};
use candle2trt_models::models::simple_cnn::SimpleCnn;
use candle2trt_models::models::torchvision::{Architecture, BoxedModel, ARCHITECTURES};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};

/// Every architecture name `convert` and `check` accept.
pub fn architectures() -> Vec<&'static str> {
    let mut names = ARCHITECTURES.to_vec();
    names.extend(["bert", "simple_cnn"]);
    names
}

/// Sizes of the sample inputs a conversion traces with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleShape {
    /// Batch rows.
    pub batch: usize,
    /// Square image side for the torchvision classifiers (`None`: 224).
    pub image_size: Option<usize>,
    /// Sequence length for BERT (`None`: 128, capped by the model's position table).
    pub seq_len: Option<usize>,
}

/// A zoo model, loaded from a checkpoint.
pub enum ZooModel {
    /// A torchvision classifier (`resnet18`, `mobilenet_v2`, …).
    Torchvision {
        /// Its architecture (with the checkpoint's number of classes).
        arch: Architecture,
        /// The model.
        model: BoxedModel,
    },
    /// A Hugging Face `BertModel` encoder.
    Bert {
        /// Its `config.json`.
        config: BertConfig,
        /// The model.
        model: BertModel,
    },
    /// The project brief's SimpleCNN (1×3×32×32 inputs).
    SimpleCnn(SimpleCnn),
}

impl std::fmt::Debug for ZooModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZooModel::Torchvision { arch, .. } => write!(f, "ZooModel::Torchvision({arch:?})"),
            ZooModel::Bert { .. } => f.write_str("ZooModel::Bert"),
            ZooModel::SimpleCnn(_) => f.write_str("ZooModel::SimpleCnn"),
        }
    }
}

/// Loads architecture `arch` from `weights` (any format torch-weights reads) with a strict load;
/// BERT also needs its `config.json`.
pub fn load(arch: &str, weights: &Path, config: Option<&Path>) -> anyhow::Result<ZooModel> {
    let known = architectures();
    if !known.contains(&arch) {
        bail!(
            "unknown architecture {arch:?}; use one of: {}",
            known.join(", ")
        );
    }
    let open = || {
        torch_weights::open(weights).with_context(|| {
            format!(
                "cannot open checkpoint {} (pass a .safetensors, a sharded *.index.json, or a \
                 .pt/.pth/.bin saved by torch.save)",
                weights.display()
            )
        })
    };
    let not_this = |what: &str| {
        format!(
            "{} is not a {what} checkpoint (check --arch and --weights)",
            weights.display()
        )
    };
    match arch {
        "simple_cnn" => {
            let ckpt = open()?;
            let model = build_strict(&ckpt, DType::F32, &Device::Cpu, SimpleCnn::new)
                .with_context(|| not_this("SimpleCNN"))?;
            Ok(ZooModel::SimpleCnn(model))
        }
        "bert" => {
            let config_path = config.with_context(|| {
                "bert needs the model's config.json; pass --config <config.json>".to_string()
            })?;
            let cfg = BertConfig::from_json_file(config_path)?;
            let mut ckpt = open()?;
            if !ckpt.contains("embeddings.word_embeddings.weight")
                && ckpt.contains("bert.embeddings.word_embeddings.weight")
            {
                // A task model (BertForSequenceClassification, …): keep the encoder.
                ckpt = ckpt.select_prefix("bert.").strip_prefix("bert.")?;
            }
            let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
                BertModel::new(&cfg, vb)
            })
            .with_context(|| not_this("BERT"))?;
            Ok(ZooModel::Bert { config: cfg, model })
        }
        name => {
            let ckpt = open()?;
            let mut arch = Architecture::from_name(name)?;
            if let Some(classifier) = ckpt.get(arch.classifier_weight_key()) {
                // A fine-tuned classifier tells its own number of classes.
                if let Some(&classes) = classifier.shape().first() {
                    arch = arch.with_num_classes(classes);
                }
            }
            let model = build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| arch.build(vb))
                .with_context(|| not_this(&format!("torchvision {name}")))?;
            Ok(ZooModel::Torchvision { arch, model })
        }
    }
}

impl ZooModel {
    /// The engine's input names, in order (also the tensor names `check` reads from an io file).
    pub fn input_names(&self) -> Vec<String> {
        let names: &[&str] = match self {
            ZooModel::Bert { .. } => &["input_ids", "attention_mask", "token_type_ids"],
            _ => &["input"],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The engine's output names, in order.
    pub fn output_names(&self) -> Vec<String> {
        let names: &[&str] = match self {
            ZooModel::Bert { .. } => &["last_hidden_state", "pooler_output"],
            _ => &["logits"],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The reference-output names in an io file written by PyTorch (the fixtures' convention:
    /// `output` for the classifiers, the Hugging Face names for BERT).
    pub fn reference_output_names(&self) -> Vec<String> {
        match self {
            ZooModel::Bert { .. } => self.output_names(),
            _ => vec!["output".to_string()],
        }
    }

    /// Deterministic sample inputs of `shape` (values only matter for the traced reference
    /// outputs; they never become constants).
    pub fn sample_inputs(&self, shape: &SampleShape) -> anyhow::Result<Vec<Tensor>> {
        let b = shape.batch.max(1);
        match self {
            ZooModel::SimpleCnn(_) => {
                if shape.image_size.is_some_and(|s| s != 32) {
                    bail!("simple_cnn takes 32×32 images only (its Linear layer is 4096 wide); drop --image-size");
                }
                Ok(vec![pseudo_random(&[b, 3, 32, 32])?])
            }
            ZooModel::Torchvision { arch, .. } => {
                let side = shape.image_size.unwrap_or(224);
                let min = arch.min_convertible_input_size();
                if side < min {
                    bail!(
                        "--image-size {side} is too small for this architecture; use {min} or more"
                    );
                }
                Ok(vec![pseudo_random(&[b, 3, side, side])?])
            }
            ZooModel::Bert { config, .. } => {
                let max = config.max_position_embeddings;
                let s = shape.seq_len.unwrap_or(128.min(max));
                if s == 0 || s > max {
                    bail!("--seq-len {s} is outside 1..={max} (the model's position table)");
                }
                let vocab = config.vocab_size as u64;
                let ids: Vec<i64> = (0..b * s)
                    .map(|i| (splitmix(i as u64) % vocab) as i64)
                    .collect();
                let ids = Tensor::from_vec(ids, (b, s), &Device::Cpu)?;
                let mask = Tensor::ones((b, s), DType::I64, &Device::Cpu)?;
                let types = Tensor::zeros((b, s), DType::I64, &Device::Cpu)?;
                Ok(vec![ids, mask, types])
            }
        }
    }

    /// The plain candle forward (CPU): the reference for parity checks.
    pub fn forward(&self, inputs: &[Tensor]) -> candle2trt::Result<Vec<Tensor>> {
        match self {
            ZooModel::Torchvision { model, .. } => model.forward_candle(inputs),
            ZooModel::Bert { model, .. } => model.forward_inputs(inputs),
            ZooModel::SimpleCnn(model) => model.forward_inputs(inputs),
        }
    }

    /// [`candle2trt::convert`] of the model on `inputs`.
    pub fn convert(
        &self,
        inputs: &[Tensor],
        options: &ConversionOptions,
    ) -> candle2trt::Result<TrtModule> {
        match self {
            ZooModel::Torchvision { model, .. } => candle2trt::convert(&**model, inputs, options),
            ZooModel::Bert { model, .. } => candle2trt::convert(model, inputs, options),
            ZooModel::SimpleCnn(model) => candle2trt::convert(model, inputs, options),
        }
    }
}

impl ZooModel {
    /// [`TrtModule::load_or_convert`]: the engine in `path` when its fingerprint matches,
    /// otherwise a conversion saved there.
    pub fn load_or_convert(
        &self,
        path: &Path,
        inputs: &[Tensor],
        options: &ConversionOptions,
    ) -> candle2trt::Result<TrtModule> {
        match self {
            ZooModel::Torchvision { model, .. } => {
                TrtModule::load_or_convert(path, &**model, inputs, options)
            }
            ZooModel::Bert { model, .. } => {
                TrtModule::load_or_convert(path, model, inputs, options)
            }
            ZooModel::SimpleCnn(model) => TrtModule::load_or_convert(path, model, inputs, options),
        }
    }
}

/// Uniform values in [-1, 1) from a fixed seed, so that a conversion is reproducible.
fn pseudo_random(dims: &[usize]) -> candle_core::Result<Tensor> {
    let n: usize = dims.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| (splitmix(i as u64) >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        .collect();
    Tensor::from_vec(values, dims, &Device::Cpu)
}

fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_deterministic_and_bounded() {
        let a = pseudo_random(&[2, 3]).unwrap().flatten_all().unwrap();
        let b = pseudo_random(&[2, 3]).unwrap().flatten_all().unwrap();
        let (a, b) = (a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)), "{a:?}");
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn unknown_architecture_lists_the_known_ones() {
        let err = load("resnet19", Path::new("x.safetensors"), None).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("resnet18") && msg.contains("bert"), "{msg}");
    }

    #[test]
    fn bert_without_config_says_how_to_fix_it() {
        let err = load("bert", Path::new("x.safetensors"), None).unwrap_err();
        assert!(format!("{err:#}").contains("--config"), "{err:#}");
    }
}
