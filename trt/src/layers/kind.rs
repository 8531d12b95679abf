//! What every layer description implements ([`Kind`]) and the small helpers the descriptions share.

use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};
use crate::types::Dims;

/// What every layer description does: name its tensors, add itself through its shim call, read itself back
/// through the shim's getter. Private: [`LayerDesc`] is the public face.
pub(crate) trait Kind<'n>: Sized {
    /// The operation named in errors (`"add_convolution"`).
    const OP: &'static str;
    /// Every tensor the layer takes, for the check that they belong to the network.
    fn tensors(&self) -> Vec<Tensor<'n>>;
    /// Adds the layer; the tensors were checked. Weights move into the network.
    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer>;
    /// Reads the layer back through TensorRT's getters.
    fn read(layer: &Layer<'n>) -> Result<Self>;
}

/// Ones of `rank` dims: the default strides and dilations.
pub(crate) fn ones(rank: usize) -> Dims {
    Dims::new(vec![1; rank])
}

/// Zeros of `rank` dims: the default paddings.
pub(crate) fn zeros(rank: usize) -> Dims {
    Dims::new(vec![0; rank])
}

/// Reads an enum field TensorRT returned, failing with the field's name on an unknown value.
pub(crate) fn enum_field<E>(
    op: &'static str,
    field: &str,
    v: i32,
    from_raw: fn(i32) -> Option<E>,
) -> Result<E> {
    from_raw(v)
        .ok_or_else(|| Error::invalid(op, format!("TensorRT returned unknown {field} value {v}")))
}

/// Sets the optional extra inputs (`ILayer::setInput`) of a freshly added layer.
pub(crate) fn set_inputs(
    net: &Network<'_>,
    layer: *mut trt_sys::trt_layer,
    inputs: &[(i32, Option<Tensor<'_>>)],
) -> Result<()> {
    for &(index, tensor) in inputs {
        if let Some(t) = tensor {
            // SAFETY: `layer` was just added to `net`; `t` belongs to `net` (checked by the generic path).
            net.status("layer_set_input", || unsafe {
                trt_sys::trt_layer_set_input(layer, index, t.raw())
            })?;
        }
    }
    Ok(())
}

/// The raw handle of an optional tensor (NULL: none).
pub(crate) fn null_or(t: Option<Tensor<'_>>) -> *mut trt_sys::trt_tensor {
    t.map_or(std::ptr::null_mut(), |t| t.raw())
}
