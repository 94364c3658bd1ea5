"""Fixed-point quantization math, reproducing TFLite's C++ bit for bit.

Precision matters here: TFLM computes some multipliers in double and others
in float32, and the two disagree in the last bit often enough to change
outputs.  Python floats are IEEE doubles; float32 arithmetic is done with
`numpy.float32` scalars, which round every operation to single precision
exactly like C++ `float` on an FPU without excess precision.

`std::round` rounds half away from zero; Python's `round` rounds half to
even, so it is never used here.

Assumes TFLM's default build (TFLITE_SINGLE_ROUNDING and
TFLITE_EMULATE_FLOAT undefined).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from tinymlc.errors import OpError
from tinymlc.ir import Activation, DType

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def f32(value: float) -> np.float32:
    """`static_cast<float>(value)`, as a value numpy keeps in single precision."""
    return np.float32(value)


def round_half_away(value: float) -> float:
    """`std::round` / `TfLiteRound`: ties go away from zero."""
    if not math.isfinite(value):
        return value
    magnitude = abs(value)
    floor = math.floor(magnitude)
    # magnitude - floor is exact in binary floating point, so the tie test is too.
    rounded = floor + 1.0 if magnitude - floor >= 0.5 else float(floor)
    return math.copysign(rounded, value)


@dataclass(frozen=True)
class QuantizedMultiplier:
    """A real multiplier as `multiplier * 2**shift / 2**31`.

    `multiplier` is a Q0.31 int32 in [2**30, 2**31) (or 0).  `shift` follows
    TFLite's `QuantizeMultiplier` convention: positive = shift left, negative =
    shift right.  (Some TFLM OpData fields store the negation; each params
    dataclass documents its own convention.)
    """

    multiplier: int
    shift: int


# Right shifts up to this many bits lose less to the rounding of the multiplier to fewer
# significant bits than to double rounding (see `single_rounding_requantization`).
SINGLE_ROUNDING_MAX_SHIFT = 11
_SINGLE_ROUNDING: ContextVar[bool] = ContextVar("single_rounding", default=False)


@contextmanager
def single_rounding_requantization(enabled: bool) -> Iterator[None]:
    """Within: `quantize_multiplier` encodes multipliers below 1/2 as `(round(M * 2^31), 0)`.

    TFLM's `MultiplyByQuantizedMultiplier` rounds twice: `SaturatingRoundingDoublingHighMul`
    to 2^-r of the result's unit, then `RoundingDivideByPOT` by the right shift r. A value
    that first rounding pushes across a .5 boundary comes out one off the once-rounded
    real product: about one element in 2^(r+1). With shift 0 the kernels round once; the
    multiplier keeps 31 - r significant bits instead of 31, which costs less for r up to
    SINGLE_ROUNDING_MAX_SHIFT. The kernels are unchanged; only the encoding differs, so
    results are no longer TFLM's: for ONNX models, whose reference rounds once in float.
    """
    token = _SINGLE_ROUNDING.set(enabled)
    try:
        yield
    finally:
        _SINGLE_ROUNDING.reset(token)


def quantize_multiplier(real_multiplier: float) -> QuantizedMultiplier:
    """TFLite `QuantizeMultiplier` (frexp + round, with its two edge cases), or the
    single-rounding encoding within `single_rounding_requantization`."""
    result = _tflite_quantize_multiplier(real_multiplier)
    if _SINGLE_ROUNDING.get() and -SINGLE_ROUNDING_MAX_SHIFT <= result.shift < 0 and result.multiplier:
        return QuantizedMultiplier(int(round_half_away(real_multiplier * (1 << 31))), 0)
    return result


def _tflite_quantize_multiplier(real_multiplier: float) -> QuantizedMultiplier:
    if real_multiplier == 0.0:
        return QuantizedMultiplier(0, 0)
    if not math.isfinite(real_multiplier):
        raise OpError(
            f"cannot quantize non-finite multiplier {real_multiplier}",
            "check the model's quantization scales for zero or infinity",
        )
    fraction, shift = math.frexp(real_multiplier)
    q_fixed = int(round_half_away(fraction * (1 << 31)))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        # All bits would be shifted out: TFLite flushes such multipliers to zero.
        return QuantizedMultiplier(0, 0)
    return QuantizedMultiplier(q_fixed, shift)


def quantize_multiplier_smaller_than_one_exp(real_multiplier: float) -> QuantizedMultiplier:
    """TFLite `QuantizeMultiplierSmallerThanOneExp`; its CHECKs become OpError."""
    if not 0.0 < real_multiplier < 1.0:
        raise OpError(
            f"multiplier {real_multiplier!r} must lie in (0, 1) "
            "(TFLM aborts in QuantizeMultiplierSmallerThanOneExp)",
            "requantize the model so the output scale is not much smaller than the input scales",
        )
    result = quantize_multiplier(real_multiplier)
    if result.shift > 0:
        raise OpError(f"multiplier {real_multiplier!r} quantized with a left shift")
    return result


def quantize_multiplier_greater_than_one(real_multiplier: float) -> QuantizedMultiplier:
    """TFLite `QuantizeMultiplierGreaterThanOne`; its CHECKs become OpError."""
    if not real_multiplier > 1.0:
        raise OpError(
            f"multiplier {real_multiplier!r} must exceed 1 (TFLM aborts in QuantizeMultiplierGreaterThanOne)",
            "the input scale (times beta) is too small for TFLM's integer softmax",
        )
    return quantize_multiplier(real_multiplier)


def preprocess_softmax_scaling(
    beta: float, input_scale: float, input_integer_bits: int
) -> QuantizedMultiplier:
    """TFLite `PreprocessSoftmaxScaling`: returns (multiplier, left shift)."""
    max_real_multiplier = float((1 << 31) - 1)
    real = min(beta * input_scale * float(1 << (31 - input_integer_bits)), max_real_multiplier)
    return quantize_multiplier_greater_than_one(real)


def calculate_input_radius(
    input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31
) -> int:
    """TFLite `CalculateInputRadius` (double arithmetic, then floor)."""
    max_input_rescaled = (
        1.0
        * float((1 << input_integer_bits) - 1)
        * float(1 << (total_signed_bits - input_integer_bits))
        / float(1 << input_left_shift)
    )
    return math.floor(max_input_rescaled)


def frexp_multiplier(real_multiplier: float) -> QuantizedMultiplier:
    """frexp + round *without* QuantizeMultiplier's 2**31 fix-up.

    LOGISTIC and TANH prepare their input multiplier this way.  A fraction
    rounding up to 2**31 does not fit int32 (undefined behaviour in C++), so
    that case is rejected rather than guessed.
    """
    fraction, shift = math.frexp(real_multiplier)
    q_fixed = int(round_half_away(fraction * (1 << 31)))
    if q_fixed > INT32_MAX:
        raise OpError(
            f"input multiplier {real_multiplier!r} rounds to 2^31, which TFLM casts to int32 "
            "with undefined behaviour",
            "nudge the input scale by one ulp",
        )
    return QuantizedMultiplier(q_fixed, shift)


def quantize_float_to_int(value: float, scale: float, zero_point: int) -> int:
    """`zero_point + (int)TfLiteRound(value / scale)` evaluated in float32."""
    quotient = float(f32(value) / f32(scale))
    rounded = round_half_away(quotient)
    if not (-(2.0**31) <= rounded <= 2.0**31 - 1):
        raise OpError(f"quantizing {value} with scale {scale} overflows int32")
    return zero_point + int(rounded)


def activation_range_quantized(
    activation: Activation, scale: float, zero_point: int, dtype: DType
) -> tuple[int, int]:
    """TFLite `CalculateActivationRangeQuantized` for the output tensor's type."""
    qmin, qmax = dtype.integer_range
    if activation is Activation.NONE:
        return qmin, qmax
    if activation is Activation.RELU:
        return max(qmin, quantize_float_to_int(0.0, scale, zero_point)), qmax
    if activation is Activation.RELU6:
        return (
            max(qmin, quantize_float_to_int(0.0, scale, zero_point)),
            min(qmax, quantize_float_to_int(6.0, scale, zero_point)),
        )
    if activation is Activation.RELU_N1_TO_1:
        return (
            max(qmin, quantize_float_to_int(-1.0, scale, zero_point)),
            min(qmax, quantize_float_to_int(1.0, scale, zero_point)),
        )
    # TANH / SIGN_BIT: TFLM silently ignores them for quantized kernels.
    raise OpError(
        f"fused activation {activation.name} is not supported by TFLM's quantized kernels",
        "remove the fused activation or use NONE/RELU/RELU6/RELU_N1_TO_1",
    )


