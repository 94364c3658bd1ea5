import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import pool
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.errors import OpError
from tinymlc.ops._pooling import Pool2DParams


def _pool_model(op: str, padding: int, stride: int, activation: int, out_scale: float = 0.1) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7, 7, 2), scale=0.1, zero_point=-3)
    out = (7 + stride - 1) // stride if padding == 0 else (7 - 3 + stride) // stride
    y = mb.tensor("y", (1, out, out, 2), scale=out_scale, zero_point=-3)
    mb.op(
        op,
        [x],
        [y],
        "Pool2DOptions",
        Padding=padding,
        StrideW=stride,
        StrideH=stride,
        FilterWidth=3,
        FilterHeight=3,
        FusedActivationFunction=activation,
    )
    return mb.build([x], [y])


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize(("padding", "stride", "activation"), [(0, 1, 0), (1, 2, 1), (0, 2, 3)])
def test_matches_tflm(op: str, padding: int, stride: int, activation: int) -> None:
    data = _pool_model(op, padding, stride, activation)
    _, params = prepared(data)
    assert isinstance(params, Pool2DParams)
    rng = np.random.default_rng(stride)
    x = random_int8(rng, (1, 7, 7, 2))
    np.testing.assert_array_equal(pool(params, x, op == "AVERAGE_POOL_2D"), run_tflm(data, [x])[0])


def test_rejects_rescaling_pool() -> None:
    with pytest.raises(OpError, match="identical input and output quantization"):
        prepared(_pool_model("MAX_POOL_2D", 1, 1, 0, out_scale=0.2))
