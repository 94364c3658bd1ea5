"""MUL (int8, and int16 x int16 -> int16 with zero points 0): TFLM CalculateOpDataMul."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._binary import BinaryShapes, check_binary, elementwise_attrs
from tinymlc.ops._common import QUANTIZED_ACTIVATION_TYPES, OpView, require_symmetric


@dataclass(frozen=True)
class MulParams:
    shapes: BinaryShapes
    input1_offset: int
    """ArithmeticParams.input1_offset = -OpDataMul.input1_zero_point."""
    input2_offset: int
    """ArithmeticParams.input2_offset = -OpDataMul.input2_zero_point."""
    output_offset: int
    """OpDataMul.output_zero_point."""
    output_multiplier: int
    output_shift: int
    """OpDataMul.output_shift, positive = left."""
    output_activation_min: int
    output_activation_max: int


def prepare(view: OpView) -> MulParams:
    attrs = elementwise_attrs(view)
    operands = check_binary(view, QUANTIZED_ACTIVATION_TYPES)
    if operands.output_dtype is DType.INT16:
        for index, role in ((0, "input 1"), (1, "input 2")):
            require_symmetric(view.input(index), role)
        require_symmetric(view.output(), "output")
    real_multiplier = operands.input1.scale * operands.input2.scale / operands.output.scale
    output = quant.quantize_multiplier(real_multiplier)
    act_min, act_max = quant.activation_range_quantized(
        attrs.activation, operands.output.scale, operands.output.zero_point, operands.output_dtype
    )
    return MulParams(
        shapes=operands.shapes,
        input1_offset=-operands.input1.zero_point,
        input2_offset=-operands.input2.zero_point,
        output_offset=operands.output.zero_point,
        output_multiplier=output.multiplier,
        output_shift=output.shift,
        output_activation_min=act_min,
        output_activation_max=act_max,
    )
