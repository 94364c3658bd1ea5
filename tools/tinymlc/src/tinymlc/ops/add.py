"""ADD (int8): TFLM CalculateOpDataAdd, multipliers computed in double."""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ops._binary import (
    ArithmeticParams,
    arithmetic_params,
    check_binary,
    elementwise_attrs,
    rescale_to_twice_max_input_scale,
)
from tinymlc.ops._common import OpView

# OpDataAdd.left_shift for int8 (15 would be int16).
LEFT_SHIFT = 20


def prepare(view: OpView) -> ArithmeticParams:
    attrs = elementwise_attrs(view)
    operands = check_binary(view)
    out_scale = operands.output.scale
    twice_max_input_scale, input1, input2 = rescale_to_twice_max_input_scale(operands)
    output = quant.quantize_multiplier_smaller_than_one_exp(
        twice_max_input_scale / (float(1 << LEFT_SHIFT) * out_scale)
    )
    activation = quant.activation_range_quantized(
        attrs.activation, out_scale, operands.output.zero_point, operands.output_dtype
    )
    return arithmetic_params(operands, LEFT_SHIFT, (input1, input2, output), activation)
