"""GATHER_ND (int8 or float32 params, constant int32 indices): each index row selects a slice
of params. TFLM only checks that the flat start `sum(index[j] * stride[j])` keeps
the slice inside params (an index may leave its own axis), so the row is resolved
from that flat position, on params viewed as [rows, slice]."""

from __future__ import annotations

import math

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, int_values, require, require_constant, require_dtype
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params

MAX_INDICES_ND = 5


def prepare(view: OpView) -> RemapParams:
    params_tensor, _ = copy_operands(view, (2,))
    indices_tensor = view.input(1)
    require_dtype(indices_tensor, [DType.INT32], "indices")
    require_constant(indices_tensor, "indices")
    shape, index_shape = params_tensor.shape, indices_tensor.shape
    require(len(shape) >= 1, "params must be at least a vector", "", params_tensor)
    require(len(index_shape) >= 1, "indices must be at least a vector", "", indices_tensor)
    depth = index_shape[-1]
    require(depth <= len(shape), f"index depth {depth} exceeds the params rank {len(shape)}", "")
    require(depth <= MAX_INDICES_ND, f"index depth {depth} exceeds {MAX_INDICES_ND}", "")
    checked_output(view, index_shape[:-1] + shape[depth:])
    slice_size = math.prod(shape[depth:])
    rows = math.prod(shape[:depth])
    strides = [math.prod(shape[j + 1 :]) for j in range(depth)]
    values = int_values(indices_tensor)
    starts = []
    for row in range(math.prod(index_shape[:-1])):
        start = sum(values[row * depth + j] * strides[j] for j in range(depth))
        require(
            start >= 0 and start + slice_size <= rows * slice_size,
            f"index {list(values[row * depth : (row + 1) * depth])} reads outside params",
            "fix the indices",
            indices_tensor,
        )
        starts.append(start // max(slice_size, 1))
    return remap_params(
        (rows, slice_size),
        (len(starts), slice_size),
        [lambda i: (starts[i], 0), lambda j: (0, j)],
    )
