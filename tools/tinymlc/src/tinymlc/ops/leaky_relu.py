"""LEAKY_RELU (int8, int16): TFLM CalculateOpDataLeakyRelu.

TFLM's source forms both ratios in float and widens them to double; the tflite-micro
interpreter's multipliers are those of the ratios in double (alpha as float), which int16
inputs tell apart (models/op_leaky_relu_16x8.tflite: 20 of the 65536 inputs differ by
one with float ratios); int8 inputs cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import LeakyReluAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._unary import check_unary_quantized


@dataclass(frozen=True)
class LeakyReluParams:
    input_zero_point: int
    output_zero_point: int
    output_multiplier_alpha: int
    output_shift_alpha: int
    """QuantizeMultiplier(in_scale * alpha / out_scale) in double, positive = left."""
    output_multiplier_identity: int
    output_shift_identity: int
    """QuantizeMultiplier(in_scale / out_scale) in double, positive = left."""


def prepare(view: OpView) -> LeakyReluParams:
    attrs = view.op.attrs
    require(isinstance(attrs, LeakyReluAttrs), "LEAKY_RELU has no options", "re-export the model")
    assert isinstance(attrs, LeakyReluAttrs)
    input_quant, output_quant, _ = check_unary_quantized(view)
    in_scale, out_scale = input_quant.scale, output_quant.scale
    alpha = quant.quantize_multiplier(in_scale * float(quant.f32(attrs.alpha)) / out_scale)
    identity = quant.quantize_multiplier(in_scale / out_scale)
    return LeakyReluParams(
        input_zero_point=input_quant.zero_point,
        output_zero_point=output_quant.zero_point,
        output_multiplier_alpha=alpha.multiplier,
        output_shift_alpha=alpha.shift,
        output_multiplier_identity=identity.multiplier,
        output_shift_identity=identity.shift,
    )
