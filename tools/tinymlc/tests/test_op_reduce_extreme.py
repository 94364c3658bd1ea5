"""REDUCE_MAX, REDUCE_MIN, ARG_MAX and ARG_MIN: parameters and what TFLM rejects."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops.arg_min_max import ArgMinMaxParams
from tinymlc.ops.reduce_extreme import ReduceExtremeParams


def _reduce(builtin: str, output_scale: float, keep_dims: bool) -> object:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 5, 3), scale=0.1)
    axis = mb.tensor("axis", (2,), DType.INT32, data=np.array([-2, 1]))
    y = mb.tensor("y", (1, 1, 1, 3) if keep_dims else (1, 3), scale=output_scale)
    mb.op(builtin, [x, axis], [y], "ReducerOptions", KeepDims=keep_dims)
    return prepare_operator(parse_model(mb.build([x], [y])).main, 0)


@pytest.mark.parametrize("builtin", ["REDUCE_MAX", "REDUCE_MIN"])
def test_reduce_resolves_negative_axes(builtin: str) -> None:
    params = _reduce(builtin, 0.1, keep_dims=True)
    assert params == ReduceExtremeParams(builtin == "REDUCE_MAX", (1, 2), (1, 4, 5, 3), (1, 1, 1, 3))
    assert _reduce(builtin, 0.1, keep_dims=False) == ReduceExtremeParams(
        builtin == "REDUCE_MAX", (1, 2), (1, 4, 5, 3), (1, 3)
    )


def test_reduce_with_rescaled_output_is_rejected_like_tflm() -> None:
    with pytest.raises(OpError, match="quantized exactly like its input"):
        _reduce("REDUCE_MAX", 0.2, keep_dims=False)


def _arg(builtin: str, output_type: DType) -> object:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 7), scale=0.1)
    axis = mb.tensor("axis", (1,), DType.INT32, data=np.array([-1]))
    y = mb.tensor("y", (2, 3), output_type)
    mb.op(builtin, [x, axis], [y])
    return prepare_operator(parse_model(mb.build([x], [y])).main, 0)


def test_arg_max_and_min() -> None:
    assert _arg("ARG_MAX", DType.INT32) == ArgMinMaxParams(True, 2, (2, 3, 7), (2, 3))
    assert _arg("ARG_MIN", DType.INT32) == ArgMinMaxParams(False, 2, (2, 3, 7), (2, 3))


def test_arg_max_int64_output_is_rejected_like_tflm() -> None:
    with pytest.raises(OpError, match="output has type INT64, expected INT32"):
        _arg("ARG_MAX", DType.INT64)
