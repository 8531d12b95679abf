//! [`Network::dump`]: the whole network as TensorRT holds it, for people and tools (JSON through serde), in the
//! spirit of Polygraphy's `inspect model`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::enums::{DataType, LayerType};
use crate::error::{Error, Result};
use crate::layers::LayerDesc;
use crate::network::{Layer, Network, Tensor};
use crate::types::Dims;

/// What [`Network::dump`] includes beyond the layer descriptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DumpOptions {
    /// Every weight value (as numbers), not only each weight's type, count and digest.
    pub weight_values: bool,
}

/// A network as TensorRT holds it: its I/O tensors and every layer, read back through TensorRT's getters.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkDump<'n> {
    /// Network inputs.
    pub inputs: Vec<TensorDump>,
    /// Network outputs.
    pub outputs: Vec<TensorDump>,
    /// The layers, in order.
    pub layers: Vec<LayerDump<'n>>,
}

/// One tensor: name, inferred shape and type (absent where TensorRT's shape inference fails).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorDump {
    /// The name.
    pub name: String,
    /// The inferred dims (-1: dynamic).
    pub dims: Option<Dims>,
    /// The element type.
    pub data_type: Option<DataType>,
    /// Whether TensorRT computes it on the host at shape time.
    pub is_shape_tensor: bool,
}

impl TensorDump {
    fn of(t: Tensor<'_>) -> Self {
        TensorDump {
            name: t.name(),
            dims: t.dims().ok(),
            data_type: t.data_type().ok(),
            is_shape_tensor: t.is_shape_tensor(),
        }
    }
}

/// One layer: its name, type, input tensor names (`None` for an unset optional input), outputs and description.
#[derive(Debug, Clone, Serialize)]
pub struct LayerDump<'n> {
    /// Position in the network.
    pub index: usize,
    /// The layer's name.
    pub name: String,
    /// TensorRT's layer type.
    pub layer_type: LayerType,
    /// Names of the input tensors, by input index.
    pub inputs: Vec<Option<String>>,
    /// The outputs with their shapes and types.
    pub outputs: Vec<TensorDump>,
    /// Parameters, as the description type that adds such a layer (weights summarised).
    pub description: LayerDesc<'n>,
    /// Weight values by field, with [`DumpOptions::weight_values`] (omitted otherwise, and for types without a
    /// numeric reading such as Fp8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_values: Option<BTreeMap<&'static str, Vec<f64>>>,
}

impl<'n> LayerDump<'n> {
    fn of(index: usize, layer: Layer<'n>, options: DumpOptions) -> Result<Self> {
        let description = layer.description()?;
        let weight_values = options.weight_values.then(|| {
            description
                .weights()
                .into_iter()
                .filter_map(|(field, w)| w.to_f64().map(|v| (field, v)))
                .collect()
        });
        Ok(LayerDump {
            index,
            name: layer.name(),
            layer_type: description.layer_type(),
            inputs: layer
                .inputs()
                .into_iter()
                .map(|t| t.map(|t| t.name()))
                .collect(),
            outputs: layer.outputs()?.into_iter().map(TensorDump::of).collect(),
            description,
            weight_values,
        })
    }
}

impl NetworkDump<'_> {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::invalid("network dump", format!("JSON serialization failed: {e}")))
    }
}

impl<'b> Network<'b> {
    /// Every layer read back from TensorRT ([`Layer::description`]), with the I/O tensors, as data that
    /// serializes to JSON ([`NetworkDump::to_json`]). Weights are summarised by type, count and digest unless
    /// `options` asks for their values.
    pub fn dump(&self, options: DumpOptions) -> Result<NetworkDump<'_>> {
        Ok(NetworkDump {
            inputs: self.inputs().into_iter().map(TensorDump::of).collect(),
            outputs: self.outputs().into_iter().map(TensorDump::of).collect(),
            layers: self
                .layers()?
                .into_iter()
                .enumerate()
                .map(|(i, l)| LayerDump::of(i, l, options))
                .collect::<Result<_>>()?,
        })
    }
}
