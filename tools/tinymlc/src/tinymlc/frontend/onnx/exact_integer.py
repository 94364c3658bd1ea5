"""The exact int32 accumulators of integer operators from the int8 kernels: ConvInteger
and MatMulInteger, and with `--onnx_exact` onnxruntime's QLinearConv, QLinearMatMul,
QGemm and QDQ Conv, Gemm, MatMul.

The layers are the default lowering's (`conv.py`, `gemm.py`: CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL with the same integer loops) with an
int32 output (`ops/_accumulator_output.py`): the kernel writes
`sum((x - zp_x) * (w - zp_w)) + bias`, which onnxruntime's kernels compute too before
`MlasRequantizeOutput`, and `exact.py` requantizes it with REQUANTIZE_FLOAT. Integer sums
are exact at any size (int32 wraps as onnxruntime's do)."""

from __future__ import annotations

import numpy as np

from tinymlc.frontend.onnx import conv, gemm
from tinymlc.frontend.onnx.builder import (
    Builder,
    Const,
    Operand,
    OutputOf,
    UnsupportedNodeError,
    signed_data,
)
from tinymlc.frontend.onnx.node import Node
from tinymlc.frontend.onnx.weights import FilterWeights, WeightsNotInt8Error, folded_weights
from tinymlc.ir import DType


class ZeroPointsNotFoldedError(UnsupportedNodeError):
    """Weights minus their per-channel zero points leave int8."""


def accumulator_weights(weights: Const, channel_axis: int) -> FilterWeights:
    """The weights as the default lowering folds them (zero points into the values), or,
    where the values then leave int8 (uint8 weights of an asymmetric quantizer), the
    stored int8 values with their one zero point (the kernels' `weights_offset`)."""
    try:
        return folded_weights(weights, channel_axis)
    except WeightsNotInt8Error:
        qparams = weights.qparams
        assert qparams is not None  # folded_weights rejects float weights
        zero_points = set(qparams.int8_zero_points())
        if len(zero_points) != 1:
            raise ZeroPointsNotFoldedError(
                "weights minus their per-channel zero points exceed int8 (the int8 kernels "
                "take one zero point per tensor)"
            ) from None
        channels = weights.data.shape[channel_axis]
        scales = qparams.scales if len(qparams.scales) == channels else qparams.scales * channels
        return signed_data(weights).astype(np.int8), tuple(scales), zero_points.pop()


def _accumulator_output(builder: Builder, node: Node, name: str | None) -> OutputOf:
    """The int32 accumulator tensor `name` (default: the node's `accumulator`)."""
    tensor_name = f"{node.name}/accumulator" if name is None else name
    return lambda shape, layout: builder.activation(tensor_name, shape, None, layout, unquantized=DType.INT32)


def conv_accumulator(
    builder: Builder, node: Node, inputs: list[Operand | None], name: str | None = None
) -> int:
    """The int32 accumulators of a Conv (NHWC), bias included."""
    output_of = _accumulator_output(builder, node, name)
    return conv.conv_layer(builder, node, inputs, output_of, accumulator_weights)


def gemm_accumulator(builder: Builder, node: Node, inputs: list[Operand | None]) -> int:
    """The int32 accumulators of a Gemm, bias included."""
    x, weights, transposed, bias = gemm.gemm_operands(node, inputs)
    output_of = _accumulator_output(builder, node, None)
    return gemm.fully_connected(builder, node, x, weights, transposed, bias, output_of, accumulator_weights)


def matmul_accumulator(
    builder: Builder, node: Node, inputs: list[Operand | None], name: str | None = None
) -> int:
    """The int32 accumulators of a MatMul (in ONNX order)."""
    return gemm.matmul(builder, node, inputs, _accumulator_output(builder, node, name), accumulator_weights)
