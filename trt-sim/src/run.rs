//! Running a [`Program`]: inputs checked against the network and its profile, each layer evaluated in order,
//! each output checked against the dims and type TensorRT declared.

use candle_core::Tensor;
use trt::DataType;

use crate::error::{Error, LayerError, Result};
use crate::eval::{eval, Ctx};
use crate::program::Program;
use crate::value::Value;

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// TF32 is allowed (TensorRT's default, `BuilderFlag::kTF32`): Float inputs of convolutions,
    /// deconvolutions and matrix multiplies are rounded to 10-bit mantissas.
    pub tf32: bool,
    /// Keep every tensor's value (for layer-by-layer comparisons); otherwise values are dropped after their
    /// last reader.
    pub keep_all: bool,
    /// Compute the network's Half tensors as Float: no layer output, cast or dequantization rounds to f16, and
    /// Half weights and constants are widened to f32 (exactly: they keep the f16 values TensorRT holds). Not
    /// TensorRT's semantics: a reference run that separates the converter's network from f16's rounding
    /// (`candle2trt`'s FP16 verification holds it to the f32 bound).
    pub half_as_float: bool,
    /// Run every `IQuantizeLayer` and `IDequantizeLayer` as an identity on the real values (the quantized
    /// types Int8/Int4/FP8/FP4 then hold reals). Not TensorRT's semantics: a reference run that separates the
    /// network around the Q/DQ pairs from quantization's rounding.
    pub qdq_identity: bool,
}

impl RunOptions {
    /// The type a tensor that TensorRT declares `declared` holds in this run: Half is Float with
    /// [`half_as_float`](Self::half_as_float); a quantized type holds whatever real type reaches it with
    /// [`qdq_identity`](Self::qdq_identity) (`None`: keep the value's own type).
    pub(crate) fn held_type(&self, declared: DataType) -> Option<DataType> {
        match declared {
            DataType::Half if self.half_as_float => Some(DataType::Float),
            DataType::Int8 | DataType::Int4 | DataType::Fp8 | DataType::Fp4
                if self.qdq_identity =>
            {
                None
            }
            other => Some(other),
        }
    }
}

