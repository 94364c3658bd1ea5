"""INT4 (packed) weights: TFLM unpacks them to int8 for CONV_2D, DEPTHWISE_CONV_2D and
per-tensor FULLY_CONNECTED with int8 activations; compared with TFLM."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc.errors import OpError
from tinymlc.ir import DType


def _weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # An odd element count exercises the last byte's unused high nibble.
    return rng.integers(-8, 8, shape)


def fully_connected(per_channel: bool = False, int16: bool = False) -> bytes:
    rng = np.random.default_rng(1)
    mb = ModelBuilder()
    dtype = DType.INT16 if int16 else DType.INT8
    x = mb.tensor("x", (2, 7), dtype, scale=0.05, zero_point=0 if int16 else 3)
    scales: float | tuple[float, ...] = (0.1, 0.2, 0.15) if per_channel else 0.1
    w = mb.tensor("w", (3, 7), DType.INT4, scale=scales, data=_weights(rng, (3, 7)))
    b = mb.tensor(
        "b", (3,), DType.INT64 if int16 else DType.INT32, scale=0.005, data=rng.integers(-50, 50, 3)
    )
    y = mb.tensor("y", (2, 3), dtype, scale=0.08, zero_point=0 if int16 else -2)
    mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions")
    return mb.build([x], [y])


def conv(depthwise: bool) -> bytes:
    rng = np.random.default_rng(2)
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 5, 5, 3), scale=0.05, zero_point=-1)
    channels = 3
    shape = (1, 3, 3, channels)
    scales = tuple(float(s) for s in rng.uniform(0.05, 0.2, channels))
    w = mb.tensor("w", shape, DType.INT4, scale=scales, data=_weights(rng, shape), quantized_dimension=3)
    bias_scales = tuple(0.05 * s for s in scales)
    b = mb.tensor("b", (channels,), DType.INT32, scale=bias_scales, data=rng.integers(-20, 20, channels))
    y = mb.tensor("y", (1, 3, 3, channels), scale=0.1, zero_point=2)
    if depthwise:
        mb.op(
            "DEPTHWISE_CONV_2D",
            [x, w, b],
            [y],
            "DepthwiseConv2DOptions",
            Padding=1,
            StrideW=1,
            StrideH=1,
            DepthMultiplier=1,
            DilationWFactor=1,
            DilationHFactor=1,
        )
    else:
        w2 = mb.tensor(
            "w2", (channels, 3, 3, 3), DType.INT4, scale=scales, data=_weights(rng, (channels, 3, 3, 3))
        )
        mb.op(
            "CONV_2D",
            [x, w2, b],
            [y],
            "Conv2DOptions",
            Padding=1,
            StrideW=1,
            StrideH=1,
            DilationWFactor=1,
            DilationHFactor=1,
        )
    return mb.build([x], [y])


@pytest.mark.parametrize(
    "model",
    [fully_connected, lambda: conv(depthwise=False), lambda: conv(depthwise=True)],
    ids=["fully_connected", "conv_2d", "depthwise_conv_2d"],
)
def test_int4_weights_match_tflm(model: object) -> None:
    assert callable(model)
    assert_bit_exact(model(), samples=10)


def test_int4_where_tflm_refuses_it() -> None:
    with pytest.raises(OpError, match="per-channel"):
        prepared(fully_connected(per_channel=True))
    with pytest.raises(OpError, match="int8 activations only"):
        prepared(fully_connected(int16=True))
