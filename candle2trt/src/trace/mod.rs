//! The tracer: [`TracedTensor`] carries a candle value and a TensorRT tensor; every op computes
//! both and checks that they agree.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use candle_core::{DType, Tensor};
use trt::DataType;

use crate::engine::{IoSpec, LayerInfo};
use crate::error::{ModulePath, OpContext, OpFailure, Shapes};
use crate::options::Fp32Policy;
use crate::quant::state::QuantState;
use crate::{Error, Result};

pub(crate) mod op;
pub(crate) mod weights;

/// A tensor under the tracer: the candle value (computed exactly as plain candle would) and
/// the TensorRT tensor that the network computes for it.
///
/// Created only by [`convert`](crate::convert) (for the model inputs) and by the ops of
/// [`TraceTensor`](crate::TraceTensor); a model cannot smuggle a plain value into the graph.
#[derive(Clone)]
pub struct TracedTensor<'n> {
    pub(crate) value: Tensor,
    /// The network's tensor (a copyable handle that lives as long as the network).
    pub(crate) trt: trt::Tensor<'n>,
    pub(crate) tracer: Rc<Tracer<'n>>,
}

impl std::fmt::Debug for TracedTensor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tensorrt_dims = dims(self.trt);
        f.debug_struct("TracedTensor")
            .field("dims", &self.value.dims())
            .field("dtype", &self.value.dtype())
            .field("tensorrt_dims", &tensorrt_dims)
            .finish()
    }
}

impl TracedTensor<'_> {
    /// The dimensions TensorRT inferred for this tensor (`-1` marks a dynamic dimension).
    pub fn tensorrt_dims(&self) -> Vec<i64> {
        dims(self.trt)
    }

    /// Op `op` on this tensor alone, at the current module path (for errors raised before the
    /// op has begun).
    pub(crate) fn op_context(&self, op: &str) -> OpContext {
        OpContext {
            op: op.to_string(),
            module_path: self.tracer.error_path(),
            shapes: Shapes(vec![self.value.dims().to_vec()]),
        }
    }
}

/// TensorRT's dims for `t` (empty when shape inference failed; [`Op::finish`](op::Op::finish)
/// reports that).
pub(crate) fn dims(t: trt::Tensor<'_>) -> Vec<i64> {
    t.dims().map(|d| d.as_slice().to_vec()).unwrap_or_default()
}

/// TensorRT's type for `t`.
pub(crate) fn dtype(t: trt::Tensor<'_>) -> DataType {
    t.data_type().unwrap_or(DataType::Float)
}

/// A convolution whose output may absorb a following batch norm.
#[derive(Clone)]
pub(crate) struct ConvProducer<'n> {
    /// The convolution's description without its weights (kernel empty, no bias).
    pub conv: trt::Convolution<'n>,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub layer_index: usize,
    /// The quantized type of its weights (INT8/FP8 Q/DQ), redone on the folded weights.
    pub weights_q: Option<DataType>,
}

/// What tracing the model produced: the I/O, candle's outputs, the layer report and every op in
/// call order.
pub(crate) struct Trace<'n> {
    pub input_specs: Vec<IoSpec>,
    pub output_specs: Vec<IoSpec>,
    pub reference_outputs: Vec<Tensor>,
    pub layers: Vec<LayerInfo>,
    pub ops: Vec<OpRecord<'n>>,
}

/// One finished op, in call order: what verification compares layer by layer.
#[derive(Clone)]
pub(crate) struct OpRecord<'n> {
    /// The op's name.
    pub op: std::borrow::Cow<'static, str>,
    /// Where it was called.
    pub module_path: ModulePath,
    /// Its result in the network.
    pub t: trt::Tensor<'n>,
    /// The network layers it added (indices).
    pub layers: std::ops::Range<usize>,
    /// candle's value (kept only when the tracer records values).
    pub value: Option<Tensor>,
}

/// An op of a second trace, without its network (which does not outlive that trace): what
/// verification compares against.
pub(crate) struct RecordedOp {
    /// The op's name.
    pub op: std::borrow::Cow<'static, str>,
    /// Where it was called.
    pub module_path: ModulePath,
    /// candle's value.
    pub value: Option<Tensor>,
}

