//! Loading candle_nn layers through the VarBuilder backend: the SimpleCNN forward pass against
//! PyTorch's output, strict-load reports, dtype policies and renaming.

mod common;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Conv2dConfig, VarBuilder};
use common::*;
use torch_weights::{DTypePolicy, Error, OpenOptions};

struct SimpleCnn {
    conv1: candle_nn::Conv2d,
    fc: candle_nn::Linear,
}

impl SimpleCnn {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        let cfg = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        Ok(SimpleCnn {
            conv1: candle_nn::conv2d(3, 16, 3, cfg, vb.pp("conv1"))?,
            fc: candle_nn::linear(4096, 10, vb.pp("fc"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.conv1.forward(x)?.relu()?.max_pool2d(2)?;
        self.fc.forward(&x.flatten_from(1)?)
    }
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(D::Minus1)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn forward(file: &str, input: &Tensor) -> Tensor {
    let ckpt = torch_weights::open(small_fixture(&format!("simple_cnn/{file}"))).unwrap();
    let (vb, tracker) = ckpt.strict_var_builder(DType::F32, &Device::Cpu);
    let model = SimpleCnn::new(vb).unwrap();
    assert!(tracker.finish().unwrap().is_clean(), "{file}");
    model.forward(input).unwrap()
}

/// The `model.*` weights in all three formats give PyTorch's logits (`io*.safetensors`) within
/// 1e-4; the training checkpoint holds the weights after one SGD step, so its logits differ.
#[test]
fn simple_cnn_forward_matches_pytorch() {
    for (io_file, batch) in [("io.safetensors", 1), ("io_batch8.safetensors", 8)] {
        let io = torch_weights::open(small_fixture(&format!("simple_cnn/{io_file}"))).unwrap();
        let input = io.tensor_as("input", DType::F32, &Device::Cpu).unwrap();
        let expected = io.tensor_as("output", DType::F32, &Device::Cpu).unwrap();
        assert_eq!(input.dims(), [batch, 3, 32, 32]);

        // conv -> relu -> maxpool2d(2) -> flatten -> linear, f32 on the CPU.
        for file in ["model.safetensors", "model.pt", "model_legacy_format.pt"] {
            let out = forward(file, &input);
            assert_eq!(out.dims(), [batch, 10]);
            let err = max_abs_diff(&out, &expected);
            assert!(err <= 1e-4, "{file} {io_file}: max abs error {err}");
        }

        let trained = forward("checkpoint_dataparallel.pt", &input);
        let gap = max_abs_diff(&trained, &expected);
        assert!(
            gap > 1.0,
            "the post-SGD checkpoint gives the reference logits ({gap})"
        );
    }
}

#[test]
fn strict_report_lists_every_problem() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    // A model that expects a renamed conv, a wrong fc size, and never asks for conv1.*.
    let (vb, tracker) = ckpt.strict_var_builder(DType::F32, &Device::Cpu);
    let _conv = candle_nn::conv2d(3, 16, 3, Default::default(), vb.pp("features.0")).unwrap();
    let _fc = candle_nn::linear(2048, 10, vb.pp("fc")).unwrap();
    let report = tracker.report();
    assert_eq!(report.missing, ["features.0.weight", "features.0.bias"]);
    let mut unexpected = report.unexpected.clone();
    unexpected.sort();
    assert_eq!(unexpected, ["conv1.bias", "conv1.weight"]);
    assert_eq!(report.shape_mismatches.len(), 1);
    assert_eq!(report.shape_mismatches[0].name, "fc.weight");
    assert_eq!(report.shape_mismatches[0].expected, [10, 2048]);
    assert_eq!(report.shape_mismatches[0].found, [10, 4096]);
    let err = tracker.finish().unwrap_err();
    let msg = err.to_string();
    for needle in [
        "features.0.weight",
        "conv1.bias",
        "size mismatch for fc.weight",
    ] {
        assert!(msg.contains(needle), "{msg}");
    }
    assert!(matches!(err, Error::StrictLoad(_)));

    // The same check without building anything.
    let report = ckpt.check([
        ("conv1.weight", &[16usize, 3, 3, 3][..]),
        ("extra", &[1usize][..]),
    ]);
    assert_eq!(report.missing, ["extra"]);
    assert_eq!(report.unexpected.len(), 3);
}

#[test]
fn non_strict_builder_errors_name_the_tensor() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.pt")).unwrap();
    let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
    let err = candle_nn::linear(4096, 10, vb.pp("classifier"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("classifier.weight"), "{err}");
    let err = candle_nn::linear(100, 10, vb.pp("fc")).err().unwrap();
    assert!(
        err.to_string().contains("shape mismatch for fc.weight"),
        "{err}"
    );
}

#[test]
fn dtype_policies() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.pt")).unwrap();
    let vb = ckpt.var_builder(DType::F16, &Device::Cpu);
    assert_eq!(vb.get((10,), "fc.bias").unwrap().dtype(), DType::F16);
    let vb = ckpt.var_builder_with_policy(DTypePolicy::Keep, &Device::Cpu);
    assert_eq!(vb.get((10,), "fc.bias").unwrap().dtype(), DType::F32);
    let vb = ckpt.var_builder_with_policy(DTypePolicy::Convert(DType::BF16), &Device::Cpu);
    let b = vb.get((10,), "fc.bias").unwrap();
    assert_eq!(b.dtype(), DType::BF16);
    let direct = ckpt.tensor("fc.bias", &Device::Cpu).unwrap();
    let diff = max_abs_diff(&b.to_dtype(DType::F32).unwrap(), &direct);
    assert!(diff < 1e-2);

    // Integer tensors keep their dtype under Convert; AsRequested converts everything.
    let bert = torch_weights::open(small_fixture("tiny_bert/model.safetensors")).unwrap();
    let int_names: Vec<&str> = bert
        .tensors()
        .filter(|(_, t)| !t.dtype().is_float())
        .map(|(n, _)| n)
        .collect();
    for n in int_names {
        let vb = bert.var_builder_with_policy(DTypePolicy::Convert(DType::F16), &Device::Cpu);
        assert_eq!(vb.get_unchecked(n).unwrap().dtype(), DType::I64, "{n}");
    }
}

#[test]
fn f16_resnet_weights_widen_to_f32_exactly() {
    let Some(index) = large_fixture("resnet18/model.safetensors.index.json") else {
        return;
    };
    let ckpt = torch_weights::open(index).unwrap();
    let vb = ckpt.var_builder(DType::F32, &Device::Cpu);
    let w = vb.get((64, 3, 7, 7), "conv1.weight").unwrap();
    let raw = ckpt.tensor("conv1.weight", &Device::Cpu).unwrap();
    assert_eq!(raw.dtype(), DType::F16);
    let back = w.to_dtype(DType::F16).unwrap();
    let a: Vec<half::f16> = back.flatten_all().unwrap().to_vec1().unwrap();
    let b: Vec<half::f16> = raw.flatten_all().unwrap().to_vec1().unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
}

#[test]
fn renaming_and_prefix_selection() {
    let ckpt = torch_weights::open(small_fixture("simple_cnn/model.safetensors")).unwrap();
    let wrapped = ckpt.add_prefix("backbone.");
    assert!(wrapped.contains("backbone.fc.weight"));
    let back = wrapped.select_prefix("backbone.");
    assert!(back.contains("fc.weight") && back.len() == 4);
    let renamed = ckpt.replace("fc.", "head.").unwrap();
    assert!(renamed.contains("head.bias"));
    let only_conv = ckpt
        .rename(|n| n.strip_prefix("conv1.").map(|r| format!("stem.{r}")))
        .unwrap();
    assert_eq!(only_conv.names().collect::<Vec<_>>().len(), 2);
    assert!(only_conv.contains("stem.weight"));
    let err = ckpt.rename(|_| Some("same".to_string())).unwrap_err();
    assert!(matches!(err, Error::DuplicateKey { .. }));
    // A renamed checkpoint feeds a VarBuilder.
    let vb = renamed.var_builder(DType::F32, &Device::Cpu);
    assert!(candle_nn::linear(4096, 10, vb.pp("head")).is_ok());
    // candle's own VarBuilder prefixing works on top.
    let vb = wrapped.var_builder(DType::F32, &Device::Cpu).pp("backbone");
    assert!(SimpleCnn::new(vb).is_ok());
    // And OpenOptions keeps the `module.` prefix on request.
    let kept = OpenOptions::new()
        .strip_wrapper_prefixes(false)
        .open(small_fixture("simple_cnn/checkpoint_dataparallel.pt"))
        .unwrap();
    let vb = kept.var_builder(DType::F32, &Device::Cpu).pp("module");
    assert!(SimpleCnn::new(vb).is_ok());
}
