"""RELU (int8; int16 with zero points 0): TFLM ReluPrepare / CalculateReluOpData<T>."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require_symmetric
from tinymlc.ops._unary import check_unary_quantized


@dataclass(frozen=True)
class ReluParams:
    input_offset: int
    """ReluParams.input_offset = +input zero point (subtracted from inputs)."""
    output_offset: int
    """ReluParams.output_offset = output zero point."""
    output_multiplier: int
    output_shift: int
    """QuantizeMultiplier(in_scale / out_scale), the quotient in double; positive = left."""
    quantized_activation_min: int
    """max(T_MIN, out_zp + round(0 / out_scale))."""
    quantized_activation_max: int
    """T_MAX (RELU has no upper bound)."""


def prepare(view: OpView) -> ReluParams:
    input_quant, output_quant, dtype = check_unary_quantized(view)
    if dtype is DType.INT16:
        require_symmetric(view.input(0), "input")
        require_symmetric(view.output(), "output")
    type_min, type_max = dtype.integer_range
    # TFLM's source divides the float scales before widening to double, but the
    # tflite-micro interpreter's multipliers are those of the quotient in double: int16
    # inputs, whose products reach the multiplier's last bits, tell the two apart
    # (models/op_quantize_requantize_int16_16x8.tflite). int8 cannot.
    multiplier = quant.quantize_multiplier(input_quant.scale / output_quant.scale)
    act_min = max(type_min, output_quant.zero_point + quant.quantize_float_to_int(0.0, output_quant.scale, 0))
    return ReluParams(
        input_offset=input_quant.zero_point,
        output_offset=output_quant.zero_point,
        output_multiplier=multiplier.multiplier,
        output_shift=multiplier.shift,
        quantized_activation_min=act_min,
        quantized_activation_max=type_max,
    )