impl From<OpRecord<'_>> for RecordedOp {
    fn from(r: OpRecord<'_>) -> Self {
        RecordedOp {
            op: r.op,
            module_path: r.module_path,
            value: r.value,
        }
    }
}

/// The state shared by all tensors of one trace.
pub(crate) struct Tracer<'n> {
    pub(crate) network: &'n trt::Network<'n>,
    pub(crate) scopes: Rc<RefCell<Vec<String>>>,
    /// The path of the last scope that ended: where an op outside any scope comes after.
    pub(crate) last_scope: Rc<RefCell<String>>,
    /// TensorRT type of candle `F32` values (Half under `fp16_mode`).
    pub(crate) float: DataType,
    pub(crate) policy: Fp32Policy,
    layers: RefCell<Vec<LayerInfo>>,
    pub(crate) conv_producers: RefCell<HashMap<trt::Tensor<'n>, ConvProducer<'n>>>,
    /// The first op whose inputs had a dynamic dimension and whose output had none.
    dynamic_lost_at: RefCell<Option<(String, String)>>,
    op_counter: Cell<usize>,
    /// The sample sizes of the model inputs' dynamic dimensions.
    pub(crate) dynamic_sizes: RefCell<Vec<usize>>,
    /// (sample size, traced size) of the dynamic dimensions traced at another size.
    retraced: RefCell<Vec<(usize, usize)>>,
    /// How many ops (and outputs) read each tensor.
    uses: RefCell<HashMap<trt::Tensor<'n>, usize>>,
    /// Convolutions a batch norm was folded out of: (layer index, output, folded into).
    folds: RefCell<Vec<(usize, trt::Tensor<'n>, String)>>,
    /// INT8/FP8: observing calibration data or applying a plan (`quant/`).
    pub(crate) quant: Option<QuantState<'n>>,
    /// Every finished op, in call order.
    ops: RefCell<Vec<OpRecord<'n>>>,
    /// Whether [`OpRecord::value`] is kept (a second trace that verification compares against).
    record_values: Cell<bool>,
    /// Per module path: how many modules were applied inside it without a name (the next one
    /// is named by this count, as PyTorch names `Sequential` children).
    unnamed_children: RefCell<HashMap<String, usize>>,
    /// Tests of the verification: a deliberate fault applied to each layer description before
    /// TensorRT gets it ([`Verify::fault_injection`](crate::Verify::fault_injection)).
    fault: RefCell<Option<std::sync::Arc<crate::options::LayerMutation>>>,
}

impl<'n> Tracer<'n> {
    pub(crate) fn new(
        network: &'n trt::Network<'n>,
        float: DataType,
        policy: Fp32Policy,
    ) -> Rc<Self> {
        Self::build(network, float, policy, None)
    }

    /// A tracer that observes or quantizes as `quant` says.
    pub(crate) fn with_quant(
        network: &'n trt::Network<'n>,
        float: DataType,
        policy: Fp32Policy,
        quant: QuantState<'n>,
    ) -> Rc<Self> {
        Self::build(network, float, policy, Some(quant))
    }

    fn build(
        network: &'n trt::Network<'n>,
        float: DataType,
        policy: Fp32Policy,
        quant: Option<QuantState<'n>>,
    ) -> Rc<Self> {
        Rc::new(Tracer {
            network,
            scopes: Rc::new(RefCell::new(Vec::new())),
            last_scope: Rc::new(RefCell::new(String::new())),
            float,
            policy,
            layers: RefCell::new(Vec::new()),
            conv_producers: RefCell::new(HashMap::new()),
            dynamic_lost_at: RefCell::new(None),
            op_counter: Cell::new(0),
            dynamic_sizes: RefCell::new(Vec::new()),
            retraced: RefCell::new(Vec::new()),
            uses: RefCell::new(HashMap::new()),
            folds: RefCell::new(Vec::new()),
            quant,
            ops: RefCell::new(Vec::new()),
            unnamed_children: RefCell::new(HashMap::new()),
            record_values: Cell::new(false),
            fault: RefCell::new(None),
        })
    }

    /// From now on, `mutate(module_path, description)` changes each layer description before
    /// it is added to the network, so TensorRT itself holds the fault (tests of the
    /// verification).
    pub(crate) fn inject_fault(&self, mutate: std::sync::Arc<crate::options::LayerMutation>) {
        *self.fault.borrow_mut() = Some(mutate);
    }

