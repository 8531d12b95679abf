//! [`Network`] (`nvinfer1::INetworkDefinition`), its [`Tensor`]s and [`Layer`]s, and the thin result layer every
//! shim call goes through ([`Network::call`], [`Network::status`], [`Layer::get`]). Layers are added from their
//! descriptions and read back by `Network::add` and `Layer::description`, next to the descriptions in `layers/`.

use std::cell::RefCell;
use std::ffi::CStr;
use std::marker::PhantomData;

use crate::enums::{DataType, LayerType};
use crate::error::{Error, Result};
use crate::logger::Logger;
use crate::types::Dims;
use crate::util::cstring;
use crate::weights::{Storage, Weights};

/// A network definition ([`nvinfer1::INetworkDefinition`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_network_definition.html)),
/// strongly typed: precision comes from input types, weights, casts and quantize/dequantize layers.
///
/// Layers are added through `&self` from their descriptions (`Network::add`) and return [`Layer`] handles;
/// their outputs are [`Tensor`] handles. Both borrow the network. Weights passed in are kept by the network until
/// it is dropped.
///
/// Failures return [`Error::TensorRt`] with TensorRT's own message. TensorRT checks some parameters
/// only when shapes are inferred: [`Tensor::dims`] (and the build) report those.
pub struct Network<'b> {
    raw: *mut trt_sys::trt_network,
    // The builder's handle (to check that a build uses the network's own builder) and its logger; the lifetime
    // ties the network to the builder.
    builder: *mut trt_sys::trt_builder,
    logger: Logger,
    _builder: PhantomData<&'b ()>,
    // Bytes of every owned `Weights` given to the network; never mutated, only appended to, so the heap buffers
    // TensorRT points at stay put until the network is destroyed.
    arena: RefCell<Vec<Storage>>,
    // The ONNX parser that wrote this network (`Network::from_onnx`): it owns the weights its layers point at.
    pub(crate) parser: Option<crate::onnx::Parser>,
}

impl Drop for Network<'_> {
    fn drop(&mut self) {
        // The parser goes first, as in NVIDIA's samples (its owner is declared after the network's, so it is
        // destroyed before it): its destructor may still reach the network it wrote; the network's destructor
        // does not read the weights the parser frees.
        drop(self.parser.take());
        // SAFETY: `raw` came from createNetworkV2; tensors and layers borrow `self` and are gone.
        unsafe { trt_sys::trt_network_destroy(self.raw) };
    }
}

impl std::fmt::Debug for Network<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("inputs", &self.nb_inputs())
            .field("outputs", &self.nb_outputs())
            .field("layers", &self.nb_layers())
            .finish()
    }
}

/// A tensor of a [`Network`] ([`nvinfer1::ITensor`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_tensor.html)): a copyable handle.
/// Two handles are equal when they are the same TensorRT tensor. Serializes as its name.
#[derive(Clone, Copy)]
pub struct Tensor<'n> {
    raw: *mut trt_sys::trt_tensor,
    network: &'n Network<'n>,
}

/// A layer of a [`Network`] ([`nvinfer1::ILayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_layer.html)): a copyable handle.
#[derive(Clone, Copy)]
pub struct Layer<'n> {
    raw: *mut trt_sys::trt_layer,
    network: &'n Network<'n>,
    _not_send: PhantomData<*mut ()>,
}

fn owned_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: TensorRT names are NUL-terminated and live as long as their object; copied at once.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

impl<'n> Tensor<'n> {
    /// The raw handle, for the shim calls of the layer descriptions (checked to belong to the network first).
    pub(crate) fn raw(&self) -> *mut trt_sys::trt_tensor {
        self.raw
    }

    /// The tensor's name.
    pub fn name(&self) -> String {
        // SAFETY: `raw` is a live tensor of a live network.
        owned_str(unsafe { trt_sys::trt_tensor_name(self.raw) })
    }

    /// Renames the tensor (network inputs and outputs keep this name in the engine).
    pub fn set_name(&self, name: &str) -> Result<()> {
        let c = cstring("set_name", name)?;
        // SAFETY: `raw` is live; TensorRT copies the name.
        self.network.status("tensor_set_name", || unsafe {
            trt_sys::trt_tensor_set_name(self.raw, c.as_ptr())
        })
    }

