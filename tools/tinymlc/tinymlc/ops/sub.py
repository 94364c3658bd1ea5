"""SUB (int8): TFLM CalculateOpDataSub.

Unlike ADD, TFLM's SUB forms its real multipliers in float32 and only then
widens them to double, so the same scales can give ADD and SUB different
last-bit multipliers.
"""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ops._binary import AddSubParams, check_binary, elementwise_attrs
from tinymlc.ops._common import OpView

LEFT_SHIFT = 20


def prepare(view: OpView) -> AddSubParams:
    attrs = elementwise_attrs(view)
    operands = check_binary(view)
    scale1 = quant.f32(operands.input1.scale)
    scale2 = quant.f32(operands.input2.scale)
    out_scale = quant.f32(operands.output.scale)
    twice_max_input_scale = quant.f32(2.0) * max(scale1, scale2)
    input1 = quant.quantize_multiplier_smaller_than_one_exp(float(scale1 / twice_max_input_scale))
    input2 = quant.quantize_multiplier_smaller_than_one_exp(float(scale2 / twice_max_input_scale))
    output = quant.quantize_multiplier_smaller_than_one_exp(
        float(twice_max_input_scale / (quant.f32(1 << LEFT_SHIFT) * out_scale))
    )
    act_min, act_max = quant.activation_range_quantized(
        attrs.activation, operands.output.scale, operands.output.zero_point, operands.output_dtype
    )
    return AddSubParams(
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
        output_activation_min=act_min,
        output_activation_max=act_max,
    )
