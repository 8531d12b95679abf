//! Contractions: matrix multiply and Einstein summation.

use serde::Serialize;

use super::kind::{enum_field, Kind};
use crate::enums::MatrixOperation;
use crate::error::{Error, Result};
use crate::network::{Layer, Network, Tensor};
use crate::util::cstring;

/// A matrix multiply, each operand optionally transposed or treated as a vector
/// ([`nvinfer1::IMatrixMultiplyLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_matrix_multiply_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixMultiply<'n> {
    /// First operand.
    pub a: Tensor<'n>,
    /// How `a` is read.
    pub op_a: MatrixOperation,
    /// Second operand.
    pub b: Tensor<'n>,
    /// How `b` is read.
    pub op_b: MatrixOperation,
}

impl<'n> MatrixMultiply<'n> {
    /// `op_a(a) @ op_b(b)`.
    pub fn new(a: Tensor<'n>, op_a: MatrixOperation, b: Tensor<'n>, op_b: MatrixOperation) -> Self {
        MatrixMultiply { a, op_a, b, op_b }
    }
}

impl<'n> Kind<'n> for MatrixMultiply<'n> {
    const OP: &'static str = "add_matrix_multiply";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        vec![self.a, self.b]
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        // SAFETY: the tensors belong to `net`.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_matrix_multiply(
                n,
                self.a.raw(),
                self.op_a as i32,
                self.b.raw(),
                self.op_b as i32,
            )
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        let p = layer.get(Self::OP, trt_sys::trt_layer_get_matrix_multiply)?;
        let op = |v| enum_field(Self::OP, "matrix operation", v, MatrixOperation::from_raw);
        Ok(MatrixMultiply {
            a: layer.need_input(0)?,
            op_a: op(p.op_a)?,
            b: layer.need_input(1)?,
            op_b: op(p.op_b)?,
        })
    }
}

/// Einstein summation, e.g. `"ij,jk->ik"` ([`nvinfer1::IEinsumLayer`](https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/c-api/classnvinfer1_1_1_i_einsum_layer.html)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Einsum<'n> {
    /// The operands, in the equation's order.
    pub inputs: Vec<Tensor<'n>>,
    /// The equation.
    pub equation: String,
}

impl<'n> Einsum<'n> {
    /// `equation` over `inputs`.
    pub fn new(inputs: impl Into<Vec<Tensor<'n>>>, equation: impl Into<String>) -> Self {
        Einsum {
            inputs: inputs.into(),
            equation: equation.into(),
        }
    }
}

impl<'n> Kind<'n> for Einsum<'n> {
    const OP: &'static str = "add_einsum";

    fn tensors(&self) -> Vec<Tensor<'n>> {
        self.inputs.clone()
    }

    fn add(self, net: &Network<'_>) -> Result<*mut trt_sys::trt_layer> {
        let raws: Vec<_> = self.inputs.iter().map(|t| t.raw()).collect();
        let eq = cstring(Self::OP, &self.equation)?;
        // SAFETY: `raws` holds tensors of `net`; `eq` is NUL-terminated; both outlive the call.
        net.call(Self::OP, |n| unsafe {
            trt_sys::trt_network_add_einsum(n, raws.as_ptr(), raws.len() as i32, eq.as_ptr())
        })
    }

    fn read(layer: &Layer<'n>) -> Result<Self> {
        // SAFETY: the layer is live; the shim checks its type.
        let eq = unsafe { trt_sys::trt_layer_get_einsum_equation(layer.raw()) };
        if eq.is_null() {
            return Err(Error::invalid(Self::OP, trt_sys::take_last_error()));
        }
        // SAFETY: a NUL-terminated string owned by the live layer; copied at once.
        let equation = unsafe { std::ffi::CStr::from_ptr(eq) }
            .to_string_lossy()
            .into_owned();
        let inputs = (0..layer.nb_inputs())
            .map(|i| layer.need_input(i))
            .collect::<Result<_>>()?;
        Ok(Einsum { inputs, equation })
    }
}
