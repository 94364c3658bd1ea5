"""LEAKY_RELU (int8): TFLM CalculateOpDataLeakyRelu (float32 ratios)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import LeakyReluAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class LeakyReluParams:
    input_zero_point: int
    output_zero_point: int
    output_multiplier_alpha: int
    output_shift_alpha: int
    """QuantizeMultiplier(float(in_scale * alpha / out_scale)), positive = left."""
    output_multiplier_identity: int
    output_shift_identity: int
    """QuantizeMultiplier(float(in_scale / out_scale)), positive = left."""


def prepare(view: OpView) -> LeakyReluParams:
    attrs = view.op.attrs
    require(isinstance(attrs, LeakyReluAttrs), "LEAKY_RELU has no options", "re-export the model")
    assert isinstance(attrs, LeakyReluAttrs)
    input_quant, output_quant = check_unary_int8(view)
    in_scale, out_scale = quant.f32(input_quant.scale), quant.f32(output_quant.scale)
    alpha = quant.quantize_multiplier(float(in_scale * quant.f32(attrs.alpha) / out_scale))
    identity = quant.quantize_multiplier(float(in_scale / out_scale))
    return LeakyReluParams(
        input_zero_point=input_quant.zero_point,
        output_zero_point=output_quant.zero_point,
        output_multiplier_alpha=alpha.multiplier,
        output_shift_alpha=alpha.shift,
        output_multiplier_identity=identity.multiplier,
        output_shift_identity=identity.shift,
    )
