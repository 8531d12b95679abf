//! [`Program`]: a network read back from TensorRT, ready to simulate — its inputs with their optimization
//! profile, every layer's [`LayerDesc`] (through TensorRT's getters, [`trt::Layer::description`]) with the
//! type and dims TensorRT declares for each output, and its outputs.

use trt::{DataType, Dims, LayerDesc, LayerType, Network, OptProfileSelector, OptimizationProfile};

use crate::error::{Error, LayerError, Result};
use crate::eval::Prepared;

/// One TensorRT tensor of the program.
#[derive(Debug, Clone)]
pub struct TensorInfo<'n> {
    /// The TensorRT tensor.
    pub handle: trt::Tensor<'n>,
    /// Its name.
    pub name: String,
    /// The type TensorRT declares for it.
    pub dtype: DataType,
    /// The dims TensorRT inferred (-1: dynamic).
    pub dims: Dims,
}

/// One layer, in evaluation order (see [`Program::steps`]).
#[derive(Debug, Clone)]
pub struct Step<'n> {
    /// Position in the network.
    pub index: usize,
    /// The layer's name.
    pub name: String,
    /// The layer as TensorRT holds it.
    pub desc: LayerDesc<'n>,
    /// Its outputs, as indices into [`Program::tensors`].
    pub outputs: Vec<usize>,
    /// Weights turned into values once (kernels, constants), so that a run does not convert them again.
    pub(crate) prepared: Prepared,
    /// Every input TensorRT holds for the layer (`ILayer::getInput`; `None` for an unset optional one): a run
    /// refuses the layer if its description does not name one of them ([`Step::unread_inputs`]).
    pub inputs: Vec<Option<trt::Tensor<'n>>>,
}

impl<'n> Step<'n> {
    /// The inputs TensorRT holds that the description does not name, as (input index, tensor name): the
    /// simulation would ignore them, so a run refuses the layer. An attention-output layer's input 0 is its
    /// attention-input layer's output, which the evaluation reads (not named by the description).
    pub fn unread_inputs(&self) -> Vec<(usize, String)> {
        let named = self.desc.tensors();
        self.inputs
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i, (*t)?)))
            .filter(|&(i, t)| {
                let attention_input = i == 0 && matches!(self.desc, LayerDesc::Attention(_));
                !(named.contains(&t) || attention_input)
            })
            .map(|(i, t)| (i, t.name()))
            .collect()
    }
}

/// The steps in an order where each comes after the layers whose outputs it reads, otherwise in network order.
/// TensorRT does not keep a network's layers in dependency order: a layer whose input is replaced later with
/// `ILayer::setInput` (NVIDIA's ONNX parser does this with shape tensors it builds after the consumer) can come
/// before its producer.
fn dependency_order<'n>(steps: Vec<Step<'n>>, tensors: &[TensorInfo<'n>]) -> Vec<Step<'n>> {
    use std::collections::BTreeSet;
    // Tensor handles compare by identity; a linear search keeps them out of a hashed key (their network has
    // interior mutability).
    let mut producer: Vec<(trt::Tensor<'n>, usize)> = Vec::new();
    for (s, step) in steps.iter().enumerate() {
        for &o in &step.outputs {
            producer.push((tensors[o].handle, s));
        }
    }
    let producer_of = |t: &trt::Tensor<'n>| producer.iter().find(|(p, _)| p == t).map(|&(_, s)| s);
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    let mut pending = vec![0usize; steps.len()];
    for (s, step) in steps.iter().enumerate() {
        let mut deps: Vec<usize> = step
            .inputs
            .iter()
            .flatten()
            .chain(step.desc.tensors().iter())
            .filter_map(&producer_of)
            .filter(|&p| p != s)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        pending[s] = deps.len();
        for p in deps {
            consumers[p].push(s);
        }
    }
    let mut ready: BTreeSet<usize> = (0..steps.len()).filter(|&s| pending[s] == 0).collect();
    let mut order = Vec::with_capacity(steps.len());
    while let Some(s) = ready.pop_first() {
        order.push(s);
        for &c in &consumers[s] {
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.insert(c);
            }
        }
    }
    // A cycle cannot be built by TensorRT outside loops; whatever is left keeps its network order.
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..steps.len()).filter(|s| !placed.contains(s)));
    let mut slots: Vec<Option<Step<'n>>> = steps.into_iter().map(Some).collect();
    order.into_iter().filter_map(|s| slots[s].take()).collect()
}

