//! The tracer: [`TracedTensor`] carries a candle value and a TensorRT tensor; every op computes
//! both and checks that they agree.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;

use candle_core::{DType, Tensor};
use trt::DataType;

use crate::error::{ModulePath, Shapes};
use crate::options::Fp32Policy;
use crate::{Error, Result};

pub(crate) mod build;
mod impl_trait;
pub(crate) mod net;

pub(crate) use net::{Net, H};

/// A tensor under the tracer: the candle value (computed exactly as plain candle would) and
/// the TensorRT tensor that the network computes for it.
///
/// Created only by [`convert`](crate::convert) (for the model inputs) and by the ops of
/// [`TraceTensor`](crate::TraceTensor); a model cannot smuggle a plain value into the graph.
#[derive(Clone)]
pub struct TracedTensor<'n> {
    pub(crate) value: Tensor,
    pub(crate) h: H,
    pub(crate) tracer: Rc<Tracer<'n>>,
}

impl std::fmt::Debug for TracedTensor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tensorrt_dims = self.tracer.net().dims(self.h);
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
        self.tracer.net().dims(self.h)
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

/// A convolution whose output may absorb a following batch norm.
#[derive(Clone)]
pub(crate) struct ConvProducer {
    pub input: H,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub spec: net::ConvSpec,
    pub layer_index: usize,
}

/// The state shared by all tensors of one trace.
pub(crate) struct Tracer<'n> {
    net: RefCell<Net<'n>>,
    pub(crate) scopes: Rc<RefCell<Vec<String>>>,
    /// TensorRT type of candle `F32` values (Half under `fp16_mode`).
    pub(crate) float: DataType,
    pub(crate) policy: Fp32Policy,
    layers: RefCell<Vec<LayerInfo>>,
    pub(crate) conv_producers: RefCell<HashMap<H, ConvProducer>>,
    /// The first op whose inputs had a dynamic dimension and whose output had none.
    dynamic_lost_at: RefCell<Option<(String, String)>>,
    op_counter: Cell<usize>,
    /// The sample sizes of the model inputs' dynamic dimensions.
    pub(crate) dynamic_sizes: RefCell<Vec<usize>>,
    /// How many ops (and outputs) read each tensor.
    uses: RefCell<HashMap<H, usize>>,
    /// Convolutions a batch norm was folded out of: (layer index, output, folded into).
    folds: RefCell<Vec<(usize, H, String)>>,
}

impl<'n> Tracer<'n> {
    pub(crate) fn new(net: Net<'n>, float: DataType, policy: Fp32Policy) -> Rc<Self> {
        Rc::new(Tracer {
            net: RefCell::new(net),
            scopes: Rc::new(RefCell::new(Vec::new())),
            float,
            policy,
            layers: RefCell::new(Vec::new()),
            conv_producers: RefCell::new(HashMap::new()),
            dynamic_lost_at: RefCell::new(None),
            op_counter: Cell::new(0),
            dynamic_sizes: RefCell::new(Vec::new()),
            uses: RefCell::new(HashMap::new()),
            folds: RefCell::new(Vec::new()),
        })
    }

    pub(crate) fn net(&self) -> RefMut<'_, Net<'n>> {
        self.net.borrow_mut()
    }

    pub(crate) fn module_path(&self) -> ModulePath {
        ModulePath(self.scopes.borrow().join(".").into())
    }

    /// The layer report; a convolution a batch norm was folded out of is marked folded when
    /// nothing else read its output (TensorRT then drops it).
    pub(crate) fn take_layers(&self) -> Vec<LayerInfo> {
        let uses = self.uses.borrow();
        for (index, out, into) in self.folds.borrow().iter() {
            if uses.get(out).copied().unwrap_or(0) <= 1 {
                let name = self.net().layer_name(*index);
                for l in self.layers.borrow_mut().iter_mut() {
                    if l.name == name {
                        l.folded_into = Some(into.clone());
                    }
                }
            }
        }
        std::mem::take(&mut self.layers.borrow_mut())
    }

    fn record_use(&self, h: H) {
        *self.uses.borrow_mut().entry(h).or_insert(0) += 1;
    }

