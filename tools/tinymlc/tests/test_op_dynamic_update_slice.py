"""DYNAMIC_UPDATE_SLICE: its checks, and the generated code against TFLM with
run-time start indices (clamped into the operand) for every element type."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops.dynamic_update_slice import DynamicUpdateSliceParams


def _model(
    operand: tuple[int, ...],
    update: tuple[int, ...],
    dtype: DType = DType.INT8,
    start: np.ndarray | None = None,
) -> bytes:
    mb = ModelBuilder()
    scale = None if dtype in (DType.INT32, DType.FLOAT32) else 0.1
    x = mb.tensor("x", operand, dtype, scale=scale)
    u = mb.tensor("u", update, dtype, scale=scale)
    if start is None:
        s = mb.tensor("start", (len(operand),), DType.INT32)
        inputs = [x, u, s]
    else:
        s = mb.tensor("start", start.shape, DType.INT64, data=start)
        inputs = [x, u]
    y = mb.tensor("y", operand, dtype, scale=scale)
    mb.op("DYNAMIC_UPDATE_SLICE", [x, u, s], [y])
    return mb.build(inputs, [y])


def test_parameters_are_the_two_shapes() -> None:
    params = prepare_operator(parse_model(_model((2, 5, 3), (1, 2, 3))).main, 0)
    assert params == DynamicUpdateSliceParams((2, 5, 3), (1, 2, 3))


def test_rejects_an_update_larger_than_the_operand() -> None:
    with pytest.raises(OpError, match="exceeds operand"):
        prepare_operator(parse_model(_model((2, 3), (3, 1))).main, 0)


def test_rejects_run_time_int64_start_indices() -> None:
    mb = ModelBuilder()
    x, u = mb.tensor("x", (4,), scale=0.1), mb.tensor("u", (2,), scale=0.1)
    s, y = mb.tensor("s", (1,), DType.INT64), mb.tensor("y", (4,), scale=0.1)
    mb.op("DYNAMIC_UPDATE_SLICE", [x, u, s], [y])
    with pytest.raises(OpError, match="int64"):
        prepare_operator(parse_model(mb.build([x, u, s], [y])).main, 0)


@pytest.mark.parametrize("dtype", [DType.INT8, DType.INT16, DType.INT32, DType.FLOAT32])
def test_run_time_start_indices_are_bit_exact(dtype: DType) -> None:
    # Random int32 start indices: mostly far outside, so clamping is exercised.
    assert_bit_exact(_model((3, 4, 5), (2, 1, 3), dtype), samples=8)


def test_constant_int64_start_indices_are_bit_exact() -> None:
    assert_bit_exact(_model((4, 6), (2, 3), start=np.array([1, 2], dtype=np.int64)), samples=4)
