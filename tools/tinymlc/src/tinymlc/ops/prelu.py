"""PRELU (INT8 / INT16 input, INT8 alpha): TFLM CalculatePreluParams, multipliers in double.

The alpha broadcasts against the input (one alpha per channel in converted models).
TFLM reads the alpha's first scale and zero point (`params`), even when the alpha
is quantized per channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._binary import BinaryShapes
from tinymlc.ops._common import (
    OpView,
    broadcast_shape,
    per_tensor,
    quantization,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)
from tinymlc.ops.logical import MAX_BROADCAST_RANK


@dataclass(frozen=True)
class PreluParams:
    input_dtype: DType
    input_offset: int
    """PreluParams.input_offset = -input zero point."""
    alpha_offset: int
    """PreluParams.alpha_offset = -alpha zero point."""
    output_offset: int
    """PreluParams.output_offset = output zero point."""
    output_multiplier_1: int
    output_shift_1: int
    """QuantizeMultiplier((double)s_in / (double)s_out)."""
    output_multiplier_2: int
    output_shift_2: int
    """QuantizeMultiplier((double)s_in * (double)s_alpha / (double)s_out)."""
    shapes: BinaryShapes


def prepare(view: OpView) -> PreluParams:
    require_arity(view, (2,))
    input_, alpha, output = view.input(0), view.input(1), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(alpha, [DType.INT8], "alpha")
    require_dtype(output, [input_.dtype], "output")
    expected = broadcast_shape(input_.shape, alpha.shape)
    require(
        len(expected) <= MAX_BROADCAST_RANK,
        f"rank {len(expected)} exceeds the {MAX_BROADCAST_RANK} dimensions the kernels support",
        "reshape the operands to at most 6 dimensions",
    )
    require_output_shape(view, expected)
    input_quant, alpha_quant, output_quant = per_tensor(input_), quantization(alpha), per_tensor(output)
    identity = quant.quantize_multiplier(input_quant.scale / output_quant.scale)
    scaled_alpha = quant.quantize_multiplier(input_quant.scale * alpha_quant.scale / output_quant.scale)
    return PreluParams(
        input_dtype=input_.dtype,
        input_offset=-input_quant.zero_point,
        alpha_offset=-alpha_quant.zero_point,
        output_offset=output_quant.zero_point,
        output_multiplier_1=identity.multiplier,
        output_shift_1=identity.shift,
        output_multiplier_2=scaled_alpha.multiplier,
        output_shift_2=scaled_alpha.shift,
        shapes=BinaryShapes(
            input1_shape=input_.shape,
            input2_shape=alpha.shape,
            output_shape=expected,
            requires_broadcast=input_.shape != alpha.shape,
        ),
    )