    pub(crate) fn dynamic_lost_at(&self) -> Option<(String, String)> {
        self.dynamic_lost_at.borrow().clone()
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
    pub(crate) fn input(self: &Rc<Self>, value: Tensor, h: H) -> TracedTensor<'n> {
        TracedTensor {
            value,
            h,
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
        let err = |message: String| Error::TensorRtOp {
            op: "input".into(),
            module_path: ModulePath(name.into()),
            shapes: Shapes(vec![value.dims().to_vec()]),
            message,
        };
        let io = io_dtype(value.dtype())
            .ok_or_else(|| err(format!("TensorRT has no {:?} inputs", value.dtype())))?;
        let compute = self.trt_dtype(value.dtype()).unwrap_or(io);
        for (&d, &v) in dims.iter().zip(value.dims()) {
            if d == -1 {
                self.dynamic_sizes.borrow_mut().push(v);
            }
        }
        let first = self.net().nb_layers();
        let mut h = self
            .net()
            .add_input(name, io, dims)
            .map_err(|e| err(e.to_string()))?;
        if compute != io {
            h = self
                .net()
                .cast(h, compute)
                .map_err(|e| err(e.to_string()))?;
        }
        self.name_layers(&format!("{name}/cast"), first);
        Ok(self.input(value.clone(), h))
    }

    /// Marks `t` as network output `name` in its candle dtype; returns TensorRT's dims.
    pub(crate) fn mark_output(&self, t: &TracedTensor<'n>, name: &str) -> Result<Vec<i64>> {
        let err = |message: String| Error::TensorRtOp {
            op: "output".into(),
            module_path: ModulePath(name.into()),
            shapes: Shapes(vec![t.value.dims().to_vec()]),
            message,
        };
        self.record_use(t.h);
        let first = self.net().nb_layers();
        let mut h = t.h;
        let current = self.net().dtype(h);
        let io = match io_dtype(t.value.dtype()) {
            // A comparison result stays Bool: one byte of 0/1, like candle's u8.
            Some(DataType::UInt8) if current == DataType::Bool => DataType::Bool,
            Some(io) => io,
            None => {
                return Err(err(format!(
                    "TensorRT has no {:?} outputs",
                    t.value.dtype()
                )))
            }
        };
        let needs_copy = {
            let net = self.net();
            let tensor = net.tensor(h);
            tensor.is_network_input() || tensor.is_network_output()
        };
        if current != io {
            h = self.net().cast(h, io).map_err(|e| err(e.to_string()))?;
        } else if needs_copy {
            h = self.net().identity(h).map_err(|e| err(e.to_string()))?;
        }
        self.name_layers(&format!("{name}/cast"), first);
        self.net()
            .mark_output(h, name)
            .map_err(|e| err(e.to_string()))?;
        self.net().try_dims(h).map_err(|e| err(e.to_string()))
    }

    /// Records the layers an op added.
    fn name_layers(&self, op: &str, first: usize) {
        if self.net().nb_layers() == first {
            return;
        }
        let n = self.op_counter.get();
        self.op_counter.set(n + 1);
        let path = self.module_path().0.to_string();
        let net = self.net();
        let last = net.nb_layers();
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
            net.set_layer_name(i, &name);
            layers.push(LayerInfo {
                name,
                op: op.to_string(),
                module_path: path.clone(),
                layer_type: net.layer_type(i),
                folded_into: None,
            });
        }
    }

