"""SQUARED_DIFFERENCE (int8; int16 with zero points 0): TFLM PrepareQuantized with
left_shift 7 (int8) or 0 (int16)."""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._binary import (
    ArithmeticParams,
    arithmetic_params,
    check_binary,
    rescale_to_twice_max_input_scale,
)
from tinymlc.ops._common import QUANTIZED_ACTIVATION_TYPES, OpView, require_symmetric

# Headroom for the squared difference in 32 bits: 255^2 << 14, or 32767^2 unshifted.
LEFT_SHIFTS = {DType.INT8: 7, DType.INT16: 0}


def prepare(view: OpView) -> ArithmeticParams:
    operands = check_binary(view, QUANTIZED_ACTIVATION_TYPES)
    dtype = operands.output_dtype
    if dtype is DType.INT16:
        for index, role in ((0, "input 1"), (1, "input 2")):
            require_symmetric(view.input(index), role)
        require_symmetric(view.output(), "output")
    left_shift = LEFT_SHIFTS[dtype]
    twice_max_input_scale, input1, input2 = rescale_to_twice_max_input_scale(operands)
    # `(1 << left_shift * 2) * output_scale` is an int times a float: float32.
    denominator = float(quant.f32(1 << (left_shift * 2)) * quant.f32(operands.output.scale))
    output = quant.quantize_multiplier(twice_max_input_scale * twice_max_input_scale / denominator)
    # TFLM clamps SQUARED_DIFFERENCE to the full type range (no fused activation).
    return arithmetic_params(operands, left_shift, (input1, input2, output), dtype.integer_range)
