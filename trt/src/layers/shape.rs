//! Layers that move, select, create or retype data: shuffle, slice, concatenation, shape, squeeze/unsqueeze,
//! fill, cast, identity, constant; and the indexing layers (gather, scatter, one-hot, non-zero, reverse sequence)
//! in `index.rs`.

use serde::Serialize;

use super::kind::{enum_field, null_or, set_inputs, zeros, Kind};
use crate::enums::{DataType, FillOperation, SampleMode};
use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};
use crate::types::Dims;
use crate::weights::Weights;

/// A shuffle ([`nvinfer1::IShuffleLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_shuffle_layer.html)):
/// first transpose, then reshape, then second transpose. An identity permutation reads back as `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shuffle<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Permutation applied first (one entry per input dim).
    pub first_transpose: Option<Vec<i32>>,
    /// Static reshape; `0` copies the input dim (when `zero_is_placeholder`), `-1` is inferred.
    pub reshape: Option<Dims>,
    /// Dynamic reshape from a 1-D Int32/Int64 shape tensor (input 1); overrides `reshape`.
    pub reshape_tensor: Option<Tensor<'n>>,
    /// Permutation applied last (one entry per output dim).
    pub second_transpose: Option<Vec<i32>>,
    /// Whether 0 in the reshape dims means "copy" (TensorRT's default, true) or a literal 0.
    pub zero_is_placeholder: bool,
}

