//! torchvision's `vit_b_16` and `convnext_tiny` against PyTorch: every weight is filled by the
//! deterministic generator of `candle2trt_examples::synthetic`, which the script that made the
//! references (`fixtures/vit_b_16/reference.py`, torchvision 0.26 on the GPU machine's CPU)
//! implements identically, so the fixtures hold only the input and PyTorch's logits
//! (`fixtures/{vit_b_16,convnext_tiny}/io.safetensors`, batch 2 at 224×224).
//!
//! The regenerated input must equal the stored one bit for bit (the generators agree), the
//! model must ask for exactly the `state_dict` keys (as many as PyTorch's), plain candle's
//! logits must be within 1e-3 of PyTorch's (PyTorch's own f32 result is ~3e-6 from its f64
//! one), and the model converts into an engine whose traced values match PyTorch too.

use std::time::Instant;

use candle2trt::{convert, ConversionOptions};
use candle2trt_examples::fixtures::{fixture_dir, load_io, max_abs_diff, take};
use candle2trt_examples::synthetic;
use candle2trt_models::models::torchvision::Architecture;

fn parity(arch: &str, state_dict_keys: usize) -> anyhow::Result<()> {
    let mut io = load_io(fixture_dir(arch)?.join("io.safetensors"))?;
    let (input, expected) = (take(&mut io, "input")?, take(&mut io, "output")?);
    let regenerated = synthetic::generate("input", input.dims())?;
    assert_eq!(
        max_abs_diff(&regenerated, &input)?,
        0.0,
        "{arch}: the Rust generator differs from the Python one"
    );

    let (vb, asked) = synthetic::var_builder();
    let model = Architecture::from_name(arch)?.build(vb)?;
    let asked = asked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.len();
    assert_eq!(asked, state_dict_keys, "{arch}: tensors asked for");

    let logits = model
        .forward_candle(std::slice::from_ref(&input))?
        .remove(0);
    let err = max_abs_diff(&logits, &expected)?;
    println!("{arch} (synthetic weights, batch 2, 224x224) vs PyTorch: max_abs_err {err:.3e}");
    assert!(err <= 1e-3, "{arch} vs PyTorch: {err}");

    let started = Instant::now();
    let engine = convert(&*model, &[&input], &ConversionOptions::default())?;
    let (trace, build) = engine.conversion_times().unwrap_or_default();
    println!(
        "ENGINE {arch} f32 input={:?} trace_s={:.2} build_s={:.2} total_s={:.2} bytes={}",
        input.dims(),
        trace.as_secs_f64(),
        build.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        engine.engine_bytes().len()
    );
    assert_eq!(engine.outputs()[0].dims, [2, 1000], "{arch}: engine output");
    if arch == "vit_b_16" {
        // One fused attention per encoder layer, its query scaled by a layer of the op itself
        // (TensorRT's attention does not scale q·kᵀ); no separate softmax.
        let layers = engine.layers();
        let of_attention: Vec<_> = layers
            .iter()
            .filter(|l| l.op == "scaled_dot_product_attention")
            .collect();
        let kinds: Vec<&str> = of_attention.iter().map(|l| l.layer_type.as_str()).collect();
        println!(
            "{arch}: attention layers of encoder_layer_0: {:?}",
            &kinds[..kinds.len() / 12]
        );
        let fused = kinds.iter().filter(|k| k.starts_with("Attention")).count();
        let scaled = kinds.iter().filter(|k| **k == "ElementWise").count();
        assert!(
            fused >= 12 && scaled == 12,
            "{arch}: attention layers {kinds:?}"
        );
        assert!(
            !layers.iter().any(|l| l.op.contains("softmax")),
            "{arch}: unfused softmax"
        );
    }
    let traced_err = max_abs_diff(&engine.reference_outputs()[0], &expected)?;
    println!("{arch}: traced candle vs PyTorch max_abs_err {traced_err:.3e}");
    assert!(traced_err <= 1e-3, "{arch}: traced vs PyTorch {traced_err}");
    Ok(())
}

#[test]
fn vit_b_16_matches_pytorch() -> anyhow::Result<()> {
    parity("vit_b_16", 152)
}

#[test]
fn convnext_tiny_matches_pytorch() -> anyhow::Result<()> {
    parity("convnext_tiny", 182)
}
