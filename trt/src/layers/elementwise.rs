//! Element-wise layers: binary operations, unary operations, activations, select, parametric ReLU.

use serde::Serialize;

use super::{enum_field, Kind};
use crate::enums::{ActivationType, ElementWiseOperation, UnaryOperation};
use crate::error::Result;
use crate::network::{Layer, Network, Tensor};

/// A binary operation with broadcasting ([`nvinfer1::IElementWiseLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_element_wise_layer.html));
/// both inputs have the same rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementWise<'n> {
    /// First operand.
    pub a: Tensor<'n>,
    /// Second operand.
    pub b: Tensor<'n>,
    /// The operation.
    pub op: ElementWiseOperation,
}

impl<'n> ElementWise<'n> {
    /// `a op b`.
    pub fn new(a: Tensor<'n>, b: Tensor<'n>, op: ElementWiseOperation) -> Self {
        ElementWise { a, b, op }
    }
}

impl<'n> Kind<'n> for ElementWise<'n> {
    const OP: &'static str = "add_elementwise";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.a, self.b]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_elementwise(n, self.a.raw(), self.b.raw(), self.op as i32)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let op = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        Ok(ElementWise {
            a: layer.need_input(0)?,
            b: layer.need_input(1)?,
            op: enum_field(Self::OP, "operation", op, ElementWiseOperation::from_raw)?,
        })
    }
}

/// A unary operation ([`nvinfer1::IUnaryLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_unary_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unary<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The operation.
    pub op: UnaryOperation,
}

impl<'n> Unary<'n> {
    /// `op(input)`.
    pub fn new(input: Tensor<'n>, op: UnaryOperation) -> Self {
        Unary { input, op }
    }
}

impl<'n> Kind<'n> for Unary<'n> {
    const OP: &'static str = "add_unary";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_unary(n, self.input.raw(), self.op as i32)
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let op = layer.get(Self::OP, trt_sys::trt_layer_get_single)?;
        Ok(Unary {
            input: layer.need_input(0)?,
            op: enum_field(Self::OP, "operation", op, UnaryOperation::from_raw)?,
        })
    }
}

/// An activation ([`nvinfer1::IActivationLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_activation_layer.html));
/// what `alpha` and `beta` mean is given per [`ActivationType`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activation<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The function.
    pub activation_type: ActivationType,
    /// First parameter (default 0).
    pub alpha: f32,
    /// Second parameter (default 0).
    pub beta: f32,
}

impl<'n> Activation<'n> {
    /// `activation_type(input)` with alpha = beta = 0.
    pub fn new(input: Tensor<'n>, activation_type: ActivationType) -> Self {
        Activation {
            input,
            activation_type,
            alpha: 0.0,
            beta: 0.0,
        }
    }
    /// Sets `alpha` and `beta`.
    pub fn params(mut self, alpha: f32, beta: f32) -> Self {
        self.alpha = alpha;
        self.beta = beta;
        self
    }
}

impl<'n> Kind<'n> for Activation<'n> {
    const OP: &'static str = "add_activation";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the input belongs to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_activation(
                n,
                self.input.raw(),
                self.activation_type as i32,
                self.alpha,
                self.beta,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_activation)?;
        Ok(Activation {
            input: layer.need_input(0)?,
            activation_type: enum_field(
                Self::OP,
                "activation type",
                p.activation_type,
                ActivationType::from_raw,
            )?,
            alpha: p.alpha,
            beta: p.beta,
        })
    }
}

/// `condition ? then : otherwise` with broadcasting ([`nvinfer1::ISelectLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_select_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Select<'n> {
    /// A Bool tensor.
    pub condition: Tensor<'n>,
    /// Taken where the condition holds.
    pub then: Tensor<'n>,
    /// Taken elsewhere.
    pub otherwise: Tensor<'n>,
}

impl<'n> Select<'n> {
    /// `condition ? then : otherwise`.
    pub fn new(condition: Tensor<'n>, then: Tensor<'n>, otherwise: Tensor<'n>) -> Self {
        Select {
            condition,
            then,
            otherwise,
        }
    }
}

impl<'n> Kind<'n> for Select<'n> {
    const OP: &'static str = "add_select";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.condition, self.then, self.otherwise]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_select(
                n,
                self.condition.raw(),
                self.then.raw(),
                self.otherwise.raw(),
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        Ok(Select {
            condition: layer.need_input(0)?,
            then: layer.need_input(1)?,
            otherwise: layer.need_input(2)?,
        })
    }
}

/// Parametric ReLU, `x >= 0 ? x : slope * x` with the slope broadcast
/// ([`nvinfer1::IParametricReLULayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_parametric_re_l_u_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParametricRelu<'n> {
    /// The input.
    pub input: Tensor<'n>,
    /// The slope.
    pub slope: Tensor<'n>,
}

impl<'n> ParametricRelu<'n> {
    /// PReLU of `input` with `slope`.
    pub fn new(input: Tensor<'n>, slope: Tensor<'n>) -> Self {
        ParametricRelu { input, slope }
    }
}

impl<'n> Kind<'n> for ParametricRelu<'n> {
    const OP: &'static str = "add_parametric_relu";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.input, self.slope]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_parametric_relu(n, self.input.raw(), self.slope.raw())
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        Ok(ParametricRelu {
            input: layer.need_input(0)?,
            slope: layer.need_input(1)?,
        })
    }
}