impl<'n> Shuffle<'n> {
    /// A shuffle that does nothing yet.
    pub fn new(input: Tensor<'n>) -> Self {
        Shuffle {
            input,
            first_transpose: None,
            reshape: None,
            reshape_tensor: None,
            second_transpose: None,
            zero_is_placeholder: true,
        }
    }
    /// A reshape.
    pub fn reshape(input: Tensor<'n>, dims: impl Into<Dims>) -> Self {
        Shuffle::new(input).then_reshape(dims)
    }
    /// A reshape to a run-time shape.
    pub fn reshape_dynamic(input: Tensor<'n>, shape: Tensor<'n>) -> Self {
        Shuffle {
            reshape_tensor: Some(shape),
            ..Shuffle::new(input)
        }
    }
    /// A transpose.
    pub fn transpose(input: Tensor<'n>, permutation: impl Into<Vec<i32>>) -> Self {
        Shuffle {
            first_transpose: Some(permutation.into()),
            ..Shuffle::new(input)
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

/// TensorRT's 8-entry permutation cut to `rank` entries (`None` when it is the identity). Without a known rank,
/// trailing fixed points are dropped.
fn read_permutation(p: &trt_sys::trt_permutation, rank: Option<usize>) -> Option<Vec<i32>> {
    let identity = p.order.iter().enumerate().all(|(i, &a)| a == i as i32);
    if identity {
        return None;
    }
    let rank = rank.unwrap_or_else(|| {
        p.order
            .iter()
            .enumerate()
            .rposition(|(i, &a)| a != i as i32)
            .map_or(0, |last| last + 1)
    });
    Some(p.order[..rank.min(p.order.len())].to_vec())
}

impl<'n> Kind<'n> for Shuffle<'n> {
    const OP: &'static str = "add_shuffle";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let mut t = vec![self.input];
        t.extend(self.reshape_tensor);
        t
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let op = Self::OP;
        let raw = trt_sys::trt_shuffle_params {
            has_first_transpose: i32::from(self.first_transpose.is_some()),
            first_transpose: permutation(self.first_transpose.as_deref().unwrap_or(&[]), op)?,
            has_reshape: i32::from(self.reshape.is_some()),
            reshape_dims: match &self.reshape {
                Some(d) => d.to_raw(op)?,
                None => Dims::unset(),
            },
            reshape_tensor: self
                .reshape_tensor
                .map_or(std::ptr::null_mut(), |t| t.raw()),
            has_second_transpose: i32::from(self.second_transpose.is_some()),
            second_transpose: permutation(self.second_transpose.as_deref().unwrap_or(&[]), op)?,
            zero_is_placeholder: i32::from(self.zero_is_placeholder),
        };
        // SAFETY: the tensors belong to `net`.
        net.call(op, |n| unsafe {
            trt_sys::trt_network_add_shuffle(n, self.input.raw(), &raw)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_shuffle)?;
        let input = layer.need_input(0)?;
        let out_rank = layer
            .output(0)
            .and_then(|t| t.dims())
            .ok()
            .map(|d| d.rank());
        Ok(Shuffle {
            input,
            first_transpose: read_permutation(
                &p.first_transpose,
                input.dims().ok().map(|d| d.rank()),
            ),
            reshape: (p.reshape_dims.nb_dims >= 0 && p.reshape_tensor.is_null())
                .then(|| Dims::from_raw(&p.reshape_dims)),
            reshape_tensor: layer.tensor(p.reshape_tensor),
            second_transpose: read_permutation(&p.second_transpose, out_rank),
            zero_is_placeholder: p.zero_is_placeholder != 0,
        })
    }
}

/// A slice ([`nvinfer1::ISliceLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_slice_layer.html)).
/// Where a run-time tensor gives start, size or stride, TensorRT ignores the static value and reads it back empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slice<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// Static start per dim.
    pub start: Dims,
    /// Static output size per dim.
    pub size: Dims,
    /// Static stride per dim.
    pub stride: Dims,
    /// Run-time start (1-D Int32/Int64 tensor, input 1).
    pub start_tensor: Option<Tensor<'n>>,
    /// Run-time size (input 2).
    pub size_tensor: Option<Tensor<'n>>,
    /// Run-time stride (input 3).
    pub stride_tensor: Option<Tensor<'n>>,
    /// Out-of-bounds behavior (default `StrictBounds`).
    pub mode: SampleMode,
    /// Fill value for `SampleMode::Fill` (input 4).
    pub fill_value: Option<Tensor<'n>>,
    /// Static axes that start, size and stride apply to (`ISliceLayer::setAxes`; `None`: every dim in order).
    pub axes: Option<Dims>,
    /// Run-time axes (1-D Int32/Int64 tensor, input 5); TensorRT then reads the static axes back as unset.
    pub axes_tensor: Option<Tensor<'n>>,
}

impl<'n> Slice<'n> {
    /// A static slice.
    pub fn new(
        input: Tensor<'n>,
        start: impl Into<Dims>,
        size: impl Into<Dims>,
        stride: impl Into<Dims>,
    ) -> Self {
        Slice {
            input,
            start: start.into(),
            size: size.into(),
            stride: stride.into(),
            start_tensor: None,
            size_tensor: None,
            stride_tensor: None,
            mode: SampleMode::StrictBounds,
            fill_value: None,
            axes: None,
            axes_tensor: None,
        }
    }
    /// A slice whose start, size and stride come from 1-D tensors at run time.
    pub fn dynamic(
        input: Tensor<'n>,
        start: Tensor<'n>,
        size: Tensor<'n>,
        stride: Tensor<'n>,
    ) -> Self {
        Slice {
            start_tensor: Some(start),
            size_tensor: Some(size),
            stride_tensor: Some(stride),
            ..Slice::new(input, Dims::scalar(), Dims::scalar(), Dims::scalar())
        }
    }
    /// Sets the sample mode.
    pub fn mode(mut self, mode: SampleMode) -> Self {
        self.mode = mode;
        self
    }
    /// Applies start, size and stride to `axes` only (negative: from the back).
    pub fn axes(mut self, axes: impl Into<Dims>) -> Self {
        self.axes = Some(axes.into());
        self
    }
    /// Takes the axes from a 1-D Int32/Int64 tensor at run time (input 5).
    pub fn axes_tensor(mut self, axes: Tensor<'n>) -> Self {
        self.axes_tensor = Some(axes);
        self
    }
}

impl<'n> Kind<'n> for Slice<'n> {
    const OP: &'static str = "add_slice";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        let extra = [
            self.start_tensor,
            self.size_tensor,
            self.stride_tensor,
            self.fill_value,
            self.axes_tensor,
        ];
        std::iter::once(self.input)
            .chain(extra.into_iter().flatten())
            .collect()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let op = Self::OP;
        // addSlice takes static dims of the input's rank even where a tensor will replace them.
        let rank = self.input.dims().map(|d| d.rank()).unwrap_or(0);
        let static_dims = |d: &Dims, t: Option<Tensor<'_>>| {
            if t.is_some() && d.rank() == 0 {
                zeros(rank).to_raw(op)
            } else {
                d.to_raw(op)
            }
        };
        let raw = trt_sys::trt_slice_params {
            start: static_dims(&self.start, self.start_tensor)?,
            size: static_dims(&self.size, self.size_tensor)?,
            stride: static_dims(&self.stride, self.stride_tensor)?,
            start_tensor: null_or(self.start_tensor),
            size_tensor: null_or(self.size_tensor),
            stride_tensor: null_or(self.stride_tensor),
            mode: self.mode as i32,
            fill_value: null_or(self.fill_value),
        };
        // SAFETY: the tensors belong to `net`.
        let layer = net.call(op, |n| unsafe {
            trt_sys::trt_network_add_slice(n, self.input.raw(), &raw)
        })?;
        if let Some(axes) = &self.axes {
            let axes = axes.to_raw(op)?;
            // SAFETY: `layer` was just added to `net`.
            net.status("slice_set_axes", || unsafe {
                trt_sys::trt_layer_set_slice_axes(layer, &axes)
            })?;
        }
        set_inputs(net, layer, &[(5, self.axes_tensor)])?;
        Ok(layer)
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_slice)?;
        let axes = layer.get(Self::OP, trt_sys::trt_layer_get_slice_axes)?;
        Ok(Slice {
            input: layer.need_input(0)?,
            start: Dims::from_raw(&p.start),
            size: Dims::from_raw(&p.size),
            stride: Dims::from_raw(&p.stride),
            start_tensor: layer.tensor(p.start_tensor),
            size_tensor: layer.tensor(p.size_tensor),
            stride_tensor: layer.tensor(p.stride_tensor),
            mode: enum_field(Self::OP, "sample mode", p.mode, SampleMode::from_raw)?,
            fill_value: layer.tensor(p.fill_value),
            axes: (axes.nb_dims > 0).then(|| Dims::from_raw(&axes)),
            axes_tensor: layer.input(5),
        })
    }
}

