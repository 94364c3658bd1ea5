"""SELECT_V2 (micro/kernels/select.cc SelectPrepare): a BOOL condition picks the
stored value of x or y; FLOAT32, INT8 and INT16 values, copied without requantizing.

TFLM has no SELECT (v1) kernel, so that operator stays unsupported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    Shape,
    broadcast_shape,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)
from tinymlc.ops.logical import MAX_BROADCAST_RANK

MAX_SELECT_BROADCAST_RANK = 5
"""TFLM broadcasts SELECT_V2 operands with `BroadcastSelect5DSlow`."""


@dataclass(frozen=True)
class SelectV2Params:
    value_dtype: DType
    condition_shape: Shape
    x_shape: Shape
    y_shape: Shape
    output_shape: Shape


def prepare(view: OpView) -> SelectV2Params:
    require_arity(view, (3,))
    condition, x, y, output = view.input(0), view.input(1), view.input(2), view.output()
    require_dtype(condition, [DType.BOOL], "condition")
    require_dtype(x, [DType.FLOAT32, DType.INT8, DType.INT16], "x")
    require_dtype(y, [x.dtype], "y")
    require_dtype(output, [x.dtype], "output")
    shapes = (condition.shape, x.shape, y.shape)
    if all(math.prod(shape) == 1 for shape in (*shapes, output.shape)):
        # TFLM's "possible mixed scalar": one element each, whatever the ranks.
        expected = output.shape
    else:
        expected = broadcast_shape(broadcast_shape(condition.shape, x.shape), y.shape)
        require_output_shape(view, expected)
        limit = MAX_BROADCAST_RANK if len(set(shapes)) == 1 else MAX_SELECT_BROADCAST_RANK
        require(
            len(expected) <= limit,
            f"rank {len(expected)} exceeds the {limit} dimensions SELECT_V2 supports here",
            "reshape the operands to fewer dimensions",
        )
    return SelectV2Params(
        value_dtype=x.dtype,
        condition_shape=condition.shape,
        x_shape=x.shape,
        y_shape=y.shape,
        output_shape=expected,
    )
