"""SHAPE and BROADCAST_ARGS: int32 shape vectors, known at compile time because
every tensor shape is static; constant folding writes them as constants."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, OpKind
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


def _static_shape(view: OpView, index: int) -> tuple[int, ...]:
    """A shape operand's values: a constant, or what a SHAPE or BROADCAST_ARGS before
    it computes (known at compile time, as every shape is static)."""
    operand = view.input(index)
    if operand.is_constant:
        return constant_int32_values(operand, f"shape {index}")
    tensor_id = view.op.inputs[index]
    producer = next((op for op in view.graph.operators if tensor_id in op.outputs), None)
    require(
        producer is not None and producer.kind in (OpKind.SHAPE, OpKind.BROADCAST_ARGS),
        "shape operand computed from tensor values; only shapes known at compile time are supported",
        "",
        operand,
    )
    assert producer is not None
    producer_view = OpView(view.graph, producer)
    if producer.kind is OpKind.SHAPE:
        return prepare_shape(producer_view).values
    return prepare_broadcast_args(producer_view).values


def prepare_broadcast_args(view: OpView) -> ShapeValueParams:
    require_arity(view, (2,))
    output = view.output()
    require_dtype(output, [DType.INT32], "output")
    left = _static_shape(view, 0)
    right = _static_shape(view, 1)
    rank = max(len(left), len(right))
    left_padded = (1,) * (rank - len(left)) + left
    right_padded = (1,) * (rank - len(right)) + right
    values: list[int] = []
    for a, b in zip(left_padded, right_padded, strict=True):
        require(a == b or 1 in (a, b), f"shapes {list(left)} and {list(right)} do not broadcast", "")
        values.append(b if a == 1 else a)
    require_output_shape(view, (rank,))
    return ShapeValueParams(tuple(values))
