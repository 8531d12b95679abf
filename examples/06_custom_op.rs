//! # 06 — Your own converter for an op candle2trt lacks
//!
//! torch2trt lets a user register a converter (`@tensorrt_converter("torch.nn.Mish.forward")`).
//! Here an op is a [`CustomOp`]: how candle computes it (the plain run and the reference value
//! while tracing) and which TensorRT layers compute the same, built with the `trt` crate's layer
//! descriptions. [`TraceTensor::custom_op`] applies it; the tracer checks TensorRT's dims and
//! type against candle's value at that op, as for every built-in converter.
//!
//! Two ways to write one:
//! - [`custom_op`] from two closures: `squareplus(x) = (x + sqrt(x² + b)) / 2`, a smooth ReLU
//!   (So, 2021) that the tracer has no method for;
//! - a struct implementing [`CustomOp`] that holds weights: a per-channel scale (ConvNeXt's
//!   "layer scale" over NCHW), whose weights enter the network as a constant.
//!
//! It converts a small CNN using both (f32, dynamic batch 1..8), prints the layers each custom
//! op added, then shows what a wrong converter gives: an error naming the op and where it is.
//!
//! Run: `cargo run -p candle2trt-examples --example 06_custom_op`.

use std::process::ExitCode;

use candle2trt::{
    convert, custom_op, ConversionOptions, CustomLayers, CustomOp, Result, TraceModule, TraceTensor,
};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Conv2dConfig};
use trt::{ElementWiseOperation as Ew, UnaryOperation};

/// `(x + sqrt(x² + b)) / 2`, from two closures.
fn squareplus(b: f64) -> impl CustomOp {
    custom_op(
        "squareplus",
        // candle: the value, on plain tensors and while tracing.
        move |xs| ((xs[0].sqr()? + b)?.sqrt()? + xs[0])? * 0.5,
        // TensorRT: five layers (three with scalar constants) from the traced input.
        move |layers: &CustomLayers<'_>, xs| {
            let x = xs[0];
            let sq = layers.add(trt::ElementWise::new(x, x, Ew::Prod))?;
            let b = layers.scalar(b, x)?;
            let shifted = layers.add(trt::ElementWise::new(sq, b, Ew::Sum))?;
            let root = layers.add(trt::Unary::new(shifted, UnaryOperation::Sqrt))?;
            let sum = layers.add(trt::ElementWise::new(root, x, Ew::Sum))?;
            let half = layers.scalar(0.5, x)?;
            layers.add(trt::ElementWise::new(sum, half, Ew::Prod))
        },
    )
}

/// `x · gamma[c]` over `(N, C, H, W)`: a custom op with weights.
struct ChannelScale {
    gamma: Tensor,
}

impl CustomOp for ChannelScale {
    fn name(&self) -> &str {
        "channel_scale"
    }
    fn forward(&self, xs: &[&Tensor]) -> candle_core::Result<Tensor> {
        let c = self.gamma.dim(0)?;
        xs[0].broadcast_mul(&self.gamma.reshape((1, c, 1, 1))?)
    }
    fn build<'n>(
        &self,
        layers: &CustomLayers<'n>,
        xs: &[trt::Tensor<'n>],
    ) -> Result<trt::Tensor<'n>> {
        let c = self.gamma.dim(0)?;
        let gamma = layers.constant(&self.gamma.reshape((1, c, 1, 1))?)?;
        layers.add(trt::ElementWise::new(xs[0], gamma, Ew::Prod))
    }
}

struct Net {
    conv: Conv2d,
    scale: ChannelScale,
}

impl TraceModule for Net {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let x = x.apply_named("conv", &self.conv)?;
        let x = {
            let _scope = x.scope("act");
            x.custom_op(&[], &squareplus(4.0))?
        };
        let _scope = x.scope("scale");
        x.custom_op(&[], &self.scale)?.mean_keepdim((2, 3))
    }
}

/// A converter whose layers forget the op transposes: candle's value is `(W, H)`, TensorRT's
/// stays `(H, W)`.
struct Wrong;

impl TraceModule for Wrong {
    fn forward<T: TraceTensor>(&self, x: &T) -> Result<T> {
        let _scope = x.scope("head");
        let op = custom_op(
            "transpose_hw",
            |xs| xs[0].transpose(2, 3),
            |layers: &CustomLayers<'_>, xs| layers.add(trt::Identity::new(xs[0])),
        );
        x.custom_op(&[], &op)
    }
}

fn main() -> ExitCode {
    candle2trt_examples::init_logging();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Converts the net, prints its custom layers, and shows the wrong converter caught.
pub fn run() -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let conv_cfg = Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let net = Net {
        conv: Conv2d::new(
            Tensor::randn(0f32, 0.3, (8, 3, 3, 3), &dev)?,
            Some(Tensor::zeros(8, DType::F32, &dev)?),
            conv_cfg,
        ),
        scale: ChannelScale {
            gamma: Tensor::arange(1f32, 9.0, &dev)?,
        },
    };
    let x = Tensor::randn(0f32, 1.0, (1, 3, 16, 16), &dev)?;
    let plain = net.forward(&x)?;

    let options = ConversionOptions::default().with_dynamic_batch(1, 1, 8);
    let engine = convert(&net, &[&x], &options)?;
    let diff = (&engine.reference_outputs()[0] - &plain)?
        .abs()?
        .flatten_all()?
        .max(0)?
        .to_scalar::<f32>()?;
    println!(
        "converted: {} layers, engine {} bytes; output dims {:?} (-1: dynamic batch)",
        engine.layers().len(),
        engine.engine_bytes().len(),
        engine.outputs()[0].dims
    );
    println!("traced candle value vs plain candle: max abs difference {diff:.1e}");
    for l in engine.layers() {
        if l.op == "squareplus" || l.op == "channel_scale" {
            println!("  {:<28} {:<12} {}", l.name, l.layer_type, l.op);
        }
    }

    let wide = Tensor::randn(0f32, 1.0, (1, 3, 4, 6), &dev)?;
    match convert(&Wrong, &[&wide], &ConversionOptions::default()) {
        Err(e) => println!("a wrong converter is caught: {e}"),
        Ok(_) => anyhow::bail!("the wrong converter was not caught"),
    }
    Ok(())
}
