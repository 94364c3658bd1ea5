"""SignalFilterBank: triangular filters over uint32 energies, accumulated in uint64
(signal/micro/kernels/filter_bank.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32

NUM_CHANNELS = 0
"""Option 'num_channels' (the only key)."""
TABLES = ("weights", "unweights", "channel_frequency_starts", "channel_weight_starts", "channel_widths")
"""Inputs 1..5, the filter bank's int16 tables."""


@dataclass(frozen=True)
class SignalFilterBankParams:
    num_channels: int
    """Channels the tables describe (besides the leading scratch channel)."""


def prepare(view: OpView) -> SignalFilterBankParams:
    require_arity(view, (6,))
    input_, output = view.input(0), view.output()
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require_dtype(input_, [DType.UINT32], "input")
    for position, role in enumerate(TABLES, start=1):
        table = view.input(position)
        require(len(table.shape) == 1, f"{role} must be 1-D", "", table)
        require_dtype(table, [DType.INT16], role)
    require(len(output.shape) == 1, "output must be 1-D", "", output)
    require_dtype(output, [DType.UINT64], "output")
    channels = option_int32(view, NUM_CHANNELS)
    # TFLM copies the output's size from its num_channels + 1 work area, past channel 0.
    require(
        0 <= output.shape[0] <= channels,
        f"the output has {output.shape[0]} values but num_channels is {channels}",
        "give the output num_channels values",
        output,
    )
    for role in TABLES[2:]:
        table = view.input(TABLES.index(role) + 1)
        require(
            table.shape[0] >= channels + 1,
            f"{role} has {table.shape[0]} entries, needs num_channels + 1 = {channels + 1}",
            "",
            table,
        )
    return SignalFilterBankParams(num_channels=channels)
