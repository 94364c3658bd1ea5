"""SOFTMAX (int8 -> int8): TFLM CalculateSoftmaxParams."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import SoftmaxAttrs
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_int8_operands,
    require_output_shape,
)

# kScaledDiffIntegerBits: input differences are rescaled to Q5.26.
SCALED_DIFF_INTEGER_BITS = 5
OUTPUT_ZERO_POINT = -128
OUTPUT_SCALE = 1.0 / 256


@dataclass(frozen=True)
class SoftmaxParams:
    input_multiplier: int
    """SoftmaxParams.input_multiplier (from PreprocessSoftmaxScaling)."""
    input_left_shift: int
    """SoftmaxParams.input_left_shift: positive = left."""
    diff_min: int
    """SoftmaxParams.diff_min = -CalculateInputRadius(5, input_left_shift); negative."""
    outer_size: int
    """Product of all but the last dimension (rows)."""
    depth: int
    """Last dimension (softmax axis)."""


def prepare(view: OpView) -> SoftmaxParams:
    attrs = view.op.attrs
    require(isinstance(attrs, SoftmaxAttrs), "SOFTMAX has no SoftmaxOptions", "re-export the model")
    assert isinstance(attrs, SoftmaxAttrs)
    input_, output = require_int8_operands(view, (1,))
    require(len(input_.shape) >= 1, "softmax input must have at least one dimension", "", input_)
    require_output_shape(view, input_.shape)
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    require(
        output_quant.zero_point == OUTPUT_ZERO_POINT and output_quant.scale == OUTPUT_SCALE,
        f"int8 softmax output must have scale 1/256 and zero point -128, has "
        f"{output_quant.scale} / {output_quant.zero_point}",
        "let the converter choose the softmax output quantization",
        output,
    )
    scaling = quant.preprocess_softmax_scaling(attrs.beta, input_quant.scale, SCALED_DIFF_INTEGER_BITS)
    depth = input_.shape[-1]
    return SoftmaxParams(
        input_multiplier=scaling.multiplier,
        input_left_shift=scaling.shift,
        diff_min=-quant.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, scaling.shift),
        outer_size=input_.num_elements // depth if depth else 0,
        depth=depth,
    )
