"""PAD and PADV2 (int8, int16): TFLM PadPrepare and PadEval.

int8 pads with PADV2's constant (quantized like the output) or the output zero point;
int16 with PADV2's constant as stored, or 0 (TFLM ignores the int16 zero point here and
checks nothing about the constant's quantization).
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, Tensor
from tinymlc.ops._common import (
    RAW_COPY_TYPES,
    OpView,
    constant_int32_values,
    int_values,
    per_tensor,
    quantization,
    require,
    require_constant,
    require_dtype,
    require_output_shape,
    require_quantized_operands,
)

# reference_ops::PadKernelMaxDimensionCount()
MAX_DIMENSIONS = 5


@dataclass(frozen=True)
class PadParams:
    left_padding: tuple[int, ...]
    """PadParams.left_padding, one per input dimension."""
    right_padding: tuple[int, ...]
    """PadParams.right_padding."""
    pad_value: int | float
    """The value written into padding: PADV2's constant, else the output zero point
    (int8) or 0 (int16, float32)."""
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def _float_pad_value(constant: Tensor | None) -> float:
    """A float32 PAD's value: PADV2's constant (float32, a scalar), else 0.0."""
    if constant is None:
        return 0.0
    require_dtype(constant, [DType.FLOAT32], "constant_values")
    require_constant(constant, "constant_values")
    require(constant.num_elements == 1, "constant_values must be a scalar", "", constant)
    assert constant.data is not None
    return float(constant.data.reshape(-1)[0])


def prepare(view: OpView) -> PadParams:
    input_, output = require_quantized_operands(view, (2, 3), RAW_COPY_TYPES)
    paddings, constant = view.input(1), view.optional_input(2)
    values = constant_int32_values(paddings, "paddings")
    rank = len(input_.shape)
    require(rank <= MAX_DIMENSIONS, f"PAD supports at most {MAX_DIMENSIONS} dimensions", "", input_)
    require(len(values) == 2 * rank, f"paddings must be [{rank}, 2]", "", paddings)
    require(all(v >= 0 for v in values), "negative paddings are not supported", "", paddings)
    left, right = values[0::2], values[1::2]
    expected = tuple(d + lo + hi for d, lo, hi in zip(input_.shape, left, right, strict=True))
    require_output_shape(view, expected)
    if input_.dtype is DType.FLOAT32:
        return PadParams(left, right, _float_pad_value(constant), input_.shape, expected)
    output_quant = per_tensor(output)
    per_tensor(input_)
    is_int8 = input_.dtype is DType.INT8
    pad_value = output_quant.zero_point if is_int8 else 0
    if constant is not None:
        require_dtype(constant, [input_.dtype], "constant_values")
        require_constant(constant, "constant_values")
        require(constant.num_elements == 1, "constant_values must be a scalar", "", constant)
        if is_int8:
            constant_quant = quantization(constant)
            require(
                constant_quant.zero_point == output_quant.zero_point
                and constant_quant.scale == output_quant.scale,
                "PADV2 constant must be quantized like the output",
                "re-export the model",
                constant,
            )
        pad_value = int_values(constant)[0]
    return PadParams(
        left_padding=left,
        right_padding=right,
        pad_value=pad_value,
        input_shape=input_.shape,
        output_shape=expected,
    )
