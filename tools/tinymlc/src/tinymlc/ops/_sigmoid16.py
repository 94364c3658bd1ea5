"""LOGISTIC and TANH for int16 (16x8 quantization): the Prepare of TFLM's
lookup-table kernels (the int16 branches of CalculateArithmeticOpDataLogistic and
tanh.cc's CalculateArithmeticOpData).

Both require zero points 0 and an output scale of 2^-15. The input is rescaled so
that 3 * 4096 units are one step of the kernel's table argument; an input scale that
is exactly the table's power of two (LOGISTIC: 2^-12; TANH: 2^-12 or 2^-11) is marked
with multiplier 0, which the kernel turns into an exact multiplication by 3 (or 6).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_symmetric
from tinymlc.ops._unary import check_unary_quantized

# kInputIntegerBits and kOutputFractionalBits of the int16 branches.
INPUT_INTEGER_BITS = 3
OUTPUT_FRACTIONAL_BITS = 15
# The general path's multiplier is doubled while it is at most this (32767 / 2).
_MULTIPLIER_TARGET = 32767.0 / 2.0
_MAX_LEFT_SHIFT = 30


@dataclass(frozen=True)
class Int16SigmoidParams:
    """TFLM OpDataLogistic / tanh OpData for int16."""

    input_multiplier: int
    """input_multiplier: 0 for the power-of-two input scales, else
    (int32)(input_scale * 4096 * 3 * 2^input_left_shift)."""
    input_left_shift: int
    """input_left_shift: (15 - 3) + log2(input_scale) for the power-of-two case, else
    the number of doublings (a rounding right shift in the kernel)."""


def checked_log2(value: float) -> tuple[bool, int]:
    """TFLite `CheckedLog2` in float32: (whether `value` is a power of two to within
    1e-3 in log2, the rounded log2)."""
    log2 = np.float32(np.log(np.float32(value))) * (np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    rounded = np.float32(quant.round_half_away(float(log2)))
    return bool(abs(np.float32(log2 - rounded)) < np.float32(1e-3)), int(rounded)


def prepare_int16_sigmoid(view: OpView, power_of_two_shifts: Collection[int]) -> Int16SigmoidParams:
    """`power_of_two_shifts`: the input left shifts the op's power-of-two path takes
    (LOGISTIC: 0; TANH: 0 and 1)."""
    check_unary_quantized(view, [DType.INT16])
    input_, output = view.input(0), view.output()
    input_quant = require_symmetric(input_, "input")
    output_quant = require_symmetric(output, "output")
    is_power_of_two, log2 = checked_log2(input_quant.scale)
    left_shift = (15 - INPUT_INTEGER_BITS) + log2
    if is_power_of_two and left_shift in power_of_two_shifts:
        multiplier = 0
    else:
        # In double, from the float32 scale.
        real = float(quant.f32(input_quant.scale)) * 4096.0 * 3.0
        left_shift = 0
        while real <= _MULTIPLIER_TARGET and left_shift <= _MAX_LEFT_SHIFT:
            left_shift += 1
            real *= 2.0
        # static_cast<int32_t> truncates; beyond int32 it saturates, as Rust's `as` does.
        multiplier = max(quant.INT32_MIN, min(quant.INT32_MAX, int(real)))
    output_is_power_of_two, output_log2 = checked_log2(output_quant.scale)
    require(
        output_is_power_of_two and output_log2 == -OUTPUT_FRACTIONAL_BITS,
        f"int16 {view.op.opcode_name} output scale must be 2^-{OUTPUT_FRACTIONAL_BITS}, "
        f"is {output_quant.scale!r}",
        "let the converter choose the output quantization (scale 1/32768, zero point 0)",
        output,
    )
    return Int16SigmoidParams(input_multiplier=multiplier, input_left_shift=left_shift)
