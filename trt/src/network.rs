//! [`Network`] (`nvinfer1::INetworkDefinition`), its [`Tensor`]s and [`Layer`]s, and layer parameters.

use std::cell::RefCell;
use std::ffi::CStr;
use std::marker::PhantomData;

use crate::builder::Builder;
use crate::error::{Error, Result};
use crate::types::*;
use crate::util::cstring;
use crate::weights::{Storage, Weights};

/// A network definition ([`nvinfer1::INetworkDefinition`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_network_definition.html)),
/// strongly typed: precision comes from input types, weights, casts and quantize/dequantize layers.
///
/// Layers are added through `&self` and return [`Layer`] handles; their outputs are [`Tensor`] handles.
/// Both borrow the network. Weights passed in are kept by the network until it is dropped.
///
/// Failures return [`Error::TensorRt`] with TensorRT's own message. TensorRT checks some parameters
/// only when shapes are inferred: [`Tensor::dims`] (and the build) report those.
pub struct Network<'b> {
    raw: *mut trt_sys::trt_network,
    builder: &'b Builder<'b>,
    // Bytes of every owned `Weights` given to the network; never mutated, only appended to, so the heap buffers
    // TensorRT points at stay put until the network is destroyed.
    arena: RefCell<Vec<Storage>>,
}

