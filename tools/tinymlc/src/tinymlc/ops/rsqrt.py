"""RSQRT (int8): TFLM PrepareAbsRsqrt / SetRsqrtOutputMultiplier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc import quant
from tinymlc.ops._common import OpView
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class RsqrtParams:
    input_offset: int
    """OpDataAbsRsqrt.input_offset = +input zero point (subtracted from inputs)."""
    output_offset: int
    """OpDataAbsRsqrt.output_offset = output zero point."""
    multiplier: int
    shift: int
    """QuantizeMultiplier(1 / (double)(sqrtf(in_scale) * out_scale)), positive = left."""


def prepare(view: OpView) -> RsqrtParams:
    input_quant, output_quant = check_unary_int8(view)
    root = np.sqrt(quant.f32(input_quant.scale))  # IEEE sqrt: correctly rounded like sqrtf
    multiplier = quant.quantize_multiplier(1.0 / float(root * quant.f32(output_quant.scale)))
    return RsqrtParams(
        input_offset=input_quant.zero_point,
        output_offset=output_quant.zero_point,
        multiplier=multiplier.multiplier,
        shift=multiplier.shift,
    )
