"""Golden tests: every supported operator, generated Rust vs TFLM, bit for bit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact, float_inputs_model, float_io_model
from tests.model_builder import ModelBuilder
from tinymlc.ir import DType

Builder = Callable[[np.random.Generator], bytes]


def _q(rng: np.random.Generator) -> tuple[float, int]:
    return float(rng.uniform(0.01, 0.1)), int(rng.integers(-20, 20))


def _unary(
    op: str,
    options: str | None = None,
    out_q: tuple[float, int] | None = None,
    same: bool = False,
    in_zero_point: int | None = None,
    **opts: Any,
) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        scale, zp = _q(rng)
        zp = zp if in_zero_point is None else in_zero_point
        x = mb.tensor("x", (2, 3, 8), scale=scale, zero_point=zp)
        oscale, ozp = out_q or ((scale, zp) if same else _q(rng))
        y = mb.tensor("y", (2, 3, 8), scale=oscale, zero_point=ozp)
        mb.op(op, [x], [y], options, **opts)
        return mb.build([x], [y])

    return build


def _binary(
    op: str, options: str | None, shape2: tuple[int, ...] = (1, 4, 1), same: bool = False, **opts: Any
) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        s1, z1 = _q(rng)
        s2, z2 = (s1, z1) if same else _q(rng)
        so, zo = (s1, z1) if same else _q(rng)
        a = mb.tensor("a", (2, 4, 3), scale=s1, zero_point=z1)
        b = mb.tensor("b", shape2, scale=s2, zero_point=z2)
        y = mb.tensor("y", (2, 4, 3), scale=so, zero_point=zo)
        mb.op(op, [a, b], [y], options, **opts)
        return mb.build([a, b], [y])

    return build


def _conv(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7, 6, 4), scale=0.05, zero_point=3)
    scales = tuple(float(s) for s in rng.uniform(0.002, 0.02, 6))
    w = mb.tensor("w", (6, 3, 3, 2), scale=scales, data=rng.integers(-127, 128, (6, 3, 3, 2)))
    b = mb.tensor(
        "b", (6,), DType.INT32, scale=tuple(0.05 * s for s in scales), data=rng.integers(-900, 900, 6)
    )
    y = mb.tensor("y", (1, 4, 3, 6), scale=0.2, zero_point=-5)
    mb.conv_2d([x, w, b], [y], padding=0, stride=2, activation=1)
    return mb.build([x], [y])


def _depthwise(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 6, 6, 3), scale=0.05, zero_point=-4)
    scales = tuple(float(s) for s in rng.uniform(0.002, 0.02, 6))
    w = mb.tensor(
        "w", (1, 3, 3, 6), scale=scales, quantized_dimension=3, data=rng.integers(-127, 128, (1, 3, 3, 6))
    )
    b = mb.tensor(
        "b", (6,), DType.INT32, scale=tuple(0.05 * s for s in scales), data=rng.integers(-900, 900, 6)
    )
    y = mb.tensor("y", (1, 4, 4, 6), scale=0.1, zero_point=2)
    mb.depthwise_conv_2d([x, w, b], [y], padding=1, stride=1, depth_multiplier=2, activation=3)
    return mb.build([x], [y])


def _fully_connected(per_channel: bool) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        x = mb.tensor("x", (2, 10), scale=0.04, zero_point=7)
        scales: float | tuple[float, ...] = (
            tuple(float(s) for s in rng.uniform(0.002, 0.02, 5)) if per_channel else 0.01
        )
        bias_scales = tuple(0.04 * s for s in scales) if isinstance(scales, tuple) else 0.04 * scales
        w = mb.tensor("w", (5, 10), scale=scales, data=rng.integers(-127, 128, (5, 10)))
        b = mb.tensor("b", (5,), DType.INT32, scale=bias_scales, data=rng.integers(-900, 900, 5))
        y = mb.tensor("y", (2, 5), scale=0.15, zero_point=-1)
        mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions", FusedActivationFunction=0)
        return mb.build([x], [y])

    return build


def _pool(op: str) -> Builder:
    def build(rng: np.random.Generator) -> bytes:
        mb = ModelBuilder()
        x = mb.tensor("x", (1, 7, 7, 3), scale=0.05, zero_point=1)
        y = mb.tensor("y", (1, 4, 4, 3), scale=0.05, zero_point=1)
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
            FusedActivationFunction=0,
        )
        return mb.build([x], [y])

    return build


def _softmax(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (3, 10), scale=0.08, zero_point=5)
    y = mb.tensor("y", (3, 10), scale=1.0 / 256, zero_point=-128)
    mb.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=1.0)
    return mb.build([x], [y])


def _float_io(rng: np.random.Generator) -> bytes:
    """QUANTIZE (float in) -> RESHAPE -> DEQUANTIZE (float out)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 6), DType.FLOAT32)
    q = mb.tensor("q", (2, 6), scale=0.03, zero_point=-7)
    r = mb.tensor("r", (3, 4), scale=0.03, zero_point=-7)
    y = mb.tensor("y", (3, 4), DType.FLOAT32)
    mb.op("QUANTIZE", [x], [q])
    mb.op("RESHAPE", [q], [r])
    mb.op("DEQUANTIZE", [r], [y])
    return mb.build([x], [y])