impl Drop for Network<'_> {
    fn drop(&mut self) {
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
    /// The tensor's name.
    pub fn name(&self) -> String {
        // SAFETY: `raw` is a live tensor of a live network.
        owned_str(unsafe { trt_sys::trt_tensor_name(self.raw) })
    }

    /// Renames the tensor (network inputs and outputs keep this name in the engine).
    pub fn set_name(&self, name: &str) -> Result<()> {
        let c = cstring("set_name", name)?;
        self.network.clear();
        // SAFETY: `raw` is live; TensorRT copies the name.
        let status = unsafe { trt_sys::trt_tensor_set_name(self.raw, c.as_ptr()) };
        self.network.status("tensor_set_name", status)
    }

    /// The dimensions TensorRT inferred (-1 for dynamic ones). Fails with TensorRT's message when shape
    /// inference fails (e.g. incompatible inputs of the producing layer).
    pub fn dims(&self) -> Result<Dims> {
        self.network.clear();
        let mut out = Dims::unset();
        // SAFETY: `raw` is live; `out` is writable.
        let status = unsafe { trt_sys::trt_tensor_dimensions(self.raw, &mut out) };
        if status != 0 || out.nb_dims < 0 {
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
        DataType::from_raw(v)
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

impl<'n> Layer<'n> {
    /// The layer's name.
    pub fn name(&self) -> String {
        // SAFETY: `raw` is a live layer.
        owned_str(unsafe { trt_sys::trt_layer_name(self.raw) })
    }

    /// Names the layer (shows in TensorRT's messages and engine inspection).
    pub fn set_name(&self, name: &str) -> Result<()> {
        let c = cstring("set_name", name)?;
        self.network.clear();
        // SAFETY: `raw` is live; TensorRT copies the name.
        let status = unsafe { trt_sys::trt_layer_set_name(self.raw, c.as_ptr()) };
        self.network.status("layer_set_name", status)
    }

    /// The kind of layer.
    pub fn layer_type(&self) -> Option<LayerType> {
        // SAFETY: `raw` is live.
        LayerType::from_raw(unsafe { trt_sys::trt_layer_type(self.raw) })
    }

    /// Number of inputs.
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
        self.network.clear();
        // SAFETY: `raw` is live; the shim checks the index.
        let t = unsafe { trt_sys::trt_layer_output(self.raw, index as i32) };
        self.network.tensor(t, "layer_output")
    }

    /// Input `index`, if set.
    pub fn input(&self, index: usize) -> Option<Tensor<'n>> {
        // SAFETY: `raw` is live; the shim checks the index.
        let t = unsafe { trt_sys::trt_layer_input(self.raw, index as i32) };
        trt_sys::take_last_error();
        (!t.is_null()).then_some(Tensor {
            raw: t,
            network: self.network,
        })
    }

    /// Replaces (or adds) input `index` (`ILayer::setInput`): dynamic reshape dims, slice start/size/stride,
    /// resize output shape, fill parameters, quantization zero point, convolution kernel tensors, ...
    pub fn set_input(&self, index: usize, tensor: Tensor<'n>) -> Result<()> {
        self.network.own(tensor, "set_input")?;
        self.network.clear();
        // SAFETY: both handles are live and from the same network.
        let status = unsafe { trt_sys::trt_layer_set_input(self.raw, index as i32, tensor.raw) };
        self.network.status("layer_set_input", status)
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

/// Parameters of a convolution or deconvolution layer ([`nvinfer1::IConvolutionLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_convolution_layer.html),
/// [`nvinfer1::IDeconvolutionLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_deconvolution_layer.html)).
///
/// Kernel layout: `[out_channels, in_channels / groups, *kernel_size]` for convolution and
/// `[in_channels, out_channels / groups, *kernel_size]` for deconvolution (PyTorch's layouts).
#[derive(Debug, Clone)]
pub struct Convolution {
    /// Output channels.
    pub out_channels: i64,
    /// Spatial kernel size (2 dims for 2-D, 3 for 3-D).
    pub kernel_size: Dims,
    /// Kernel weights.
    pub kernel: Weights,
    /// Bias, one per output channel.
    pub bias: Option<Weights>,
    /// Stride per spatial dim (default 1).
    pub stride: Option<Dims>,
    /// Padding before each spatial dim.
    pub pre_padding: Option<Dims>,
    /// Padding after each spatial dim.
    pub post_padding: Option<Dims>,
    /// Dilation per spatial dim (default 1).
    pub dilation: Option<Dims>,
    /// Groups (default 1; `in_channels` for depthwise).
    pub groups: Option<i64>,
    /// Padding mode (default explicit, rounding down).
    pub padding_mode: Option<PaddingMode>,
}

impl Convolution {
    /// A convolution with `out_channels`, a kernel of `kernel_size` and `kernel` weights; no bias, stride 1.
    pub fn new(out_channels: i64, kernel_size: impl Into<Dims>, kernel: Weights) -> Self {
        Convolution {
            out_channels,
            kernel_size: kernel_size.into(),
            kernel,
            bias: None,
            stride: None,
            pre_padding: None,
            post_padding: None,
            dilation: None,
            groups: None,
            padding_mode: None,
        }
    }
    /// Sets the bias.
    pub fn bias(mut self, bias: Weights) -> Self {
        self.bias = Some(bias);
        self
    }
    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Dims>) -> Self {
        self.stride = Some(stride.into());
        self
    }
    /// Sets symmetric padding (before and after).
    pub fn padding(mut self, padding: impl Into<Dims>) -> Self {
        let p = padding.into();
        self.pre_padding = Some(p.clone());
        self.post_padding = Some(p);
        self
    }
    /// Sets asymmetric padding.
    pub fn pre_post_padding(mut self, pre: impl Into<Dims>, post: impl Into<Dims>) -> Self {
        self.pre_padding = Some(pre.into());
        self.post_padding = Some(post.into());
        self
    }
    /// Sets the dilation.
    pub fn dilation(mut self, dilation: impl Into<Dims>) -> Self {
        self.dilation = Some(dilation.into());
        self
    }
    /// Sets the number of groups.
    pub fn groups(mut self, groups: i64) -> Self {
        self.groups = Some(groups);
        self
    }
    /// Sets the padding mode.
    pub fn padding_mode(mut self, mode: PaddingMode) -> Self {
        self.padding_mode = Some(mode);
        self
    }
}

/// Parameters of a pooling layer ([`nvinfer1::IPoolingLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_pooling_layer.html)).
#[derive(Debug, Clone)]
pub struct Pooling {
    /// Max, average or blend.
    pub pooling_type: PoolingType,
    /// Window size per spatial dim.
    pub window: Dims,
    /// Stride (default: the window size... TensorRT's default is 1).
    pub stride: Option<Dims>,
    /// Padding before.
    pub pre_padding: Option<Dims>,
    /// Padding after.
    pub post_padding: Option<Dims>,
    /// Padding mode; `ExplicitRoundUp` is PyTorch's `ceil_mode=True`.
    pub padding_mode: Option<PaddingMode>,
    /// Average pooling: exclude padding from the count (PyTorch `count_include_pad=False`); TensorRT's default is true.
    pub average_count_excludes_padding: Option<bool>,
    /// Blend factor of `MaxAverageBlend`.
    pub blend_factor: f32,
}

impl Pooling {
    /// A pooling of `pooling_type` over `window`.
    pub fn new(pooling_type: PoolingType, window: impl Into<Dims>) -> Self {
        Pooling {
            pooling_type,
            window: window.into(),
            stride: None,
            pre_padding: None,
            post_padding: None,
            padding_mode: None,
            average_count_excludes_padding: None,
            blend_factor: 0.0,
        }
    }
    /// Sets the stride.
    pub fn stride(mut self, stride: impl Into<Dims>) -> Self {
        self.stride = Some(stride.into());
        self
    }
    /// Sets symmetric padding.
    pub fn padding(mut self, padding: impl Into<Dims>) -> Self {
        let p = padding.into();
        self.pre_padding = Some(p.clone());
        self.post_padding = Some(p);
        self
    }
    /// Rounds the output size up (PyTorch `ceil_mode=True`) or down.
    pub fn ceil_mode(mut self, ceil: bool) -> Self {
        self.padding_mode = Some(if ceil {
            PaddingMode::ExplicitRoundUp
        } else {
            PaddingMode::ExplicitRoundDown
        });
        self
    }
    /// Whether average pooling excludes padding from the divisor.
    pub fn exclusive(mut self, exclusive: bool) -> Self {
        self.average_count_excludes_padding = Some(exclusive);
        self
    }
    /// Sets the blend factor (for `MaxAverageBlend`).
    pub fn blend_factor(mut self, blend: f32) -> Self {
        self.blend_factor = blend;
        self
    }
}

/// Parameters of a shuffle layer ([`nvinfer1::IShuffleLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_shuffle_layer.html)):
/// first transpose, then reshape, then second transpose.
#[derive(Debug, Clone, Default)]
pub struct Shuffle<'n> {
    /// Permutation applied first.
    pub first_transpose: Option<Vec<i32>>,
    /// Static reshape; `0` copies the input dim (when `zero_is_placeholder`), `-1` is inferred.
    pub reshape: Option<Dims>,
    /// Dynamic reshape from a 1-D Int32/Int64 shape tensor (input 1); overrides `reshape`.
    pub reshape_tensor: Option<Tensor<'n>>,
    /// Permutation applied last.
    pub second_transpose: Option<Vec<i32>>,
    /// Whether 0 in the reshape dims means "copy" (TensorRT's default, true) or a literal 0.
    pub zero_is_placeholder: Option<bool>,
}

impl<'n> Shuffle<'n> {
    /// A reshape.
    pub fn reshape(dims: impl Into<Dims>) -> Self {
        Shuffle {
            reshape: Some(dims.into()),
            ..Default::default()
        }
    }
    /// A reshape to a run-time shape.
    pub fn reshape_dynamic(shape: Tensor<'n>) -> Self {
        Shuffle {
            reshape_tensor: Some(shape),
            ..Default::default()
        }
    }
    /// A transpose.
    pub fn transpose(permutation: impl Into<Vec<i32>>) -> Self {
        Shuffle {
            first_transpose: Some(permutation.into()),
            ..Default::default()
        }
    }
    /// Adds a second transpose, applied after the reshape.
    pub fn then_transpose(mut self, permutation: impl Into<Vec<i32>>) -> Self {
        self.second_transpose = Some(permutation.into());
        self
    }
    /// Adds a reshape after the first transpose.
    pub fn then_reshape(mut self, dims: impl Into<Dims>) -> Self {
        self.reshape = Some(dims.into());
        self
    }
}

/// Parameters of a slice layer ([`nvinfer1::ISliceLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_slice_layer.html)).
#[derive(Debug, Clone, Default)]
pub struct Slice<'n> {
    /// Static start per dim.
    pub start: Dims,
    /// Static output size per dim.
    pub size: Dims,
    /// Static stride per dim.
    pub stride: Dims,
    /// Run-time start (1-D Int32/Int64 tensor, input 1); overrides `start`.
    pub start_tensor: Option<Tensor<'n>>,
    /// Run-time size (input 2); overrides `size`.
    pub size_tensor: Option<Tensor<'n>>,
    /// Run-time stride (input 3); overrides `stride`.
    pub stride_tensor: Option<Tensor<'n>>,
    /// Out-of-bounds behavior (default strict).
    pub mode: Option<SampleMode>,
    /// Fill value for `SampleMode::Fill` (input 4).
    pub fill_value: Option<Tensor<'n>>,
}