    /// The dimensions TensorRT inferred (-1 for dynamic ones). Fails with TensorRT's message when shape
    /// inference fails (e.g. incompatible inputs of the producing layer).
    pub fn dims(&self) -> Result<Dims> {
        let mut out = Dims::unset();
        // SAFETY: `raw` is live; `out` is writable.
        self.network.status("tensor_dims", || unsafe {
            trt_sys::trt_tensor_dimensions(self.raw, &mut out)
        })?;
        if out.nb_dims < 0 {
            return Err(self.network.failure("tensor_dims"));
        }
        Ok(Dims::from_raw(&out))
    }

    /// The element type TensorRT inferred.
    pub fn data_type(&self) -> Result<DataType> {
        self.network.clear();
        // SAFETY: `raw` is live.
        let v = unsafe { trt_sys::trt_tensor_data_type(self.raw) };
        if v < 0 {
            return Err(self.network.failure("tensor_data_type"));
        }
        DataType::from_i32(v)
    }

    /// Whether this is a network input.
    pub fn is_network_input(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_tensor_is_network_input(self.raw) != 0 }
    }

    /// Whether this is a network output.
    pub fn is_network_output(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_tensor_is_network_output(self.raw) != 0 }
    }

    /// Whether TensorRT treats this as a shape tensor (computed at build/shape time on the host).
    pub fn is_shape_tensor(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_tensor_is_shape_tensor(self.raw) != 0 }
    }
}

impl PartialEq for Tensor<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.raw, other.raw)
    }
}

impl Eq for Tensor<'_> {}

/// Hashes the handle's identity, as [`PartialEq`] compares it.
impl std::hash::Hash for Tensor<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.raw, state)
    }
}

impl std::fmt::Debug for Tensor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Tensor");
        d.field("name", &self.name());
        if let Ok(dims) = self.dims() {
            d.field("dims", &dims);
        }
        if let Ok(t) = self.data_type() {
            d.field("type", &t);
        }
        d.finish()
    }
}

impl serde::Serialize for Tensor<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'n> Layer<'n> {
    /// The layer's name.
    pub fn name(&self) -> String {
        // SAFETY: `raw` is a live layer.
        owned_str(unsafe { trt_sys::trt_layer_name(self.raw) })
    }

    /// Names the layer (shows in TensorRT's messages and engine inspection).
    pub fn set_name(&self, name: &str) -> Result<()> {
        let c = cstring("set_name", name)?;
        // SAFETY: `raw` is live; TensorRT copies the name.
        self.network.status("layer_set_name", || unsafe {
            trt_sys::trt_layer_set_name(self.raw, c.as_ptr())
        })
    }

    /// The kind of layer.
    pub fn layer_type(&self) -> Option<LayerType> {
        // SAFETY: `raw` is live.
        LayerType::from_raw(unsafe { trt_sys::trt_layer_type(self.raw) })
    }

