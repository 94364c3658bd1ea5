"""SQUARED_DIFFERENCE (int8): TFLM PrepareQuantized with left_shift 7."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ops._binary import BinaryShapes, check_binary
from tinymlc.ops._common import OpView

LEFT_SHIFT = 7


@dataclass(frozen=True)
class SquaredDifferenceParams:
    shapes: BinaryShapes
    input1_offset: int
    """-input1 zero point."""
    input2_offset: int
    """-input2 zero point."""
    output_offset: int
    """Output zero point."""
    left_shift: int
    """Inputs are shifted left by 7 before rescaling."""
    input1_multiplier: int
    input1_shift: int
    """QuantizeMultiplierSmallerThanOneExp exponent, <= 0."""
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    """QuantizeMultiplier exponent, positive = left."""
    quantized_activation_min: int
    quantized_activation_max: int


def prepare(view: OpView) -> SquaredDifferenceParams:
    operands = check_binary(view)
    scale1, scale2 = operands.input1.scale, operands.input2.scale
    twice_max_input_scale = 2.0 * max(scale1, scale2)
    input1 = quant.quantize_multiplier_smaller_than_one_exp(scale1 / twice_max_input_scale)
    input2 = quant.quantize_multiplier_smaller_than_one_exp(scale2 / twice_max_input_scale)
    # `(1 << left_shift * 2) * output_scale` is an int times a float: float32.
    denominator = float(quant.f32(1 << (LEFT_SHIFT * 2)) * quant.f32(operands.output.scale))
    output = quant.quantize_multiplier(twice_max_input_scale * twice_max_input_scale / denominator)
    return SquaredDifferenceParams(
        shapes=operands.shapes,
        input1_offset=-operands.input1.zero_point,
        input2_offset=-operands.input2.zero_point,
        output_offset=operands.output.zero_point,
        left_shift=LEFT_SHIFT,
        input1_multiplier=input1.multiplier,
        input1_shift=input1.shift,
        input2_multiplier=input2.multiplier,
        input2_shift=input2.shift,
        output_multiplier=output.multiplier,
        output_shift=output.shift,
        quantized_activation_min=-128,
        quantized_activation_max=127,
    )