/// Concatenation along an axis ([`nvinfer1::IConcatenationLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_concatenation_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concatenation<'n> {
    /// The inputs, in order.
    pub inputs: Vec<Tensor<'n>>,
    /// The axis.
    pub axis: i32,
}

impl<'n> Concatenation<'n> {
    /// `inputs` joined along `axis`.
    pub fn new(inputs: impl Into<Vec<Tensor<'n>>>, axis: i32) -> Self {
        Concatenation {
            inputs: inputs.into(),
            axis,
        }
    }
}

impl<'n> Kind<'n> for Concatenation<'n> {
    const OP: &'static str = "add_concatenation";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        self.inputs.clone()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let raws: Vec<_> = self.inputs.iter().map(|t| t.raw()).collect();
        // SAFETY: `raws` holds tensors of `net`, alive for the call.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_concatenation(n, raws.as_ptr(), raws.len() as i32, self.axis)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let axis = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        let inputs = (0..layer.nb_inputs())
            .map(|i| layer.need_input(i))
            .collect::<Result<_>>()?;
        Ok(Concatenation { inputs, axis })
    }
}

/// Declares a layer whose only parameters are its input tensors.
macro_rules! inputs_only {
    ($(#[$doc:meta])* $name:ident, $op:literal, $add:ident, [$($field:ident = $index:literal),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name<'n> {
            $(#[doc = concat!("The `", stringify!($field), "` input.")] pub $field: Tensor<'n>,)+
        }

        impl<'n> $name<'n> {
            #[doc = concat!("A ", stringify!($name), " layer of its inputs.")]
            pub fn new($($field: Tensor<'n>),+) -> Self {
                $name { $($field),+ }
            }
        }

        impl<'n> Kind<'n> for $name<'n> {
            const OP: &'static str = $op;

            fn tensors(&self) -> Vec<Tensor<'n>> {
                vec![$(self.$field),+]
            }

            fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
                // SAFETY: the tensors belong to `net`.
                net.call(Self::OP, |n| unsafe { trt_sys::$add(n, $(self.$field.raw()),+) })
            }

            fn read(layer: &Layer<'n>) -> Result<Self> {
                Ok($name { $($field: layer.need_input($index)?),+ })
            }
        }
    };
}

inputs_only! {
    /// The shape of a tensor as a 1-D Int64 tensor ([`nvinfer1::IShapeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_shape_layer.html)).
    Shape, "add_shape", trt_network_add_shape, [input = 0]
}

inputs_only! {
    /// A copy ([`nvinfer1::IIdentityLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_identity_layer.html)).
    Identity, "add_identity", trt_network_add_identity, [input = 0]
}

/// Removes the unit dims listed in the 1-D Int32/Int64 `axes` tensor ([`nvinfer1::ISqueezeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_squeeze_layer.html)).
/// A layer read back without axes (NVIDIA's ONNX parser leaves input 1 unset) removes "all dimensions of the first
/// input whose size is statically 1 in the network definition".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Squeeze<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The axes (input 1); `None` only when read back from a layer without them (`addSqueeze` takes axes).
    pub axes: Option<Tensor<'n>>,
}

impl<'n> Squeeze<'n> {
    /// Removes the unit dims of `input` at `axes`.
    pub fn new(input: Tensor<'n>, axes: Tensor<'n>) -> Self {
        Squeeze {
            input,
            axes: Some(axes),
        }
    }
}

impl<'n> Kind<'n> for Squeeze<'n> {
    const OP: &'static str = "add_squeeze";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        std::iter::once(self.input).chain(self.axes).collect()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let Some(axes) = self.axes else {
            return Err(Error::invalid(
                Self::OP,
                "a squeeze without axes cannot be added (addSqueeze takes an axes tensor)",
            ));
        };
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_squeeze(n, self.input.raw(), axes.raw())
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        Ok(Squeeze {
            input: layer.need_input(0)?,
            axes: layer.input(1),
        })
    }
}

