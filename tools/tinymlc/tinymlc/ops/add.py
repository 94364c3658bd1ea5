"""ADD (int8): TFLM CalculateOpDataAdd, multipliers computed in double."""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ops._binary import AddSubParams, check_binary, elementwise_attrs
from tinymlc.ops._common import OpView

# OpDataAdd.left_shift for int8 (15 would be int16).
LEFT_SHIFT = 20


def prepare(view: OpView) -> AddSubParams:
    attrs = elementwise_attrs(view)
    operands = check_binary(view)
    scale1, scale2, out_scale = operands.input1.scale, operands.input2.scale, operands.output.scale
    twice_max_input_scale = 2.0 * max(scale1, scale2)
    input1 = quant.quantize_multiplier_smaller_than_one_exp(scale1 / twice_max_input_scale)
    input2 = quant.quantize_multiplier_smaller_than_one_exp(scale2 / twice_max_input_scale)
    output = quant.quantize_multiplier_smaller_than_one_exp(
        twice_max_input_scale / (float(1 << LEFT_SHIFT) * out_scale)
    )
    act_min, act_max = quant.activation_range_quantized(
        attrs.activation, out_scale, operands.output.zero_point, operands.output_dtype
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
