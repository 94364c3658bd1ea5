"""SHAPE and BROADCAST_ARGS: int32 shape vectors, known at compile time because
every tensor shape is static; constant folding writes them as constants."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    constant_int32_values,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class ShapeValueParams:
    values: tuple[int, ...]
    """The output vector."""


def prepare_shape(view: OpView) -> ShapeValueParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(output, [DType.INT32], "output")
    require_output_shape(view, (len(input_.shape),))
    return ShapeValueParams(tuple(input_.shape))


def prepare_broadcast_args(view: OpView) -> ShapeValueParams:
    require_arity(view, (2,))
    output = view.output()
    require_dtype(output, [DType.INT32], "output")
    for operand in (view.input(0), view.input(1)):
        # Static shapes make computed operands constant once SHAPE is folded.
        require(
            operand.is_constant,
            "shape operand computed from tensor values; only shapes known at compile time are supported",
            "",
            operand,
        )
    left = constant_int32_values(view.input(0), "shape 0")
    right = constant_int32_values(view.input(1), "shape 1")
    rank = max(len(left), len(right))
    left_padded = (1,) * (rank - len(left)) + left
    right_padded = (1,) * (rank - len(right)) + right
    values: list[int] = []
    for a, b in zip(left_padded, right_padded, strict=True):
        require(a == b or 1 in (a, b), f"shapes {list(left)} and {list(right)} do not broadcast", "")
        values.append(b if a == 1 else a)
    require_output_shape(view, (rank,))
    return ShapeValueParams(tuple(values))