inputs_only! {
    /// Inserts unit dims at the output positions listed in the `axes` tensor ([`nvinfer1::IUnsqueezeLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_unsqueeze_layer.html)).
    Unsqueeze, "add_unsqueeze", trt_network_add_unsqueeze, [input = 0, axes = 1]
}

/// A cast ([`nvinfer1::ICastLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_cast_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cast<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The output type.
    pub to: DataType,
}

impl<'n> Cast<'n> {
    /// `input` converted to `to`.
    pub fn new(input: Tensor<'n>, to: DataType) -> Self {
        Cast { input, to }
    }
}

impl<'n> Kind<'n> for Cast<'n> {
    const OP: &'static str = "add_cast";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_cast(n, self.input.raw(), self.to as i32)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let to = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        Ok(Cast {
            input: layer.need_input(0)?,
            to: enum_field(Self::OP, "output type", to, DataType::from_raw)?,
        })
    }
}

/// A constant tensor ([`nvinfer1::IConstantLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_constant_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constant {
    /// Its shape; the volume equals the weights' count.
    pub dims: Dims,
    /// Its values.
    pub weights: Weights,
}

impl Constant {
    /// A constant of `dims` holding `weights`.
    pub fn new(dims: impl Into<Dims>, weights: Weights) -> Self {
        Constant {
            dims: dims.into(),
            weights,
        }
    }
    /// A 1-D Int64 constant, handy as a shape / axes / index tensor.
    pub fn i64(values: &[i64]) -> Self {
        Constant::new([values.len() as i64], Weights::from_slice(values))
    }
}

impl<'n> Kind<'n> for Constant {
    const OP: &'static str = "add_constant";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        Vec::new()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        if let Some(volume) = self.dims.volume() {
            if volume != self.weights.count() {
                return Err(Error::invalid(
                    Self::OP,
                    format!(
                        "dims {} hold {volume} elements but the weights have {}",
                        self.dims,
                        self.weights.count()
                    ),
                ));
            }
        }
        let dims = self.dims.to_raw(Self::OP)?;
        let w = net.keep(self.weights);
        // SAFETY: the weights' bytes are kept in the network's arena.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_constant(n, &dims, w)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_constant)?;
        Ok(Constant {
            dims: Dims::from_raw(&p.dims),
            weights: Weights::copied(&p.weights, Self::OP)?,
        })
    }
}

/// A generated tensor ([`nvinfer1::IFillLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_fill_layer.html)):
/// linspace (`alpha` start, `beta` delta per dim) or random.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fill<'n> {
    /// Output shape (empty when `shape` gives it).
    pub dims: Dims,
    /// What to generate.
    pub op: FillOperation,
    /// Output type.
    pub output_type: DataType,
    /// Start (linspace), minimum (uniform) or mean (normal).
    pub alpha: f64,
    /// Delta (linspace), maximum (uniform) or standard deviation (normal).
    pub beta: f64,
    /// Run-time output shape (1-D tensor, input 0).
    pub shape: Option<Tensor<'n>>,
    /// Run-time alpha (input 1).
    pub alpha_tensor: Option<Tensor<'n>>,
    /// Run-time beta (input 2).
    pub beta_tensor: Option<Tensor<'n>>,
}

impl<'n> Fill<'n> {
    /// A fill of `dims` with `op`, `alpha` and `beta`.
    pub fn new(
        dims: impl Into<Dims>,
        op: FillOperation,
        output_type: DataType,
        alpha: f64,
        beta: f64,
    ) -> Self {
        Fill {
            dims: dims.into(),
            op,
            output_type,
            alpha,
            beta,
            shape: None,
            alpha_tensor: None,
            beta_tensor: None,
        }
    }
}

impl<'n> Kind<'n> for Fill<'n> {
    const OP: &'static str = "add_fill";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        [self.shape, self.alpha_tensor, self.beta_tensor]
            .into_iter()
            .flatten()
            .collect()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let dims = self.dims.to_raw(Self::OP)?;
        // SAFETY: the tensors belong to `net`.
        let layer = net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_fill(
                n,
                &dims,
                self.op as i32,
                self.output_type as i32,
                self.alpha,
                self.beta,
                null_or(self.alpha_tensor),
                null_or(self.beta_tensor),
            )
        })?;
        set_inputs(net, layer, &[(0, self.shape)])?;
        Ok(layer)
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_fill)?;
        Ok(Fill {
            dims: Dims::from_raw(&p.dims),
            op: enum_field(Self::OP, "fill operation", p.op, FillOperation::from_raw)?,
            output_type: enum_field(Self::OP, "output type", p.output_type, DataType::from_raw)?,
            alpha: p.alpha,
            beta: p.beta,
            shape: layer.input(0),
            alpha_tensor: layer.input(1),
            beta_tensor: layer.input(2),
        })
    }
}
