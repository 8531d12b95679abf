//! Real pretrained weights: EfficientNet-Lite0/1/2's ImageNet checkpoints from their pip
//! packages (legacy-format `.pth`, provisioned by `cargo xtask setup` into `.deps/pretrained/`)
//! load strictly into the zoo's models, Lite0 matches PyTorch on a real photograph and
//! classifies real photographs (`.deps/photos/`, from the scikit-image and matplotlib wheels)
//! into sensible ImageNet classes.
//!
//! The PyTorch reference, `fixtures/efficientnet_lite0/io.safetensors`, holds `chelsea.png`
//! preprocessed by `examples/src/images.rs` (`input`, 1×3×224×224) and the logits that
//! `efficientnet-lite-pytorch` 0.1.0 with the same `.pth` computed from it (PyTorch 2.11,
//! float32, CPU, eval mode). A reference for all six photographs is not committed (3.6 MB):
//! set `CANDLE2TRT_LITE0_PHOTOS_IO` to such a file to check it too.
//!
//! Without the provisioned files the tests print `SKIPPED:` (a failure under
//! `CANDLE2TRT_REQUIRE_FIXTURES=1`).

use candle2trt_examples::fixtures::{
    fixture_dir, load_io, max_abs_diff, provisioned, skip_unless_required, take,
};
use candle2trt_examples::images::load_image;
use candle2trt_models::models::imagenet::{class_names, top_k};
use candle2trt_models::models::torchvision::{by_name, BoxedModel};
use candle2trt_models::weights::build_strict;
use candle_core::{DType, Device, Tensor};

/// The zoo's `arch` with the provisioned `.pth` of the same name, loaded strictly; `None` when
/// not provisioned (after the `SKIPPED:` line).
fn pretrained(arch: &str) -> anyhow::Result<Option<BoxedModel>> {
    let file = format!("pretrained/{}.pth", arch.replace('_', "-"));
    let Some(path) = skip_unless_required(&format!("pretrained {arch}"), provisioned(&file))?
    else {
        return Ok(None);
    };
    let ckpt = torch_weights::open(&path)?;
    Ok(Some(build_strict(&ckpt, DType::F32, &Device::Cpu, |vb| {
        by_name(arch, vb)
    })?))
}

fn logits(model: &BoxedModel, input: &Tensor) -> anyhow::Result<Tensor> {
    Ok(model.forward_candle(std::slice::from_ref(input))?.remove(0))
}

#[test]
fn efficientnet_lite0_pretrained_matches_pytorch_on_a_photograph() -> anyhow::Result<()> {
    let Some(model) = pretrained("efficientnet_lite0")? else {
        return Ok(());
    };
    let mut io = load_io(fixture_dir("efficientnet_lite0")?.join("io.safetensors"))?;
    let (input, expected) = (take(&mut io, "input")?, take(&mut io, "output")?);
    let got = logits(&model, &input)?;
    let err = max_abs_diff(&got, &expected)?;
    println!("efficientnet_lite0 (chelsea.png) vs PyTorch: max_abs_err {err:.3e}");
    // PyTorch's own f32 result is 5e-6 from its f64 one on these inputs; logits up to ~10.
    assert!(err <= 1e-4, "efficientnet_lite0 vs PyTorch: {err}");

    // The reference input is this crate's preprocessing of the photograph: it still is.
    if let Some(photo) = skip_unless_required("chelsea.png", provisioned("photos/chelsea.png"))? {
        let again = load_image(photo, 224)?.unsqueeze(0)?;
        assert_eq!(max_abs_diff(&again, &input)?, 0.0, "preprocessing changed");
    }

    match std::env::var_os("CANDLE2TRT_LITE0_PHOTOS_IO") {
        Some(path) if !path.is_empty() => {
            let mut io = load_io(&path)?;
            let (input, expected) = (take(&mut io, "input")?, take(&mut io, "output")?);
            let err = max_abs_diff(&logits(&model, &input)?, &expected)?;
            println!(
                "efficientnet_lite0 ({:?}) vs PyTorch: max_abs_err {err:.3e}",
                input.dims()
            );
            assert!(
                err <= 1e-4,
                "efficientnet_lite0 vs PyTorch on {path:?}: {err}"
            );
        }
        _ => println!(
            "(CANDLE2TRT_LITE0_PHOTOS_IO not set: the six-photograph reference is not checked)"
        ),
    }
    Ok(())
}

#[test]
fn efficientnet_lite0_classifies_photographs() -> anyhow::Result<()> {
    let Some(model) = pretrained("efficientnet_lite0")? else {
        return Ok(());
    };
    // The photograph and the ImageNet classes a sensible top-1 falls in.
    let cases: [(&str, &[&str]); 3] = [
        ("chelsea.png", &["tabby", "tiger cat", "Egyptian cat"]),
        ("coffee.png", &["espresso", "cup", "coffee mug"]),
        ("grace_hopper.jpg", &["military uniform"]),
    ];
    let mut batch = Vec::new();
    for (photo, _) in cases {
        let found = provisioned(&format!("photos/{photo}"));
        let Some(path) = skip_unless_required(photo, found)? else {
            return Ok(());
        };
        batch.push(load_image(path, 224)?);
    }
    let ranked = top_k(&logits(&model, &Tensor::stack(&batch, 0)?)?, 5)?;
    let names = class_names();
    for ((photo, sensible), top) in cases.iter().zip(ranked) {
        let labels: Vec<String> = top
            .iter()
            .map(|&(c, p)| format!("{} {:.1}%", names[c], 100.0 * p))
            .collect();
        println!("{photo}: {}", labels.join(", "));
        let (best, p) = top[0];
        assert!(
            sensible.contains(&names[best]),
            "{photo}: top-1 is {:?} ({p})",
            names[best]
        );
        // A guess, not noise: clearly above the 0.1% of a uniform guess.
        assert!(p > 0.2, "{photo}: top-1 probability {p}");
    }
    Ok(())
}

#[test]
fn efficientnet_lite1_and_lite2_weights_load_strictly() -> anyhow::Result<()> {
    for arch in ["efficientnet_lite1", "efficientnet_lite2"] {
        if pretrained(arch)?.is_none() {
            return Ok(());
        }
    }
    Ok(())
}