def _requantize(rng: np.random.Generator) -> bytes:
    return _unary("QUANTIZE")(rng)


def _reshape_copy(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 6), scale=0.03, zero_point=-7)
    y = mb.tensor("y", (12,), scale=0.03, zero_point=-7)
    mb.op("RESHAPE", [x], [y])
    return mb.build([x], [y])


def _pad(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 3, 4, 2), scale=0.03, zero_point=-7)
    p = mb.tensor("p", (4, 2), DType.INT32, data=np.array([[0, 0], [1, 2], [2, 0], [0, 1]]))
    y = mb.tensor("y", (1, 6, 6, 3), scale=0.03, zero_point=-7)
    mb.op("PAD", [x, p], [y])
    return mb.build([x], [y])


def _concat(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (2, 3, 2), scale=0.03, zero_point=-7)
    b = mb.tensor("b", (2, 1, 2), scale=0.03, zero_point=-7)
    c = mb.tensor("c", (2, 2, 2), scale=0.03, zero_point=-7, data=rng.integers(-128, 128, (2, 2, 2)))
    y = mb.tensor("y", (2, 6, 2), scale=0.03, zero_point=-7)
    mb.op("CONCATENATION", [a, b, c], [y], "ConcatenationOptions", Axis=1)
    return mb.build([a, b], [y])


def _mean(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 5, 3, 4), scale=0.05, zero_point=3)
    axes = mb.tensor("axes", (2,), DType.INT32, data=np.array([1, 2]))
    y = mb.tensor("y", (1, 1, 1, 4), scale=0.04, zero_point=-2)
    mb.op("MEAN", [x, axes], [y], "ReducerOptions", KeepDims=True)
    return mb.build([x], [y])


def _strided_slice(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (4, 6, 3), scale=0.05, zero_point=3)
    begin = mb.tensor("begin", (3,), DType.INT32, data=np.array([1, -1, 0]))
    end = mb.tensor("end", (3,), DType.INT32, data=np.array([4, 0, 3]))
    strides = mb.tensor("strides", (3,), DType.INT32, data=np.array([2, -2, 1]))
    y = mb.tensor("y", (2, 3, 3), scale=0.05, zero_point=3)
    mb.op("STRIDED_SLICE", [x, begin, end, strides], [y], "StridedSliceOptions")
    return mb.build([x], [y])


def _transpose(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 4), scale=0.05, zero_point=3)
    perm = mb.tensor("perm", (3,), DType.INT32, data=np.array([2, 0, 1]))
    y = mb.tensor("y", (4, 2, 3), scale=0.05, zero_point=3)
    mb.op("TRANSPOSE", [x, perm], [y])
    return mb.build([x], [y])


