"""`--onnx_exact`: unary element-wise operators as the 256-entry table onnxruntime computes.

An int8 element-wise operator's output depends on its input's 256 possible values only,
so onnxruntime's result on all of them is its table, whatever arithmetic produced it:
QLinearSigmoid and QLinearLeakyRelu build such a table themselves (dequantize, MLAS's
float function, quantize), and a QDQ Sigmoid, Tanh, LeakyRelu, HardSigmoid or HardSwish is
DequantizeLinear -> the float operator -> QuantizeLinear element by element. The compiler
runs the node once, alone, under onnxruntime (ORT_DISABLE_ALL) on the 256 inputs and
emits the result as a LOOKUP_TABLE layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinymlc.frontend.onnx.builder import UINT8_SHIFT, Builder, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node, act
from tinymlc.ir import LookupTableAttrs, OpKind

TABULATED = ("Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish")
"""Float operators (QDQ, or the float_op of QLinearSigmoid / QLinearLeakyRelu)."""


def _session(model: onnx.ModelProto) -> Any:
    try:
        import onnxruntime  # type: ignore[import-untyped]  # noqa: PLC0415 -- optional dependency
    except ImportError as exc:
        raise UnsupportedNodeError(
            "--onnx_exact tabulates this operator with onnxruntime: install it"
        ) from exc
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        return onnxruntime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types
        raise UnsupportedNodeError(f"onnxruntime cannot run it alone: {exc}") from exc


def onnxruntime_table(
    node: Node | None, input_scale: float, input_zero_point: int, out: QParams
) -> tuple[int, ...]:
    """onnxruntime's output for every int8 input (an int8 zero point; a uint8 output runs
    the node on uint8 values with the same reals), indexed by the input's bit pattern.
    `node` None: DequantizeLinear -> QuantizeLinear, a requantization."""
    unsigned = out.unsigned
    shift = UINT8_SHIFT if unsigned else 0
    storage, element = (np.uint8, TensorProto.UINT8) if unsigned else (np.int8, TensorProto.INT8)
    signed_inputs = np.arange(-128, 128, dtype=np.int32)
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(input_scale, np.float32),
        "x_zero": np.array(input_zero_point + shift, storage),
        "y_scale": np.array(out.scale, np.float32),
        "y_zero": np.array(out.zero_points[0], storage),
    }
    opsets = [helper.make_opsetid("", 13 if node is None else max(node.opset, 13))]
    if node is None:
        nodes = [
            helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero"], ["real"]),
            helper.make_node("QuantizeLinear", ["real", "y_scale", "y_zero"], ["y"]),
        ]
    elif node.domain == "com.microsoft":
        function = helper.make_node(
            node.op_type, ["x", "x_scale", "x_zero", "y_scale", "y_zero"], ["y"], domain="com.microsoft"
        )
        function.attribute.extend(node.proto.attribute)
        nodes, opsets = [function], [helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]
    else:
        function = helper.make_node(node.op_type, ["real"], ["result"])
        function.attribute.extend(node.proto.attribute)
        nodes = [
            helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero"], ["real"]),
            function,
            helper.make_node("QuantizeLinear", ["result", "y_scale", "y_zero"], ["y"]),
        ]
    graph = helper.make_graph(
        nodes,
        "table",
        [helper.make_tensor_value_info("x", element, [256])],
        [helper.make_tensor_value_info("y", element, [256])],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    session = _session(helper.make_model(graph, opset_imports=opsets))
    try:
        (result,) = session.run(None, {"x": (signed_inputs + shift).astype(storage)})
    except Exception as exc:  # onnxruntime raises its own exception types
        raise UnsupportedNodeError(f"onnxruntime cannot run it alone: {exc}") from exc
    outputs = np.asarray(result).astype(np.int32) - shift
    table = np.zeros(256, dtype=np.int32)
    table[signed_inputs.astype(np.uint8)] = outputs
    return tuple(int(v) for v in table)


def lower_tabulated(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0).tensor
    quantization = builder.quantization(x)
    if len(quantization.scales) != 1 or len(out[0].scales) != 1:
        raise UnsupportedNodeError("per-axis quantization is not supported")
    table = onnxruntime_table(node, quantization.scales[0], quantization.zero_points[0], out[0])
    output = builder.activation(node.output_name(), builder.onnx_shape[x], out[0], builder.layout[x])
    builder.op(OpKind.LOOKUP_TABLE, [x], [output], LookupTableAttrs(table))
    return [output]


LOWERINGS = dict.fromkeys(TABULATED, lower_tabulated)
