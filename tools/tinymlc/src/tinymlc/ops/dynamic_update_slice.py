"""DYNAMIC_UPDATE_SLICE (int8, int16, int32, float32 operand; int32 or int64 start indices):
the operand with the update written at start indices the kernel reads at run time
and clamps into the operand, as TFLM does. Values are copied raw."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, Shape, require, require_arity, require_dtype, require_output_shape

ELEMENT_TYPES = [DType.INT8, DType.INT16, DType.INT32, DType.FLOAT32]
KERNEL_RANK = 6
"""The runtime's `MAX_RANK`."""


@dataclass(frozen=True)
class DynamicUpdateSliceParams:
    operand_shape: Shape
    update_shape: Shape


def prepare(view: OpView) -> DynamicUpdateSliceParams:
    require_arity(view, (3,))
    operand, update, start = view.input(0), view.input(1), view.input(2)
    require_dtype(operand, ELEMENT_TYPES, "operand")
    for tensor in (update, view.output()):
        require(tensor.dtype == operand.dtype, "type differs from the operand's", "", tensor)
    require_dtype(start, [DType.INT32, DType.INT64], "start indices")
    # Generated code holds int64 tensors only as constants.
    require(
        start.dtype is DType.INT32 or start.is_constant,
        "int64 start indices computed at run time are not supported",
        "give the start indices as int32",
        start,
    )
    rank = len(operand.shape)
    require(rank <= KERNEL_RANK, f"rank {rank} exceeds {KERNEL_RANK}", "", operand)
    require(len(update.shape) == rank, "update rank differs from the operand's", "", update)
    for have, room in zip(update.shape, operand.shape, strict=True):
        require(
            have <= room, f"update {list(update.shape)} exceeds operand {list(operand.shape)}", "", update
        )
    require(start.shape == (rank,), f"start indices must have shape [{rank}]", "", start)
    require_output_shape(view, operand.shape)
    return DynamicUpdateSliceParams(operand.shape, update.shape)
