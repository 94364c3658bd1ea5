"""SLICE: TFLM's Slice kernel resolves `begin` and `size` (-1: to the end of the
axis) on the input padded to 5-D; the result is a unit-stride STRIDED_SLICE, so
this module returns that operator's parameters and shares its kernel."""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    check_raw_copy_quantization,
    int_values,
    require,
    require_constant,
    require_dtype,
    require_output_shape,
    require_quantized_operands,
)
from tinymlc.ops.strided_slice import ELEMENT_TYPES, KERNEL_DIMENSIONS, StridedSliceParams


def prepare(view: OpView) -> StridedSliceParams:
    input_, output = require_quantized_operands(view, (3,), ELEMENT_TYPES)
    rank = len(input_.shape)
    require(rank <= KERNEL_DIMENSIONS, f"input rank {rank} exceeds {KERNEL_DIMENSIONS}", "", input_)
    vectors = []
    for index, role in ((1, "begin"), (2, "size")):
        tensor = view.input(index)
        require_dtype(tensor, [DType.INT32, DType.INT64], role)
        require_constant(tensor, role)
        values = int_values(tensor)
        require(len(values) == rank, f"{role} has {len(values)} entries for rank {rank}", "", tensor)
        vectors.append(values)
    begin, size = vectors
    stops = []
    for axis, (start, length, extent) in enumerate(zip(begin, size, input_.shape, strict=True)):
        stop = extent if length == -1 else start + length
        require(
            0 <= start <= stop <= extent,
            f"axis {axis}: begin {start} size {length} leave the input extent {extent}",
            "fix the slice bounds",
            view.input(2),
        )
        stops.append(stop)
    check_raw_copy_quantization(input_, output)
    expected = tuple(stop - start for start, stop in zip(begin, stops, strict=True))
    require_output_shape(view, expected)
    pad = KERNEL_DIMENSIONS - rank
    return StridedSliceParams(
        input_shape_5d=(1,) * pad + input_.shape,
        starts=(0,) * pad + begin,
        stops=(1,) * pad + tuple(stops),
        strides=(1,) * KERNEL_DIMENSIONS,
        output_shape=expected,
    )
