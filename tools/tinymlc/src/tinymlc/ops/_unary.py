"""Shared checks for the quantized elementwise unary operators."""

from __future__ import annotations

from collections.abc import Iterable

from tinymlc.ir import DType, Quantization
from tinymlc.ops._common import (
    QUANTIZED_ACTIVATION_TYPES,
    OpView,
    per_tensor,
    require_int8_operands,
    require_output_shape,
    require_quantized_operands,
)


def check_unary_int8(view: OpView) -> tuple[Quantization, Quantization]:
    """One int8 input, one int8 output of the same shape; returns their quantization."""
    input_, output = require_int8_operands(view, (1,))
    require_output_shape(view, input_.shape)
    return per_tensor(input_), per_tensor(output)


def check_unary_quantized(
    view: OpView, dtypes: Iterable[DType] = QUANTIZED_ACTIVATION_TYPES
) -> tuple[Quantization, Quantization, DType]:
    """One input of one of `dtypes` and an output of its type and shape; returns their
    quantization and the type."""
    input_, output = require_quantized_operands(view, (1,), dtypes)
    require_output_shape(view, input_.shape)
    return per_tensor(input_), per_tensor(output), input_.dtype
