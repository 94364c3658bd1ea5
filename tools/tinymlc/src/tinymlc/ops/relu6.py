"""RELU6 (int8): TFLM Relu6Prepare.

The kernel clamps raw input values to [zero, six] without rescaling: when the
output is quantized differently from the input, TFLM's values follow the input's
quantization, and so do ours (validation warns about it).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ops._common import OpView
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class Relu6Params:
    zero: int
    """Relu6OpData.zero = input zero point."""
    six: int
    """Relu6OpData.six = FloatToQuantizedType<int8>(6.0f, scale, zp), clamped to int8."""


def quantize_six(scale: float, zero_point: int) -> int:
    """`FloatToQuantizedType<int8_t>(6.0f, scale, zero_point)`."""
    value = quant.quantize_float_to_int(6.0, scale, zero_point)
    return max(-128, min(127, value))


def prepare(view: OpView) -> Relu6Params:
    input_quant, _ = check_unary_int8(view)
    return Relu6Params(
        zero=input_quant.zero_point, six=quantize_six(input_quant.scale, input_quant.zero_point)
    )
