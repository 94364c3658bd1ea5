"""SOFTMAX: TFLM CalculateSoftmaxParams, for int8 -> int8, int8 -> int16 and
int16 -> int16 (16x8, with the exp and 1/(1+x) lookup tables of Prepare)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType, SoftmaxAttrs, Tensor
from tinymlc.lut16 import expf, lut_populate_int16, one_over_one_plus_x
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)

# kScaledDiffIntegerBits: int8 input differences are rescaled to Q5.26.
SCALED_DIFF_INTEGER_BITS = 5
# The fixed output quantization per (input, output) type: (scale, zero point).
OUTPUT_ZERO_POINT = -128
OUTPUT_SCALE = 1.0 / 256
INT16_OUTPUT_OF_INT8_SCALE_DENOMINATOR = 65536
INT16_OUTPUT_OF_INT8_ZERO_POINT = -32768
INT16_OUTPUT_SCALE_DENOMINATOR = 32768
# TF_LITE_ENSURE_NEAR tolerance on the int16 output scales, relative.
INT16_SCALE_TOLERANCE = 0.001
# int16 input: differences are scaled so that [-65535, 0] spans [-10, 0].
INT16_DIFF_RANGE = 10.0 / 65535.0
INT16_RANGE = 65535  # int16 max - min


@dataclass(frozen=True)
class SoftmaxParams:
    input_multiplier: int
    """SoftmaxParams.input_multiplier (PreprocessSoftmaxScaling; int16 input:
    QuantizeMultiplier(input_scale * beta / (10 / 65535)))."""
    input_left_shift: int
    """SoftmaxParams.input_left_shift: positive = left."""
    diff_min: int
    """SoftmaxParams.diff_min = -CalculateInputRadius(5, input_left_shift) (int8 input)."""
    outer_size: int
    """Product of all but the last dimension (rows)."""
    depth: int
    """Last dimension (softmax axis)."""
    input_dtype: DType
    output_dtype: DType
    exp_lut: tuple[int, ...] = ()
    """SoftmaxParams.exp_lut (int16 input): exp on [-10, 0], Q0.15."""
    one_over_one_plus_x_lut: tuple[int, ...] = ()
    """SoftmaxParams.one_over_one_plus_x_lut (int16 input): 1/(1+x) on [0, 1], Q0.15."""


def _require_scale_near(output: Tensor, scale: float, denominator: int, what: str) -> None:
    """TF_LITE_ENSURE_NEAR(scale, 1.f / denominator, 0.001f * 1.f / denominator), in float."""
    f = quant.f32
    target = f(1.0) / f(denominator)
    require(
        bool(abs(f(scale) - target) <= f(INT16_SCALE_TOLERANCE) * f(1.0) / f(denominator)),
        f"{what} must have scale 1/{denominator}, has {scale}",
        "let the converter choose the softmax output quantization",
        output,
    )


def last_axis_rows(view: OpView, input_: Tensor, what: str) -> tuple[int, int]:
    """(rows, depth) of a SOFTMAX-like operator over the innermost axis of `input_`,
    after checking that axis exists and the output has the input's shape."""
    require(len(input_.shape) >= 1, f"{what} input must have at least one dimension", "", input_)
    require_output_shape(view, input_.shape)
    depth = input_.shape[-1]
    return (input_.num_elements // depth if depth else 0), depth


def prepare(view: OpView) -> SoftmaxParams:
    attrs = view.op.attrs
    require(isinstance(attrs, SoftmaxAttrs), "SOFTMAX has no SoftmaxOptions", "re-export the model")
    assert isinstance(attrs, SoftmaxAttrs)
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(
        output, [DType.INT8, DType.INT16] if input_.dtype is DType.INT8 else [DType.INT16], "output"
    )
    outer_size, depth = last_axis_rows(view, input_, "softmax")
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    if input_.dtype is DType.INT16:
        require(
            input_quant.zero_point == 0 and output_quant.zero_point == 0,
            "int16 softmax input and output must have zero point 0",
            "quantize with 16x8 quantization (symmetric int16 activations)",
            output,
        )
        _require_scale_near(
            output, output_quant.scale, INT16_OUTPUT_SCALE_DENOMINATOR, "int16 softmax output"
        )
        multiplier = quant.quantize_multiplier(
            float(quant.f32(input_quant.scale)) * float(quant.f32(attrs.beta)) / INT16_DIFF_RANGE
        )
        f = quant.f32
        return SoftmaxParams(
            input_multiplier=multiplier.multiplier,
            input_left_shift=multiplier.shift,
            diff_min=0,
            outer_size=outer_size,
            depth=depth,
            input_dtype=input_.dtype,
            output_dtype=output.dtype,
            exp_lut=lut_populate_int16(f(10.0) / f(INT16_RANGE), 32767, f(2.0) / f(INT16_RANGE), 0, expf),
            one_over_one_plus_x_lut=lut_populate_int16(
                f(1.0) / f(INT16_RANGE), -32768, f(2.0) / f(INT16_RANGE), 0, one_over_one_plus_x
            ),
        )
    if output.dtype is DType.INT16:
        require(
            output_quant.zero_point == INT16_OUTPUT_OF_INT8_ZERO_POINT,
            f"int8 -> int16 softmax output must have zero point -32768, has {output_quant.zero_point}",
            "let the converter choose the softmax output quantization",
            output,
        )
        _require_scale_near(
            output, output_quant.scale, INT16_OUTPUT_OF_INT8_SCALE_DENOMINATOR, "int8 -> int16 softmax output"
        )
    else:
        require(
            output_quant.zero_point == OUTPUT_ZERO_POINT and output_quant.scale == OUTPUT_SCALE,
            f"int8 softmax output must have scale 1/256 and zero point -128, has "
            f"{output_quant.scale} / {output_quant.zero_point}",
            "let the converter choose the softmax output quantization",
            output,
        )
    scaling = quant.preprocess_softmax_scaling(attrs.beta, input_quant.scale, SCALED_DIFF_INTEGER_BITS)
    return SoftmaxParams(
        input_multiplier=scaling.multiplier,
        input_left_shift=scaling.shift,
        diff_min=-quant.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, scaling.shift),
        outer_size=outer_size,
        depth=depth,
        input_dtype=input_.dtype,
        output_dtype=output.dtype,
    )
