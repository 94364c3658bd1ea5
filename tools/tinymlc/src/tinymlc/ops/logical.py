"""LOGICAL_AND, LOGICAL_OR (micro/kernels/logical.cc) and LOGICAL_NOT
(micro/kernels/elementwise.cc): BOOL tensors only, no Prepare in TFLM."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tinymlc.ir import DType, OpKind
from tinymlc.ops._binary import BinaryShapes
from tinymlc.ops._common import (
    OpView,
    broadcast_shape,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)

MAX_BROADCAST_RANK = 6
"""Ranks the kernels' `Shape` holds (TFLM's broadcasting loops go to 8)."""

LOGICAL_OPS: dict[OpKind, str] = {OpKind.LOGICAL_AND: "And", OpKind.LOGICAL_OR: "Or"}
"""Binary operator -> variant of the kernels' `Logical`."""


def broadcast_operands(view: OpView, input_types: Iterable[DType], output_type: DType) -> BinaryShapes:
    """Two inputs of one of `input_types` broadcasting to an `output_type` output."""
    require_arity(view, (2,))
    input1, input2, output = view.input(0), view.input(1), view.output()
    allowed = tuple(input_types)
    require_dtype(input1, allowed, "input 1")
    require_dtype(input2, allowed, "input 2")
    require_dtype(output, [output_type], "output")
    expected = broadcast_shape(input1.shape, input2.shape)
    require(
        len(expected) <= MAX_BROADCAST_RANK,
        f"rank {len(expected)} exceeds the {MAX_BROADCAST_RANK} dimensions the kernels support",
        "reshape the operands to at most 6 dimensions",
    )
    require_output_shape(view, expected)
    return BinaryShapes(
        input1_shape=input1.shape,
        input2_shape=input2.shape,
        output_shape=expected,
        requires_broadcast=input1.shape != input2.shape,
    )


@dataclass(frozen=True)
class LogicalParams:
    op: str
    """Variant of the kernels' `Logical`."""
    shapes: BinaryShapes


@dataclass(frozen=True)
class LogicalNotParams:
    elements: int


def prepare(view: OpView) -> LogicalParams:
    require(view.op.kind in LOGICAL_OPS, f"{view.op.opcode_name} is not a binary logical operator")
    return LogicalParams(
        op=LOGICAL_OPS[view.op.kind], shapes=broadcast_operands(view, [DType.BOOL], DType.BOOL)
    )


def prepare_not(view: OpView) -> LogicalNotParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.BOOL], "input")
    require_dtype(output, [DType.BOOL], "output")
    require_output_shape(view, input_.shape)
    return LogicalNotParams(elements=input_.num_elements)
