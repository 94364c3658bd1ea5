"""DEQUANTIZE: int8/int16 -> float32."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, per_tensor, require_arity, require_dtype, require_output_shape


@dataclass(frozen=True)
class DequantizeParams:
    scale: float
    """DequantizationParams.scale: double of the float32 input scale; the kernel
    computes `(float)(scale * (x - zero_point))` in double."""
    zero_point: int
    """DequantizationParams.zero_point (input zero point)."""


def prepare(view: OpView) -> DequantizeParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(output, [DType.FLOAT32], "output")
    require_output_shape(view, input_.shape)
    input_quant = per_tensor(input_)
    return DequantizeParams(scale=input_quant.scale, zero_point=input_quant.zero_point)
