"""REQUANTIZE_FLOAT (`--onnx_exact` only): an int32 tensor of exact accumulators (the
int8 linear operators' accumulator output, `_accumulator_output.py`) or a float32 one (a
float graph input, a float operator's result) -> int8, as onnxruntime's CPU kernels
requantize (the int32 converted to the nearest float32 first):
`saturate(round_half_even((x * multiplier[c]) / divisor + offset) + zero_point - offset)`
in float32, the channel along the last axis (`runtime/kernels/src/requantize_float.rs`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc.ir import DType, FloatRequantizeAttrs
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class FloatRequantizeParams:
    multipliers: tuple[float, ...]
    divisor: float
    offset: int
    """Added in float before rounding."""
    zero_point: int
    """Added to the rounded integer: the output zero point minus `offset`."""


def _is_float32(value: float) -> bool:
    return float(np.float32(value)) == value


def prepare(view: OpView) -> FloatRequantizeParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.FLOAT32, DType.INT32], "input")
    require_dtype(output, [DType.INT8], "output")
    require_output_shape(view, input_.shape)
    attrs = view.op.attrs
    require(isinstance(attrs, FloatRequantizeAttrs), "REQUANTIZE_FLOAT without its multipliers")
    assert isinstance(attrs, FloatRequantizeAttrs)
    channels = len(attrs.multipliers)
    require(
        channels == 1 or (len(output.shape) > 0 and output.shape[-1] == channels),
        f"{channels} multipliers for a last axis of {output.shape[-1:]}",
    )
    require(
        all(_is_float32(m) for m in (*attrs.multipliers, attrs.divisor)),
        "multipliers and divisor must be float32 values",
    )
    require(attrs.divisor != 0.0, "the divisor must not be zero")
    require(abs(attrs.offset) <= 255, f"offset {attrs.offset} is no 8-bit zero point")
    zero_point = per_tensor(output).zero_point - attrs.offset
    return FloatRequantizeParams(attrs.multipliers, attrs.divisor, attrs.offset, zero_point)
