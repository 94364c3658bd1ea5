"""CUMSUM (int8, float32): TFLM cumsum.cc CalculateOpData, the rescaling of ADD_N
(float32: plain sums, `sum` None).

The axis is read at Eval in TFLM; the compiler needs it constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import CumsumAttrs, DType
from tinymlc.ops._common import (
    OpView,
    constant_int32_values,
    normalize_axis,
    per_tensor,
    require,
    require_output_shape,
    require_quantized_operands,
)
from tinymlc.ops.add_n import SumParams, sum_params


@dataclass(frozen=True)
class CumsumParams:
    sum: SumParams | None
    """None for float32."""
    before: int
    """Product of the dimensions before the axis (TFLM's `inner`)."""
    depth: int
    after: int
    """Product of the dimensions after the axis (TFLM's `outer`)."""
    exclusive: bool
    reverse: bool


def prepare(view: OpView) -> CumsumParams:
    input_, output = require_quantized_operands(view, (2,), (DType.INT8, DType.FLOAT32))
    require(len(input_.shape) >= 1, "CUMSUM of a scalar", "reshape the input")
    require_output_shape(view, input_.shape)
    axis_values = constant_int32_values(view.input(1), "axis")
    require(len(axis_values) == 1, f"axis has {len(axis_values)} elements, TFLM needs 1", "fix the axis")
    axis = normalize_axis(axis_values[0], len(input_.shape))
    attrs = view.op.attrs
    # Absent options: TFLM value-initialises them (inclusive, forward).
    exclusive, reverse = (
        (attrs.exclusive, attrs.reverse) if isinstance(attrs, CumsumAttrs) else (False, False)
    )
    return CumsumParams(
        sum=None if input_.dtype is DType.FLOAT32 else sum_params(per_tensor(input_), per_tensor(output)),
        before=math.prod(input_.shape[:axis]),
        depth=input_.shape[axis],
        after=math.prod(input_.shape[axis + 1 :]),
        exclusive=exclusive,
        reverse=reverse,
    )
