"""SignalFilterBankSpectralSubtraction
(signal/micro/kernels/filter_bank_spectral_subtraction.cc), as `passes.signal_operators`
lowers it: input 1 is the noise estimate state, the second output a separate copy."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_dtype
from tinymlc.ops.signal._options import option_int32

STATE_INPUT = 1
"""The noise estimate state (the variable tensor the lowering adds)."""
(
    ALTERNATE_ONE_MINUS_SMOOTHING,
    ALTERNATE_SMOOTHING,
    CLAMPING,
    MIN_SIGNAL_REMAINING,
    NUM_CHANNELS,
    ONE_MINUS_SMOOTHING,
    SMOOTHING,
    SMOOTHING_BITS,
    SPECTRAL_SUBTRACTION_BITS,
) = range(9)
"""The options, in key order."""


@dataclass(frozen=True)
class SignalSpectralSubtractionParams:
    channels: int
    smoothing: int
    one_minus_smoothing: int
    alternate_smoothing: int
    alternate_one_minus_smoothing: int
    min_signal_remaining: int
    smoothing_bits: int
    spectral_subtraction_bits: int
    clamping: bool


def prepare(view: OpView) -> SignalSpectralSubtractionParams:
    require(
        view.num_inputs == 2 and len(view.op.outputs) == 1,
        "expects 1 input and 2 outputs (the denoised channels and the noise estimate)",
        "re-export the model",
    )
    input_, state, output = view.input(0), view.input(STATE_INPUT), view.output()
    for tensor, role in ((input_, "input"), (state, "noise estimate"), (output, "output")):
        require(len(tensor.shape) == 1, f"{role} must be 1-D", "", tensor)
        require_dtype(tensor, [DType.UINT32], role)
    channels = option_int32(view, NUM_CHANNELS)
    # TFLM processes num_channels channels of each tensor and copies its num_channels
    # state values into the noise estimate output's bytes.
    for tensor, role in ((input_, "input"), (state, "noise estimate"), (output, "output")):
        require(
            tensor.shape[0] == channels,
            f"{role} has {tensor.shape[0]} channels, num_channels is {channels}",
            "give every tensor num_channels values",
            tensor,
        )
    smoothing_bits = option_int32(view, SMOOTHING_BITS)
    fraction_bits = option_int32(view, SPECTRAL_SUBTRACTION_BITS)
    # TFLM shifts a uint32_t by smoothing_bits and uint64_t products by the other.
    require(0 <= smoothing_bits < 32, f"smoothing_bits {smoothing_bits} is outside 0..31", "")
    require(0 <= fraction_bits < 64, f"spectral_subtraction_bits {fraction_bits} is outside 0..63", "")

    def unsigned(index: int) -> int:
        return option_int32(view, index) & 0xFFFFFFFF

    return SignalSpectralSubtractionParams(
        channels=channels,
        smoothing=unsigned(SMOOTHING),
        one_minus_smoothing=unsigned(ONE_MINUS_SMOOTHING),
        alternate_smoothing=unsigned(ALTERNATE_SMOOTHING),
        alternate_one_minus_smoothing=unsigned(ALTERNATE_ONE_MINUS_SMOOTHING),
        min_signal_remaining=unsigned(MIN_SIGNAL_REMAINING),
        smoothing_bits=smoothing_bits,
        spectral_subtraction_bits=fraction_bits,
        clamping=option_int32(view, CLAMPING) != 0,
    )
