"""FILL: a scalar value (int8, int32 or float32, as TFLM) repeated over constant dims; the
`remap` kernel broadcasting the value, or folded when the value is constant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, int_values, require, require_arity, require_constant, require_dtype
from tinymlc.ops._remap import RemapParams, checked_output, remap_params

VALUE_TYPES = [DType.INT8, DType.INT32, DType.FLOAT32]


@dataclass(frozen=True)
class FillParams(RemapParams):
    """The remap of input 1 (the value); input 0 only gives the shape."""

    data_input: ClassVar[int] = 1


def prepare(view: OpView) -> FillParams:
    require_arity(view, (2,))
    dims, value, output = view.input(0), view.input(1), view.output()
    require_dtype(dims, [DType.INT32, DType.INT64], "dims")
    require_constant(dims, "dims")
    require_dtype(value, VALUE_TYPES, "value")
    require(output.dtype == value.dtype, "output type differs from the value's", "", output)
    require(len(value.shape) == 0, "value is not a scalar", "", value)
    shape = int_values(dims)
    checked_output(view, shape)
    # The kernel views the value as one element and the output as a flat run of them.
    remap = remap_params((1,), (output.num_elements,), [lambda _: (0,)])
    return FillParams(remap.input_shape, remap.output_shape, remap.contributions, remap.pad_value)
