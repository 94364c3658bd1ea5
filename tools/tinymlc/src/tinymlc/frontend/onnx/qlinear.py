"""QOperator nodes -> the float operator they quantize plus their operands.

Each QLinear* node names its quantized operands as (tensor, scale, zero point) triples
and its output's (scale, zero point); the frontend then lowers it exactly like the QDQ
form DequantizeLinear -> operator -> QuantizeLinear.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QLinearSpec:
    float_op: str
    operands: tuple[tuple[int, int, int], ...]
    """(tensor, scale, zero point) input indices of each quantized operand."""
    output: tuple[int, int] | None
    """(scale, zero point) input indices of the output quantization."""
    bias: int | None = None
    """Input index of an int32 bias at input scale * weight scale."""
    variadic_from: int | None = None
    """QLinearConcat: operand triples start here and run to the last input."""


_UNARY = ((0, 1, 2),)
SPECS: dict[str, QLinearSpec] = {
    "QLinearConv": QLinearSpec("Conv", ((0, 1, 2), (3, 4, 5)), (6, 7), bias=8),
    "QLinearMatMul": QLinearSpec("MatMul", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QGemm": QLinearSpec("Gemm", ((0, 1, 2), (3, 4, 5)), (7, 8), bias=6),
    "QLinearAdd": QLinearSpec("Add", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearMul": QLinearSpec("Mul", ((0, 1, 2), (3, 4, 5)), (6, 7)),
    "QLinearAveragePool": QLinearSpec("AveragePool", _UNARY, (3, 4)),
    "QLinearGlobalAveragePool": QLinearSpec("GlobalAveragePool", _UNARY, (3, 4)),
    "QLinearSigmoid": QLinearSpec("Sigmoid", _UNARY, (3, 4)),
    "QLinearLeakyRelu": QLinearSpec("LeakyRelu", _UNARY, (3, 4)),
    "QLinearSoftmax": QLinearSpec("Softmax", _UNARY, (3, 4)),
    "QLinearConcat": QLinearSpec("Concat", (), (0, 1), variadic_from=2),
}

# Operators QOperator models apply to quantized tensors directly (the output keeps the
# input's quantization).
DIRECT = frozenset(
    {
        "MaxPool",
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Transpose",
        "Slice",
        "Split",
        "Pad",
        "Relu",
        "Concat",
    }
)
