"""ELU (int8): TFLM's lookup table (micro/kernels/elu.cc `PopulateLookupTable`).

TFLM's FLOAT32 ELU needs `expf`, which the `no_std` kernels do not have; float
models are rejected like every other float layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinymlc.ops._common import OpView
from tinymlc.ops._lut import populate_lut_int8
from tinymlc.ops._unary import check_unary_int8


@dataclass(frozen=True)
class EluParams:
    lut: tuple[int, ...]
    """256 int8 outputs indexed by the input byte read as u8."""


def _elu(value: np.float32) -> np.float32:
    # `value < 0.0f ? std::exp(value) - 1.0f : value` in float32 (expf correctly rounded).
    if value < 0:
        return np.float32(math.exp(float(value))) - np.float32(1.0)
    return value


def prepare(view: OpView) -> EluParams:
    input_quant, output_quant = check_unary_int8(view)
    return EluParams(lut=populate_lut_int8(input_quant, output_quant, _elu))