    /// Keeps every op's candle value from now on.
    pub(crate) fn record_values(&self) {
        self.record_values.set(true);
    }

    /// Records a finished op.
    pub(crate) fn record_op(
        &self,
        op: std::borrow::Cow<'static, str>,
        t: trt::Tensor<'n>,
        layers: std::ops::Range<usize>,
        value: &Tensor,
    ) {
        let value = self.record_values.get().then(|| value.clone());
        self.ops.borrow_mut().push(OpRecord {
            op,
            module_path: self.module_path(),
            t,
            layers,
            value,
        });
    }

    /// The finished ops, in call order.
    pub(crate) fn take_ops(&self) -> Vec<OpRecord<'n>> {
        std::mem::take(&mut self.ops.borrow_mut())
    }

    /// The name of the next module applied without a name in the current scope: `0`, `1`, …
    /// in call order.
    pub(crate) fn next_unnamed_child(&self) -> String {
        let path = self.scopes.borrow().join(".");
        let mut counts = self.unnamed_children.borrow_mut();
        let n = counts.entry(path).or_insert(0);
        *n += 1;
        (*n - 1).to_string()
    }

    pub(crate) fn module_path(&self) -> ModulePath {
        ModulePath(self.scopes.borrow().join(".").into())
    }

    /// The module path an error names: outside any scope, `<root>` and the last module the trace
    /// left (`<root>, after _blocks.15`), so an op the model did not name is still found.
    pub(crate) fn error_path(&self) -> ModulePath {
        let path = self.module_path();
        let last = self.last_scope.borrow();
        if path.0.is_empty() && !last.is_empty() {
            ModulePath(format!("<root>, after {last}").into())
        } else {
            path
        }
    }

    /// The layer report; a convolution a batch norm was folded out of is marked folded when
    /// nothing else read its output (TensorRT then drops it).
    pub(crate) fn take_layers(&self) -> Vec<LayerInfo> {
        let uses = self.uses.borrow();
        for (index, out, into) in self.folds.borrow().iter() {
            if uses.get(out).copied().unwrap_or(0) <= 1 {
                let name = self
                    .network
                    .layer_at(*index)
                    .map(|l| l.name())
                    .unwrap_or_default();
                for l in self.layers.borrow_mut().iter_mut() {
                    if l.name == name {
                        l.folded_into = Some(into.clone());
                    }
                }
            }
        }
        std::mem::take(&mut self.layers.borrow_mut())
    }

    /// Records the (sample size, traced size) pairs of dynamic dimensions traced at another size
    /// than the sample's, for error messages.
    pub(crate) fn set_retraced(&self, pairs: Vec<(usize, usize)>) {
        *self.retraced.borrow_mut() = pairs;
    }

    /// What an error about an op whose operands have dynamic dimensions (`-1` in `trt_dims`)
    /// must say when those were traced at another size: the operand shapes at the sample's
    /// sizes, the traced sizes, why, and how to write a shape that follows them.
    pub(crate) fn retrace_note(
        &self,
        shapes: &[Vec<usize>],
        trt_dims: &[Vec<i64>],
    ) -> Option<String> {
        let retraced = self.retraced.borrow();
        if retraced.is_empty() || !trt_dims.iter().flatten().any(|&d| d == -1) {
            return None;
        }
        let sample: Vec<Vec<usize>> = shapes
            .iter()
            .zip(trt_dims)
            .map(|(shape, trt)| {
                shape
                    .iter()
                    .zip(trt.iter().chain(std::iter::repeat(&0)))
                    .map(|(&v, &t)| match retraced.iter().find(|&&(_, u)| u == v) {
                        Some(&(n, _)) if t == -1 => n,
                        _ => v,
                    })
                    .collect()
            })
            .collect();
        let pairs: Vec<String> = retraced
            .iter()
            .map(|(n, t)| format!("{n} traced as {t}"))
            .collect();
        Some(format!(
            "operand shapes at the sample's sizes: {}; the dynamic dimensions were traced at \
             another size than the sample's ({}) so that reshapes can tell them from static \
             dimensions and so that a size written as a number does not pass for them: read a \
             dynamic size from the tensor (`x.dim(0)?`) or leave a hole `()` in the reshape \
             (`ConversionOptions::trace_at_sample_shape` traces at the sample's sizes)",
            Shapes(sample),
            pairs.join(", ")
        ))
    }

    pub(crate) fn record_use(&self, t: trt::Tensor<'n>) {
        *self.uses.borrow_mut().entry(t).or_insert(0) += 1;
    }

    pub(crate) fn dynamic_lost_at(&self) -> Option<(String, String)> {
        self.dynamic_lost_at.borrow().clone()
    }

    /// Records the first op whose inputs had a dynamic dimension and whose output has none.
    pub(crate) fn note_dynamic_lost(&self, op: &str, module_path: &str) {
        let mut lost = self.dynamic_lost_at.borrow_mut();
        if lost.is_none() {
            *lost = Some((op.to_string(), module_path.to_string()));
        }
    }

    /// The TensorRT type that holds a candle dtype in this network.
    pub(crate) fn trt_dtype(&self, dtype: DType) -> Option<DataType> {
        Some(match dtype {
            DType::F32 => self.float,
            DType::F16 => DataType::Half,
            DType::BF16 => DataType::BF16,
            DType::I64 => DataType::Int64,
            DType::I32 | DType::U32 => DataType::Int32,
            DType::U8 => DataType::UInt8,
            _ => return None,
        })
    }

    /// Wraps a traced input.
    pub(crate) fn input(self: &Rc<Self>, value: Tensor, t: trt::Tensor<'n>) -> TracedTensor<'n> {
        TracedTensor {
            value,
            trt: t,
            tracer: self.clone(),
        }
    }

    /// Declares a network input holding `value`'s dtype with TensorRT `dims` (`-1`: dynamic),
    /// cast to the compute precision when it differs (`fp16_mode`).
    pub(crate) fn add_input(
        self: &Rc<Self>,
        name: &str,
        value: &Tensor,
        dims: &[i64],
    ) -> Result<TracedTensor<'n>> {
        let err = |failure: OpFailure| {
            let context = OpContext {
                op: "input".into(),
                module_path: ModulePath(name.into()),
                shapes: Shapes(vec![value.dims().to_vec()]),
            };
            Error::at_op(context, failure)
        };
        let io = io_dtype(value.dtype()).ok_or_else(|| {
            err(OpFailure::Arguments(format!(
                "TensorRT has no {:?} inputs",
                value.dtype()
            )))
        })?;
        let compute = self.trt_dtype(value.dtype()).unwrap_or(io);
        for (&d, &v) in dims.iter().zip(value.dims()) {
            if d == -1 {
                self.dynamic_sizes.borrow_mut().push(v);
            }
        }
        let first = self.network.nb_layers();
        let mut t = self
            .network
            .add_input(name, io, dims.to_vec())
            .map_err(|e| err(e.into()))?;
        if compute != io {
            t = self
                .add_one(trt::Cast::new(t, compute))
                .map_err(|e| err(e.into()))?;
        }
        self.name_layers(&format!("{name}/cast"), first);
        Ok(self.input(value.clone(), t))
    }

    /// Marks `t` as network output `name` in its candle dtype; returns TensorRT's dims.
    pub(crate) fn mark_output(&self, t: &TracedTensor<'n>, name: &str) -> Result<Vec<i64>> {
        let err = |failure: OpFailure| {
            let context = OpContext {
                op: "output".into(),
                module_path: ModulePath(name.into()),
                shapes: Shapes(vec![t.value.dims().to_vec()]),
            };
            Error::at_op(context, failure)
        };
        self.record_use(t.trt);
        let first = self.network.nb_layers();
        let mut out = t.trt;
        let current = dtype(out);
        let io = match io_dtype(t.value.dtype()) {
            // A comparison result stays Bool: one byte of 0/1, like candle's u8.
            Some(DataType::UInt8) if current == DataType::Bool => DataType::Bool,
            Some(io) => io,
            None => {
                return Err(err(OpFailure::Arguments(format!(
                    "TensorRT has no {:?} outputs",
                    t.value.dtype()
                ))))
            }
        };
        let needs_copy = out.is_network_input() || out.is_network_output();
        if current != io {
            out = self
                .add_one(trt::Cast::new(out, io))
                .map_err(|e| err(e.into()))?;
        } else if needs_copy {
            out = self
                .add_one(trt::Identity::new(out))
                .map_err(|e| err(e.into()))?;
        }
        self.name_layers(&format!("{name}/cast"), first);
        self.network
            .mark_output_named(out, name)
            .map_err(|e| err(e.into()))?;
        let dims = out.dims().map_err(|e| err(e.into()))?;
        Ok(dims.as_slice().to_vec())
    }

    /// Adds the layer `description` and returns its (first) output.
    pub(crate) fn add_one(
        &self,
        description: impl Into<trt::LayerDesc<'n>>,
    ) -> trt::Result<trt::Tensor<'n>> {
        let mut description = description.into();
        if let Some(mutate) = &*self.fault.borrow() {
            mutate(&self.module_path().0, &mut description);
        }
        self.network.add(description)?.output(0)
    }

    /// Records the layers an op added.
    pub(crate) fn name_layers(&self, op: &str, first: usize) {
        if self.network.nb_layers() == first {
            return;
        }
        let n = self.op_counter.get();
        self.op_counter.set(n + 1);
        let path = self.module_path().0.to_string();
        let last = self.network.nb_layers();
        let mut layers = self.layers.borrow_mut();
        for (k, i) in (first..last).enumerate() {
            let base = if path.is_empty() {
                format!("{op}_{n}")
            } else {
                format!("{path}/{op}_{n}")
            };
            let name = if last - first > 1 {
                format!("{base}.{k}")
            } else {
                base
            };
            let layer = self.network.layer_at(i);
            let layer_type = match layer.as_ref().map(|l| l.layer_type()) {
                Ok(Some(t)) => format!("{t:?}"),
                _ => "Unknown".to_string(),
            };
            if let Ok(l) = layer {
                // A name TensorRT refuses only makes the report less readable.
                let _ = l.set_name(&name);
            }
            layers.push(LayerInfo {
                name,
                op: op.to_string(),
                module_path: path.clone(),
                layer_type,
                folded_into: None,
            });
        }
    }

    /// Records that the batch norm reading `conv_output` was folded into a new convolution.
    pub(crate) fn mark_folded(&self, layer_index: usize, conv_output: trt::Tensor<'n>, into: &str) {
        self.folds
            .borrow_mut()
            .push((layer_index, conv_output, into.to_string()));
    }
}