/// The shape range of one network input: TensorRT's optimization profile, or the input's own dims when it is
/// static.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRange {
    /// Smallest accepted dims.
    pub min: Vec<usize>,
    /// The dims TensorRT optimizes for.
    pub opt: Vec<usize>,
    /// Largest accepted dims.
    pub max: Vec<usize>,
}

/// A network input.
#[derive(Debug, Clone)]
pub struct InputInfo {
    /// Index into [`Program::tensors`].
    pub tensor: usize,
    /// Its name.
    pub name: String,
    /// Its type.
    pub dtype: DataType,
    /// Its dims (-1: dynamic).
    pub dims: Dims,
    /// The accepted shapes (`None`: a dynamic input whose profile was not given; see
    /// [`Program::set_input_range`]).
    pub range: Option<InputRange>,
}

/// A network read back from TensorRT for simulation. Borrows the network (the descriptions hold its tensor
/// handles).
#[derive(Debug, Clone)]
pub struct Program<'n> {
    tensors: Vec<TensorInfo<'n>>,
    inputs: Vec<InputInfo>,
    outputs: Vec<usize>,
    steps: Vec<Step<'n>>,
    /// Per tensor: its TF32 rounding, kept for constants (weights multiplied in every run).
    tf32_constants: Vec<std::sync::OnceLock<candle_core::Tensor>>,
    /// Per tensor: whether a constant layer produces it.
    constant: Vec<bool>,
}

fn read<T>(r: trt::Result<T>) -> Result<T> {
    r.map_err(Error::ReadBack)
}

impl<'n> Program<'n> {
    /// Reads `network` back through TensorRT's getters. Dynamic input dims take their range from `profile`
    /// (TensorRT's optimization profile for the engine); without one, set them with
    /// [`Program::set_input_range`] or run without a range check.
    pub fn from_network(
        network: &'n Network<'n>,
        profile: Option<&OptimizationProfile<'_>>,
    ) -> Result<Self> {
        let mut tensors = Vec::new();
        let info = |t: trt::Tensor<'n>| -> Result<TensorInfo<'n>> {
            Ok(TensorInfo {
                handle: t,
                name: t.name(),
                dtype: read(t.data_type())?,
                dims: read(t.dims())?,
            })
        };
        let mut inputs = Vec::new();
        for t in network.inputs() {
            let i = info(t)?;
            let range = input_range(&i, profile)?;
            inputs.push(InputInfo {
                tensor: tensors.len(),
                name: i.name.clone(),
                dtype: i.dtype,
                dims: i.dims.clone(),
                range,
            });
            tensors.push(i);
        }
        let mut steps = Vec::new();
        for (index, layer) in read(network.layers())?.into_iter().enumerate() {
            let desc = read(layer.description())?;
            let mut outputs = Vec::new();
            for t in read(layer.outputs())? {
                outputs.push(tensors.len());
                tensors.push(info(t)?);
            }
            let name = layer.name();
            let mut prepared = Prepared::new(&desc).map_err(|source| Error::Layer {
                index,
                name: name.clone(),
                layer_type: desc.layer_type(),
                source,
            })?;
            if matches!(desc, LayerDesc::Attention(_)) {
                prepared.attention_input = layer
                    .input(0)
                    .and_then(|t| tensors.iter().rposition(|x| x.handle == t));
            }
            let held = layer.inputs();
            steps.push(Step {
                index,
                name,
                desc,
                outputs,
                prepared,
                inputs: held,
            });
        }
        let steps = dependency_order(steps, &tensors);
        let mut outputs = Vec::new();
        for t in network.outputs() {
            let i = tensors.iter().position(|x| x.handle == t).ok_or_else(|| {
                Error::ReadBack(trt::Error::InvalidArgument {
                    op: "network outputs",
                    message: format!("output '{}' is no layer's output", t.name()),
                })
            })?;
            outputs.push(i);
        }
        let mut constant = vec![false; tensors.len()];
        for step in &steps {
            if matches!(step.desc, LayerDesc::Constant(_)) {
                for &o in &step.outputs {
                    constant[o] = true;
                }
            }
        }
        Ok(Program {
            tf32_constants: vec![std::sync::OnceLock::new(); tensors.len()],
            constant,
            tensors,
            inputs,
            outputs,
            steps,
        })
    }