impl<'n> Slice<'n> {
    /// A static slice.
    pub fn new(start: impl Into<Dims>, size: impl Into<Dims>, stride: impl Into<Dims>) -> Self {
        Slice {
            start: start.into(),
            size: size.into(),
            stride: stride.into(),
            ..Default::default()
        }
    }
    /// A slice whose start, size and stride come from 1-D tensors at run time. `rank` is the input's rank.
    pub fn dynamic(start: Tensor<'n>, size: Tensor<'n>, stride: Tensor<'n>, rank: usize) -> Self {
        let zeros = Dims::new(vec![0; rank]);
        Slice {
            start: zeros.clone(),
            size: zeros.clone(),
            stride: zeros,
            start_tensor: Some(start),
            size_tensor: Some(size),
            stride_tensor: Some(stride),
            ..Default::default()
        }
    }
    /// Sets the sample mode.
    pub fn mode(mut self, mode: SampleMode) -> Self {
        self.mode = Some(mode);
        self
    }
}

/// How a resize layer's output size is given.
#[derive(Debug, Clone)]
pub enum ResizeOutput<'n> {
    /// Static output dims.
    Dims(Dims),
    /// Scale factor per dim.
    Scales(Vec<f32>),
    /// A 1-D Int32/Int64 tensor of output dims (input 1), for dynamic shapes.
    ShapeTensor(Tensor<'n>),
}

/// Parameters of a resize layer ([`nvinfer1::IResizeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_resize_layer.html)).
#[derive(Debug, Clone)]
pub struct Resize<'n> {
    /// Output size.
    pub output: ResizeOutput<'n>,
    /// Interpolation.
    pub mode: InterpolationMode,
    /// Coordinate transformation (TensorRT's default: align corners).
    pub coordinate_transformation: Option<ResizeCoordinateTransformation>,
    /// Selector for single-pixel outputs.
    pub selector_for_single_pixel: Option<ResizeSelector>,
    /// Nearest rounding mode (PyTorch `nearest` is `Floor`).
    pub nearest_rounding: Option<ResizeRoundMode>,
    /// Cubic coefficient (cubic mode; PyTorch uses -0.75).
    pub cubic_coeff: f32,
    /// Exclude outside pixels (cubic).
    pub exclude_outside: Option<bool>,
}

impl<'n> Resize<'n> {
    /// A resize to `output` with `mode`.
    pub fn new(output: ResizeOutput<'n>, mode: InterpolationMode) -> Self {
        Resize {
            output,
            mode,
            coordinate_transformation: None,
            selector_for_single_pixel: None,
            nearest_rounding: None,
            cubic_coeff: -0.75,
            exclude_outside: None,
        }
    }
    /// Sets the coordinate transformation.
    pub fn coordinate_transformation(mut self, t: ResizeCoordinateTransformation) -> Self {
        self.coordinate_transformation = Some(t);
        self
    }
    /// Sets the nearest rounding mode.
    pub fn nearest_rounding(mut self, r: ResizeRoundMode) -> Self {
        self.nearest_rounding = Some(r);
        self
    }
    /// Sets the single-pixel selector.
    pub fn selector_for_single_pixel(mut self, s: ResizeSelector) -> Self {
        self.selector_for_single_pixel = Some(s);
        self
    }
}

/// Parameters of [`Network::add_attention`].
#[derive(Debug, Clone, Copy)]
pub struct Attention<'n> {
    /// Score normalization (softmax for standard attention).
    pub normalization: AttentionNormalizationOp,
    /// Causal masking.
    pub causal: CausalMaskKind,
    /// A Bool mask, or an additive float mask, broadcastable to `[batch, heads, q_tokens, kv_tokens]`.
    pub mask: Option<Tensor<'n>>,
    /// Let TensorRT split the op into separate layers where no fused kernel fits (TensorRT's default if `None`).
    pub decomposable: Option<bool>,
}

impl<'n> Attention<'n> {
    /// Standard softmax attention, no mask.
    pub fn softmax() -> Self {
        Attention {
            normalization: AttentionNormalizationOp::Softmax,
            causal: CausalMaskKind::None,
            mask: None,
            decomposable: None,
        }
    }
    /// Sets causal masking.
    pub fn causal(mut self, kind: CausalMaskKind) -> Self {
        self.causal = kind;
        self
    }
    /// Sets the mask.
    pub fn mask(mut self, mask: Tensor<'n>) -> Self {
        self.mask = Some(mask);
        self
    }
    /// Allows or forbids decomposition.
    pub fn decomposable(mut self, decomposable: bool) -> Self {
        self.decomposable = Some(decomposable);
        self
    }
}

fn dims_or_unset(d: &Option<Dims>, op: &'static str) -> Result<trt_sys::trt_dims> {
    match d {
        Some(d) => d.to_raw(op),
        None => Ok(Dims::unset()),
    }
}

