//! The tracer's view of a `trt::Network`: tensors as indices (so traced tensors need not borrow
//! the network) and the few layer parameter sets the converters use.

use trt::{
    ActivationType, DataType, ElementWiseOperation, InterpolationMode, MatrixOperation,
    PoolingType, ReduceOperation, ResizeCoordinateTransformation, ResizeRoundMode, SampleMode,
    UnaryOperation, Weights,
};

/// A tensor of the traced network (index into [`Net`]'s tensor list).
pub(crate) type H = usize;

/// A 2-D convolution (1-D ones run as 2-D with a unit dimension).
#[derive(Debug, Clone)]
pub(crate) struct ConvSpec {
    pub out_channels: i64,
    pub kernel: Vec<i64>,
    pub stride: Vec<i64>,
    pub pre_padding: Vec<i64>,
    pub post_padding: Vec<i64>,
    pub dilation: Vec<i64>,
    pub groups: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct PoolSpec {
    pub kind: PoolingType,
    pub window: Vec<i64>,
    pub stride: Vec<i64>,
    pub pre_padding: Vec<i64>,
    pub post_padding: Vec<i64>,
    pub average_count_excludes_padding: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ShuffleSpec {
    pub first_transpose: Option<Vec<usize>>,
    /// TensorRT reshape dims: 0 copies the input dimension, -1 is inferred.
    pub reshape: Option<Vec<i64>>,
    /// A 1-D Int64 shape tensor (overrides `reshape`).
    pub reshape_tensor: Option<H>,
}

#[derive(Debug, Clone)]
pub(crate) struct SliceSpec {
    pub start: Vec<i64>,
    pub size: Vec<i64>,
    pub stride: Vec<i64>,
    /// Run-time size (dynamic inputs); overrides `size`.
    pub size_tensor: Option<H>,
    pub mode: Option<SampleMode>,
}

#[derive(Debug, Clone)]
pub(crate) struct ResizeSpec {
    pub mode: InterpolationMode,
    pub coordinate_transformation: ResizeCoordinateTransformation,
    pub nearest_rounding: ResizeRoundMode,
    pub output_dims: Option<Vec<i64>>,
    pub shape_tensor: Option<H>,
}

/// The network being traced and its tensors.
pub(crate) struct Net<'n> {
    network: &'n trt::Network<'n>,
    tensors: Vec<trt::Tensor<'n>>,
}

type R = trt::Result<H>;

impl<'n> Net<'n> {
    pub(crate) fn new(network: &'n trt::Network<'n>) -> Self {
        Net {
            network,
            tensors: Vec::new(),
        }
    }

    pub(crate) fn tensor(&self, h: H) -> trt::Tensor<'n> {
        self.tensors[h]
    }

    fn push(&mut self, t: trt::Tensor<'n>) -> H {
        self.tensors.push(t);
        self.tensors.len() - 1
    }

    fn push_layer(&mut self, l: trt::Result<trt::Layer<'n>>) -> R {
        let t = l?.output(0)?;
        Ok(self.push(t))
    }

    /// TensorRT's dims for `h`, or its error (shape inference failures surface here).
    pub(crate) fn try_dims(&self, h: H) -> trt::Result<Vec<i64>> {
        Ok(self.tensors[h].dims()?.as_slice().to_vec())
    }

    /// TensorRT's dims for `h` (empty when shape inference failed; `finish` reports that).
    pub(crate) fn dims(&self, h: H) -> Vec<i64> {
        self.try_dims(h).unwrap_or_default()
    }

    pub(crate) fn dtype(&self, h: H) -> DataType {
        self.tensors[h].data_type().unwrap_or(DataType::Float)
    }

    pub(crate) fn nb_layers(&self) -> usize {
        self.network.nb_layers()
    }

    pub(crate) fn set_layer_name(&self, i: usize, name: &str) {
        if let Ok(l) = self.network.layer_at(i) {
            // A name TensorRT refuses only makes the report less readable.
            let _ = l.set_name(name);
        }
    }

    pub(crate) fn layer_name(&self, i: usize) -> String {
        self.network
            .layer_at(i)
            .map(|l| l.name())
            .unwrap_or_default()
    }

