"""REVERSE_V2 (int8, int16, int32, float32): the input with constant axes reversed, on the
`remap` kernel. Values are copied raw, as TFLM does, whatever the quantization.
TFLM itself reverses only contiguous axes; any set of axes works here."""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, constant_int32_values, require, require_arity, require_dtype
from tinymlc.ops._remap import AxisTerms, RemapParams, checked_output, remap_params, unit

ELEMENT_TYPES = [DType.INT8, DType.INT16, DType.INT32, DType.FLOAT32]
MAX_DIMENSIONS = 8
"""TFLM's Prepare bound on the input rank."""
KERNEL_RANK = 6
"""The runtime's `MAX_RANK`."""


def prepare(view: OpView) -> RemapParams:
    require_arity(view, (2,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, ELEMENT_TYPES, "input")
    require(output.dtype == input_.dtype, "output type differs from the input's", "", output)
    rank = len(input_.shape)
    require(1 <= rank <= MAX_DIMENSIONS, f"input rank {rank} is outside 1..{MAX_DIMENSIONS}", "", input_)
    require(
        view.input(1).is_constant,
        "axes computed at run time are not supported (the coordinate table is made at compile time)",
        "make the axes a constant",
        view.input(1),
    )
    axes = constant_int32_values(view.input(1), "axis")
    require(len(axes) <= rank, f"{len(axes)} axes for a rank-{rank} input", "", view.input(1))
    reversed_axes: set[int] = set()
    for axis in axes:
        require(-rank <= axis < rank, f"axis {axis} out of range for rank {rank}", "", view.input(1))
        reversed_axes.add(axis % rank)
    checked_output(view, input_.shape)
    # Neighbouring axes that are all reversed (or all kept) act as one axis.
    merged: list[tuple[int, bool]] = []
    for axis, extent in enumerate(input_.shape):
        flipped = axis in reversed_axes
        if merged and merged[-1][1] == flipped:
            merged[-1] = (merged[-1][0] * extent, flipped)
        else:
            merged.append((extent, flipped))
    require(
        len(merged) <= KERNEL_RANK,
        f"reversing {sorted(reversed_axes)} of rank {rank} needs {len(merged)} kernel dimensions "
        f"(at most {KERNEL_RANK})",
        "",
        input_,
    )
    shape = [extent for extent, _ in merged]

    def axis_terms(axis: int) -> AxisTerms:
        extent, flipped = merged[axis]
        if flipped:
            return lambda i: unit(len(shape), axis, extent - 1 - i)
        return lambda i: unit(len(shape), axis, i)

    return remap_params(shape, shape, [axis_terms(a) for a in range(len(shape))])
