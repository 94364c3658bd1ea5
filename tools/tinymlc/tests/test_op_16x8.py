"""Prepare of the 16x8 modes and of TRANSPOSE_CONV: which kernel each tensor
combination selects, the parameters TFLM derives, and what TFLM rejects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import conv_2d
from tests.tflm import prepared, run_tflm
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.lut16 import LUT_STEPS, expf, lut_populate_int16
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.fully_connected import FullyConnectedParams
from tinymlc.ops.softmax import SoftmaxParams
from tinymlc.ops.transpose_conv import TransposeConvParams


def _conv_model(
    bias: DType | None, quantized_bias_type: int = 0, input_zero_point: int = 0, output: DType = DType.INT16
) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 4, 2), DType.INT16, scale=0.01, zero_point=input_zero_point)
    w = mb.tensor("w", (3, 1, 1, 2), scale=(0.1, 0.2, 0.3), data=np.ones((3, 1, 1, 2)))
    b = -1 if bias is None else mb.tensor("b", (3,), bias, scale=(0.001, 0.002, 0.003), data=np.arange(3))
    y = mb.tensor("y", (1, 4, 4, 3), output, scale=0.05, zero_point=7)
    mb.op(
        "CONV_2D",
        [x, w, b],
        [y],
        "Conv2DOptions",
        Padding=1,
        StrideW=1,
        StrideH=1,
        DilationWFactor=1,
        DilationHFactor=1,
        QuantizedBiasType=quantized_bias_type,
    )
    return mb.build([x], [y])


@pytest.mark.parametrize(
    ("bias", "quantized_bias_type", "accumulator"),
    [
        (DType.INT64, 0, DType.INT64),
        (DType.INT32, 0, DType.INT32),
        (None, 0, DType.INT64),
        # Without a bias, the option decides (TFLM's requires_int32_accum).
        (None, DType.INT32.value, DType.INT32),
        (DType.INT64, DType.INT32.value, DType.INT64),
    ],
)
def test_conv_16x8_accumulator_follows_the_bias(
    bias: DType | None, quantized_bias_type: int, accumulator: DType
) -> None:
    _, params = prepared(_conv_model(bias, quantized_bias_type))
    assert isinstance(params, Conv2DParams)
    assert (params.mode.activation, params.mode.accumulator) == (DType.INT16, accumulator)
    # The 16x8 kernel reads its input in place: no gather scratch.
    assert params.scratch_bytes == 0


def test_conv_16x8_ignores_zero_points_like_tflm() -> None:
    _, params = prepared(_conv_model(DType.INT64, input_zero_point=5))
    assert isinstance(params, Conv2DParams)
    assert (params.quantization.input_offset, params.quantization.output_offset) == (0, 0)
    # The activation range still uses the output zero point (CalculateActivationRangeQuantized).
    assert params.quantization.output_activation_min == -32768


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (_conv_model(DType.INT16), "16x8 bias has type INT16"),
        (_conv_model(DType.INT64, output=DType.INT8), "output has type INT8, input INT16"),
    ],
)
def test_conv_16x8_rejects_what_tflm_rejects(model: bytes, message: str) -> None:
    with pytest.raises(OpError, match=message):
        prepared(model)


@pytest.mark.parametrize(
    ("depthwise", "bias", "stride", "activation"),
    [
        (False, DType.INT64, 1, 0),
        (False, DType.INT32, 2, 1),
        (False, None, 1, 3),
        (True, DType.INT64, 1, 1),
        # (True, None, ...) is left out: the tflite-micro wheel crashes on a 16x8
        # DEPTHWISE_CONV_2D without bias (tinymlc computes it without the bias).
        (True, DType.INT64, 2, 0),
    ],
)
def test_16x8_convolutions_match_tflm(
    depthwise: bool, bias: DType | None, stride: int, activation: int
) -> None:
    rng = np.random.default_rng([int(depthwise), stride, activation, 0 if bias is None else bias.value])
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7, 6, 4), DType.INT16, scale=0.002)
    scales = tuple(float(s) for s in rng.uniform(0.002, 0.02, 4))
    filter_shape = (1, 3, 3, 4) if depthwise else (4, 3, 3, 4)
    weights = rng.integers(-127, 128, filter_shape).astype(np.int8)
    w = mb.tensor("w", filter_shape, scale=scales, quantized_dimension=3 if depthwise else 0, data=weights)
    bias_values = None if bias is None else rng.integers(-3_000_000, 3_000_000, 4)
    b = -1
    if bias is not None:
        b = mb.tensor("b", (4,), bias, scale=tuple(0.002 * s for s in scales), data=bias_values)
    out = -(-7 // stride), -(-6 // stride)
    y = mb.tensor("y", (1, *out, 4), DType.INT16, scale=0.01)
    if depthwise:
        mb.depthwise_conv_2d(
            [x, w, b], [y], padding=0, stride=stride, depth_multiplier=1, activation=activation
        )
    else:
        mb.conv_2d([x, w, b], [y], padding=0, stride=stride, activation=activation)
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, Conv2DParams | DepthwiseConv2DParams)
    for _ in range(3):
        inputs = rng.integers(-32768, 32768, (1, 7, 6, 4)).astype(np.int16)
        np.testing.assert_array_equal(
            conv_2d(params, inputs, weights, bias_values), run_tflm(data, [inputs])[0]
        )


def _depthwise_model(bias: DType) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 4, 2), DType.INT16, scale=0.01)
    w = mb.tensor("w", (1, 3, 3, 2), scale=(0.1, 0.2), quantized_dimension=3, data=np.ones((1, 3, 3, 2)))
    b = mb.tensor("b", (2,), bias, scale=(0.001, 0.002), data=np.arange(2))
    y = mb.tensor("y", (1, 4, 4, 2), DType.INT16, scale=0.05)
    mb.depthwise_conv_2d([x, w, b], [y], padding=0, stride=1, depth_multiplier=1)
    return mb.build([x], [y])


def test_depthwise_16x8_takes_int64_bias_only() -> None:
    _, params = prepared(_depthwise_model(DType.INT64))
    assert isinstance(params, DepthwiseConv2DParams)
    assert params.mode.rust_generics == "i16, i64"
    # TFLM reads a 16x8 depthwise bias as int64 whatever its type.
    with pytest.raises(OpError, match="16x8 bias has type INT32"):
        prepared(_depthwise_model(DType.INT32))


def test_fully_connected_16x8_keeps_offsets() -> None:
    # Unlike the convolutions, TFLM's 16x8 FULLY_CONNECTED applies the zero points.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), DType.INT16, scale=0.01, zero_point=3)
    w = mb.tensor("w", (2, 4), scale=0.1, data=np.ones((2, 4)))
    y = mb.tensor("y", (1, 2), DType.INT16, scale=0.05, zero_point=-2)
    mb.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions")
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, FullyConnectedParams)
    assert (params.input_offset, params.output_offset) == (-3, -2)
    assert params.mode.rust_generics == "i16, i64"


def test_exp_is_the_c_library_expf_not_the_rounded_double() -> None:
    # At this table sample (of exp on [-10, 0]) the C library's expf is one ulp away
    # from exp rounded from double: TFLM's table follows the C library.
    value = np.float32(-2.216796875)
    assert expf(value) == np.float32(0.10895755887031555)
    assert expf(value) != np.float32(math.exp(-2.216796875))


def test_exp_table_end_points() -> None:
    f = np.float32
    table = lut_populate_int16(f(10.0) / f(65535), 32767, f(2.0) / f(65535), 0, expf)
    assert len(table) == LUT_STEPS + 1
    # exp(0) = 1.0 -> 32768 saturates; exp(-10) ~ 4.5e-5 -> round(1.49) = 1.
    assert table[-1] == 32767
    assert table[0] in (1, 2)
    assert list(table) == sorted(table)


def _softmax_params(input_dtype: DType, output_scale: float, output_zero_point: int) -> SoftmaxParams:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 5), input_dtype, scale=0.001)
    y = mb.tensor("y", (2, 5), DType.INT16, scale=output_scale, zero_point=output_zero_point)
    mb.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=0.5)
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, SoftmaxParams)
    return params


def test_softmax_int16_multiplier_spans_ten() -> None:
    params = _softmax_params(DType.INT16, 1.0 / 32768, 0)
    # 0.001f * 0.5f / (10 / 65535) ~ 3.27675 ~ 0.819 * 2^2, in double.
    real = float(np.float32(0.001)) * 0.5 / (10.0 / 65535.0)
    assert params.input_left_shift == 2
    assert params.input_multiplier == round(real / 4 * 2**31)
    assert len(params.exp_lut) == len(params.one_over_one_plus_x_lut) == LUT_STEPS + 1


def test_softmax_output_scales_are_checked_with_tflm_tolerance() -> None:
    _softmax_params(DType.INT16, (1.0 + 0.0009) / 32768, 0)
    with pytest.raises(OpError, match="scale 1/32768"):
        _softmax_params(DType.INT16, (1.0 + 0.002) / 32768, 0)
    with pytest.raises(OpError, match="zero point -32768"):
        _softmax_params(DType.INT8, 1.0 / 65536, 0)


def _transpose_conv_params(padding: int, bias: DType | None) -> TransposeConvParams:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 3, 4, 2), DType.INT16, scale=0.01)
    shape = mb.tensor("shape", (4,), DType.INT32, data=np.array([1, 6, 8, 3]))
    w = mb.tensor("w", (3, 3, 3, 2), scale=(0.1, 0.2, 0.3), data=np.ones((3, 3, 3, 2)))
    inputs = [shape, w, x]
    if bias is not None:
        inputs.append(mb.tensor("b", (3,), bias, scale=(0.001, 0.002, 0.003), data=np.array([-1, 0, 9])))
    y = mb.tensor("y", (1, 6, 8, 3), DType.INT16, scale=0.05)
    mb.op("TRANSPOSE_CONV", inputs, [y], "TransposeConvOptions", Padding=padding, StrideW=2, StrideH=2)
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, TransposeConvParams)
    return params


def test_transpose_conv_padding_is_computed_over_the_output() -> None:
    # SAME over a 6x8 output, filter 3, stride 2: total padding (3-1)*2+3-6 = 1 -> 0.
    same = _transpose_conv_params(0, DType.INT64)
    assert (same.padding.height, same.padding.width) == (0, 0)
    # VALID: ComputePaddingHeightWidth over the output size: out 2, (2-1)*2+3-6 < 0.
    valid = _transpose_conv_params(1, None)
    assert (valid.padding.height, valid.padding.width) == (0, 0)
    assert valid.mode.rust_generics == "i16, i64"


def test_transpose_conv_16x8_widens_an_int16_bias() -> None:
    params = _transpose_conv_params(0, DType.INT16)
    assert params.widened_bias == (-1, 0, 9)
    with pytest.raises(OpError, match="bias has type INT32"):
        _transpose_conv_params(0, DType.INT32)
