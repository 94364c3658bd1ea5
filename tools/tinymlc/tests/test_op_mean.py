import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import mean
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ir import DType
from tinymlc.ops.mean import MeanParams, mean_rescale


@pytest.mark.parametrize(
    ("axes", "keep_dims"), [((1, 2), True), ((1, 2), False), ((3,), False), ((0, 1, 2, 3), True)]
)
def test_matches_tflm(axes: tuple[int, ...], keep_dims: bool) -> None:
    rng = np.random.default_rng(len(axes) + keep_dims)
    shape = (1, 5, 6, 3)
    out_shape = (
        tuple(1 if d in axes else n for d, n in enumerate(shape))
        if keep_dims
        else tuple(n for d, n in enumerate(shape) if d not in axes)
    )
    mb = ModelBuilder()
    x = mb.tensor("x", shape, scale=0.07, zero_point=5)
    axis = mb.tensor("axis", (len(axes),), DType.INT32, data=np.array(axes))
    y = mb.tensor("y", out_shape, scale=0.05, zero_point=-7)
    mb.op("MEAN", [x, axis], [y], "ReducerOptions", KeepDims=keep_dims)
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, MeanParams)
    values = random_int8(rng, shape)
    np.testing.assert_array_equal(mean(params, values), run_tflm(data, [values])[0])


def test_mean_rescale_hand_derived() -> None:
    # 30 elements: floor(log2(30)) = 4, so multiplier << 4 then / 30, shift - 4.
    assert mean_rescale(1 << 30, 0, 30) == ((1 << 34) // 30, -4)
    # The extra shift is capped by 31 + shift.
    assert mean_rescale(1 << 30, -29, 1024) == ((1 << 32) // 1024, -31)
