"""GELU (int8) as a 256-entry lookup table.

TFLM has no GELU kernel; this follows TensorFlow Lite's int8 GELU, which
fills a LUT with LUTPopulateInt8 from the float transform.  The transform
goes through libm's erf/tanh, so a last-ulp libm difference could in rare
cases move one table entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinymlc import quant
from tinymlc.ir import GeluAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._lut import populate_lut_int8
from tinymlc.ops._unary import check_unary_int8

SQRT1_2 = 0.70710678118654752440  # M_SQRT1_2
M_2_SQRTPI = 1.12837916709551257390
# constexpr float kSqrt2dPi = M_2_SQRTPI * M_SQRT1_2 (double product, then float)
SQRT_2_OVER_PI = quant.f32(M_2_SQRTPI * SQRT1_2)


@dataclass(frozen=True)
class GeluParams:
    lut: tuple[int, ...]
    """256 int8 outputs indexed by the input byte read as u8 (TFLite's order:
    inputs 0..127 then -128..-1)."""


def _gelu(value: np.float32) -> np.float32:
    # 0.5f * in * (1.f + std::erf(in * M_SQRT1_2)): the erf argument and sum are double.
    erf_term = 1.0 + math.erf(float(value) * SQRT1_2)
    return np.float32(float(np.float32(0.5) * value) * erf_term)


def _gelu_approximate(value: np.float32) -> np.float32:
    cubic = value + np.float32(0.044715) * value * value * value
    inner = np.tanh(SQRT_2_OVER_PI * cubic)
    return np.float32(0.5) * value * (np.float32(1.0) + np.float32(inner))


def prepare(view: OpView) -> GeluParams:
    attrs = view.op.attrs
    require(isinstance(attrs, GeluAttrs), "GELU has no GeluOptions", "re-export the model")
    assert isinstance(attrs, GeluAttrs)
    input_quant, output_quant = check_unary_int8(view)
    transform = _gelu_approximate if attrs.approximate else _gelu
    return GeluParams(lut=populate_lut_int8(input_quant, output_quant, transform))
