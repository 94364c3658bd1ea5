"""The data-movement operators TFLM's kernels also run on int16 (16x8 models): raw copies,
and SUM, compared with TFLM; those TFLM rejects on int16 stay rejected."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc.errors import OpError
from tinymlc.ir import DType

SCALE = 1 / 1024


def _activation(mb: ModelBuilder, name: str, shape: tuple[int, ...]) -> int:
    return mb.tensor(name, shape, DType.INT16, scale=SCALE, zero_point=0)


def _indices(mb: ModelBuilder, name: str, values: list[int] | list[list[int]]) -> int:
    array = np.array(values)
    return mb.tensor(name, array.shape, DType.INT32, data=array)


def _one_op(
    op: str,
    input_shape: tuple[int, ...],
    output_shapes: list[tuple[int, ...]],
    operands: list[list[int] | list[list[int]]],
    options: str | None = None,
    *,
    data_last: bool = False,
    **attrs: Any,
) -> bytes:
    """`op` on one int16 input and constant int32 operands (before it when `data_last`)."""
    mb = ModelBuilder()
    x = _activation(mb, "x", input_shape)
    constants = [_indices(mb, f"c{i}", values) for i, values in enumerate(operands)]
    outputs = [_activation(mb, f"y{i}", shape) for i, shape in enumerate(output_shapes)]
    inputs = [*constants, x] if data_last else [x, *constants]
    mb.op(op, inputs, outputs, options, **attrs)
    return mb.build([x], outputs)


SUPPORTED = {
    "slice": lambda: _one_op("SLICE", (2, 4, 3), [(1, 2, 3)], [[1, 1, 0], [1, 2, -1]], "SliceOptions"),
    "expand_dims": lambda: _one_op("EXPAND_DIMS", (2, 4), [(2, 1, 4)], [[1]], "ExpandDimsOptions"),
    "split": lambda: _one_op(
        "SPLIT", (2, 6), [(2, 3), (2, 3)], [[1]], "SplitOptions", data_last=True, NumSplits=2
    ),
    "split_v": lambda: _one_op(
        "SPLIT_V", (2, 5), [(2, 2), (2, 3)], [[2, 3], [1]], "SplitVOptions", NumSplits=2
    ),
    "unpack": lambda: _one_op("UNPACK", (3, 4), [(4,), (4,), (4,)], [], "UnpackOptions", Num=3, Axis=0),
    "resize_nearest_neighbor": lambda: _one_op(
        "RESIZE_NEAREST_NEIGHBOR", (1, 2, 3, 2), [(1, 5, 7, 2)], [[5, 7]], "ResizeNearestNeighborOptions"
    ),
    "broadcast_to": lambda: _one_op("BROADCAST_TO", (1, 4), [(3, 4)], [[3, 4]]),
    "sum": lambda: _one_op("SUM", (2, 5), [(2,)], [[1]], "ReducerOptions", KeepDims=False),
}


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_int16_copies_match_tflm(name: str) -> None:
    assert_bit_exact(SUPPORTED[name](), samples=6)


@pytest.mark.parametrize(
    "model",
    [
        lambda: _one_op(
            "DEPTH_TO_SPACE", (1, 2, 2, 4), [(1, 4, 4, 1)], [], "DepthToSpaceOptions", BlockSize=2
        ),
        lambda: _one_op("GATHER", (3, 4), [(2, 4)], [[2, 0]], "GatherOptions", Axis=0),
        lambda: _one_op("MIRROR_PAD", (2, 3), [(4, 5)], [[[1, 1], [1, 1]]], "MirrorPadOptions", Mode=0),
    ],
    ids=["depth_to_space", "gather", "mirror_pad"],
)
def test_int16_where_tflm_has_no_kernel_is_rejected(model: object) -> None:
    assert callable(model)
    with pytest.raises(OpError, match="INT16"):
        prepared(model())