    /// Records that the batch norm reading `conv_output` was folded into a new convolution.
    pub(crate) fn mark_folded(&self, layer_index: usize, conv_output: H, into: &str) {
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

/// One op in progress: its name, operand shapes and the first layer it adds.
pub(crate) struct Op<'a, 'n> {
    pub(crate) tracer: &'a Rc<Tracer<'n>>,
    pub(crate) name: &'static str,
    shapes: Vec<Vec<usize>>,
    input_dynamic: bool,
    first_layer: usize,
}

impl<'n> TracedTensor<'n> {
    /// Starts op `name` on `self` and `others`, which must come from the same trace.
    pub(crate) fn begin<'a>(
        &'a self,
        name: &'static str,
        others: &[&TracedTensor<'n>],
    ) -> Result<Op<'a, 'n>> {
        for o in others {
            if !Rc::ptr_eq(&o.tracer, &self.tracer) {
                return Err(Error::ForeignTensor {
                    op: name.to_string(),
                    module_path: self.tracer.module_path(),
                });
            }
        }
        self.tracer.record_use(self.h);
        for o in others {
            self.tracer.record_use(o.h);
        }
        let mut shapes = vec![self.value.dims().to_vec()];
        shapes.extend(others.iter().map(|o| o.value.dims().to_vec()));
        let (first_layer, input_dynamic) = {
            let net = self.tracer.net();
            let dynamic = std::iter::once(self.h)
                .chain(others.iter().map(|o| o.h))
                .any(|h| net.dims(h).contains(&-1));
            (net.nb_layers(), dynamic)
        };
        Ok(Op {
            tracer: &self.tracer,
            name,
            shapes,
            input_dynamic,
            first_layer,
        })
    }
}

impl<'a, 'n> Op<'a, 'n> {
    pub(crate) fn shapes(&self) -> Shapes {
        Shapes(self.shapes.clone())
    }

    pub(crate) fn net(&self) -> RefMut<'a, Net<'n>> {
        self.tracer.net()
    }

    /// candle's result, or an error naming this op.
    pub(crate) fn candle<T>(&self, r: candle_core::Result<T>) -> Result<T> {
        r.map_err(|source| Error::CandleOp {
            op: self.name.to_string(),
            module_path: self.tracer.module_path(),
            shapes: self.shapes(),
            source: Box::new(source),
        })
    }

    /// The plain-candle result (the [`TraceTensor`](crate::TraceTensor) impl of
    /// `candle_core::Tensor`), with candle errors named after this op.
    pub(crate) fn value(&self, r: Result<Tensor>) -> Result<Tensor> {
        r.map_err(|e| match e {
            Error::Candle(source) => Error::CandleOp {
                op: self.name.to_string(),
                module_path: self.tracer.module_path(),
                shapes: self.shapes(),
                source: Box::new(source),
            },
            other => other,
        })
    }

    /// TensorRT's result, or an error naming this op.
    pub(crate) fn trt<T>(&self, r: trt::Result<T>) -> Result<T> {
        r.map_err(|e| self.trt_error(e))
    }

    pub(crate) fn trt_error(&self, e: trt::Error) -> Error {
        Error::TensorRtOp {
            op: self.name.to_string(),
            module_path: self.tracer.module_path(),
            shapes: self.shapes(),
            message: e.to_string(),
        }
    }

    /// This op cannot be converted with these arguments.
    pub(crate) fn unsupported(&self, reason: impl Into<String>) -> Error {
        Error::UnsupportedArguments {
            op: self.name.to_string(),
            module_path: self.tracer.module_path(),
            shapes: self.shapes(),
            reason: reason.into(),
        }
    }

    /// The TensorRT type for a candle dtype, or an error naming this op.
    pub(crate) fn trt_dtype(&self, dtype: DType) -> Result<DataType> {
        self.tracer
            .trt_dtype(dtype)
            .ok_or_else(|| self.unsupported(format!("TensorRT has no {dtype:?} tensors")))
    }

    /// Names the op's layers, checks TensorRT's dims and type against candle's value, and wraps
    /// the result.
    pub(crate) fn finish(self, value: Tensor, h: H) -> Result<TracedTensor<'n>> {
        self.tracer.name_layers(self.name, self.first_layer);
        let (dims, dtype) = {
            let net = self.net();
            let dims = net.try_dims(h).map_err(|e| self.trt_error(e))?;
            (dims, net.dtype(h))
        };
        let candle = value.dims();
        let agree = dims.len() == candle.len()
            && dims
                .iter()
                .zip(candle)
                .all(|(&t, &c)| t == -1 || t == c as i64);
        if !agree {
            return Err(Error::ShapeMismatch {
                op: self.name.to_string(),
                module_path: self.tracer.module_path(),
                candle: candle.to_vec(),
                tensorrt: dims,
                inputs: self.shapes(),
            });
        }
        let expected = self.trt_dtype(value.dtype())?;
        let dtype_ok = dtype == expected || (value.dtype() == DType::U8 && dtype == DataType::Bool);
        if !dtype_ok {
            return Err(Error::DTypeMismatch {
                op: self.name.to_string(),
                module_path: self.tracer.module_path(),
                candle: value.dtype(),
                tensorrt: format!("{dtype:?}"),
            });
        }
        if self.input_dynamic && !dims.contains(&-1) {
            let mut lost = self.tracer.dynamic_lost_at.borrow_mut();
            if lost.is_none() {
                *lost = Some((self.name.to_string(), self.tracer.module_path().to_string()));
            }
        }
        Ok(TracedTensor {
            value,
            h,
            tracer: self.tracer.clone(),
        })
    }
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
        let tracer = Tracer::new(Net::new(&network), DataType::Float, Fp32Policy::default());
        let value = Tensor::zeros((2, 3), DType::F32, &candle_core::Device::Cpu).unwrap();
        let x = tracer.add_input("x", &value, &[2, 3]).unwrap();
        let _scope = x.scope("block");
        let op = x.begin("bogus", &[]).unwrap();
        let h = op
            .net()
            .activation(x.h, trt::ActivationType::Relu, 0.0, 0.0)
            .unwrap();
        let wrong = value.reshape((3, 2)).unwrap();
        match op.finish(wrong, h) {
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
