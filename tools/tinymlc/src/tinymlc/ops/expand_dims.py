"""EXPAND_DIMS: a reshape inserting one unit dimension at a constant axis."""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, int_values, require, require_arity, require_constant, require_dtype
from tinymlc.ops.reshape import ReshapeParams, prepare_reshape_like


def prepare(view: OpView) -> ReshapeParams:
    require_arity(view, (2,))
    input_, axis_tensor, output = view.input(0), view.input(1), view.output()
    require_dtype(axis_tensor, [DType.INT32], "axis")
    require_constant(axis_tensor, "axis")
    values = int_values(axis_tensor)
    require(len(values) >= 1, "axis is empty", "", axis_tensor)
    rank = len(input_.shape)
    # TFLM reads the first element and counts negative axes from the output's rank.
    axis = values[0] + rank + 1 if values[0] < 0 else values[0]
    require(0 <= axis <= rank, f"axis {values[0]} out of range for rank {rank}", "", axis_tensor)
    expected = (*input_.shape[:axis], 1, *input_.shape[axis:])
    require(
        output.shape == expected,
        f"output shape {list(output.shape)} does not match the inferred {list(expected)}",
        "re-export the model with static shapes",
        output,
    )
    return prepare_reshape_like(view)
