"""ABS: TFLM PrepareAbsRsqrt / SetAbsOutputMultiplier (micro/kernels/elementwise.cc).

INT8, and INT16 with quantization, compute `|x - zero point|` rescaled to the output
scale when the two scales differ; unquantized INT16 and FLOAT32 take the plain
absolute value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class AbsParams:
    dtype: DType
    quantized: bool
    """Whether TFLM takes its quantized path (INT8, or INT16 with quantization)."""
    input_offset: int
    """OpDataAbsRsqrt.input_offset = +input zero point (subtracted)."""
    output_offset: int
    """OpDataAbsRsqrt.output_offset = output zero point."""
    needs_rescale: bool
    """OpDataAbsRsqrt.needs_rescale: the input and output scales differ."""
    multiplier: int
    shift: int
    """QuantizeMultiplier((double)(in_scale / out_scale)) with the division in float32."""


def prepare(view: OpView) -> AbsParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16, DType.FLOAT32], "input")
    require_dtype(output, [input_.dtype], "output")
    require_output_shape(view, input_.shape)
    quantized = input_.dtype is DType.INT8 or (
        input_.dtype is DType.INT16 and input_.quantization is not None
    )
    if not quantized:
        return AbsParams(input_.dtype, False, 0, 0, False, 0, 0)
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    if input_.dtype is DType.INT16:
        require(
            input_quant.zero_point == 0 and output_quant.zero_point == 0,
            "INT16 ABS needs zero points of 0 (TFLM checks this)",
            "quantize int16 tensors symmetrically",
        )
    needs_rescale = quant.f32(input_quant.scale) != quant.f32(output_quant.scale)
    multiplier = quant.QuantizedMultiplier(0, 0)
    if needs_rescale:
        ratio = np.float32(quant.f32(input_quant.scale) / quant.f32(output_quant.scale))
        multiplier = quant.quantize_multiplier(float(ratio))
    return AbsParams(
        dtype=input_.dtype,
        quantized=True,
        input_offset=input_quant.zero_point,
        output_offset=output_quant.zero_point,
        needs_rescale=needs_rescale,
        multiplier=multiplier.multiplier,
        shift=multiplier.shift,
    )
