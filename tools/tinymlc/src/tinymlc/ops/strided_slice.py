"""STRIDED_SLICE (int8, int16, int32, bool): TFLM StridedSlicePrepare + the reference kernel's
index resolution, precomputed for the static input shape."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import DType, StridedSliceAttrs
from tinymlc.ops._common import (
    QUANTIZED_ACTIVATION_TYPES,
    RAW_COPY_TYPES,
    OpView,
    constant_int32_values,
    per_tensor,
    require,
    require_output_shape,
    require_quantized_operands,
)

MAX_DIMENSIONS = 4  # StridedSlicePrepare's kMaxDim
ELEMENT_TYPES = (*RAW_COPY_TYPES, DType.INT32, DType.BOOL)
KERNEL_DIMENSIONS = 5  # the reference kernel pads everything to 5-D


@dataclass(frozen=True)
class StridedSliceParams:
    input_shape_5d: tuple[int, ...]
    """Input shape left-padded with 1s to 5-D."""
    starts: tuple[int, ...]
    """Resolved start index per 5-D axis (StridedSliceStartForAxis)."""
    stops: tuple[int, ...]
    """Resolved exclusive stop per 5-D axis (StridedSliceEndForAxis); may be -1."""
    strides: tuple[int, ...]
    """Stride per 5-D axis (non-zero, may be negative)."""
    output_shape: tuple[int, ...]


def _clamp(value: int, low: int, high: int) -> int:
    return high if value > high else low if value < low else value


def _start_for_axis(start: int, stride: int, size: int, begin_masked: bool) -> int:
    if start < 0:
        start += size
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    return start


def _end_for_axis(stop: int, start: int, stride: int, size: int, end_masked: bool, shrink: bool) -> int:
    if shrink:
        return start if start >= size else start + 1
    if stop < 0:
        stop += size
    stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    if end_masked:
        stop = size if stride > 0 else -1
    return stop


def prepare(view: OpView) -> StridedSliceParams:
    attrs = view.op.attrs
    require(isinstance(attrs, StridedSliceAttrs), "STRIDED_SLICE has no options", "re-export the model")
    assert isinstance(attrs, StridedSliceAttrs)
    for mask, name in ((attrs.ellipsis_mask, "ellipsis_mask"), (attrs.new_axis_mask, "new_axis_mask")):
        require(mask == 0, f"{name} is not supported by TFLM (it ignores it)", "rewrite the slice without it")
    require(not attrs.offset, "STRIDED_SLICE offset=true is not supported by TFLM", "")
    input_, output = require_quantized_operands(view, (4,), ELEMENT_TYPES)
    rank = len(input_.shape)
    require(rank <= MAX_DIMENSIONS, f"input rank {rank} exceeds {MAX_DIMENSIONS}", "", input_)
    vectors = []
    for index, role in ((1, "begin"), (2, "end"), (3, "strides")):
        tensor = view.input(index)
        values = constant_int32_values(tensor, role)
        require(len(values) == rank, f"{role} has {len(values)} entries for rank {rank}", "", tensor)
        vectors.append(values)
    begin, end, strides = vectors
    require(all(s != 0 for s in strides), "stride value has to be non-zero", "", view.input(3))
    # TFLM copies raw values whatever the quantization (the validator warns).
    if input_.dtype in QUANTIZED_ACTIVATION_TYPES:
        per_tensor(input_)
        per_tensor(output)
    pad = KERNEL_DIMENSIONS - rank
    shape5 = (1,) * pad + input_.shape
    begin5 = (0,) * pad + begin
    end5 = (1,) * pad + end
    strides5 = (1,) * pad + strides
    begin_mask = (attrs.begin_mask << pad) | ((1 << pad) - 1)
    end_mask = (attrs.end_mask << pad) | ((1 << pad) - 1)
    shrink_mask = attrs.shrink_axis_mask << pad
    starts, stops, expected = [], [], []
    for axis in range(KERNEL_DIMENSIONS):
        shrink = bool(shrink_mask & (1 << axis))
        start = _start_for_axis(begin5[axis], strides5[axis], shape5[axis], bool(begin_mask & (1 << axis)))
        stop = _end_for_axis(
            end5[axis], start, strides5[axis], shape5[axis], bool(end_mask & (1 << axis)), shrink
        )
        starts.append(start)
        stops.append(stop)
        if axis >= pad and not shrink:
            expected.append(max(math.ceil((stop - start) / strides5[axis]), 0))
    require_output_shape(view, tuple(expected))
    return StridedSliceParams(
        input_shape_5d=shape5,
        starts=tuple(starts),
        stops=tuple(stops),
        strides=strides5,
        output_shape=tuple(expected),
    )
