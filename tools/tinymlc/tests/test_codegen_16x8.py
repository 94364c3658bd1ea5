"""Golden tests of the 16x8 modes and TRANSPOSE_CONV: generated Rust vs TFLM, bit for
bit, one model per operator and mode (bias type, accumulator, per-channel)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc.ir import DType

Builder = Callable[[np.random.Generator], bytes]

IN_SCALE = 0.002
OUT_SCALE = 0.01


def _filter_scales(rng: np.random.Generator, count: int) -> tuple[float, ...]:
    return tuple(float(s) for s in rng.uniform(0.002, 0.02, count))


def _bias(mb: ModelBuilder, rng: np.random.Generator, dtype: DType | None, scales: tuple[float, ...]) -> int:
    """A bias tensor of `dtype` (or -1 for none), values within a few outputs."""
    if dtype is None:
        return -1
    bound = 30_000 if dtype is DType.INT16 else 3_000_000
    values = rng.integers(-bound, bound, len(scales))
    return mb.tensor("b", (len(scales),), dtype, scale=tuple(IN_SCALE * s for s in scales), data=values)


def _conv(bias: DType | None, quantized_bias_type: int = 0) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        x = mb.tensor("x", (1, 7, 6, 4), DType.INT16, scale=IN_SCALE)
        scales = _filter_scales(rng, 6)
        w = mb.tensor("w", (6, 3, 3, 2), scale=scales, data=rng.integers(-127, 128, (6, 3, 3, 2)))
        b = _bias(mb, rng, bias, scales)
        y = mb.tensor("y", (1, 4, 3, 6), DType.INT16, scale=OUT_SCALE)
        mb.op(
            "CONV_2D",
            [x, w, b],
            [y],
            "Conv2DOptions",
            Padding=0,
            StrideW=2,
            StrideH=2,
            DilationWFactor=1,
            DilationHFactor=1,
            FusedActivationFunction=1,
            QuantizedBiasType=quantized_bias_type,
        )
        return mb.build([x], [y])

    return build


def _depthwise(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 6, 6, 3), DType.INT16, scale=IN_SCALE)
    scales = _filter_scales(rng, 6)
    w = mb.tensor(
        "w", (1, 3, 3, 6), scale=scales, quantized_dimension=3, data=rng.integers(-127, 128, (1, 3, 3, 6))
    )
    b = _bias(mb, rng, DType.INT64, scales)
    y = mb.tensor("y", (1, 4, 4, 6), DType.INT16, scale=OUT_SCALE)
    mb.depthwise_conv_2d([x, w, b], [y], padding=1, stride=1, depth_multiplier=2, dilation=1, activation=3)
    return mb.build([x], [y])


def _fully_connected(bias: DType | None, per_channel: bool) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        x = mb.tensor("x", (2, 10), DType.INT16, scale=IN_SCALE)
        scales = _filter_scales(rng, 5) if per_channel else (0.01,)
        w = mb.tensor(
            "w", (5, 10), scale=scales if per_channel else 0.01, data=rng.integers(-127, 128, (5, 10))
        )
        b = _bias(mb, rng, bias, scales * (5 if not per_channel else 1))
        y = mb.tensor("y", (2, 5), DType.INT16, scale=OUT_SCALE)
        mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions", FusedActivationFunction=0)
        return mb.build([x], [y])

    return build


def _pool(op: str) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        x = mb.tensor("x", (1, 7, 7, 3), DType.INT16, scale=0.05)
        y = mb.tensor("y", (1, 4, 4, 3), DType.INT16, scale=0.05)
        mb.op(
            op,
            [x],
            [y],
            "Pool2DOptions",
            Padding=0,
            StrideW=2,
            StrideH=2,
            FilterWidth=3,
            FilterHeight=3,
            FusedActivationFunction=1,
        )
        return mb.build([x], [y])

    return build


def _mean(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 5, 4, 3), DType.INT16, scale=0.01)
    axes = mb.tensor("axes", (2,), DType.INT32, data=np.array([1, 2]))
    y = mb.tensor("y", (1, 3), DType.INT16, scale=0.004)
    mb.op("MEAN", [x, axes], [y], "ReducerOptions", KeepDims=False)
    return mb.build([x], [y])


def _softmax(input_dtype: DType, beta: float) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        if input_dtype is DType.INT16:
            x = mb.tensor("x", (3, 10), DType.INT16, scale=float(rng.uniform(1e-4, 1e-3)))
            y = mb.tensor("y", (3, 10), DType.INT16, scale=1.0 / 32768)
        else:
            x = mb.tensor("x", (3, 10), scale=0.08, zero_point=5)
            y = mb.tensor("y", (3, 10), DType.INT16, scale=1.0 / 65536, zero_point=-32768)
        mb.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=beta)
        return mb.build([x], [y])

    return build


def _transpose_conv(
    activations: DType, bias: DType | None, padding: int, strides: tuple[int, int] = (2, 2)
) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        int8 = activations is DType.INT8
        x = mb.tensor(
            "x", (1, 3, 4, 3), activations, scale=IN_SCALE if not int8 else 0.05, zero_point=4 * int8
        )
        scales = _filter_scales(rng, 5)
        # SAME: input x stride; VALID: (input - 1) x stride + filter.
        out_h, out_w = (
            (3 * strides[0], 4 * strides[1]) if padding == 0 else (2 * strides[0] + 3, 3 * strides[1] + 3)
        )
        shape = mb.tensor("shape", (4,), DType.INT32, data=np.array([1, out_h, out_w, 5]))
        w = mb.tensor("w", (5, 3, 3, 3), scale=scales, data=rng.integers(-127, 128, (5, 3, 3, 3)))
        b = _bias(mb, rng, bias, scales)
        y = mb.tensor(
            "y", (1, out_h, out_w, 5), activations, scale=0.3 if int8 else OUT_SCALE, zero_point=-3 * int8
        )
        inputs = [shape, w, x] + ([b] if bias is not None else [])
        mb.op(
            "TRANSPOSE_CONV",
            inputs,
            [y],
            "TransposeConvOptions",
            Padding=padding,
            StrideW=strides[1],
            StrideH=strides[0],
            FusedActivationFunction=1,
        )
        return mb.build([x], [y])

    return build


MODELS: dict[str, Builder] = {
    "conv_2d_int64_bias": _conv(DType.INT64),
    "conv_2d_int32_bias": _conv(DType.INT32),
    "conv_2d_no_bias": _conv(None),
    "conv_2d_no_bias_int32_accumulator": _conv(None, quantized_bias_type=DType.INT32.value),
    "depthwise_conv_2d": _depthwise,
    "fully_connected_int64_bias_per_channel": _fully_connected(DType.INT64, per_channel=True),
    "fully_connected_int32_bias_per_tensor": _fully_connected(DType.INT32, per_channel=False),
    "fully_connected_no_bias": _fully_connected(None, per_channel=True),
    "average_pool_2d": _pool("AVERAGE_POOL_2D"),
    "max_pool_2d": _pool("MAX_POOL_2D"),
    "mean": _mean,
    "softmax_int16": _softmax(DType.INT16, beta=1.0),
    "softmax_int16_beta": _softmax(DType.INT16, beta=0.3),
    "softmax_int8_to_int16": _softmax(DType.INT8, beta=1.0),
    "transpose_conv_int8_same": _transpose_conv(DType.INT8, DType.INT32, padding=0),
    "transpose_conv_int8_valid_no_bias": _transpose_conv(DType.INT8, None, padding=1),
    "transpose_conv_16x8_int64_bias": _transpose_conv(DType.INT16, DType.INT64, padding=1),
    "transpose_conv_16x8_int16_bias": _transpose_conv(DType.INT16, DType.INT16, padding=0),
    "transpose_conv_16x8_no_bias": _transpose_conv(DType.INT16, None, padding=0),
    "transpose_conv_int8_stride_1x3_valid": _transpose_conv(
        DType.INT8, DType.INT32, padding=1, strides=(1, 3)
    ),
    "transpose_conv_16x8_stride_3x1_same": _transpose_conv(
        DType.INT16, DType.INT64, padding=0, strides=(3, 1)
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_code_matches_tflm(name: str) -> None:
    for seed in range(2):
        rng = np.random.default_rng([seed, *name.encode()])
        assert_bit_exact(MODELS[name](rng), samples=30, seed=seed)