def down_scale_int32_to_int16_multiplier(multiplier: int) -> int:
    """TFLite `DownScaleInt32ToInt16Multiplier` (round to Q0.15, saturating)."""
    rounding_offset = 1 << 15
    if multiplier >= INT32_MAX - rounding_offset:
        return 2**15 - 1
    return (multiplier + rounding_offset) >> 16


def _wrap_int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def saturating_rounding_doubling_high_mul(a: int, b: int) -> int:
    """gemmlowp `SaturatingRoundingDoublingHighMul` on int32."""
    if a == b == INT32_MIN:
        return INT32_MAX
    product = a * b
    nudge = (1 << 30) if product >= 0 else 1 - (1 << 30)
    total = product + nudge
    # C++ integer division truncates toward zero.
    quotient = abs(total) // (1 << 31)
    return quotient if total >= 0 else -quotient


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """gemmlowp `RoundingDivideByPOT` (round half away from zero)."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite `MultiplyByQuantizedMultiplier(int32, int32, int)`, double rounding."""
    left_shift = max(shift, 0)
    right_shift = max(-shift, 0)
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(_wrap_int32(x * (1 << left_shift)), multiplier),
        right_shift,
    )


def requantize(
    values: np.ndarray,
    multiplier: QuantizedMultiplier,
    input_zero_point: int,
    output_zero_point: int,
    output_dtype: DType,
) -> np.ndarray:
    """Reference `Requantize` (integer in, integer out), used for constant folding."""
    lo, hi = output_dtype.integer_range
    out = [
        min(
            hi,
            max(
                lo,
                multiply_by_quantized_multiplier(
                    int(v) - input_zero_point, multiplier.multiplier, multiplier.shift
                )
                + output_zero_point,
            ),
        )
        for v in values.reshape(-1)
    ]
    np_dtype = output_dtype.numpy_dtype
    assert np_dtype is not None
    return np.array(out, dtype=np_dtype).reshape(values.shape)


