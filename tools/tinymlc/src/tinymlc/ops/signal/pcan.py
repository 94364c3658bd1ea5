"""SignalPCAN: per-channel automatic gain control of uint32 filter bank energies by
their noise estimates (signal/micro/kernels/pcan.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32

SNR_SHIFT = 0
"""Option 'snr_shift' (the only key)."""
GAIN_LUT_ENTRIES = 125
"""Entries the gain table needs for any uint32 noise estimate (4 per bit position:
TFLM reads entries 4 * bits - 6 .. 4 * bits - 4 for a 'bits'-bit estimate)."""


@dataclass(frozen=True)
class SignalPcanParams:
    channels: int
    """input.dims[0]."""
    snr_shift: int


def prepare(view: OpView) -> SignalPcanParams:
    require_arity(view, (3,))
    input_, noise, lut, output = view.input(0), view.input(1), view.input(2), view.output()
    for tensor, role in (
        (input_, "input"),
        (noise, "noise estimate"),
        (lut, "gain table"),
        (output, "output"),
    ):
        require(len(tensor.shape) == 1, f"{role} must be 1-D", "", tensor)
    require_dtype(input_, [DType.UINT32], "input")
    require_dtype(noise, [DType.UINT32], "noise estimate")
    require_dtype(lut, [DType.INT16], "gain table")
    require_dtype(output, [DType.UINT32], "output")
    require(output.shape[0] == input_.shape[0], "output and input channel counts differ", "", output)
    require(
        noise.shape[0] >= input_.shape[0], "the noise estimate has fewer channels than the input", "", noise
    )
    require(
        lut.shape[0] >= GAIN_LUT_ENTRIES,
        f"the gain table has {lut.shape[0]} entries, needs {GAIN_LUT_ENTRIES}",
        "",
        lut,
    )
    shift = option_int32(view, SNR_SHIFT)
    # TFLM shifts a uint64_t by it.
    require(0 <= shift < 64, f"snr_shift {shift} is outside 0..63", "")
    return SignalPcanParams(channels=input_.shape[0], snr_shift=shift)
