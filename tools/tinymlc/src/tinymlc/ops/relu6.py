"""RELU6 (int8, int16): TFLM Relu6Prepare.

The kernel clamps raw input values to [zero, six] without rescaling: when the
output is quantized differently from the input, TFLM's values follow the input's
quantization, and so do ours (validation warns about it).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import OpView
from tinymlc.ops._unary import check_unary_quantized


@dataclass(frozen=True)
class Relu6Params:
    zero: int
    """Relu6OpData.zero = input zero point."""
    six: int
    """Relu6OpData.six = FloatToQuantizedType<T>(6.0f, scale, zp), clamped to T."""


def quantize_six(scale: float, zero_point: int, dtype: DType = DType.INT8) -> int:
    """`FloatToQuantizedType<T>(6.0f, scale, zero_point)` for T = `dtype`."""
    value = quant.quantize_float_to_int(6.0, scale, zero_point)
    type_min, type_max = dtype.integer_range
    return max(type_min, min(type_max, value))


def prepare(view: OpView) -> Relu6Params:
    input_quant, _, dtype = check_unary_quantized(view)
    return Relu6Params(
        zero=input_quant.zero_point, six=quantize_six(input_quant.scale, input_quant.zero_point, dtype)
    )
