import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinymlc import quant
from tinymlc.errors import OpError
from tinymlc.ir import Activation, DType


@pytest.mark.parametrize(
    ("value", "expected"), [(0.5, 1.0), (-0.5, -1.0), (2.5, 3.0), (-2.5, -3.0), (1.4999, 1.0)]
)
def test_round_half_away_from_zero(value: float, expected: float) -> None:
    assert quant.round_half_away(value) == expected


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (1.0, (1 << 30, 1)),
        (0.5, (1 << 30, 0)),
        (0.75, (3 << 29, 0)),
        (0.0, (0, 0)),
        (2.0**-32, (1 << 30, -31)),  # frexp exponent -31: still kept
        (2.0**-33, (0, 0)),  # exponent -32 < -31: flushed to zero
        (2.0**-31, (1 << 30, -30)),
        (1.0 - 2.0**-40, (1 << 30, 1)),  # rounds to 2^31: halved and shift bumped
        (-0.5, (-(1 << 30), 0)),
    ],
)
def test_quantize_multiplier_edge_cases(real: float, expected: tuple[int, int]) -> None:
    result = quant.quantize_multiplier(real)
    assert (result.multiplier, result.shift) == expected


@given(st.floats(min_value=2.0**-30, max_value=2.0**20, allow_nan=False))
def test_quantize_multiplier_reconstructs_value(real: float) -> None:
    result = quant.quantize_multiplier(real)
    assert 1 << 30 <= result.multiplier < 1 << 31
    assert math.isclose(result.multiplier * 2.0 ** (result.shift - 31), real, rel_tol=2**-30)


def _twice_rounded(acc: int, multiplier: quant.QuantizedMultiplier) -> int:
    """TFLM's MultiplyByQuantizedMultiplier for a right shift, as the kernels compute it."""
    high = quant.saturating_rounding_doubling_high_mul(acc, multiplier.multiplier)
    exponent = -multiplier.shift
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> exponent) + (1 if (high & mask) > threshold else 0)


def test_single_rounding_encoding_rounds_the_real_product_once() -> None:
    real = 0.0123456789
    with quant.single_rounding_requantization(True):
        single = quant.quantize_multiplier(real)
    tflm = quant.quantize_multiplier(real)
    assert single == quant.QuantizedMultiplier(round(real * 2**31), 0)
    assert tflm.shift == -6
    accumulators = range(-40000, 40000, 7)
    exact = [math.floor(acc * real + 0.5) for acc in accumulators]
    once = [_twice_rounded(acc, single) for acc in accumulators]
    twice = [_twice_rounded(acc, tflm) for acc in accumulators]
    once_off = sum(a != b for a, b in zip(once, exact, strict=True))
    twice_off = sum(a != b for a, b in zip(twice, exact, strict=True))
    assert once_off == 0
    assert twice_off > 0


@pytest.mark.parametrize("real", [0.75, 2.0**-13 * 1.5, 3.0])
def test_single_rounding_keeps_tflite_encoding_outside_its_range(real: float) -> None:
    with quant.single_rounding_requantization(True):
        inside = quant.quantize_multiplier(real)
    assert inside == quant.quantize_multiplier(real)


def test_smaller_than_one_rejects_one() -> None:
    with pytest.raises(OpError):
        quant.quantize_multiplier_smaller_than_one_exp(1.0)


def test_softmax_scaling_hand_derived() -> None:
    # beta 1, scale 2^-4: 2^-4 * 2^26 = 2^22 -> multiplier 2^30, left shift 23.
    result = quant.preprocess_softmax_scaling(1.0, 2.0**-4, 5)
    assert (result.multiplier, result.shift) == (1 << 30, 23)
    # radius: floor(31 * 2^26 / 2^23) = 248
    assert quant.calculate_input_radius(5, 23) == 248


def test_activation_range_uses_float_division() -> None:
    assert quant.activation_range_quantized(Activation.RELU6, 0.05, -100, DType.INT8) == (-100, 20)
    assert quant.activation_range_quantized(Activation.RELU, 0.05, -100, DType.INT8) == (-100, 127)
    assert quant.activation_range_quantized(Activation.NONE, 0.05, -100, DType.INT8) == (-128, 127)
    with pytest.raises(OpError):
        quant.activation_range_quantized(Activation.TANH, 0.05, 0, DType.INT8)


@pytest.mark.parametrize(
    ("x", "multiplier", "shift", "expected"),
    [
        (100, 1 << 30, 0, 50),
        (3, 1 << 30, -1, 1),
        (-3, 1 << 30, -1, -1),
        (5, 1 << 30, 1, 5),
        (-5, 1 << 30, 0, -2),
    ],
)
def test_multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int, expected: int) -> None:
    # Hand-derived: x * 0.5 * 2^shift with gemmlowp's round-half-away ties.
    assert quant.multiply_by_quantized_multiplier(x, multiplier, shift) == expected


def test_down_scale_to_int16() -> None:
    assert quant.down_scale_int32_to_int16_multiplier(1 << 30) == 1 << 14
    assert quant.down_scale_int32_to_int16_multiplier((1 << 31) - 1) == 32767


def test_affine_quantize_ties_and_clamp() -> None:
    values = np.array([0.25, -0.25, 0.75, 1000.0], dtype=np.float32)
    assert quant.affine_quantize(values, 0.5, 0, DType.INT8).tolist() == [1, -1, 2, 127]
