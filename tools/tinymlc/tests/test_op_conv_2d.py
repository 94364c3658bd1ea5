import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import conv_2d
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ir import DType
from tinymlc.ops.conv_2d import Conv2DParams, overlap_distance


@pytest.mark.parametrize(
    ("padding", "stride", "dilation", "activation"),
    [(0, 1, 1, 0), (1, 1, 1, 1), (0, 2, 1, 3), (0, 1, 2, 0), (1, 2, 1, 0)],
)
def test_matches_tflm(padding: int, stride: int, dilation: int, activation: int) -> None:
    rng = np.random.default_rng(padding * 100 + stride * 10 + dilation + activation)
    for _ in range(2):
        mb = ModelBuilder()
        in_scale = float(rng.uniform(0.01, 0.1))
        filter_scales = tuple(float(s) for s in rng.uniform(0.002, 0.02, size=3))
        weights = random_int8(rng, (3, 3, 3, 2))
        bias = rng.integers(-500, 500, size=3).astype(np.int32)
        x = mb.tensor("x", (1, 7, 6, 2), scale=in_scale, zero_point=int(rng.integers(-10, 10)))
        w = mb.tensor("w", (3, 3, 3, 2), scale=filter_scales, data=weights)
        b = mb.tensor("b", (3,), DType.INT32, scale=tuple(in_scale * s for s in filter_scales), data=bias)
        effective = (3 - 1) * dilation + 1
        out_h = (7 + stride - 1) // stride if padding == 0 else (7 - effective + stride) // stride
        out_w = (6 + stride - 1) // stride if padding == 0 else (6 - effective + stride) // stride
        y = mb.tensor("y", (1, out_h, out_w, 3), scale=float(rng.uniform(0.05, 0.3)), zero_point=3)
        mb.conv_2d([x, w, b], [y], padding=padding, stride=stride, dilation=dilation, activation=activation)
        data = mb.build([x], [y])
        _, params = prepared(data)
        assert isinstance(params, Conv2DParams)
        inputs = random_int8(rng, (1, 7, 6, 2))
        np.testing.assert_array_equal(conv_2d(params, inputs, weights, bias), run_tflm(data, [inputs])[0])


def test_same_padding_values_hand_derived() -> None:
    # 7 rows, filter 3, stride 2, SAME: out 4, total pad (4-1)*2+3-7 = 2 -> 1 + offset 0.
    # 6 cols: out 3, total (3-1)*2+3-6 = 1 -> 0 + offset 1.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7, 6, 1), scale=0.1)
    w = mb.tensor("w", (1, 3, 3, 1), scale=0.1, data=np.ones((1, 3, 3, 1)))
    y = mb.tensor("y", (1, 4, 3, 1), scale=0.1)
    mb.conv_2d([x, w, -1], [y], padding=0, stride=2)
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, Conv2DParams)
    assert (params.padding.height, params.padding.height_offset) == (1, 0)
    assert (params.padding.width, params.padding.width_offset) == (0, 1)
    # The per-tensor filter scale is broadcast.  0.1f = 13421773 * 2^-27, and
    # (double)0.1f * 0.1f / 0.1f is exactly 0.1f = (13421773 * 2^-24) * 2^-3,
    # so the Q31 multiplier is 13421773 * 2^7 with shift -3.
    assert params.quantization.per_channel_output_multiplier == (13421773 * 128,)
    assert params.quantization.per_channel_output_shift == (-3,)


@pytest.mark.parametrize(
    ("shape", "stride", "expected"),
    [
        # 3x3 SAME over 16 channels: output pixel p ends at (p + 1) * 16 and the window
        # of pixel p starts one row and one pixel earlier, (p - 33) * 16: 34 pixels.
        ((1, 32, 32, 16), 1, 34 * 16),
        # Stride 2 (SAME pads only below and right): window p starts at input pixel
        # (2 * row, 2 * col), ahead of output pixel p, so only pixel 0's own 4 bytes.
        ((1, 8, 8, 4), 2, 4),
    ],
)
def test_overlap_distance_hand_derived(shape: tuple[int, int, int, int], stride: int, expected: int) -> None:
    batches, height, width, channels = shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    mb = ModelBuilder()
    x = mb.tensor("x", shape, scale=0.1)
    w = mb.tensor("w", (channels, 3, 3, channels), scale=0.1, data=np.ones((channels, 3, 3, channels)))
    y = mb.tensor("y", (batches, out_h, out_w, channels), scale=0.1)
    mb.conv_2d([x, w, -1], [y], padding=0, stride=stride)
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, Conv2DParams)
    assert overlap_distance(params) == expected
