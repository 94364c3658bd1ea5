"""LOG_SOFTMAX int8: TFLM's parameters and the generated code against TFLM."""

from __future__ import annotations

import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.log_softmax import LogSoftmaxParams


def log_softmax_model(
    shape: tuple[int, ...] = (2, 3, 10),
    input_scale: float = 0.1,
    output: tuple[float, int] = (16 / 256, 127),
    dtype: DType = DType.INT8,
) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", shape, dtype, scale=input_scale, zero_point=-5)
    y = mb.tensor("y", shape, dtype, scale=output[0], zero_point=output[1])
    mb.op("LOG_SOFTMAX", [x], [y], "LogSoftmaxOptions")
    return mb.build([x], [y])


def test_prepare_mirrors_tflm() -> None:
    _, params = prepared(log_softmax_model(input_scale=1 / 16))
    assert isinstance(params, LogSoftmaxParams)
    # 1/16 * 2^26 = 2^22 = 2^30 * 2^23 / 2^31; its inverse 2^-22 = 2^30 * 2^-21 / 2^31.
    assert (params.input_multiplier, params.input_left_shift) == (1 << 30, 23)
    assert (params.reverse_scaling_divisor, params.reverse_scaling_right_shift) == (1 << 30, 21)
    # 31 * 2^26 / 2^23.
    assert params.diff_min == -248
    assert (params.outer_size, params.depth) == (6, 10)


def test_rejects_what_tflm_does_not_run() -> None:
    with pytest.raises(OpError, match="16/256"):
        prepared(log_softmax_model(output=(1 / 256, -128)))
    with pytest.raises(OpError):
        prepared(log_softmax_model(dtype=DType.INT16, output=(16 / 256, 0)))


@pytest.mark.parametrize("input_scale", [0.1, 1 / 16, 0.5, 0.0123], ids=["0.1", "1/16", "0.5", "0.0123"])
def test_generated_code_matches_tflm(input_scale: float) -> None:
    assert_bit_exact(log_softmax_model(input_scale=input_scale), samples=30)


def test_one_dimension_and_long_rows_match_tflm() -> None:
    assert_bit_exact(log_softmax_model(shape=(300,), input_scale=0.05), samples=10)
