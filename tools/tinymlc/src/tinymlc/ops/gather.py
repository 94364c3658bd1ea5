"""GATHER (int8 or float32 params, constant int32/int64 indices): output[batch, outer, i, inner]
= params[batch, outer, indices[batch, i], inner], TFLM's loop with `axis` and
`batch_dims`. Indices computed at run time are not supported."""

from __future__ import annotations

import math

from tinymlc.ir import DType, GatherAttrs
from tinymlc.ops._common import OpView, int_values, require, require_constant, require_dtype
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params


def prepare(view: OpView) -> RemapParams:
    params_tensor, _ = copy_operands(view, (2,))
    indices_tensor = view.input(1)
    require_dtype(indices_tensor, [DType.INT32, DType.INT64], "indices")
    require_constant(indices_tensor, "indices")
    attrs = view.op.attrs
    axis, batch_dims = (attrs.axis, attrs.batch_dims) if isinstance(attrs, GatherAttrs) else (0, 0)
    shape, index_shape = params_tensor.shape, indices_tensor.shape
    if axis < 0:
        axis += len(shape)
    if batch_dims < 0:
        batch_dims += len(index_shape)
    require(0 <= axis < len(shape), f"axis {axis} out of range for rank {len(shape)}", "")
    require(
        0 <= batch_dims <= axis and batch_dims < len(shape) and batch_dims <= len(index_shape),
        f"batch_dims {batch_dims} out of range",
        "",
    )
    require(
        shape[:batch_dims] == index_shape[:batch_dims],
        "params and indices disagree on the batch dimensions",
        "",
        indices_tensor,
    )
    indices = int_values(indices_tensor)
    axis_size = shape[axis]
    require(
        all(0 <= i < axis_size for i in indices),
        f"indices outside [0, {axis_size})",
        "fix the indices",
        indices_tensor,
    )
    checked_output(view, shape[:axis] + index_shape[batch_dims:] + shape[axis + 1 :])
    batch = math.prod(shape[:batch_dims])
    outer = math.prod(shape[batch_dims:axis])
    count = math.prod(index_shape[batch_dims:])
    inner = math.prod(shape[axis + 1 :])
    # The kernel's views: params [batch, outer, axis, inner]; the output's batch and
    # index axes are one axis when an index depends on its batch.
    params_view = (batch, outer, axis_size, inner)
    if batch == 1:
        return remap_params(
            params_view,
            (outer, count, inner),
            [lambda o: (0, o, 0, 0), lambda i: (0, 0, indices[i], 0), lambda j: (0, 0, 0, j)],
        )

    def batch_outer_index(k: int) -> tuple[int, ...]:
        b, rest = divmod(k, outer * count)
        o, i = divmod(rest, count)
        return (b, o, indices[b * count + i], 0)

    return remap_params(
        params_view, (batch * outer * count, inner), [batch_outer_index, lambda j: (0, 0, 0, j)]
    )