    /// Every tensor: the network inputs first, then each layer's outputs in order.
    pub fn tensors(&self) -> &[TensorInfo<'n>] {
        &self.tensors
    }

    /// The network inputs, in order.
    pub fn inputs(&self) -> &[InputInfo] {
        &self.inputs
    }

    /// The network outputs, as indices into [`Program::tensors`].
    pub fn outputs(&self) -> &[usize] {
        &self.outputs
    }

    /// The layers, in evaluation order: network order, except that a layer comes after the layers whose outputs
    /// it reads ([`Step::index`] is its position in the network).
    pub fn steps(&self) -> &[Step<'n>] {
        &self.steps
    }

    /// The index of TensorRT tensor `t` in [`Program::tensors`].
    pub fn tensor_index(&self, t: trt::Tensor<'n>) -> Option<usize> {
        self.tensors.iter().rposition(|x| x.handle == t)
    }

    /// The cached TF32 rounding of constant tensor `index` (`None` for other tensors).
    pub(crate) fn tf32_constant(
        &self,
        index: usize,
    ) -> Option<&std::sync::OnceLock<candle_core::Tensor>> {
        self.constant
            .get(index)
            .copied()
            .unwrap_or(false)
            .then(|| &self.tf32_constants[index])
    }

    /// The index of the tensor named `name`.
    pub fn tensor_named(&self, name: &str) -> Option<usize> {
        self.tensors.iter().rposition(|x| x.name == name)
    }

    /// Replaces the description of step `index` (its position in [`Program::steps`]) by `desc` (same tensors,
    /// other parameters): what the simulation then computes is what TensorRT would with that layer changed. Used to prove that a wrong parameter is
    /// caught (fault injection).
    pub fn set_description(&mut self, index: usize, desc: LayerDesc<'n>) -> Result<()> {
        let step = self.steps.get_mut(index).ok_or_else(|| Error::Layer {
            index,
            name: String::new(),
            layer_type: LayerType::Identity,
            source: LayerError::Invalid(format!("no layer {index}")),
        })?;
        for &o in &step.outputs {
            self.tf32_constants[o] = std::sync::OnceLock::new();
        }
        step.prepared = Prepared::new(&desc).map_err(|source| Error::Layer {
            index,
            name: step.name.clone(),
            layer_type: desc.layer_type(),
            source,
        })?;
        step.desc = desc;
        Ok(())
    }

    /// Sets the accepted shapes of input `name` (where no optimization profile was read).
    pub fn set_input_range(&mut self, name: &str, range: InputRange) -> Result<()> {
        let input = self
            .inputs
            .iter_mut()
            .find(|i| i.name == name)
            .ok_or_else(|| Error::Input {
                name: name.to_string(),
                message: "no network input has this name".into(),
            })?;
        input.range = Some(range);
        Ok(())
    }

    /// Each input's dims at one corner of its range (`Min`, `Opt` or `Max`); `None` where an input's range is
    /// unknown.
    pub fn input_dims(&self, selector: OptProfileSelector) -> Option<Vec<Vec<usize>>> {
        self.inputs
            .iter()
            .map(|i| {
                let r = i.range.as_ref()?;
                Some(match selector {
                    OptProfileSelector::Min => r.min.clone(),
                    OptProfileSelector::Opt => r.opt.clone(),
                    OptProfileSelector::Max => r.max.clone(),
                })
            })
            .collect()
    }
}

/// An input's range: its own dims when static, else the profile's (unknown without a profile).
fn input_range(
    i: &TensorInfo<'_>,
    profile: Option<&OptimizationProfile<'_>>,
) -> Result<Option<InputRange>> {
    let as_usize = |d: &[i64]| d.iter().map(|&x| x.max(0) as usize).collect::<Vec<_>>();
    if !i.dims.contains(&-1) {
        let d = as_usize(&i.dims);
        return Ok(Some(InputRange {
            min: d.clone(),
            opt: d.clone(),
            max: d,
        }));
    }
    let Some(p) = profile else {
        return Ok(None);
    };
    let get = |s| read(p.shape(&i.name, s)).map(|d| as_usize(&d));
    Ok(Some(InputRange {
        min: get(OptProfileSelector::Min)?,
        opt: get(OptProfileSelector::Opt)?,
        max: get(OptProfileSelector::Max)?,
    }))
}
