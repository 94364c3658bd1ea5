"""LOG_SOFTMAX: TFLM's int8 `CalculateOpData` (micro/kernels/log_softmax.cc).

TFLM fixes the output quantization (scale 16/256, zero point 127: outputs in [-16, 0))
and prepares the input rescaling into Q5.26 together with its inverse, which bounds the
differences that still reach the output (`PreprocessLogSoftmaxScalingExp`, beta 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_arity,
    require_dtype,
)
from tinymlc.ops.softmax import SCALED_DIFF_INTEGER_BITS, last_axis_rows

OUTPUT_SCALE = 16.0 / 256
OUTPUT_ZERO_POINT = 127


@dataclass(frozen=True)
class LogSoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    """Positive = left."""
    reverse_scaling_divisor: int
    reverse_scaling_right_shift: int
    """Minus `QuantizeMultiplierSmallerThanOneExp`'s left shift, as TFLM stores it."""
    diff_min: int
    """`-CalculateInputRadius(5, input_left_shift)`."""
    outer_size: int
    """Product of all but the last dimension (rows)."""
    depth: int
    """Last dimension (the log-softmax axis)."""


def prepare(view: OpView) -> LogSoftmaxParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(output, [DType.INT8], "output")
    outer_size, depth = last_axis_rows(view, input_, "log-softmax")
    output_quant = per_tensor(output)
    require(
        quant.f32(output_quant.scale) == quant.f32(OUTPUT_SCALE)
        and output_quant.zero_point == OUTPUT_ZERO_POINT,
        f"int8 LOG_SOFTMAX output must have scale 16/256 and zero point 127, has {output_quant.scale} "
        f"and {output_quant.zero_point}",
        "let the converter choose the log-softmax output quantization",
        output,
    )
    input_scale = float(quant.f32(per_tensor(input_).scale))
    scaling = quant.preprocess_softmax_scaling(1.0, input_scale, SCALED_DIFF_INTEGER_BITS)
    reverse = quant.quantize_multiplier_smaller_than_one_exp(
        float(1 << (31 - scaling.shift)) / float(scaling.multiplier)
    )
    return LogSoftmaxParams(
        input_multiplier=scaling.multiplier,
        input_left_shift=scaling.shift,
        reverse_scaling_divisor=reverse.multiplier,
        reverse_scaling_right_shift=-reverse.shift,
        diff_min=-quant.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, scaling.shift),
        outer_size=outer_size,
        depth=depth,
    )