def affine_quantize(values: np.ndarray, scale: float, zero_point: int, dtype: DType) -> np.ndarray:
    """Reference float -> integer `AffineQuantize` (float32 divide, std::round, clamp)."""
    lo, hi = dtype.integer_range
    quotients = values.astype(np.float32) / f32(scale)
    out = [min(hi, max(lo, int(round_half_away(float(q))) + zero_point)) for q in quotients.reshape(-1)]
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    return np.array(out, dtype=np_dtype).reshape(values.shape)


def convolution_multipliers(
    input_scale: float, filter_scales: tuple[float, ...], output_scale: float, num_channels: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-channel (multiplier, shift) as `PopulateConvolutionQuantizationParams`.

    The effective scale is formed in double from the float32 scales,
    `(double)input_scale * (double)filter_scale / (double)output_scale`, and a
    single filter scale is broadcast over all channels.
    """
    multipliers = []
    shifts = []
    for channel in range(num_channels):
        filter_scale = filter_scales[channel] if len(filter_scales) > 1 else filter_scales[0]
        quantized = quantize_multiplier(input_scale * filter_scale / output_scale)
        multipliers.append(quantized.multiplier)
        shifts.append(quantized.shift)
    return tuple(multipliers), tuple(shifts)


def product_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> float:
    """`GetQuantizedConvolutionMultipler`: the float32 scales multiplied in double, as the
    tflite-micro wheel computes it (measured on FULLY_CONNECTED, BATCH_MATMUL and the LSTM's
    gates: the float32 product its source reads moves near-tie results by one)."""
    product = float(f32(input_scale)) * float(f32(filter_scale))
    if product < 0:
        raise OpError("negative input*filter scale product")
    return product / output_scale
