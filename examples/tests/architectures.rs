//! Every architecture of the registry, built from randomly initialized weights with the
//! PyTorch key names: its parameter count equals the number PyTorch gives for the model
//! (torchvision's published `num_params`; for EfficientNet-Lite, the count of the
//! `efficientnet-lite-pytorch` model), which pins every layer's shape, including the
//! width/depth rounding; its key names follow the original's patterns, and plain candle gives
//! `(batch, 1000)` logits.

use std::collections::HashMap;

use candle2trt_models::models::torchvision::{Architecture, BoxedModel, ARCHITECTURES};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

/// `num_params` from torchvision 0.26's weight metadata (`Weights.meta["num_params"]`).
const TORCHVISION_NUM_PARAMS: &[(&str, usize)] = &[
    ("resnet18", 11_689_512),
    ("resnet34", 21_797_672),
    ("resnet50", 25_557_032),
    ("resnet101", 44_549_160),
    ("resnet152", 60_192_808),
    ("mobilenet_v2", 3_504_872),
    ("vgg11", 132_863_336),
    ("vgg11_bn", 132_868_840),
    ("vgg13", 133_047_848),
    ("vgg13_bn", 133_053_736),
    ("vgg16", 138_357_544),
    ("vgg16_bn", 138_365_992),
    ("vgg19", 143_667_240),
    ("vgg19_bn", 143_678_248),
    ("squeezenet1_0", 1_248_424),
    ("squeezenet1_1", 1_235_496),
    ("efficientnet_b0", 5_288_548),
    ("efficientnet_b1", 7_794_184),
    ("efficientnet_b2", 9_109_994),
    ("efficientnet_b3", 12_233_232),
    ("efficientnet_b4", 19_341_616),
    ("efficientnet_b5", 30_389_784),
    ("efficientnet_b6", 43_040_704),
    ("efficientnet_b7", 66_347_960),
    // `sum(p.numel() for p in EfficientNet.from_name("efficientnet-lite{i}").parameters())`
    // with efficientnet-lite-pytorch 0.1.0 (PyTorch 2.11); Lite0–Lite2 also equal the tensor
    // shapes of the pretrained `.pth` files (counted with plain Python's pickle reader).
    ("efficientnet_lite0", 4_652_008),
    ("efficientnet_lite1", 5_416_680),
    ("efficientnet_lite2", 6_092_072),
    ("efficientnet_lite3", 8_197_096),
    ("efficientnet_lite4", 13_006_568),
    ("vit_b_16", 86_567_656),
    ("convnext_tiny", 28_589_128),
];

/// Builds `arch` on fresh random weights; returns the model and its tensors by name.
fn random_model(arch: &str) -> anyhow::Result<(BoxedModel, HashMap<String, Vec<usize>>)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let model = Architecture::from_name(arch)?.build(vb)?;
    let shapes = varmap
        .data()
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned VarMap"))?
        .iter()
        .map(|(name, var)| (name.clone(), var.dims().to_vec()))
        .collect();
    Ok((model, shapes))
}

/// Parameters as PyTorch counts them: batch-norm running statistics are buffers.
fn parameter_count(shapes: &HashMap<String, Vec<usize>>) -> usize {
    shapes
        .iter()
        .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
        .map(|(_, dims)| dims.iter().product::<usize>())
        .sum()
}

#[test]
fn registry_covers_the_published_list() {
    let published: Vec<_> = TORCHVISION_NUM_PARAMS.iter().map(|(n, _)| *n).collect();
    assert_eq!(ARCHITECTURES, published.as_slice());
    let err = Architecture::from_name("resnet19").unwrap_err().to_string();
    assert!(
        err.contains("resnet19") && err.contains("efficientnet_b7"),
        "{err}"
    );
    for bad in [
        "vgg12",
        "vgg16_bnn",
        "efficientnet_b8",
        "efficientnet_b",
        "efficientnet_lite5",
        "efficientnet_lite",
        "",
    ] {
        assert!(Architecture::from_name(bad).is_err(), "{bad:?} parsed");
    }
}

