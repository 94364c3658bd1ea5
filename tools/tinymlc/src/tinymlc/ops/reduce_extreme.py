"""REDUCE_MAX and REDUCE_MIN (int8): raw maximum/minimum over constant axes. TFLM's
Eval requires the output quantized exactly like the input. REDUCE_ALL (bool): the
minimum of TFLM's 0/1 bool bytes, their logical and."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, OpKind, ReducerAttrs
from tinymlc.ops._common import (
    OpView,
    constant_int32_values,
    normalize_axis,
    per_tensor,
    require,
    require_int8_operands,
    require_output_shape,
    require_quantized_operands,
)


@dataclass(frozen=True)
class ReduceExtremeParams:
    maximum: bool
    """REDUCE_MAX, else REDUCE_MIN."""
    axes: tuple[int, ...]
    """Reduced axes, non-negative, deduplicated, ascending (TFLM's ResolveAxis)."""
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare(view: OpView) -> ReduceExtremeParams:
    attrs = view.op.attrs
    keep_dims = isinstance(attrs, ReducerAttrs) and attrs.keep_dims
    reduce_all = view.op.kind is OpKind.REDUCE_ALL
    if reduce_all:
        input_, output = require_quantized_operands(view, (2,), (DType.BOOL,))
    else:
        input_, output = require_int8_operands(view, (2,))
    rank = len(input_.shape)
    axes = tuple(sorted({normalize_axis(a, rank) for a in constant_int32_values(view.input(1), "axis")}))
    if keep_dims:
        expected = tuple(1 if d in axes else n for d, n in enumerate(input_.shape))
    else:
        expected = tuple(n for d, n in enumerate(input_.shape) if d not in axes)
    require_output_shape(view, expected)
    require(
        reduce_all or per_tensor(input_) == per_tensor(output),
        f"{view.op.opcode_name} output must be quantized exactly like its input (TFLM checks it)",
        "re-export the model",
        output,
    )
    return ReduceExtremeParams(view.op.kind is OpKind.REDUCE_MAX, axes, input_.shape, expected)
