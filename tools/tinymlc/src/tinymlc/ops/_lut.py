"""TFLite's int8 lookup tables: `LUTPopulateInt8` / TFLM's `PopulateLookupTable`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinymlc import quant
from tinymlc.ir import Quantization


def populate_lut_int8(
    input_quant: Quantization, output_quant: Quantization, transform: Callable[[np.float32], np.float32]
) -> tuple[int, ...]:
    """256 int8 outputs indexed by the input byte read as u8 (inputs 0..127, then
    -128..-1): `clamp((int32)(roundf(transform(s_in * (v - zp_in)) * (1 / s_out)) + zp_out))`,
    every operation in float32."""
    input_scale = quant.f32(input_quant.scale)
    inverse_scale = np.float32(1.0) / quant.f32(output_quant.scale)
    lut = [0] * 256
    for value in range(-128, 128):
        dequantized = input_scale * np.float32(value - input_quant.zero_point)
        rescaled = quant.round_half_away(float(transform(dequantized) * inverse_scale))
        quantized = int(np.float32(rescaled) + np.float32(output_quant.zero_point))
        lut[value & 0xFF] = max(-128, min(127, quantized))
    return tuple(lut)