def _batch_matmul(rng: np.random.Generator) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (2, 3, 5), scale=0.05, zero_point=3)
    b = mb.tensor("b", (2, 5, 4), scale=0.04, zero_point=-2)
    y = mb.tensor("y", (2, 3, 4), scale=0.3, zero_point=1)
    mb.op("BATCH_MATMUL", [a, b], [y], "BatchMatMulOptions", AdjX=False, AdjY=False)
    return mb.build([a, b], [y])


def _two_outputs(rng: np.random.Generator) -> bytes:
    """Multi-output graph with a chain: CONV -> (LOGISTIC, MAX_POOL)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 4, 2), scale=0.05, zero_point=0)
    w = mb.tensor("w", (2, 1, 1, 2), scale=0.01, data=rng.integers(-127, 128, (2, 1, 1, 2)))
    c = mb.tensor("c", (1, 4, 4, 2), scale=0.02, zero_point=4)
    s = mb.tensor("s", (1, 4, 4, 2), scale=1.0 / 256, zero_point=-128)
    p = mb.tensor("p", (1, 2, 2, 2), scale=0.02, zero_point=4)
    mb.conv_2d([x, w, -1], [c], padding=1, stride=1)
    mb.op("LOGISTIC", [c], [s])
    mb.op(
        "MAX_POOL_2D",
        [c],
        [p],
        "Pool2DOptions",
        Padding=1,
        StrideW=2,
        StrideH=2,
        FilterWidth=2,
        FilterHeight=2,
    )
    return mb.build([x], [s, p])


MODELS: dict[str, Builder] = {
    "conv_2d": _conv,
    "depthwise_conv_2d": _depthwise,
    "fully_connected_per_tensor": _fully_connected(per_channel=False),
    "fully_connected_per_channel": _fully_connected(per_channel=True),
    "average_pool_2d": _pool("AVERAGE_POOL_2D"),
    "max_pool_2d": _pool("MAX_POOL_2D"),
    "add": _binary("ADD", "AddOptions"),
    "sub": _binary("SUB", "SubOptions"),
    "mul": _binary("MUL", "MulOptions", shape2=(2, 4, 3)),
    "squared_difference": _binary("SQUARED_DIFFERENCE", None),
    "maximum": _binary("MAXIMUM", None, same=True),
    "minimum": _binary("MINIMUM", None, shape2=(3,), same=True),
    "softmax": _softmax,
    "quantize_reshape_dequantize": _float_io,
    "float_io_folded": lambda rng: float_io_model(),
    "float_inputs_folded": float_inputs_model,
    "requantize": _requantize,
    "reshape": _reshape_copy,
    "logistic": _unary("LOGISTIC", out_q=(1.0 / 256, -128)),
    "tanh": _unary("TANH", out_q=(1.0 / 128, 0)),
    "relu": _unary("RELU"),
    "relu6": _unary("RELU6", same=True),
    "leaky_relu": _unary("LEAKY_RELU", "LeakyReluOptions", Alpha=0.2),
    "hard_swish": _unary("HARD_SWISH", out_q=(0.08, 3)),
    # TFLM fails on negative inputs: a zero point of -128 keeps every input >= 0.
    "rsqrt": _unary("RSQRT", out_q=(0.5, -100), in_zero_point=-128),
    "pad": _pad,
    "concatenation": _concat,
    "mean": _mean,
    "strided_slice": _strided_slice,
    "transpose": _transpose,
    "batch_matmul": _batch_matmul,
    "two_outputs": _two_outputs,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generated_code_matches_tflm(name: str) -> None:
    for seed in range(2):
        rng = np.random.default_rng([seed, *name.encode()])
        assert_bit_exact(MODELS[name](rng), samples=30, seed=seed)
