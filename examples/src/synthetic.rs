//! Deterministic synthetic weights, identical in Rust and in the Python script that made the
//! `vit_b_16` and `convnext_tiny` fixtures (see `fixtures/vit_b_16/README.json`): every tensor
//! is filled from its own name, so a PyTorch reference can be computed on another machine and
//! only its inputs and outputs shipped — not hundreds of megabytes of weights.
//!
//! Tensor `name` of `n` values: `seed = FNV-1a-64(name)`, `z_i = splitmix64(seed + i·γ)` for
//! `i = 1..=n`, `u_i = (z_i >> 40) / 2²⁴` in `[0, 1)`, value `center + half · (2u_i − 1)`
//! computed in f64 and rounded to f32, with `(center, half)` from [`center_scale`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Tensor};

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator's `(center, half-width)` for tensor `name` of `shape`: layer scales around
/// 0.2, class token and position embedding ±0.1, the input ±1, biases ±0.02, 1-D weights
/// (LayerNorm) 1 ± 0.1, every other weight uniform with variance `1 / fan_in`.
pub fn center_scale(name: &str, shape: &[usize]) -> (f64, f64) {
    if name.ends_with("layer_scale") {
        (0.2, 0.1)
    } else if name == "class_token" || name == "encoder.pos_embedding" {
        (0.0, 0.1)
    } else if name == "input" {
        (0.0, 1.0)
    } else if name.ends_with(".bias") || name.ends_with("_bias") {
        (0.0, 0.02)
    } else if shape.len() == 1 {
        (1.0, 0.1)
    } else {
        let fan_in: usize = shape[1..].iter().product();
        (0.0, (3.0 / fan_in as f64).sqrt())
    }
}

/// Tensor `name` of `shape`, f32, on the CPU.
pub fn generate(name: &str, shape: &[usize]) -> candle_core::Result<Tensor> {
    let (center, half) = center_scale(name, shape);
    uniform(fnv1a(name), shape, center, half)
}

/// `shape` filled from `seed` (the sequence described at the top), uniform in
/// `center ± half`.
fn uniform(seed: u64, shape: &[usize], center: f64, half: f64) -> candle_core::Result<Tensor> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (1..=n as u64)
        .map(|i| {
            let z = splitmix64(seed.wrapping_add(i.wrapping_mul(GAMMA)));
            let u = (z >> 40) as f64 / (1u64 << 24) as f64;
            (center + half * (2.0 * u - 1.0)) as f32
        })
        .collect();
    Tensor::from_vec(values, shape, &Device::Cpu)
}

/// A [`candle_nn::VarBuilder`] with the distributions a `VarMap` would draw (each layer's
/// [`candle_nn::Init`] hint: constants exactly, random initializations as uniform values of the
/// same mean and variance) but reproducible: tensor `name` is filled from `FNV-1a-64(name)`
/// mixed with `seed`. For tests that need a model on random weights to behave the same on
/// every run.
pub fn seeded_var_builder(seed: u64) -> candle_nn::VarBuilder<'static> {
    candle_nn::VarBuilder::from_backend(Box::new(Seeded { seed }), DType::F32, Device::Cpu)
}

struct Seeded {
    seed: u64,
}

impl candle_nn::var_builder::SimpleBackend for Seeded {
    fn get(
        &self,
        s: candle_core::Shape,
        name: &str,
        init: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        use candle_nn::Init;
        let seed = splitmix64(fnv1a(name) ^ self.seed);
        // A uniform distribution of standard deviation `std` has half-width √3·std.
        let (center, half) = match init {
            Init::Const(v) => (v, 0.0),
            Init::Uniform { lo, up } => ((lo + up) / 2.0, (up - lo) / 2.0),
            Init::Randn { mean, stdev } => (mean, 3f64.sqrt() * stdev),
            Init::Kaiming {
                fan, non_linearity, ..
            } => {
                let fan = fan.for_shape(&s).max(1) as f64;
                (0.0, 3f64.sqrt() * non_linearity.gain() / fan.sqrt())
            }
        };
        uniform(seed, s.dims(), center, half)?
            .to_dtype(dtype)?
            .to_device(dev)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("seeded random weights need a shape ({name})")
    }

    fn contains_tensor(&self, _: &str) -> bool {
        true
    }
}

/// The tensors a [`var_builder`] was asked for: key → shape.
pub type Asked = Arc<Mutex<HashMap<String, Vec<usize>>>>;

/// A [`candle_nn::VarBuilder`] that fills every tensor a model asks for with [`generate`] (by
/// its full key), and the names it was asked for.
pub fn var_builder() -> (candle_nn::VarBuilder<'static>, Asked) {
    let asked: Asked = Arc::new(Mutex::new(HashMap::new()));
    let backend = Synthetic {
        asked: asked.clone(),
    };
    (
        candle_nn::VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu),
        asked,
    )
}

struct Synthetic {
    asked: Asked,
}

impl candle_nn::var_builder::SimpleBackend for Synthetic {
    fn get(
        &self,
        s: candle_core::Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.insert(name.to_string(), s.dims().to_vec());
        }
        generate(name, s.dims())?.to_dtype(dtype)?.to_device(dev)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("synthetic weights need a shape ({name})")
    }

    fn contains_tensor(&self, _: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::generate;

    fn first3(name: &str, shape: &[usize]) -> candle_core::Result<Vec<f32>> {
        generate(name, shape)?
            .flatten_all()?
            .narrow(0, 0, 3)?
            .to_vec1::<f32>()
    }

    /// The first values PyTorch's tensors held on the GPU machine (`first_values` in the
    /// script's report), as f32.
    #[test]
    #[allow(clippy::excessive_precision)]
    fn matches_the_python_generator() -> candle_core::Result<()> {
        let cases: [(&str, &[usize], [f32; 3]); 4] = [
            (
                "conv_proj.weight",
                &[768, 3, 16, 16],
                [
                    0.010051585733890533,
                    0.058221831917762756,
                    0.011677958071231842,
                ],
            ),
            (
                "class_token",
                &[1, 1, 768],
                [
                    -0.042253006249666214,
                    0.06968358904123306,
                    0.07889775186777115,
                ],
            ),
            (
                "features.0.0.bias",
                &[96],
                [
                    0.0009341072873212397,
                    -0.014032194390892982,
                    -0.009063925594091415,
                ],
            ),
            (
                "features.0.1.weight",
                &[96],
                [1.0465500354766846, 1.0523170232772827, 0.9852311611175537],
            ),
        ];
        for (name, shape, expected) in cases {
            assert_eq!(first3(name, shape)?, expected, "{name}");
        }
        Ok(())
    }
}
