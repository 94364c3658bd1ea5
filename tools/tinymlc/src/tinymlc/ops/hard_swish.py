"""HARD_SWISH (int8): TFLM HardSwishPrepare."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class HardSwishParams:
    input_zero_point: int
    output_zero_point: int
    reluish_multiplier_fixedpoint_int16: int
    """Q0.15 multiplier from the hi-res input scale (in_scale/128) to 3/32768."""
    reluish_multiplier_exponent: int
    """Its exponent: positive = left."""
    output_multiplier_fixedpoint_int16: int
    """Q0.15 multiplier from the hi-res input scale to the output scale."""
    output_multiplier_exponent: int
    """Its exponent (<= 0 by TFLM's check): negative = right."""


def prepare(view: OpView) -> HardSwishParams:
    require(
        view.input(0).dtype is not DType.INT16,
        "TFLite Micro's HARD_SWISH has no int16 kernel (only float32 and int8)",
        "quantize this part of the model to int8, or replace HARD_SWISH by x * RELU6(x + 3) / 6",
        view.input(0),
    )
    input_quant, output_quant = check_unary_int8(view)
    hires_input_scale = quant.f32(1.0 / 128.0) * quant.f32(input_quant.scale)
    reluish_scale = quant.f32(3.0) / quant.f32(32768.0)
    output = quant.quantize_multiplier(float(hires_input_scale / quant.f32(output_quant.scale)))
    require(
        output.shift <= 0,
        "HARD_SWISH output scale is too small relative to the input scale",
        "re-export the model (TFLM requires output_multiplier_exponent <= 0)",
        view.output(),
    )
    reluish = quant.quantize_multiplier(float(hires_input_scale / reluish_scale))
    return HardSwishParams(
        input_zero_point=input_quant.zero_point,
        output_zero_point=output_quant.zero_point,
        reluish_multiplier_fixedpoint_int16=quant.down_scale_int32_to_int16_multiplier(reluish.multiplier),
        reluish_multiplier_exponent=reluish.shift,
        output_multiplier_fixedpoint_int16=quant.down_scale_int32_to_int16_multiplier(output.multiplier),
        output_multiplier_exponent=output.shift,
    )
