"""Shared checks for int8 elementwise unary operators."""

from __future__ import annotations

from tinymlc.ir import Quantization
from tinymlc.ops._common import OpView, per_tensor, require_int8_operands, require_output_shape


def check_unary_int8(view: OpView) -> tuple[Quantization, Quantization]:
    """One int8 input, one int8 output of the same shape; returns their quantization."""
    input_, output = require_int8_operands(view, (1,))
    require_output_shape(view, input_.shape)
    return per_tensor(input_), per_tensor(output)
