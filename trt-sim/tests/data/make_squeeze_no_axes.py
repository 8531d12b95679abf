"""Writes squeeze_no_axes.onnx: Squeeze (opset 13) of a [1, 3, 1, 2] input with no axes input, which ONNX defines as
removing every dimension of length 1 (expected output [3, 2]). Run with onnx==1.17.0: python3 make_squeeze_no_axes.py
"""
import onnx
from onnx import TensorProto, helper

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 1, 2])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])
node = helper.make_node("Squeeze", ["x"], ["y"], name="squeeze_all")
graph = helper.make_graph([node], "squeeze_no_axes", [x], [y])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="candle2trt-tests")
onnx.checker.check_model(model)
onnx.save(model, "squeeze_no_axes.onnx")
