"""ADD (int8, and int16 of 16x8 quantization): TFLM CalculateOpDataAdd, multipliers
computed in double.

TFLite's int16 ADD has a second, power-of-two-scale path (`pot_scale`), but TFLite
Micro never takes it: its ADD passes `pot_scale = false` for same-shape int16 inputs and
broadcasts through the general path, so every int16 ADD here uses the general
rescaling with a left shift of 15, whatever the scales (models/op_i16_add_pot_scales
checks a power-of-two-scale ADD against TFLite Micro). SUB likewise.
"""

from __future__ import annotations

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._binary import (
    ArithmeticParams,
    arithmetic_params,
    check_binary,
    elementwise_attrs,
    rescale_to_twice_max_input_scale,
)
from tinymlc.ops._common import QUANTIZED_ACTIVATION_TYPES, OpView

# OpDataAdd.left_shift: the inputs' headroom in the 32-bit accumulator per type.
LEFT_SHIFTS = {DType.INT8: 20, DType.INT16: 15}


def prepare(view: OpView) -> ArithmeticParams:
    attrs = elementwise_attrs(view)
    operands = check_binary(view, QUANTIZED_ACTIVATION_TYPES)
    left_shift = LEFT_SHIFTS[operands.output_dtype]
    out_scale = operands.output.scale
    twice_max_input_scale, input1, input2 = rescale_to_twice_max_input_scale(operands)
    output = quant.quantize_multiplier_smaller_than_one_exp(
        twice_max_input_scale / (float(1 << left_shift) * out_scale)
    )
    activation = quant.activation_range_quantized(
        attrs.activation, out_scale, operands.output.zero_point, operands.output_dtype
    )
    return arithmetic_params(operands, left_shift, (input1, input2, output), activation)