    pub(crate) fn layer_type(&self, i: usize) -> String {
        match self.network.layer_at(i).map(|l| l.layer_type()) {
            Ok(Some(t)) => format!("{t:?}"),
            _ => "Unknown".to_string(),
        }
    }

    pub(crate) fn add_input(&mut self, name: &str, dt: DataType, dims: &[i64]) -> R {
        let t = self.network.add_input(name, dt, dims.to_vec())?;
        Ok(self.push(t))
    }

    pub(crate) fn mark_output(&mut self, h: H, name: &str) -> trt::Result<()> {
        self.network.mark_output_named(self.tensors[h], name)
    }

    pub(crate) fn constant(&mut self, dims: &[i64], w: Weights) -> R {
        let l = self.network.add(trt::Constant::new(dims.to_vec(), w));
        self.push_layer(l)
    }

    fn conv_params(
        x: trt::Tensor<'n>,
        spec: &ConvSpec,
        kernel: Weights,
        bias: Option<Weights>,
    ) -> trt::Convolution<'n> {
        let mut c = trt::Convolution::new(x, spec.out_channels, spec.kernel.clone(), kernel)
            .stride(spec.stride.clone())
            .pre_post_padding(spec.pre_padding.clone(), spec.post_padding.clone())
            .dilation(spec.dilation.clone())
            .groups(spec.groups);
        if let Some(b) = bias {
            c = c.bias(b);
        }
        c
    }

    pub(crate) fn convolution(
        &mut self,
        x: H,
        spec: &ConvSpec,
        kernel: Weights,
        bias: Option<Weights>,
    ) -> R {
        let l = self
            .network
            .add(Self::conv_params(self.tensors[x], spec, kernel, bias));
        self.push_layer(l)
    }

    pub(crate) fn deconvolution(
        &mut self,
        x: H,
        spec: &ConvSpec,
        kernel: Weights,
        bias: Option<Weights>,
    ) -> R {
        let mut d = trt::Deconvolution::new(
            self.tensors[x],
            spec.out_channels,
            spec.kernel.clone(),
            kernel,
        )
        .stride(spec.stride.clone())
        .pre_post_padding(spec.pre_padding.clone(), spec.post_padding.clone())
        .dilation(spec.dilation.clone())
        .groups(spec.groups);
        if let Some(b) = bias {
            d = d.bias(b);
        }
        let l = self.network.add(d);
        self.push_layer(l)
    }

    pub(crate) fn pooling(&mut self, x: H, spec: &PoolSpec) -> R {
        let p = trt::Pooling::new(self.tensors[x], spec.kind, spec.window.clone())
            .stride(spec.stride.clone())
            .pre_post_padding(spec.pre_padding.clone(), spec.post_padding.clone())
            .exclusive(spec.average_count_excludes_padding);
        let l = self.network.add(p);
        self.push_layer(l)
    }

    pub(crate) fn activation(&mut self, x: H, kind: ActivationType, alpha: f32, beta: f32) -> R {
        let l = self
            .network
            .add(trt::Activation::new(self.tensors[x], kind).params(alpha, beta));
        self.push_layer(l)
    }

    pub(crate) fn unary(&mut self, x: H, op: UnaryOperation) -> R {
        let l = self.network.add(trt::Unary::new(self.tensors[x], op));
        self.push_layer(l)
    }

    pub(crate) fn elementwise(&mut self, a: H, b: H, op: ElementWiseOperation) -> R {
        let l = self
            .network
            .add(trt::ElementWise::new(self.tensors[a], self.tensors[b], op));
        self.push_layer(l)
    }

    pub(crate) fn matmul(&mut self, a: H, op_a: MatrixOperation, b: H, op_b: MatrixOperation) -> R {
        let l = self.network.add(trt::MatrixMultiply::new(
            self.tensors[a],
            op_a,
            self.tensors[b],
            op_b,
        ));
        self.push_layer(l)
    }

    pub(crate) fn shuffle(&mut self, x: H, spec: &ShuffleSpec) -> R {
        let p = trt::Shuffle {
            first_transpose: spec
                .first_transpose
                .as_ref()
                .map(|p| p.iter().map(|&a| a as i32).collect()),
            reshape: spec.reshape.clone().map(Into::into),
            reshape_tensor: spec.reshape_tensor.map(|h| self.tensors[h]),
            ..trt::Shuffle::new(self.tensors[x])
        };
        let l = self.network.add(p);
        self.push_layer(l)
    }

    pub(crate) fn concat(&mut self, hs: &[H], axis: i32) -> R {
        let ts: Vec<trt::Tensor<'n>> = hs.iter().map(|&h| self.tensors[h]).collect();
        let l = self.network.add(trt::Concatenation::new(ts, axis));
        self.push_layer(l)
    }

    pub(crate) fn slice(&mut self, x: H, spec: &SliceSpec) -> R {
        let mut p = trt::Slice::new(
            self.tensors[x],
            spec.start.clone(),
            spec.size.clone(),
            spec.stride.clone(),
        );
        p.size_tensor = spec.size_tensor.map(|h| self.tensors[h]);
        p.mode = spec.mode.unwrap_or(SampleMode::StrictBounds);
        let l = self.network.add(p);
        self.push_layer(l)
    }

    pub(crate) fn reduce(&mut self, x: H, op: ReduceOperation, axes: u32, keep: bool) -> R {
        let l = self
            .network
            .add(trt::Reduce::new(self.tensors[x], op, axes, keep));
        self.push_layer(l)
    }

    pub(crate) fn softmax(&mut self, x: H, axes: u32) -> R {
        let l = self.network.add(trt::Softmax::new(self.tensors[x], axes));
        self.push_layer(l)
    }

    pub(crate) fn normalization(
        &mut self,
        x: H,
        scale: H,
        bias: H,
        axes: u32,
        eps: f32,
        groups: i64,
    ) -> R {
        let mut n = trt::Normalization::new(
            self.tensors[x],
            self.tensors[scale],
            self.tensors[bias],
            axes,
            eps,
        );
        if groups > 0 {
            n = n.groups(groups);
        }
        let l = self.network.add(n);
        self.push_layer(l)
    }

    pub(crate) fn cast(&mut self, x: H, to: DataType) -> R {
        let l = self.network.add(trt::Cast::new(self.tensors[x], to));
        self.push_layer(l)
    }

    pub(crate) fn gather(&mut self, data: H, indices: H, axis: i32) -> R {
        let l = self.network.add(trt::Gather::new(
            self.tensors[data],
            self.tensors[indices],
            axis,
        ));
        self.push_layer(l)
    }

    pub(crate) fn resize(&mut self, x: H, spec: &ResizeSpec) -> R {
        let output = match (spec.shape_tensor, &spec.output_dims) {
            (Some(h), _) => trt::ResizeOutput::ShapeTensor(self.tensors[h]),
            (None, Some(d)) => trt::ResizeOutput::Dims(d.clone().into()),
            (None, None) => {
                return Err(trt::Error::InvalidArgument {
                    op: "add_resize",
                    message: "no output size".into(),
                })
            }
        };
        let p = trt::Resize::new(self.tensors[x], output, spec.mode)
            .coordinate_transformation(spec.coordinate_transformation)
            .nearest_rounding(spec.nearest_rounding);
        let l = self.network.add(p);
        self.push_layer(l)
    }

    pub(crate) fn select(&mut self, c: H, t: H, f: H) -> R {
        let l = self.network.add(trt::Select::new(
            self.tensors[c],
            self.tensors[t],
            self.tensors[f],
        ));
        self.push_layer(l)
    }

    pub(crate) fn shape(&mut self, x: H) -> R {
        let l = self.network.add(trt::Shape::new(self.tensors[x]));
        self.push_layer(l)
    }

    pub(crate) fn squeeze(&mut self, x: H, axes: &[i64]) -> R {
        let axes = self.network.add(trt::Constant::i64(axes))?.output(0)?;
        let l = self.network.add(trt::Squeeze::new(self.tensors[x], axes));
        self.push_layer(l)
    }

    pub(crate) fn unsqueeze(&mut self, x: H, axes: &[i64]) -> R {
        let axes = self.network.add(trt::Constant::i64(axes))?.output(0)?;
        let l = self.network.add(trt::Unsqueeze::new(self.tensors[x], axes));
        self.push_layer(l)
    }

    pub(crate) fn identity(&mut self, x: H) -> R {
        let l = self.network.add(trt::Identity::new(self.tensors[x]));
        self.push_layer(l)
    }
}
