"""Writes the tiny ONNX models of trt/tests/onnx.rs (run from this folder: `python3 make_onnx.py`).

Made with the `onnx` package's helpers (onnx==1.17.0), weights embedded as initializers, deterministic values, so
the committed files are reproducible byte for byte. Each test says what it expects of them.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Opset 17 and IR version 8: well inside what TensorRT-RTX 1.7's parser reads, and what PyTorch 2.x exports.
OPSET = [helper.make_opsetid("", 17)]
IR_VERSION = 8


def save(graph, name, opsets=OPSET):
    model = helper.make_model(graph, opset_imports=opsets, producer_name="candle2trt trt/tests/data/make_onnx.py")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, name)


def values(shape, scale):
    """Deterministic, distinct values: no random generator whose stream could change between numpy versions."""
    n = int(np.prod(shape))
    return (np.sin(np.arange(n, dtype=np.float64) * 0.7) * scale).astype(np.float32).reshape(shape)


def conv_relu():
    """x [1,3,8,8] -> Conv (4 filters 3x3, pads 1, bias) -> Relu -> y [1,4,8,8]."""
    w = numpy_helper.from_array(values((4, 3, 3, 3), 0.5), "conv.weight")
    b = numpy_helper.from_array(values((4,), 0.1), "conv.bias")
    conv = helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv_1",
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    relu = helper.make_node("Relu", ["c"], ["y"], name="relu_1")
    graph = helper.make_graph(
        [conv, relu], "conv_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        [w, b])
    save(graph, "conv_relu.onnx")


def gemm():
    """x [2,5] -> Gemm (B [3,5] transposed, C [3], alpha 0.5, beta 2) -> y [2,3]."""
    w = numpy_helper.from_array(values((3, 5), 1.0), "fc.weight")
    c = numpy_helper.from_array(values((3,), 0.3), "fc.bias")
    node = helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1, alpha=0.5, beta=2.0)
    graph = helper.make_graph(
        [node], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [w, c])
    save(graph, "gemm.onnx")


def unknown_op():
    """x [1,4] -> Relu -> an op no parser knows (domain com.example.candle2trt) named 'mystery_node' -> y."""
    relu = helper.make_node("Relu", ["x"], ["r"], name="relu_0")
    mystery = helper.make_node("MadeUpOp", ["r"], ["y"], name="mystery_node", domain="com.example.candle2trt")
    graph = helper.make_graph(
        [relu, mystery], "unknown_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    save(graph, "unknown_op.onnx", OPSET + [helper.make_opsetid("com.example.candle2trt", 1)])


if __name__ == "__main__":
    conv_relu()
    gemm()
    unknown_op()