/// The TensorRT type of an engine input or output holding candle `dtype`.
pub(crate) fn io_dtype(dtype: DType) -> Option<DataType> {
    Some(match dtype {
        DType::F32 => DataType::Float,
        DType::F16 => DataType::Half,
        DType::BF16 => DataType::BF16,
        DType::I64 => DataType::Int64,
        DType::I32 | DType::U32 => DataType::Int32,
        DType::U8 => DataType::UInt8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TraceTensor;

    /// A converter that lies about its result is caught at that op, with the module path.
    #[test]
    fn shape_mismatch_is_caught_at_the_op() {
        let library = trt::Library::load().expect("TensorRT library");
        let logger = trt::Logger::new(trt::Severity::Warning).unwrap();
        let builder = trt::Builder::new(library, &logger).unwrap();
        let network = builder.create_network().unwrap();
        let tracer = Tracer::new(&network, DataType::Float, Fp32Policy::default());
        let value = Tensor::zeros((2, 3), DType::F32, &candle_core::Device::Cpu).unwrap();
        let x = tracer.add_input("x", &value, &[2, 3]).unwrap();
        let _scope = x.scope("block");
        let op = x.begin("bogus", &[]).unwrap();
        let relu = op
            .add(trt::Activation::new(x.trt, trt::ActivationType::Relu))
            .unwrap();
        let wrong = value.reshape((3, 2)).unwrap();
        match op.finish(wrong, relu) {
            Err(Error::ShapeMismatch {
                op,
                module_path,
                candle,
                tensorrt,
                ..
            }) => {
                assert_eq!(op, "bogus");
                assert_eq!(module_path.to_string(), "block");
                assert_eq!((candle, tensorrt), (vec![3, 2], vec![2, 3]));
            }
            other => panic!("expected ShapeMismatch, got {other:?}"),
        }
    }
}
