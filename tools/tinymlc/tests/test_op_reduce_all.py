"""REDUCE_ALL (bool): the logical and over constant axes, compared with TFLM."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.reduce_extreme import ReduceExtremeParams


def reduce_all_model(
    shape: tuple[int, ...], axes: list[int], keep_dims: bool, dtype: DType = DType.BOOL
) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", shape, dtype)
    axis = mb.tensor("axis", (len(axes),), DType.INT32, data=np.array(axes))
    reduced = {a % len(shape) for a in axes}
    out_shape = tuple(1 if d in reduced else n for d, n in enumerate(shape) if keep_dims or d not in reduced)
    y = mb.tensor("y", out_shape, dtype)
    mb.op("REDUCE_ALL", [x, axis], [y], "ReducerOptions", KeepDims=keep_dims)
    return mb.build([x], [y])


def test_prepare_resolves_axes() -> None:
    _, params = prepared(reduce_all_model((2, 3, 4), [-1, 0, 2], keep_dims=False))
    assert isinstance(params, ReduceExtremeParams)
    assert (params.axes, params.output_shape, params.maximum) == ((0, 2), (3,), False)


def test_only_bool_is_reduced() -> None:
    with pytest.raises(OpError, match="BOOL"):
        prepared(reduce_all_model((2, 3), [1], keep_dims=False, dtype=DType.INT8))


@pytest.mark.parametrize(
    ("shape", "axes", "keep_dims"),
    [((2, 3), [1], False), ((2, 3, 2), [0, 2], True), ((1, 2, 2, 2), [1, 2, 3], False)],
    ids=["rows", "two_axes_keep_dims", "spatial"],
)
def test_generated_code_matches_tflm(shape: tuple[int, ...], axes: list[int], keep_dims: bool) -> None:
    assert_bit_exact(reduce_all_model(shape, axes, keep_dims), samples=12)
