"""Input rescaling shared by LOGISTIC and TANH (int8)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ops._common import OpView
from tinymlc.ops._unary import check_unary_int8

# kInputIntegerBits: the rescaled input is Q4.27.
INPUT_INTEGER_BITS = 4


@dataclass(frozen=True)
class SigmoidLikeParams:
    """TFLM OpDataLogistic / tanh OpData for int8."""

    input_zero_point: int
    input_range_radius: int
    """Inputs with |x - zp| above this saturate (CalculateInputRadius(4, shift, 31))."""
    input_multiplier: int
    """round(frexp(input_scale * 2^27).fraction * 2^31) -- no 2^31 fix-up."""
    input_left_shift: int
    """frexp exponent: positive = left."""


def prepare_sigmoid_like(view: OpView) -> SigmoidLikeParams:
    input_quant, _ = check_unary_int8(view)
    scaled = quant.frexp_multiplier(input_quant.scale * float(1 << (31 - INPUT_INTEGER_BITS)))
    return SigmoidLikeParams(
        input_zero_point=input_quant.zero_point,
        input_range_radius=quant.calculate_input_radius(INPUT_INTEGER_BITS, scaled.shift, 31),
        input_multiplier=scaled.multiplier,
        input_left_shift=scaled.shift,
    )