    /// Number of inputs (set or not).
    pub fn nb_inputs(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_layer_nb_inputs(self.raw) }.max(0) as usize
    }

    /// Number of outputs.
    pub fn nb_outputs(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_layer_nb_outputs(self.raw) }.max(0) as usize
    }

    /// Output `index`.
    pub fn output(&self, index: usize) -> Result<Tensor<'n>> {
        // SAFETY: `raw` is live; the shim checks the index.
        let t = self.network.call("layer_output", |_| unsafe {
            trt_sys::trt_layer_output(self.raw, index as i32)
        })?;
        Ok(self.network.wrap(t))
    }

    /// Every output, in order.
    pub fn outputs(&self) -> Result<Vec<Tensor<'n>>> {
        (0..self.nb_outputs()).map(|i| self.output(i)).collect()
    }

    /// Input `index`, if set.
    pub fn input(&self, index: usize) -> Option<Tensor<'n>> {
        // SAFETY: `raw` is live; the shim checks the index.
        let t = unsafe { trt_sys::trt_layer_input(self.raw, index as i32) };
        trt_sys::take_last_error();
        self.network.wrap_nullable(t)
    }

    /// Every input slot, in order (`None` for an optional input that is not set).
    pub fn inputs(&self) -> Vec<Option<Tensor<'n>>> {
        (0..self.nb_inputs()).map(|i| self.input(i)).collect()
    }

    /// Replaces (or adds) input `index` (`ILayer::setInput`). Descriptions carry these tensors already (dynamic
    /// shapes, slice bounds, kernel tensors, zero points); this is for what they do not cover.
    pub fn set_input(&self, index: usize, tensor: Tensor<'n>) -> Result<()> {
        let t = self.network.own(tensor, "set_input")?;
        // SAFETY: both handles are live and from the same network.
        self.network.status("layer_set_input", || unsafe {
            trt_sys::trt_layer_set_input(self.raw, index as i32, t)
        })
    }

    /// Reads the parameters of a layer kind with its shim getter (the read-back twin of [`Network::call`]).
    pub(crate) fn get<P: Default>(
        &self,
        op: &'static str,
        getter: unsafe extern "C" fn(*const trt_sys::trt_layer, *mut P) -> i32,
    ) -> Result<P> {
        let mut out = P::default();
        let raw = self.raw;
        self.network.status(op, || {
            // SAFETY: `raw` is live; `out` is a writable struct of the type the getter fills.
            unsafe { getter(raw, &mut out) }
        })?;
        Ok(out)
    }

    /// Input `index`, or an error naming the layer when TensorRT holds none.
    pub(crate) fn need_input(&self, index: usize) -> Result<Tensor<'n>> {
        self.input(index).ok_or_else(|| {
            Error::invalid(
                "layer_description",
                format!("layer '{}' has no input {index}", self.name()),
            )
        })
    }

    /// A tensor handle the shim returned (NULL: none).
    pub(crate) fn tensor(&self, raw: *mut trt_sys::trt_tensor) -> Option<Tensor<'n>> {
        self.network.wrap_nullable(raw)
    }

    pub(crate) fn raw(&self) -> *mut trt_sys::trt_layer {
        self.raw
    }
}

impl std::fmt::Debug for Layer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer")
            .field("name", &self.name())
            .field("type", &self.layer_type())
            .finish()
    }
}

impl<'b> Network<'b> {
    pub(crate) fn from_raw(
        raw: *mut trt_sys::trt_network,
        builder: *mut trt_sys::trt_builder,
        logger: Logger,
    ) -> Self {
        Network {
            raw,
            builder,
            logger,
            _builder: PhantomData,
            arena: RefCell::new(Vec::new()),
            parser: None,
        }
    }

    pub(crate) fn raw(&self) -> *mut trt_sys::trt_network {
        self.raw
    }

    pub(crate) fn builder_raw(&self) -> *mut trt_sys::trt_builder {
        self.builder
    }

    pub(crate) fn logger(&self) -> &Logger {
        &self.logger
    }

    fn clear(&self) {
        self.logger.clear_errors();
    }

    fn failure(&self, op: &'static str) -> Error {
        self.logger.failure(op)
    }

    /// The thin result layer (cudarc's `result` idea): forgets the errors TensorRT recorded so far, makes the
    /// shim call and turns a NULL handle into [`Error::TensorRt`] with what TensorRT logged during the call.
    /// The closure gets the raw network and holds the call's one `unsafe` block.
    pub(crate) fn call<T>(
        &self,
        op: &'static str,
        shim: impl FnOnce(*mut trt_sys::trt_network) -> *mut T,
    ) -> Result<*mut T> {
        self.clear();
        let raw = shim(self.raw);
        if raw.is_null() {
            Err(self.failure(op))
        } else {
            Ok(raw)
        }
    }

    /// [`Network::call`] for shim calls that return a status (0 = success).
    pub(crate) fn status(&self, op: &'static str, shim: impl FnOnce() -> i32) -> Result<()> {
        self.clear();
        if shim() == 0 {
            Ok(())
        } else {
            Err(self.failure(op))
        }
    }