impl Default for RunOptions {
    /// TF32 allowed (TensorRT's default), intermediate values dropped.
    fn default() -> Self {
        RunOptions {
            tf32: true,
            keep_all: false,
            half_as_float: false,
            qdq_identity: false,
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The network outputs, in order.
    pub outputs: Vec<Value>,
    /// Every tensor's value by index into [`Program::tensors`] (all of them with
    /// [`RunOptions::keep_all`]; otherwise only the inputs and outputs).
    pub values: Vec<Option<Value>>,
}

impl Run {
    /// The value of tensor `index`, if kept.
    pub fn value(&self, index: usize) -> Option<&Value> {
        self.values.get(index).and_then(Option::as_ref)
    }
}

impl<'n> Program<'n> {
    /// Runs the network on `inputs` (one candle tensor per network input, in order, on any device; converted to
    /// the input's TensorRT type as [`Value::from_candle`] does). Each input's dims must match the network's
    /// static dims and lie inside its range.
    pub fn run(&self, inputs: &[Tensor], options: &RunOptions) -> Result<Run> {
        let mut values: Vec<Option<Value>> = vec![None; self.tensors().len()];
        if inputs.len() != self.inputs().len() {
            return Err(Error::Input {
                name: String::new(),
                message: format!(
                    "{} inputs given; the network has {}",
                    inputs.len(),
                    self.inputs().len()
                ),
            });
        }
        for (info, x) in self.inputs().iter().zip(inputs) {
            let err = |message: String| Error::Input {
                name: info.name.clone(),
                message,
            };
            let dims = x.dims();
            let agrees = dims.len() == info.dims.len()
                && dims
                    .iter()
                    .zip(info.dims.iter())
                    .all(|(&n, &d)| d == -1 || n as i64 == d);
            if !agrees {
                return Err(err(format!(
                    "dims {dims:?} do not fit the network's {}",
                    info.dims
                )));
            }
            if let Some(r) = &info.range {
                let inside = dims
                    .iter()
                    .zip(&r.min)
                    .zip(&r.max)
                    .all(|((n, lo), hi)| lo <= n && n <= hi);
                if !inside {
                    return Err(err(format!(
                        "dims {dims:?} are outside the profile's {:?}..={:?}",
                        r.min, r.max
                    )));
                }
            }
            let held = options.held_type(info.dtype).unwrap_or(info.dtype);
            let v = Value::from_candle(x, held).map_err(|e| match e {
                Error::Input { message, .. } => err(message),
                other => other,
            })?;
            values[info.tensor] = Some(v);
        }
        let last_use = self.last_uses();
        for (s, step) in self.steps().iter().enumerate() {
            let fail = |source: LayerError| Error::Layer {
                index: step.index,
                name: step.name.clone(),
                layer_type: step.desc.layer_type(),
                source,
            };
            let ctx = Ctx {
                program: self,
                values: &values,
                tf32: options.tf32,
                options,
            };
            // A kind with no description (loops, conditionals, ...) is refused as such by `eval`.
            let described = !matches!(step.desc, trt::LayerDesc::Other { .. });
            if let Some((i, name)) = step.unread_inputs().first().filter(|_| described) {
                return Err(fail(LayerError::Unsupported(format!(
                    "input {i} ('{name}') of this {:?} layer is not read back from TensorRT",
                    step.desc.layer_type()
                ))));
            }
            let outs = eval(&step.desc, &step.prepared, &ctx).map_err(fail)?;
            if outs.len() != step.outputs.len() {
                return Err(fail(LayerError::Invalid(format!(
                    "{} outputs simulated for {} TensorRT outputs",
                    outs.len(),
                    step.outputs.len()
                ))));
            }
            for (o, (v, &t)) in outs.into_iter().zip(&step.outputs).enumerate() {
                let info = &self.tensors()[t];
                let v = match options.held_type(info.dtype) {
                    // Half as Float: a Half constant or weight read back is widened (exactly).
                    Some(DataType::Float) if v.dtype() == DataType::Half => {
                        v.cast(DataType::Float).map_err(fail)?
                    }
                    Some(held) => v.declare(held, o).map_err(fail)?,
                    None if crate::value::is_float(v.dtype()) => v,
                    None => v.declare(info.dtype, o).map_err(fail)?,
                };
                let dims = v.dims();
                let agrees = dims.len() == info.dims.len()
                    && dims
                        .iter()
                        .zip(info.dims.iter())
                        .all(|(&n, &d)| d == -1 || n as i64 == d);
                if !agrees {
                    return Err(fail(LayerError::ShapeDisagrees {
                        output: o,
                        simulated: dims.to_vec(),
                        tensorrt: info.dims.to_vec(),
                    }));
                }
                values[t] = Some(v);
            }
            if !options.keep_all {
                for (t, &last) in last_use.iter().enumerate() {
                    if last == Some(s) && !self.outputs().contains(&t) {
                        values[t] = None;
                    }
                }
            }
        }
        let outputs = self
            .outputs()
            .iter()
            .map(|&t| {
                values[t].clone().ok_or_else(|| Error::Input {
                    name: self.tensors()[t].name.clone(),
                    message: "network output without a value".into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Run { outputs, values })
    }

    /// For each tensor, the step that reads it last.
    fn last_uses(&self) -> Vec<Option<usize>> {
        let mut last = vec![None; self.tensors().len()];
        for (s, step) in self.steps().iter().enumerate() {
            for t in step.desc.tensors() {
                if let Some(i) = self.tensor_index(t) {
                    last[i] = Some(s);
                }
            }
            // An attention-output layer reads its attention-input layer's output, which no description names.
            if let Some(i) = step.prepared.attention_input {
                last[i] = Some(s);
            }
        }
        last
    }
}
