"""SOFTMAX / LOGISTIC / TANH: hand-derived parameters, plus TFLM acceptance."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.tflm import prepared, run_tflm
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops._sigmoid_like import SigmoidLikeParams
from tinymlc.ops.softmax import SoftmaxParams


def _unary(
    op: str, in_scale: float, in_zp: int, out_scale: float, out_zp: int, beta: float | None = None
) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 5), scale=in_scale, zero_point=in_zp)
    y = mb.tensor("y", (2, 5), scale=out_scale, zero_point=out_zp)
    if beta is None:
        mb.op(op, [x], [y])
    else:
        mb.op(op, [x], [y], "SoftmaxOptions", Beta=beta)
    return mb.build([x], [y])


def test_softmax_params_hand_derived() -> None:
    data = _unary("SOFTMAX", 2.0**-4, 3, 1 / 256, -128, beta=1.0)
    _, params = prepared(data)
    assert params == SoftmaxParams(
        input_multiplier=1 << 30,
        input_left_shift=23,
        diff_min=-248,
        outer_size=2,
        depth=5,
        input_dtype=DType.INT8,
        output_dtype=DType.INT8,
    )
    out = run_tflm(data, [np.array([[0, 1, 2, 3, 4], [5, 5, 5, 5, 5]], dtype=np.int8)])[0]
    assert out.shape == (2, 5)
    assert out[1].tolist() == [-77] * 5  # 1/5 of 256 = 51.2 -> 51 - 128


def test_softmax_rejects_wrong_output_quantization() -> None:
    with pytest.raises(OpError, match="1/256"):
        prepared(_unary("SOFTMAX", 0.1, 0, 0.1, 0, beta=1.0))


def test_logistic_params_hand_derived() -> None:
    # scale 2^-5: 2^-5 * 2^27 = 2^22 -> frexp (0.5, 23) -> multiplier 2^30, shift 23;
    # radius floor(15 * 2^27 / 2^23) = 240.
    data = _unary("LOGISTIC", 2.0**-5, -2, 1 / 256, -128)
    _, params = prepared(data)
    assert params == SigmoidLikeParams(
        input_zero_point=-2, input_range_radius=240, input_multiplier=1 << 30, input_left_shift=23
    )
    out = run_tflm(data, [np.full((2, 5), -2, dtype=np.int8)])[0]
    assert out.tolist() == [[0] * 5] * 2  # sigmoid(0) = 0.5 -> 128 - 128


def test_tanh_uses_frexp_without_fixup() -> None:
    # 0.0234375 * 2^27 = 3 * 2^20 -> frexp (0.75, 22): multiplier 3 * 2^29.
    _, params = prepared(_unary("TANH", 0.0234375, 0, 1 / 128, 0))
    assert isinstance(params, SigmoidLikeParams)
    assert (params.input_multiplier, params.input_left_shift) == (3 << 29, 22)
    assert params.input_range_radius == (15 << 27) >> 22


def test_logistic_requires_output_zero_point() -> None:
    with pytest.raises(OpError, match="-128"):
        prepared(_unary("LOGISTIC", 0.1, 0, 1 / 256, 0))
