"""SignalEnergy: squared magnitudes of the bins start_index..end_index of an
int16 complex spectrum, as uint32 (signal/micro/kernels/energy.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32

END_INDEX, START_INDEX = 0, 1
"""Options 'end_index' and 'start_index', in key order."""


@dataclass(frozen=True)
class SignalEnergyParams:
    start_index: int
    end_index: int
    """Bins start_index..end_index are written; TFLM leaves the others as they are."""


def prepare(view: OpView) -> SignalEnergyParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require(len(output.shape) == 1, "output must be 1-D", "", output)
    require_dtype(input_, [DType.INT16], "input")
    require_dtype(output, [DType.UINT32], "output")
    start, end = option_int32(view, START_INDEX), option_int32(view, END_INDEX)
    # TFLM indexes the spectrum and the output with these unchecked.
    require(
        0 <= start <= end <= output.shape[0] and 2 * end <= input_.shape[0],
        f"bins {start}..{end} do not fit the {input_.shape[0] // 2}-bin spectrum "
        f"and the {output.shape[0]}-value output",
        "give start_index <= end_index within the spectrum",
    )
    return SignalEnergyParams(start_index=start, end_index=end)