fn permutation(p: &[i32], op: &'static str) -> Result<trt_sys::trt_permutation> {
    if p.len() > Dims::MAX_RANK {
        return Err(Error::invalid(
            op,
            format!("permutation of {} axes exceeds {}", p.len(), Dims::MAX_RANK),
        ));
    }
    let mut out = trt_sys::trt_permutation { order: [0; 8] };
    for (i, slot) in out.order.iter_mut().enumerate() {
        *slot = p.get(i).copied().unwrap_or(i as i32);
    }
    Ok(out)
}

fn null_or(t: Option<Tensor<'_>>) -> *mut trt_sys::trt_tensor {
    t.map_or(std::ptr::null_mut(), |t| t.raw)
}

impl<'b> Network<'b> {
    pub(crate) fn from_raw(raw: *mut trt_sys::trt_network, builder: &'b Builder<'b>) -> Self {
        Network {
            raw,
            builder,
            arena: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn raw(&self) -> *mut trt_sys::trt_network {
        self.raw
    }

    pub(crate) fn builder(&self) -> &'b Builder<'b> {
        self.builder
    }

    fn clear(&self) {
        self.builder.logger().clear_errors();
    }

    fn failure(&self, op: &'static str) -> Error {
        self.builder.logger().failure(op)
    }

    fn status(&self, op: &'static str, status: i32) -> Result<()> {
        if status == 0 {
            Ok(())
        } else {
            Err(self.failure(op))
        }
    }

    fn tensor(&self, raw: *mut trt_sys::trt_tensor, op: &'static str) -> Result<Tensor<'_>> {
        if raw.is_null() {
            return Err(self.failure(op));
        }
        Ok(Tensor { raw, network: self })
    }

    fn layer(&self, raw: *mut trt_sys::trt_layer, op: &'static str) -> Result<Layer<'_>> {
        if raw.is_null() {
            return Err(self.failure(op));
        }
        Ok(Layer {
            raw,
            network: self,
            _not_send: PhantomData,
        })
    }

    fn own(&self, t: Tensor<'_>, op: &'static str) -> Result<*mut trt_sys::trt_tensor> {
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
    fn keep(&self, w: Weights) -> trt_sys::trt_weights {
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
        self.clear();
        // SAFETY: `raw` is live; TensorRT copies the name.
        self.status("network_set_name", unsafe {
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
        self.clear();
        // SAFETY: `raw` is live; arguments are valid for the call.
        let t = unsafe {
            trt_sys::trt_network_add_input(self.raw, c.as_ptr(), data_type as i32, &dims)
        };
        self.tensor(t, "add_input")
    }

    /// Marks `tensor` as a network output.
    pub fn mark_output(&self, tensor: Tensor<'_>) -> Result<()> {
        let t = self.own(tensor, "mark_output")?;
        self.clear();
        // SAFETY: both live, same network.
        self.status("mark_output", unsafe {
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
        self.clear();
        // SAFETY: both live, same network.
        self.status("unmark_output", unsafe {
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
                let t = unsafe { trt_sys::trt_network_input(self.raw, i as i32) };
                self.tensor(t, "input").ok()
            })
            .collect()
    }

    /// The outputs, in order.
    pub fn outputs(&self) -> Vec<Tensor<'_>> {
        (0..self.nb_outputs())
            .filter_map(|i| {
                // SAFETY: `raw` is live; the index is in range.
                let t = unsafe { trt_sys::trt_network_output(self.raw, i as i32) };
                self.tensor(t, "output").ok()
            })
            .collect()
    }

    /// Layer `index`.
    pub fn layer_at(&self, index: usize) -> Result<Layer<'_>> {
        self.clear();
        // SAFETY: `raw` is live; the shim checks the index.
        self.layer(
            unsafe { trt_sys::trt_network_layer(self.raw, index as i32) },
            "layer_at",
        )
    }

    /// Convolution (`addConvolutionNd`) with groups, dilation, padding, stride and bias.
    pub fn add_convolution(&self, input: Tensor<'_>, params: Convolution) -> Result<Layer<'_>> {
        self.add_conv_like(input, params, false)
    }

    /// Transposed convolution (`addDeconvolutionNd`); same parameters as [`Network::add_convolution`].
    pub fn add_deconvolution(&self, input: Tensor<'_>, params: Convolution) -> Result<Layer<'_>> {
        self.add_conv_like(input, params, true)
    }

    fn add_conv_like(&self, input: Tensor<'_>, p: Convolution, deconv: bool) -> Result<Layer<'_>> {
        let op = if deconv {
            "add_deconvolution"
        } else {
            "add_convolution"
        };
        let x = self.own(input, op)?;
        let kernel_type = p.kernel.data_type();
        let raw = trt_sys::trt_convolution_params {
            nb_output_maps: p.out_channels,
            kernel_size: p.kernel_size.to_raw(op)?,
            kernel: self.keep(p.kernel),
            bias: self.keep(p.bias.unwrap_or_else(|| Weights::empty(kernel_type))),
            stride: dims_or_unset(&p.stride, op)?,
            pre_padding: dims_or_unset(&p.pre_padding, op)?,
            post_padding: dims_or_unset(&p.post_padding, op)?,
            dilation: dims_or_unset(&p.dilation, op)?,
            nb_groups: p.groups.unwrap_or(0),
            padding_mode: p.padding_mode.map_or(-1, |m| m as i32),
        };
        self.clear();
        // SAFETY: handles live; the weights' bytes are kept in the arena.
        let l = unsafe {
            if deconv {
                trt_sys::trt_network_add_deconvolution(self.raw, x, &raw)
            } else {
                trt_sys::trt_network_add_convolution(self.raw, x, &raw)
            }
        };
        self.layer(l, op)
    }

    /// Pooling (`addPoolingNd`): max / average / blend, padding, ceil mode, exclusive average.
    pub fn add_pooling(&self, input: Tensor<'_>, p: Pooling) -> Result<Layer<'_>> {
        let op = "add_pooling";
        let x = self.own(input, op)?;
        let raw = trt_sys::trt_pooling_params {
            pooling_type: p.pooling_type as i32,
            window_size: p.window.to_raw(op)?,
            stride: dims_or_unset(&p.stride, op)?,
            pre_padding: dims_or_unset(&p.pre_padding, op)?,
            post_padding: dims_or_unset(&p.post_padding, op)?,
            padding_mode: p.padding_mode.map_or(-1, |m| m as i32),
            average_count_excludes_padding: p.average_count_excludes_padding.map_or(-1, i32::from),
            blend_factor: p.blend_factor,
        };
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_pooling(self.raw, x, &raw) },
            op,
        )
    }

    /// Activation (`addActivation`) with alpha = beta = 0.
    pub fn add_activation(&self, input: Tensor<'_>, kind: ActivationType) -> Result<Layer<'_>> {
        self.add_activation_with(input, kind, 0.0, 0.0)
    }

    /// Activation with its `alpha` / `beta` parameters (see [`ActivationType`]).
    pub fn add_activation_with(
        &self,
        input: Tensor<'_>,
        kind: ActivationType,
        alpha: f32,
        beta: f32,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_activation")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_activation(self.raw, x, kind as i32, alpha, beta) },
            "add_activation",
        )
    }

    /// Element-wise binary operation with broadcasting (`addElementWise`); ranks must be equal.
    pub fn add_elementwise(
        &self,
        a: Tensor<'_>,
        b: Tensor<'_>,
        op: ElementWiseOperation,
    ) -> Result<Layer<'_>> {
        let (a, b) = (
            self.own(a, "add_elementwise")?,
            self.own(b, "add_elementwise")?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_elementwise(self.raw, a, b, op as i32) },
            "add_elementwise",
        )
    }

    /// Unary operation (`addUnary`).
    pub fn add_unary(&self, input: Tensor<'_>, op: UnaryOperation) -> Result<Layer<'_>> {
        let x = self.own(input, "add_unary")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_unary(self.raw, x, op as i32) },
            "add_unary",
        )
    }

    /// Matrix multiply (`addMatrixMultiply`), each operand optionally transposed or treated as a vector.
    pub fn add_matrix_multiply(
        &self,
        a: Tensor<'_>,
        op_a: MatrixOperation,
        b: Tensor<'_>,
        op_b: MatrixOperation,
    ) -> Result<Layer<'_>> {
        let (a, b) = (
            self.own(a, "add_matrix_multiply")?,
            self.own(b, "add_matrix_multiply")?,
        );
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_matrix_multiply(self.raw, a, op_a as i32, b, op_b as i32)
        };
        self.layer(l, "add_matrix_multiply")
    }

    /// Constant tensor of `dims` holding `weights` (`addConstant`); the element count must match.
    pub fn add_constant(&self, dims: impl Into<Dims>, weights: Weights) -> Result<Layer<'_>> {
        let dims = dims.into();
        if let Some(volume) = dims.volume() {
            if volume != weights.count() {
                return Err(Error::invalid(
                    "add_constant",
                    format!(
                        "dims {dims} hold {volume} elements but the weights have {}",
                        weights.count()
                    ),
                ));
            }
        }
        let raw_dims = dims.to_raw("add_constant")?;
        let w = self.keep(weights);
        self.clear();
        // SAFETY: handles live; weights kept.
        self.layer(
            unsafe { trt_sys::trt_network_add_constant(self.raw, &raw_dims, w) },
            "add_constant",
        )
    }

    /// A 1-D Int64 constant, handy as a shape / axes / index tensor.
    pub fn add_constant_i64(&self, values: &[i64]) -> Result<Tensor<'_>> {
        self.add_constant([values.len() as i64], Weights::from_slice(values))?
            .output(0)
    }

    /// Shuffle (`addShuffle`): transpose, reshape (static or from a shape tensor), transpose.
    pub fn add_shuffle(&self, input: Tensor<'_>, p: Shuffle<'_>) -> Result<Layer<'_>> {
        let op = "add_shuffle";
        let x = self.own(input, op)?;
        let reshape_tensor = match p.reshape_tensor {
            Some(t) => self.own(t, op)?,
            None => std::ptr::null_mut(),
        };
        let raw = trt_sys::trt_shuffle_params {
            has_first_transpose: i32::from(p.first_transpose.is_some()),
            first_transpose: permutation(p.first_transpose.as_deref().unwrap_or(&[]), op)?,
            has_reshape: i32::from(p.reshape.is_some()),
            reshape_dims: dims_or_unset(&p.reshape, op)?,
            reshape_tensor,
            has_second_transpose: i32::from(p.second_transpose.is_some()),
            second_transpose: permutation(p.second_transpose.as_deref().unwrap_or(&[]), op)?,
            zero_is_placeholder: p.zero_is_placeholder.map_or(-1, i32::from),
        };
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_shuffle(self.raw, x, &raw) },
            op,
        )
    }

    /// Concatenation along `axis` (`addConcatenation`).
    pub fn add_concatenation(&self, inputs: &[Tensor<'_>], axis: i32) -> Result<Layer<'_>> {
        let raws = inputs
            .iter()
            .map(|&t| self.own(t, "add_concatenation"))
            .collect::<Result<Vec<_>>>()?;
        self.clear();
        // SAFETY: `raws` holds live tensors of this network.
        let l = unsafe {
            trt_sys::trt_network_add_concatenation(self.raw, raws.as_ptr(), raws.len() as i32, axis)
        };
        self.layer(l, "add_concatenation")
    }

    /// Slice (`addSlice`), static or with run-time start/size/stride tensors.
    pub fn add_slice(&self, input: Tensor<'_>, p: Slice<'_>) -> Result<Layer<'_>> {
        let op = "add_slice";
        let x = self.own(input, op)?;
        for t in [p.start_tensor, p.size_tensor, p.stride_tensor, p.fill_value]
            .into_iter()
            .flatten()
        {
            self.own(t, op)?;
        }
        let raw = trt_sys::trt_slice_params {
            start: p.start.to_raw(op)?,
            size: p.size.to_raw(op)?,
            stride: p.stride.to_raw(op)?,
            start_tensor: null_or(p.start_tensor),
            size_tensor: null_or(p.size_tensor),
            stride_tensor: null_or(p.stride_tensor),
            mode: p.mode.map_or(-1, |m| m as i32),
            fill_value: null_or(p.fill_value),
        };
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_slice(self.raw, x, &raw) },
            op,
        )
    }

    /// Reduction over the axes in `axes` (a bit mask, see [`axes_mask`]) (`addReduce`).
    pub fn add_reduce(
        &self,
        input: Tensor<'_>,
        op: ReduceOperation,
        axes: u32,
        keep_dims: bool,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_reduce")?;
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_reduce(self.raw, x, op as i32, axes, i32::from(keep_dims))
        };
        self.layer(l, "add_reduce")
    }

    /// Softmax over the axis in `axes` (a one-bit mask) (`addSoftMax`).
    pub fn add_softmax(&self, input: Tensor<'_>, axes: u32) -> Result<Layer<'_>> {
        let x = self.own(input, "add_softmax")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_softmax(self.raw, x, axes) },
            "add_softmax",
        )
    }

    /// Normalization (`addNormalizationV2` where available): layer norm (axes = last dims), instance norm
    /// (axes = spatial dims), group norm (`groups` > 1, scale/bias of shape `[1, C, 1, ...]`).
    pub fn add_normalization(
        &self,
        input: Tensor<'_>,
        scale: Tensor<'_>,
        bias: Tensor<'_>,
        axes: u32,
        epsilon: f32,
        groups: Option<i64>,
    ) -> Result<Layer<'_>> {
        let op = "add_normalization";
        let (x, s, b) = (
            self.own(input, op)?,
            self.own(scale, op)?,
            self.own(bias, op)?,
        );
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_normalization(
                self.raw,
                x,
                s,
                b,
                axes,
                epsilon,
                groups.unwrap_or(0),
            )
        };
        self.layer(l, op)
    }

    /// Scale (`addScaleNd`): `(x * scale + shift) ^ power` per `mode`, channels on `channel_axis`.
    pub fn add_scale(
        &self,
        input: Tensor<'_>,
        mode: ScaleMode,
        shift: Option<Weights>,
        scale: Option<Weights>,
        power: Option<Weights>,
        channel_axis: i32,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_scale")?;
        let dt = input.data_type()?;
        let [shift, scale, power] =
            [shift, scale, power].map(|w| self.keep(w.unwrap_or_else(|| Weights::empty(dt))));
        self.clear();
        // SAFETY: handles live; weights kept.
        let l = unsafe {
            trt_sys::trt_network_add_scale(
                self.raw,
                x,
                mode as i32,
                shift,
                scale,
                power,
                channel_axis,
            )
        };
        self.layer(l, "add_scale")
    }

    /// Cast to `to` (`addCast`).
    pub fn add_cast(&self, input: Tensor<'_>, to: DataType) -> Result<Layer<'_>> {
        let x = self.own(input, "add_cast")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_cast(self.raw, x, to as i32) },
            "add_cast",
        )
    }

    /// Gather along `axis` (`addGatherV2`, default mode: `torch.index_select`).
    pub fn add_gather(
        &self,
        data: Tensor<'_>,
        indices: Tensor<'_>,
        axis: i32,
    ) -> Result<Layer<'_>> {
        self.add_gather_with(data, indices, GatherMode::Default, axis, None)
    }

    /// Gather in any [`GatherMode`], with the number of leading element-wise dims (`setNbElementWiseDims`).
    pub fn add_gather_with(
        &self,
        data: Tensor<'_>,
        indices: Tensor<'_>,
        mode: GatherMode,
        axis: i32,
        nb_elementwise_dims: Option<i32>,
    ) -> Result<Layer<'_>> {
        let (d, i) = (
            self.own(data, "add_gather")?,
            self.own(indices, "add_gather")?,
        );
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_gather(
                self.raw,
                d,
                i,
                mode as i32,
                axis,
                nb_elementwise_dims.unwrap_or(-1),
            )
        };
        self.layer(l, "add_gather")
    }

    /// Resize (`addResize`): nearest / linear / cubic, coordinate transformation, output dims, scales or a
    /// run-time shape tensor.
    pub fn add_resize(&self, input: Tensor<'_>, p: Resize<'_>) -> Result<Layer<'_>> {
        let op = "add_resize";
        let x = self.own(input, op)?;
        let mut raw = trt_sys::trt_resize_params {
            mode: p.mode as i32,
            coordinate_transformation: p.coordinate_transformation.map_or(-1, |v| v as i32),
            selector_for_single_pixel: p.selector_for_single_pixel.map_or(-1, |v| v as i32),
            nearest_rounding: p.nearest_rounding.map_or(-1, |v| v as i32),
            output_dims: Dims::unset(),
            nb_scales: 0,
            scales: [0.0; 8],
            shape_tensor: std::ptr::null_mut(),
            cubic_coeff: p.cubic_coeff,
            exclude_outside: p.exclude_outside.map_or(-1, i32::from),
        };
        match &p.output {
            ResizeOutput::Dims(d) => raw.output_dims = d.to_raw(op)?,
            ResizeOutput::Scales(s) => {
                if s.is_empty() || s.len() > Dims::MAX_RANK {
                    return Err(Error::invalid(
                        op,
                        format!("{} scales; expected 1..={}", s.len(), Dims::MAX_RANK),
                    ));
                }
                raw.nb_scales = s.len() as i32;
                raw.scales[..s.len()].copy_from_slice(s);
            }
            ResizeOutput::ShapeTensor(t) => raw.shape_tensor = self.own(*t, op)?,
        }
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_resize(self.raw, x, &raw) },
            op,
        )
    }

    /// Select (`addSelect`): `condition ? then : else`, broadcasting.
    pub fn add_select(
        &self,
        condition: Tensor<'_>,
        then: Tensor<'_>,
        otherwise: Tensor<'_>,
    ) -> Result<Layer<'_>> {
        let op = "add_select";
        let (c, t, e) = (
            self.own(condition, op)?,
            self.own(then, op)?,
            self.own(otherwise, op)?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_select(self.raw, c, t, e) },
            op,
        )
    }

    /// Identity (`addIdentity`).
    pub fn add_identity(&self, input: Tensor<'_>) -> Result<Layer<'_>> {
        let x = self.own(input, "add_identity")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_identity(self.raw, x) },
            "add_identity",
        )
    }

    /// Quantize (`addQuantize`) to `output_type` (Int8, Fp8, Int4, ...). A scalar `scale` and `axis = None` is
    /// per-tensor; a 1-D `scale` with `axis = Some(a)` is per-channel along `a`.
    pub fn add_quantize(
        &self,
        input: Tensor<'_>,
        scale: Tensor<'_>,
        output_type: DataType,
        axis: Option<i32>,
    ) -> Result<Layer<'_>> {
        self.add_q_or_dq(input, scale, None, output_type, axis, true)
    }

    /// Dequantize (`addDequantize`) to `output_type` (Float, Half, BF16); scale and axis as for quantize.
    pub fn add_dequantize(
        &self,
        input: Tensor<'_>,
        scale: Tensor<'_>,
        output_type: DataType,
        axis: Option<i32>,
    ) -> Result<Layer<'_>> {
        self.add_q_or_dq(input, scale, None, output_type, axis, false)
    }

    /// Quantize or dequantize with an explicit zero-point tensor (must be all zeros: symmetric quantization).
    pub fn add_q_or_dq(
        &self,
        input: Tensor<'_>,
        scale: Tensor<'_>,
        zero_point: Option<Tensor<'_>>,
        output_type: DataType,
        axis: Option<i32>,
        quantize: bool,
    ) -> Result<Layer<'_>> {
        let op = if quantize {
            "add_quantize"
        } else {
            "add_dequantize"
        };
        let (x, s) = (self.own(input, op)?, self.own(scale, op)?);
        let z = match zero_point {
            Some(z) => self.own(z, op)?,
            None => std::ptr::null_mut(),
        };
        let axis = axis.unwrap_or(-1);
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            if quantize {
                trt_sys::trt_network_add_quantize(self.raw, x, s, z, output_type as i32, axis)
            } else {
                trt_sys::trt_network_add_dequantize(self.raw, x, s, z, output_type as i32, axis)
            }
        };
        self.layer(l, op)
    }

    /// Shape of `input` as a 1-D Int64 tensor (`addShape`).
    pub fn add_shape(&self, input: Tensor<'_>) -> Result<Layer<'_>> {
        let x = self.own(input, "add_shape")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_shape(self.raw, x) },
            "add_shape",
        )
    }

    /// Zero padding of the innermost dims (`addPaddingNd`); negative values crop.
    pub fn add_padding(
        &self,
        input: Tensor<'_>,
        pre: impl Into<Dims>,
        post: impl Into<Dims>,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_padding")?;
        let (pre, post) = (
            pre.into().to_raw("add_padding")?,
            post.into().to_raw("add_padding")?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_padding(self.raw, x, &pre, &post) },
            "add_padding",
        )
    }

    /// Top-k over one axis (`addTopK`): output 0 the values, output 1 the indices of `indices_type`
    /// (Int32 or Int64).
    pub fn add_topk(
        &self,
        input: Tensor<'_>,
        op: TopKOperation,
        k: i32,
        axes: u32,
        indices_type: DataType,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_topk")?;
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_topk(self.raw, x, op as i32, k, axes, indices_type as i32)
        };
        self.layer(l, "add_topk")
    }

    /// Fill (`addFill`) a tensor of `dims` and `output_type`: linspace (`alpha` start, `beta` delta) or random.
    pub fn add_fill(
        &self,
        dims: impl Into<Dims>,
        op: FillOperation,
        output_type: DataType,
        alpha: f64,
        beta: f64,
    ) -> Result<Layer<'_>> {
        let dims = dims.into().to_raw("add_fill")?;
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_fill(
                self.raw,
                &dims,
                op as i32,
                output_type as i32,
                alpha,
                beta,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        self.layer(l, "add_fill")
    }

    /// Parametric ReLU (`addParametricReLU`): `x >= 0 ? x : slope * x`, slope broadcast.
    pub fn add_parametric_relu(&self, input: Tensor<'_>, slope: Tensor<'_>) -> Result<Layer<'_>> {
        let (x, s) = (
            self.own(input, "add_parametric_relu")?,
            self.own(slope, "add_parametric_relu")?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_parametric_relu(self.raw, x, s) },
            "add_parametric_relu",
        )
    }

    /// Einstein summation (`addEinsum`), e.g. `"ij,jk->ik"`.
    pub fn add_einsum(&self, inputs: &[Tensor<'_>], equation: &str) -> Result<Layer<'_>> {
        let raws = inputs
            .iter()
            .map(|&t| self.own(t, "add_einsum"))
            .collect::<Result<Vec<_>>>()?;
        let eq = cstring("add_einsum", equation)?;
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_einsum(self.raw, raws.as_ptr(), raws.len() as i32, eq.as_ptr())
        };
        self.layer(l, "add_einsum")
    }

    /// Removes the unit dims listed in `axes` (`addSqueeze`).
    pub fn add_squeeze(&self, input: Tensor<'_>, axes: &[i64]) -> Result<Layer<'_>> {
        let axes_t = self.add_constant_i64(axes)?;
        let x = self.own(input, "add_squeeze")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_squeeze(self.raw, x, axes_t.raw) },
            "add_squeeze",
        )
    }

    /// Inserts unit dims at `axes` of the output (`addUnsqueeze`).
    pub fn add_unsqueeze(&self, input: Tensor<'_>, axes: &[i64]) -> Result<Layer<'_>> {
        let axes_t = self.add_constant_i64(axes)?;
        let x = self.own(input, "add_unsqueeze")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_unsqueeze(self.raw, x, axes_t.raw) },
            "add_unsqueeze",
        )
    }

    /// Cumulative sum along `axis` (`addCumulative`).
    pub fn add_cumulative(
        &self,
        input: Tensor<'_>,
        axis: i32,
        op: CumulativeOperation,
        exclusive: bool,
        reverse: bool,
    ) -> Result<Layer<'_>> {
        let axis_t = self
            .add_constant(Dims::scalar(), Weights::from_slice(&[axis]))?
            .output(0)?;
        let x = self.own(input, "add_cumulative")?;
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_cumulative(
                self.raw,
                x,
                axis_t.raw,
                op as i32,
                i32::from(exclusive),
                i32::from(reverse),
            )
        };
        self.layer(l, "add_cumulative")
    }

    /// Local response normalization (`addLRN`) over `window` channels.
    pub fn add_lrn(
        &self,
        input: Tensor<'_>,
        window: i64,
        alpha: f32,
        beta: f32,
        k: f32,
    ) -> Result<Layer<'_>> {
        let x = self.own(input, "add_lrn")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_lrn(self.raw, x, window, alpha, beta, k) },
            "add_lrn",
        )
    }

    /// Scatter (`addScatter`): `updates` written into a copy of `data` at `indices` (`axis` for element mode).
    pub fn add_scatter(
        &self,
        data: Tensor<'_>,
        indices: Tensor<'_>,
        updates: Tensor<'_>,
        mode: ScatterMode,
        axis: i32,
    ) -> Result<Layer<'_>> {
        let op = "add_scatter";
        let (d, i, u) = (
            self.own(data, op)?,
            self.own(indices, op)?,
            self.own(updates, op)?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_scatter(self.raw, d, i, u, mode as i32, axis) },
            op,
        )
    }

    /// One-hot encoding (`addOneHot`): `values` = `[off, on]`, `depth` a scalar Int32 tensor, new axis `axis`.
    pub fn add_one_hot(
        &self,
        indices: Tensor<'_>,
        values: Tensor<'_>,
        depth: Tensor<'_>,
        axis: i32,
    ) -> Result<Layer<'_>> {
        let op = "add_one_hot";
        let (i, v, d) = (
            self.own(indices, op)?,
            self.own(values, op)?,
            self.own(depth, op)?,
        );
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_one_hot(self.raw, i, v, d, axis) },
            op,
        )
    }

    /// Indices of non-zero elements (`addNonZero`): shape `[rank, count]` with a data-dependent count.
    pub fn add_non_zero(&self, input: Tensor<'_>, indices_type: DataType) -> Result<Layer<'_>> {
        let x = self.own(input, "add_non_zero")?;
        self.clear();
        // SAFETY: handles live.
        self.layer(
            unsafe { trt_sys::trt_network_add_non_zero(self.raw, x, indices_type as i32) },
            "add_non_zero",
        )
    }

    /// Grid sampling (`addGridSample`, `torch.nn.functional.grid_sample`).
    pub fn add_grid_sample(
        &self,
        input: Tensor<'_>,
        grid: Tensor<'_>,
        mode: InterpolationMode,
        align_corners: bool,
        sample_mode: SampleMode,
    ) -> Result<Layer<'_>> {
        let op = "add_grid_sample";
        let (x, g) = (self.own(input, op)?, self.own(grid, op)?);
        self.clear();
        // SAFETY: handles live.
        let l = unsafe {
            trt_sys::trt_network_add_grid_sample(
                self.raw,
                x,
                g,
                mode as i32,
                i32::from(align_corners),
                sample_mode as i32,
            )
        };
        self.layer(l, op)
    }

    /// Reverses the first `sequence_lens[b]` elements along `sequence_axis` for each batch entry
    /// (`addReverseSequence`).
    pub fn add_reverse_sequence(
        &self,
        input: Tensor<'_>,
        sequence_lens: Tensor<'_>,
        batch_axis: i32,
        sequence_axis: i32,
    ) -> Result<Layer<'_>> {
        let op = "add_reverse_sequence";
        let (x, l) = (self.own(input, op)?, self.own(sequence_lens, op)?);
        self.clear();
        // SAFETY: handles live.
        let raw = unsafe {
            trt_sys::trt_network_add_reverse_sequence(self.raw, x, l, batch_axis, sequence_axis)
        };
        self.layer(raw, op)
    }

    /// Fused attention (`addAttentionV2`, [`nvinfer1::IAttention`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_attention.html)):
    /// `normalization(q kᵀ / √d + mask) v` on `[batch, heads, tokens, head_dim]` inputs; see [`Attention`].
    /// Returns the output tensor. Needs TensorRT ≥ 10.16 or TensorRT-RTX ≥ 1.7 headers.
    pub fn add_attention(
        &self,
        query: Tensor<'_>,
        key: Tensor<'_>,
        value: Tensor<'_>,
        p: Attention<'_>,
    ) -> Result<Tensor<'_>> {
        let op = "add_attention";
        let (q, k, v) = (
            self.own(query, op)?,
            self.own(key, op)?,
            self.own(value, op)?,
        );
        let mask = match p.mask {
            Some(m) => self.own(m, op)?,
            None => std::ptr::null_mut(),
        };
        let params = trt_sys::trt_attention_params {
            normalization: p.normalization as i32,
            causal_kind: p.causal as i32,
            mask,
            decomposable: p.decomposable.map_or(-1, i32::from),
        };
        self.clear();
        // SAFETY: handles live.
        self.tensor(
            unsafe { trt_sys::trt_network_add_attention(self.raw, q, k, v, &params) },
            op,
        )
    }
}
