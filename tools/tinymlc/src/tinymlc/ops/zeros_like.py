"""ZEROS_LIKE (int32, int64 and float32, as TFLM): zeros in the input's shape. Its value
never depends on the input, so constant folding replaces it whether or not the input is
constant; as a graph output it runs on the `remap` kernel with every coordinate outside
the input, which writes the pad value 0 (all bits zero: 0.0 for float32)."""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require_arity, require_dtype, require_output_shape
from tinymlc.ops._remap import RemapParams, remap_params

ZEROS_LIKE_DTYPES = (DType.INT32, DType.INT64, DType.FLOAT32)
"""The types TFLM's zeros_like.cc accepts."""


def prepare(view: OpView) -> RemapParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, ZEROS_LIKE_DTYPES, "input")
    require_dtype(output, [input_.dtype], "output")
    require_output_shape(view, input_.shape)
    count = input_.num_elements
    return remap_params((count,), (count,), [lambda _: (count,)], pad_value=0)
