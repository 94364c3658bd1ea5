import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import conv_2d
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ir import DType
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams


@pytest.mark.parametrize(("padding", "stride", "multiplier"), [(0, 1, 1), (1, 1, 2), (0, 2, 1)])
def test_matches_tflm(padding: int, stride: int, multiplier: int) -> None:
    rng = np.random.default_rng(stride * 10 + multiplier + padding * 100)
    channels = 3 * multiplier
    mb = ModelBuilder()
    in_scale = float(rng.uniform(0.01, 0.1))
    scales = tuple(float(s) for s in rng.uniform(0.002, 0.02, size=channels))
    weights = random_int8(rng, (1, 3, 3, channels))
    bias = rng.integers(-500, 500, size=channels).astype(np.int32)
    x = mb.tensor("x", (1, 6, 6, 3), scale=in_scale, zero_point=-4)
    w = mb.tensor("w", (1, 3, 3, channels), scale=scales, data=weights, quantized_dimension=3)
    b = mb.tensor("b", (channels,), DType.INT32, scale=tuple(in_scale * s for s in scales), data=bias)
    out = (6 + stride - 1) // stride if padding == 0 else (6 - 3 + stride) // stride
    y = mb.tensor("y", (1, out, out, channels), scale=0.08, zero_point=1)
    mb.depthwise_conv_2d([x, w, b], [y], padding=padding, stride=stride, depth_multiplier=multiplier)
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, DepthwiseConv2DParams)
    inputs = random_int8(rng, (1, 6, 6, 3))
    np.testing.assert_array_equal(conv_2d(params, inputs, weights, bias), run_tflm(data, [inputs])[0])
