"""ARG_MAX and ARG_MIN: the index of the first maximum (minimum) along a constant
axis. TFLM supports int8 and float32 input (compared plainly: a leading NaN stays the
result), an int32 axis and int32 output only."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, OpKind
from tinymlc.ops._common import (
    OpView,
    constant_int32_values,
    normalize_axis,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class ArgMinMaxParams:
    maximum: bool
    """ARG_MAX, else ARG_MIN."""
    axis: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare(view: OpView) -> ArgMinMaxParams:
    require_arity(view, (2,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.FLOAT32], "input")
    require_dtype(output, [DType.INT32], "output")
    values = constant_int32_values(view.input(1), "axis")
    require(len(values) >= 1, "axis is empty", "", view.input(1))
    axis = normalize_axis(values[0], len(input_.shape))
    require(input_.shape[axis] > 0, "the reduced axis is empty", "", input_)
    expected = input_.shape[:axis] + input_.shape[axis + 1 :]
    require_output_shape(view, expected)
    return ArgMinMaxParams(view.op.kind is OpKind.ARG_MAX, axis, input_.shape, expected)
