"""BROADCAST_TO (int8, int16, float32): the input right-aligned against the constant shape; axes of
extent 1 repeat (at most 5 dimensions, TFLM's kMaxDims)."""

from __future__ import annotations

from tinymlc.ops._common import RAW_COPY_TYPES, OpView, constant_int32_values, require
from tinymlc.ops._remap import AxisTerms, RemapParams, checked_output, copy_operands, remap_params, unit

MAX_DIMENSIONS = 5


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (2,), RAW_COPY_TYPES)
    shape = constant_int32_values(view.input(1), "shape")
    rank = len(shape)
    require(rank <= MAX_DIMENSIONS, f"output rank {rank} exceeds {MAX_DIMENSIONS}", "", view.input(1))
    require(len(input_.shape) <= rank, "input has more dimensions than the shape", "", input_)
    extended = (1,) * (rank - len(input_.shape)) + input_.shape
    for have, want in zip(extended, shape, strict=True):
        require(have in (1, want), f"cannot broadcast {list(input_.shape)} to {list(shape)}", "", input_)
    checked_output(view, shape)

    def axis_terms(axis: int) -> AxisTerms:
        return lambda i: unit(rank, axis, i if extended[axis] != 1 else 0)

    return remap_params(extended, shape, [axis_terms(a) for a in range(rank)])
