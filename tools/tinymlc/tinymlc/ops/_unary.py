"""Shared checks for int8 elementwise unary operators."""

from __future__ import annotations

from tinymlc.ir import DType, Quantization
from tinymlc.ops._common import OpView, per_tensor, require_arity, require_dtype, require_output_shape


def check_unary_int8(view: OpView) -> tuple[Quantization, Quantization]:
    """One int8 input, one int8 output of the same shape; returns their quantization."""
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(output, [DType.INT8], "output")
    require_output_shape(view, input_.shape)
    return per_tensor(input_), per_tensor(output)