    fn wrap(&self, raw: *mut trt_sys::trt_tensor) -> Tensor<'_> {
        Tensor { raw, network: self }
    }

    fn wrap_nullable(&self, raw: *mut trt_sys::trt_tensor) -> Option<Tensor<'_>> {
        (!raw.is_null()).then(|| self.wrap(raw))
    }

    pub(crate) fn own(&self, t: Tensor<'_>, op: &'static str) -> Result<*mut trt_sys::trt_tensor> {
        if std::ptr::eq(t.network.raw, self.raw) {
            Ok(t.raw)
        } else {
            Err(Error::invalid(
                op,
                format!("tensor '{}' belongs to another network", t.name()),
            ))
        }
    }

    /// Keeps the weights' bytes for the network's lifetime and returns the descriptor TensorRT gets.
    pub(crate) fn keep(&self, w: Weights) -> trt_sys::trt_weights {
        let raw = w.raw();
        if let Storage::Owned(_) = w.storage {
            // Moving the Vec moves its pointer, not the heap buffer `raw.values` points into.
            self.arena.borrow_mut().push(w.storage);
        }
        raw
    }

    /// Names the network.
    pub fn set_name(&self, name: &str) -> Result<()> {
        let c = cstring("set_name", name)?;
        // SAFETY: `raw` is live; TensorRT copies the name.
        self.status("network_set_name", || unsafe {
            trt_sys::trt_network_set_name(self.raw, c.as_ptr())
        })
    }

    /// Adds a network input named `name` of type `data_type` and shape `dims` (-1 for dynamic dims, which
    /// then need an [`crate::OptimizationProfile`]).
    pub fn add_input(
        &self,
        name: &str,
        data_type: DataType,
        dims: impl Into<Dims>,
    ) -> Result<Tensor<'_>> {
        let c = cstring("add_input", name)?;
        let dims = dims.into().to_raw("add_input")?;
        // SAFETY: `raw` is live; arguments are valid for the call.
        let t = self.call("add_input", |n| unsafe {
            trt_sys::trt_network_add_input(n, c.as_ptr(), data_type as i32, &dims)
        })?;
        Ok(self.wrap(t))
    }

    /// Marks `tensor` as a network output.
    pub fn mark_output(&self, tensor: Tensor<'_>) -> Result<()> {
        let t = self.own(tensor, "mark_output")?;
        // SAFETY: both live, same network.
        self.status("mark_output", || unsafe {
            trt_sys::trt_network_mark_output(self.raw, t)
        })
    }

    /// Renames `tensor` to `name` and marks it as an output.
    pub fn mark_output_named(&self, tensor: Tensor<'_>, name: &str) -> Result<()> {
        tensor.set_name(name)?;
        self.mark_output(tensor)
    }

    /// Unmarks an output.
    pub fn unmark_output(&self, tensor: Tensor<'_>) -> Result<()> {
        let t = self.own(tensor, "unmark_output")?;
        // SAFETY: both live, same network.
        self.status("unmark_output", || unsafe {
            trt_sys::trt_network_unmark_output(self.raw, t)
        })
    }

    /// Number of inputs.
    pub fn nb_inputs(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_network_nb_inputs(self.raw) }.max(0) as usize
    }

    /// Number of outputs.
    pub fn nb_outputs(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_network_nb_outputs(self.raw) }.max(0) as usize
    }

    /// Number of layers.
    pub fn nb_layers(&self) -> usize {
        // SAFETY: `raw` is live.
        unsafe { trt_sys::trt_network_nb_layers(self.raw) }.max(0) as usize
    }

    /// The inputs, in order.
    pub fn inputs(&self) -> Vec<Tensor<'_>> {
        (0..self.nb_inputs())
            .filter_map(|i| {
                // SAFETY: `raw` is live; the index is in range.
                self.wrap_nullable(unsafe { trt_sys::trt_network_input(self.raw, i as i32) })
            })
            .collect()
    }

    /// The outputs, in order.
    pub fn outputs(&self) -> Vec<Tensor<'_>> {
        (0..self.nb_outputs())
            .filter_map(|i| {
                // SAFETY: `raw` is live; the index is in range.
                self.wrap_nullable(unsafe { trt_sys::trt_network_output(self.raw, i as i32) })
            })
            .collect()
    }

    /// Layer `index`.
    pub fn layer_at(&self, index: usize) -> Result<Layer<'_>> {
        // SAFETY: `raw` is live; the shim checks the index.
        let raw = self.call("layer_at", |n| unsafe {
            trt_sys::trt_network_layer(n, index as i32)
        })?;
        Ok(self.layer(raw))
    }

    pub(crate) fn layer(&self, raw: *mut trt_sys::trt_layer) -> Layer<'_> {
        Layer {
            raw,
            network: self,
            _not_send: PhantomData,
        }
    }

    /// Every layer, in the order they were added (a topological order).
    pub fn layers(&self) -> Result<Vec<Layer<'_>>> {
        (0..self.nb_layers()).map(|i| self.layer_at(i)).collect()
    }
}