/// Keys that must exist, per architecture (spot checks of torchvision's naming patterns).
fn expected_keys(arch: &str) -> &'static [&'static str] {
    match arch {
        "resnet50" => &[
            "conv1.weight",
            "bn1.running_var",
            "layer1.0.downsample.0.weight",
            "layer1.0.downsample.1.bias",
            "layer4.2.conv3.weight",
            "layer4.2.bn3.running_mean",
            "fc.bias",
        ],
        "mobilenet_v2" => &[
            "features.0.0.weight",
            "features.1.conv.0.0.weight",
            "features.1.conv.1.weight",
            "features.1.conv.2.running_mean",
            "features.2.conv.0.0.weight",
            "features.2.conv.3.weight",
            "features.18.1.running_var",
            "classifier.1.weight",
        ],
        "vgg16_bn" => &[
            "features.0.weight",
            "features.1.running_mean",
            "features.40.weight",
            "features.41.bias",
            "classifier.0.weight",
            "classifier.3.weight",
            "classifier.6.bias",
        ],
        "vgg11" => &[
            "features.0.bias",
            "features.18.weight",
            "classifier.6.weight",
        ],
        "squeezenet1_0" => &[
            "features.0.weight",
            "features.3.squeeze.weight",
            "features.12.expand3x3.bias",
            "classifier.1.weight",
        ],
        "squeezenet1_1" => &[
            "features.0.weight",
            "features.6.expand1x1.weight",
            "features.12.squeeze.bias",
        ],
        "efficientnet_b0" => &[
            "features.0.0.weight",
            "features.1.0.block.0.0.weight",
            "features.1.0.block.1.fc1.weight",
            "features.1.0.block.2.0.weight",
            "features.2.0.block.0.1.running_mean",
            "features.2.1.block.2.fc2.bias",
            "features.2.1.block.3.1.weight",
            "features.7.0.block.3.0.weight",
            "features.8.0.weight",
            "classifier.1.weight",
        ],
        "efficientnet_b7" => &["features.6.12.block.3.1.running_var", "features.8.1.weight"],
        "efficientnet_lite0" => &[
            "_conv_stem.weight",
            "_bn0.running_var",
            "_blocks.0._depthwise_conv.weight",
            "_blocks.0._bn1.bias",
            "_blocks.0._project_conv.weight",
            "_blocks.1._expand_conv.weight",
            "_blocks.1._bn0.running_mean",
            "_blocks.15._bn2.weight",
            "_conv_head.weight",
            "_bn1.weight",
            "_fc.bias",
        ],
        "efficientnet_lite4" => &["_blocks.29._project_conv.weight", "_fc.weight"],
        "vit_b_16" => &[
            "conv_proj.weight",
            "class_token",
            "encoder.pos_embedding",
            "encoder.layers.encoder_layer_0.ln_1.weight",
            "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
            "encoder.layers.encoder_layer_0.self_attention.in_proj_bias",
            "encoder.layers.encoder_layer_0.self_attention.out_proj.weight",
            "encoder.layers.encoder_layer_11.mlp.0.weight",
            "encoder.layers.encoder_layer_11.mlp.3.bias",
            "encoder.ln.bias",
            "heads.head.weight",
        ],
        "convnext_tiny" => &[
            "features.0.0.weight",
            "features.0.1.bias",
            "features.1.0.block.0.weight",
            "features.1.0.block.2.weight",
            "features.1.0.block.3.weight",
            "features.1.0.block.5.bias",
            "features.1.0.layer_scale",
            "features.2.0.weight",
            "features.2.1.weight",
            "features.5.8.layer_scale",
            "features.7.2.block.5.weight",
            "classifier.0.weight",
            "classifier.2.bias",
        ],
        _ => &[],
    }
}

/// Each architecture is built once (random initialization of VGG's 140M parameters is what
/// costs here) and checked three ways: parameter count, key names, plain forward.
#[test]
fn every_architecture_matches_torchvision_and_runs() -> anyhow::Result<()> {
    for &(arch, expected) in TORCHVISION_NUM_PARAMS {
        let (model, shapes) = random_model(arch)?;
        let count = parameter_count(&shapes);
        println!("{arch}: {count} parameters, {} tensors", shapes.len());
        assert_eq!(count, expected, "{arch}: parameter count");
        for key in expected_keys(arch) {
            assert!(shapes.contains_key(*key), "{arch}: no {key}");
        }
        // 32×32 is enough for plain candle: every model reduces it to ≥ 1×1 (VGG's adaptive
        // pool then spreads 1×1 to 7×7, as PyTorch does). Batch 1: candle's grouped
        // convolutions (EfficientNet's depthwise layers) cost per group, not per pixel.
        // The Vision Transformer takes only its image size (its position embeddings fix it).
        let side = if arch == "vit_b_16" { 224 } else { 32 };
        let x = Tensor::randn(0f32, 1.0, (1, 3, side, side), &Device::Cpu)?;
        let y = model.forward_candle(&[x])?.remove(0);
        assert_eq!(y.dims(), [1, 1000], "{arch}");
        let finite = y
            .flatten_all()?
            .to_vec1::<f32>()?
            .iter()
            .all(|v| v.is_finite());
        assert!(finite, "{arch}: non-finite logits");
    }
    Ok(())
}
