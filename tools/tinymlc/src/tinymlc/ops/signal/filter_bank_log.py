"""SignalFilterBankLog: fixed-point natural log of uint32 channels to int16
(signal/micro/kernels/filter_bank_log.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32

INPUT_CORRECTION_BITS, OUTPUT_SCALE = 0, 1
"""Options 'input_correction_bits' and 'output_scale', in key order."""


@dataclass(frozen=True)
class SignalFilterBankLogParams:
    channels: int
    """input.dims[0]."""
    output_scale: int
    """Multiplies ln(x) (16.16 fixed point), as uint32."""
    correction_bits: int
    """Left shift of each input before the log."""


def prepare(view: OpView) -> SignalFilterBankLogParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require(len(output.shape) == 1, "output must be 1-D", "", output)
    require_dtype(input_, [DType.UINT32], "input")
    require_dtype(output, [DType.INT16], "output")
    require(output.shape[0] == input_.shape[0], "output and input channel counts differ", "", output)
    correction = option_int32(view, INPUT_CORRECTION_BITS)
    # TFLM shifts a uint32_t by it: 32 or more (or negative) is undefined.
    require(0 <= correction < 32, f"input_correction_bits {correction} is outside 0..31", "")
    return SignalFilterBankLogParams(
        channels=input_.shape[0],
        output_scale=option_int32(view, OUTPUT_SCALE) & 0xFFFFFFFF,
        correction_bits=correction,
    )
