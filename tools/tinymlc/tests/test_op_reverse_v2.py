"""REVERSE_V2: its coordinate table against numpy's flip, its limits, and the
generated code against TFLM for every element type."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops._remap import RemapParams, apply_remap

RNG = np.random.default_rng(3)


def _model(shape: tuple[int, ...], axes: list[int], dtype: DType = DType.INT8) -> bytes:
    mb = ModelBuilder()
    scale = None if dtype is DType.INT32 else 0.1
    x = mb.tensor("x", shape, dtype, scale=scale)
    axis_data = np.array(axes, dtype=np.int32)
    axis = mb.tensor("axis", axis_data.shape, DType.INT32, data=axis_data)
    y = mb.tensor("y", shape, dtype, scale=scale)
    mb.op("REVERSE_V2", [x, axis], [y])
    return mb.build([x], [y])


def _params(shape: tuple[int, ...], axes: list[int]) -> RemapParams:
    params = prepare_operator(parse_model(_model(shape, axes)).main, 0)
    assert isinstance(params, RemapParams)
    return params


@pytest.mark.parametrize(
    ("shape", "axes"),
    [((5,), [0]), ((2, 3, 4), [1]), ((2, 3, 4, 5), [0, -1]), ((2, 3, 4, 5), [1, 2]), ((2, 3), [0, 1])],
)
def test_reverse_matches_numpy_flip(shape: tuple[int, ...], axes: list[int]) -> None:
    x = RNG.integers(-128, 128, shape).astype(np.int8)
    flipped = apply_remap(_params(shape, axes), x).reshape(shape)
    np.testing.assert_array_equal(flipped, np.flip(x, axis=tuple(axes)))


def test_reverse_merges_neighbouring_axes_for_rank_8() -> None:
    shape = (2, 1, 3, 2, 1, 2, 2, 3)
    params = _params(shape, [0, 1, 2])
    assert params.input_shape == (6, 24)
    x = RNG.integers(-128, 128, shape).astype(np.int8)
    np.testing.assert_array_equal(apply_remap(params, x).reshape(shape), np.flip(x, axis=(0, 1, 2)))


def test_reverse_rejects_an_axis_out_of_range() -> None:
    with pytest.raises(OpError, match="out of range"):
        _params((2, 3), [2])


def test_reverse_is_bit_exact_with_tflm() -> None:
    assert_bit_exact(_model((2, 3, 4, 5), [-1, 2]), samples=5)
    assert_bit_exact(_model((3, 4, 2), [1], DType.INT16), samples=5)
    assert_bit_exact(_model((4, 6), [0, 1], DType.INT32), samples=5)
