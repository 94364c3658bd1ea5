"""SQUARED_DIFFERENCE (int8): TFLM PrepareQuantized with left_shift 7."""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ops._binary import (
    ArithmeticParams,
    arithmetic_params,
    check_binary,
    rescale_to_twice_max_input_scale,
)
from tinymlc.ops._common import OpView

LEFT_SHIFT = 7


def prepare(view: OpView) -> ArithmeticParams:
    operands = check_binary(view)
    twice_max_input_scale, input1, input2 = rescale_to_twice_max_input_scale(operands)
    # `(1 << left_shift * 2) * output_scale` is an int times a float: float32.
    denominator = float(quant.f32(1 << (LEFT_SHIFT * 2)) * quant.f32(operands.output.scale))
    output = quant.quantize_multiplier(twice_max_input_scale * twice_max_input_scale / denominator)
    # TFLM clamps SQUARED_DIFFERENCE to the full int8 range (no fused activation).
    return arithmetic_params(operands, LEFT_SHIFT, (input1, input2, output), (-128, 127))
