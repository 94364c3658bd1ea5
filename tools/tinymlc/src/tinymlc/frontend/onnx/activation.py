"""Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSwish, Softmax (QDQ) and QLinearSigmoid,
QLinearLeakyRelu, QLinearSoftmax -> RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH,
HARD_SWISH, SOFTMAX.

LOGISTIC and TANH produce TFLM's fixed output quantization; a model asking for another
one gets a requantize after them. SOFTMAX produces the model's own.
"""

from __future__ import annotations

import math

import numpy as np

from tinymlc.frontend.onnx.builder import NO_ATTRS, Builder, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node, act, optional_const, scalar
from tinymlc.ir import LeakyReluAttrs, OpAttrs, OpKind, Quantization, SoftmaxAttrs

_FIXED = {
    OpKind.LOGISTIC: Quantization((1.0 / 256,), (-128,)),
    OpKind.TANH: Quantization((1.0 / 128,), (0,)),
}
# TFLM's int8 SOFTMAX output quantization.
_TFLM_SOFTMAX = Quantization((1.0 / 256,), (-128,))


def _unary(
    builder: Builder, node: Node, x: int, kind: OpKind, out: QParams, attrs: OpAttrs = NO_ATTRS
) -> list[int]:
    fixed = _FIXED.get(kind)
    params = out if fixed is None else QParams(fixed.scales, fixed.zero_points, unsigned=False)
    output = builder.activation(node.output_name(), builder.onnx_shape[x], params, builder.layout[x])
    builder.op(kind, [x], [output], attrs)
    return [builder.requantize(output, out.quantization(), f"{node.output_name()}/requantized")]


def lower_relu(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    return _unary(builder, node, act(inputs, 0).tensor, OpKind.RELU, out[0])


def lower_clip(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    if node.opset >= 11:
        low = scalar(optional_const(inputs, 1, "min"), -math.inf)
        high = scalar(optional_const(inputs, 2, "max"), math.inf)
    else:
        low, high = float(node.attr("min", -math.inf)), float(node.attr("max", math.inf))
    # A clip the output's quantized range already saturates to is a requantize.
    lowest = out[0].scale * (-128 - out[0].int8_zero_points()[0])
    highest = out[0].scale * (127 - out[0].int8_zero_points()[0])
    if low <= lowest and high >= highest:
        return [builder.requantize(x.tensor, out[0].quantization(), node.output_name())]
    if low == 0 and high == math.inf:
        return _unary(builder, node, x.tensor, OpKind.RELU, out[0])
    if low == 0 and high == 6:
        # TFLM's RELU6 clamps without rescaling: its output keeps the input's quantization.
        clamped = builder.activation(
            node.output_name(), builder.onnx_shape[x.tensor], builder.qparams(x.tensor)
        )
        builder.op(OpKind.RELU6, [x.tensor], [clamped])
        return [builder.requantize(clamped, out[0].quantization(), f"{node.output_name()}/requantized")]
    raise UnsupportedNodeError(f"Clip({low}, {high}) is neither ReLU, ReLU6 nor implied by the output range")


def lower_leaky_relu(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    alpha = float(np.float32(node.attr("alpha", 0.01)))
    return _unary(builder, node, act(inputs, 0).tensor, OpKind.LEAKY_RELU, out[0], LeakyReluAttrs(alpha))


def lower_sigmoid(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    return _unary(builder, node, act(inputs, 0).tensor, OpKind.LOGISTIC, out[0])


def lower_tanh(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    return _unary(builder, node, act(inputs, 0).tensor, OpKind.TANH, out[0])


def lower_hard_swish(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    return _unary(builder, node, act(inputs, 0).tensor, OpKind.HARD_SWISH, out[0])


def lower_softmax(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    opset_13 = node.opset >= 13 or node.domain == "com.microsoft"
    axis = int(node.attr("axis", -1 if opset_13 else 1)) % max(rank, 1)
    # Before opset 13 Softmax flattens from `axis`: the same when the trailing axes are 1.
    if not opset_13 and math.prod(shape[axis + 1 :]) != 1:
        raise UnsupportedNodeError(f"softmax over the flattened axes {axis}.. is not supported")
    # SOFTMAX works on the innermost IR axis: the input's own layout when `axis` is
    # innermost there (NHWC channels, or ONNX order), else ONNX order.
    source = x.tensor
    if builder.layout[source][-1] != axis:
        if axis != rank - 1:
            raise UnsupportedNodeError(
                f"softmax over axis {axis}, neither the last ONNX nor the channel axis"
            )
        source = builder.onnx_ordered(source)
    attrs = SoftmaxAttrs(1.0)
    shape, layout = builder.onnx_shape[source], builder.layout[source]
    if out[0].quantization() == _TFLM_SOFTMAX:
        output = builder.activation(node.output_name(), shape, out[0], layout)
        builder.op(OpKind.SOFTMAX, [source], [output], attrs)
        return [output]
    # Another output quantization (onnxruntime's quantizer picks 1/255): the float
    # SOFTMAX between a DEQUANTIZE and a QUANTIZE. TFLM's fixed-point exponential is
    # accurate to about 1e-5 relative, so probabilities within 1e-3 LSB of a rounding
    # boundary of the output land on its other side (through TFLM's int16 output and a
    # requantize, one element in 500; in a transformer block's attention that difference
    # grew to 2 LSB two layers later); in float32 they round as onnxruntime's do.
    real = builder.activation(f"{node.output_name()}/dequantized", shape, None, layout)
    builder.op(OpKind.DEQUANTIZE, [source], [real])
    probabilities = builder.activation(f"{node.output_name()}/float", shape, None, layout)
    builder.op(OpKind.SOFTMAX, [real], [probabilities], attrs)
    output = builder.activation(node.output_name(), shape, out[0], layout)
    builder.op(OpKind.QUANTIZE, [probabilities], [output])
    return [output]


LOWERINGS = {
    "Relu": lower_relu,
    "Clip": lower_clip,
    "LeakyRelu": lower_leaky_relu,
    "Sigmoid": lower_sigmoid,
    "Tanh": lower_tanh,
    "HardSwish": lower_hard_swish,
    "Softmax": lower_softmax,
}
