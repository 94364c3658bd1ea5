"""RELU (int8): TFLM CalculateReluOpData."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ops._common import OpView
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class ReluParams:
    input_offset: int
    """ReluParams.input_offset = +input zero point (subtracted from inputs)."""
    output_offset: int
    """ReluParams.output_offset = output zero point."""
    output_multiplier: int
    output_shift: int
    """QuantizeMultiplier(float(in_scale / out_scale)), positive = left."""
    quantized_activation_min: int
    """max(-128, out_zp + round(0 / out_scale))."""
    quantized_activation_max: int
    """127 (RELU has no upper bound)."""


def prepare(view: OpView) -> ReluParams:
    input_quant, output_quant = check_unary_int8(view)
    # TFLM divides the scales in float before widening to double.
    ratio = float(quant.f32(input_quant.scale) / quant.f32(output_quant.scale))
    multiplier = quant.quantize_multiplier(ratio)
    act_min = max(-128, output_quant.zero_point + quant.quantize_float_to_int(0.0, output_quant.scale, 0))
    return ReluParams(
        input_offset=input_quant.zero_point,
        output_offset=output_quant.zero_point,
        output_multiplier=multiplier.multiplier,
        output_shift=multiplier.shift,
        quantized_activation_min=act_min,
        quantized_activation_max=127,
    )
