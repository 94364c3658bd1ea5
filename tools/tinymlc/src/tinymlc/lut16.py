"""TFLM's int16 lookup tables (`LUTPopulate<int16_t>`, kernels/internal/common.h),
reproduced in single precision step by step so the tables are bit-identical.

A table has 513 entries: 512 steps over the input range plus its end, each entry
biased by half the interpolation error at the step's midpoint, so that
`LUTLookup`'s linear interpolation is as close as the table allows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

import numpy as np

from tinymlc.errors import CompileError
from tinymlc.quant import round_half_away

LUT_STEPS = 512
INT16_MIN, INT16_MAX = -32768, 32767

Transform = Callable[[np.float32], np.float32]


@cache
def _c_expf() -> Callable[[float], float]:
    """The C library's `expf`, which `std::exp(float)` calls. It is not correctly
    rounded (glibc's differs from the rounded double exponential at some table
    samples), so the tables are only bit-identical when made with the same function
    as TFLM's Prepare: the host C library's, as in the tflite-micro build that
    `tinymlc check` and the tests compare with."""
    name = ctypes.util.find_library("m") or ctypes.util.find_library("c")
    if name is None:
        raise CompileError("int16 lookup tables need the C library's expf, and no C library was found")
    function = ctypes.CDLL(name).expf
    function.restype = ctypes.c_float
    function.argtypes = [ctypes.c_float]
    return function


def expf(value: np.float32) -> np.float32:
    """`std::exp(float)`."""
    return np.float32(_c_expf()(float(value)))


def one_over_one_plus_x(value: np.float32) -> np.float32:
    """`1.0f / (1.0f + value)` in single precision."""
    one = np.float32(1.0)
    return np.float32(one / np.float32(one + value))


def _roundf(value: np.float32) -> np.float32:
    return np.float32(round_half_away(float(value)))


def _clamp_int16(value: np.float32) -> int:
    return int(min(max(float(value), INT16_MIN), INT16_MAX))


def lut_populate_int16(
    input_scale: np.float32,
    input_zero_point: int,
    output_scale: np.float32,
    output_zero_point: int,
    transform: Transform,
) -> tuple[int, ...]:
    """`LUTPopulate<int16_t>(input_scale, input_zero_point, output_scale,
    output_zero_point, transform, lut)` with float operands."""
    f = np.float32
    input_min = f(input_scale * f(INT16_MIN - input_zero_point))
    input_max = f(input_scale * f(INT16_MAX - input_zero_point))
    output_min = f(output_scale * f(INT16_MIN - output_zero_point))
    output_max = f(output_scale * f(INT16_MAX - output_zero_point))
    step = f((input_max - input_min) / f(LUT_STEPS))
    half_step = f(step / f(2))
    output_scaling_inv = f(f(INT16_MAX - INT16_MIN + 1) / f(output_max - output_min))
    lut = []
    for i in range(LUT_STEPS):
        at = f(input_min + f(f(i) * step))
        value = transform(at)
        value_midpoint = transform(f(at + half_step))
        value_next = transform(f(input_min + f(f(i + 1) * step)))
        sample = _roundf(f(value * output_scaling_inv))
        midpoint_interpolated = _roundf(f(f(f(value_next * output_scaling_inv) + sample) / f(2)))
        midpoint = _roundf(f(value_midpoint * output_scaling_inv))
        bias = _roundf(f(f(midpoint_interpolated - midpoint) / f(2)))
        lut.append(_clamp_int16(f(sample - bias)))
    lut.append(_clamp_int16(_roundf(f(transform(input_max) * output_scaling_inv))))
    return tuple(lut)
