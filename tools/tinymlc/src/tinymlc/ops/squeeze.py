"""SQUEEZE: removes size-1 dimensions; a copy like RESHAPE."""

from __future__ import annotations

from tinymlc.ir import SqueezeAttrs
from tinymlc.ops._common import OpView, normalize_axis, require, require_arity, require_output_shape
from tinymlc.ops.reshape import ReshapeParams, prepare_reshape_like

MAX_DIMENSIONS = 8


def prepare(view: OpView) -> ReshapeParams:
    require_arity(view, (1,))
    input_ = view.input(0)
    attrs = view.op.attrs
    dims = attrs.squeeze_dims if isinstance(attrs, SqueezeAttrs) else ()
    rank = len(input_.shape)
    require(rank <= MAX_DIMENSIONS, f"SQUEEZE supports at most {MAX_DIMENSIONS} dimensions", "", input_)
    if dims:
        squeezed = {normalize_axis(d, rank) for d in dims}
        for d in squeezed:
            require(
                input_.shape[d] == 1, f"cannot squeeze dimension {d} of size {input_.shape[d]}", "", input_
            )
    else:
        squeezed = {d for d, n in enumerate(input_.shape) if n == 1}
    require_output_shape(view, tuple(n for d, n in enumerate(input_.shape) if d not in squeezed))
    return prepare_reshape_like(view)
