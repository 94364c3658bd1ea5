"""ZEROS_LIKE (int32, as TFLM): zeros in the input's shape. Its value never depends
on the input, so constant folding replaces it; as a graph output it runs on the
`remap` kernel with every coordinate outside the input, which writes the pad value 0."""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require_arity, require_dtype, require_output_shape
from tinymlc.ops._remap import RemapParams, remap_params


def prepare(view: OpView) -> RemapParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT32], "input")
    require_dtype(output, [DType.INT32], "output")
    require_output_shape(view, input_.shape)
    count = input_.num_elements
    return remap_params((count,), (count,), [lambda _: (count,)], pad_value=0)
