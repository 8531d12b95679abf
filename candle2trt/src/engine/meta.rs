//! [`EngineMeta`]: what an engine file says about its engine besides the engine bytes — the I/O
//! tensors, the layer list, the TensorRT version that built it, its precision and the options
//! that shaped it.

use candle_core::{DType, Tensor};

use super::fingerprint::Fingerprint;
use crate::options::{Fp32Policy, ShapeRange};
use crate::{Error, Result};

/// An engine input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoSpec {
    /// The tensor's name in the engine.
    pub name: String,
    /// The candle dtype it holds (the engine's I/O type; `fp16_mode` casts inside the engine).
    pub dtype: DType,
    /// TensorRT's dimensions; `-1` marks a dynamic one.
    pub dims: Vec<i64>,
    /// For inputs with dynamic dimensions: the optimization profile's range.
    pub profile: Option<ShapeRange>,
}

impl IoSpec {
    /// Whether `dims` fits: same rank, equal static dims, dynamic dims within the profile.
    pub(crate) fn accepts(&self, dims: &[usize]) -> std::result::Result<(), String> {
        if dims.len() != self.dims.len() {
            return Err(format!(
                "rank {} (shape {dims:?}) but the engine expects rank {} ({:?})",
                dims.len(),
                self.dims.len(),
                self.dims
            ));
        }
        for (d, (&got, &want)) in dims.iter().zip(&self.dims).enumerate() {
            if want >= 0 && got as i64 != want {
                return Err(format!(
                    "shape {dims:?}: dimension {d} is {got}, the engine expects {want} ({:?})",
                    self.dims
                ));
            }
            if want < 0 {
                if let Some(p) = &self.profile {
                    if got < p.min[d] || got > p.max[d] {
                        return Err(format!(
                            "shape {dims:?}: dimension {d} is {got}, outside the optimization \
                             profile's {}..={}",
                            p.min[d], p.max[d]
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// One layer of the converted network, for the conversion report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// The layer's name in the engine: `<module path>/<op>_<n>`.
    pub name: String,
    /// The traced op that added it (`conv2d`, `relu`, ...).
    pub op: String,
    /// The module path where the op was called.
    pub module_path: String,
    /// TensorRT's layer type (`Convolution`, `Activation`, ...).
    pub layer_type: String,
    /// Set when the layer's work was folded into another layer (a convolution followed by a
    /// batch norm): TensorRT drops the unused original when it builds the engine.
    pub folded_into: Option<String>,
}

/// The precision an engine computes in (its inputs and outputs keep the model's dtypes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Precision {
    /// f32 throughout.
    #[default]
    Fp32,
    /// f16 weights and compute, with the [`Fp32Policy`]'s ops in f32
    /// ([`ConversionOptions::fp16_mode`](crate::ConversionOptions::fp16_mode)).
    Fp16,
    /// INT8 Q/DQ on the quantized ops, the rest in f32 (or f16 under `fp16_mode`)
    /// ([`ConversionOptions::int8_mode`](crate::ConversionOptions::int8_mode)).
    Int8,
    /// FP8 E4M3 Q/DQ on the quantized ops (`int8_mode` with `quantization.fp8`).
    Fp8,
}

impl Precision {
    /// `"fp32"`, `"fp16"`, `"int8"` or `"fp8"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Int8 => "int8",
            Precision::Fp8 => "fp8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "fp32" => Ok(Precision::Fp32),
            "fp16" => Ok(Precision::Fp16),
            "int8" => Ok(Precision::Int8),
            "fp8" => Ok(Precision::Fp8),
            other => Err(format!("unknown precision {other:?}")),
        }
    }
}

/// What an engine file records about its engine: enough to check inputs before TensorRT sees
/// them, to name the outputs, and to tell how the engine was made.
///
/// [`convert`](crate::convert) fills it in; [`TrtModule::save`](crate::TrtModule::save) writes
/// it as the file's header and [`TrtModule::load`](crate::TrtModule::load) reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineMeta {
    /// The engine's inputs, in the model's order.
    pub inputs: Vec<IoSpec>,
    /// The engine's outputs, in the model's order.
    pub outputs: Vec<IoSpec>,
    /// Every layer the converters added, with the op and module path that added it.
    pub layers: Vec<LayerInfo>,
    /// The version of the TensorRT library that built the engine (engines only run on it).
    pub tensorrt_version: String,
    /// The precision the engine computes in.
    pub precision: Precision,
    /// Which ops stayed in f32 (meaningful under [`Precision::Fp16`]).
    pub fp32_policy: Fp32Policy,
    /// TensorRT's builder optimization level, when one was set.
    pub builder_optimization_level: Option<i32>,
    /// The workspace limit in bytes, when one was set.
    pub max_workspace: Option<usize>,
    /// Whether TensorRT was allowed to compute f32 convolutions and matrix multiplies in TF32
    /// (`BuilderFlag::kTF32`; engines written before this field was recorded had it on).
    pub tf32: bool,
    /// What decided the engine's content (weights, network, options, versions): what
    /// [`TrtModule::load_or_convert`](crate::TrtModule::load_or_convert) compares. Empty for
    /// engines made elsewhere and for files written before fingerprints existed.
    pub fingerprint: Fingerprint,
}

impl EngineMeta {
    /// Checks count, device, dtype, contiguity and shape of the inputs of one run.
    pub(crate) fn check_inputs(&self, inputs: &[&Tensor]) -> Result<()> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::ModelInterface(format!(
                "the engine takes {} inputs, {} were given",
                self.inputs.len(),
                inputs.len()
            )));
        }
        for (index, (x, spec)) in inputs.iter().zip(&self.inputs).enumerate() {
            let bad = |reason: String| Error::InvalidInput {
                index,
                name: spec.name.clone(),
                reason,
            };
            if !x.device().is_cuda() {
                return Err(bad(format!(
                    "on {:?}; the engine reads CUDA device memory",
                    x.device().location()
                )));
            }
            if x.dtype() != spec.dtype {
                return Err(bad(format!(
                    "dtype {:?}, the engine expects {:?}",
                    x.dtype(),
                    spec.dtype
                )));
            }
            if !x.is_contiguous() {
                return Err(bad("not contiguous; call .contiguous() first".into()));
            }
            spec.accepts(x.dims()).map_err(bad)?;
        }
        Ok(())
    }
}
