"""HardSigmoid (QDQ): max(0, min(1, alpha * x + beta)) -> FULLY_CONNECTED.

The runtime has no hard-sigmoid kernel, but the affine part is a one-input, one-unit
FULLY_CONNECTED over every element (the tensor viewed as [elements, 1], whatever its
layout): weight +-127 at scale |alpha| / 127, beta as its bias, one requantization to the
output. The clip to [0, 1] is the int8 saturation where the output's quantization ends
there (onnxruntime's quantizer gives [0, 1]), else the fused RELU (at 0) or RELU_N1_TO_1
(at 1).
"""

from __future__ import annotations

import math

import numpy as np

from tinymlc.frontend.onnx.builder import Builder, Const, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node, act
from tinymlc.frontend.onnx.weights import bias_tensor
from tinymlc.ir import Activation, DType, FullyConnectedAttrs, OpKind, Quantization

_INT8_MIN, _INT8_MAX = -128, 127


def _clip_activation(out: QParams) -> Activation:
    """The fused activation clipping to [0, 1] where the output's int8 range does not."""
    zero_point = out.int8_zero_points()[0]
    one = zero_point + round(1.0 / out.scale)
    clips_low, clips_high = zero_point > _INT8_MIN, one < _INT8_MAX
    if clips_low and clips_high:
        raise UnsupportedNodeError(
            f"output range [{out.scale * (_INT8_MIN - zero_point):.4g}, "
            f"{out.scale * (_INT8_MAX - zero_point):.4g}] contains both 0 and 1 strictly inside: "
            "no single fused activation clips to [0, 1]"
        )
    if clips_low:
        return Activation.RELU
    return Activation.RELU_N1_TO_1 if clips_high else Activation.NONE


def lower_hard_sigmoid(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    alpha = float(np.float32(node.attr("alpha", 0.2)))
    beta = float(np.float32(node.attr("beta", 0.5)))
    if alpha == 0 or not math.isfinite(alpha) or not math.isfinite(beta):
        raise UnsupportedNodeError(f"alpha {alpha} must be finite and non-zero")
    activation = _clip_activation(out[0])
    stored = builder.tensor(x.tensor).shape
    elements = math.prod(stored)
    column = builder.reshape(x.tensor, (elements, 1), f"{node.name}/column")
    weight_scale = abs(alpha) / _INT8_MAX
    weight = builder.constant(
        f"{node.name}/alpha",
        np.array([[_INT8_MAX if alpha > 0 else -_INT8_MAX]]),
        DType.INT8,
        Quantization((weight_scale,), (0,), 0),
    )
    bias = bias_tensor(
        builder,
        f"{node.name}/beta",
        Const(np.array([beta], np.float32)),
        builder.quantization(x.tensor).scale,
        (weight_scale,),
    )
    result = builder.raw_activation(f"{node.name}/column_out", (elements, 1), out[0].quantization())
    attrs = FullyConnectedAttrs(activation, 0, keep_num_dims=False, asymmetric_quantize_inputs=False)
    builder.op(OpKind.FULLY_CONNECTED, [column, weight, bias], [result], attrs)
    output = builder.activation(
        node.output_name(), builder.onnx_shape[x.tensor], out[0], builder.layout[x.tensor]
    )
    builder.op(OpKind.RESHAPE, [result, builder.int32_vector(f"{node.name}/shape", stored)], [output])
    return [output]


LOWERINGS = {"HardSigmoid": lower_hard_sigmoid}
