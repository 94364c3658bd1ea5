"""SignalWindow: int16 frames times int16 window weights, shifted right and
saturated (signal/micro/kernels/window.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32

SHIFT = 0
"""Option 'shift' (the only key)."""


@dataclass(frozen=True)
class SignalWindowParams:
    shift: int
    """Right shift of each 32-bit product."""
    elements: int
    """The input's flat size (the kernel windows every weights-long frame of it)."""


def prepare(view: OpView) -> SignalWindowParams:
    require_arity(view, (2,))
    input_, weights, output = view.input(0), view.input(1), view.output()
    for tensor, role in ((input_, "input"), (weights, "weights"), (output, "output")):
        require_dtype(tensor, [DType.INT16], role)
    require(len(input_.shape) >= 1, "input must have at least one dimension", "", input_)
    require(len(weights.shape) == 1, "weights must be 1-D", "", weights)
    require(len(input_.shape) == len(output.shape), "input and output ranks differ", "", output)
    require(output.num_elements == input_.num_elements, "output size differs from the input's", "", output)
    frame = weights.shape[0]
    # TFLM windows input[i:i+frame] for i = 0, frame, ...: a partial last frame reads
    # past the input, which no model can rely on.
    require(
        frame > 0 and input_.num_elements % frame == 0,
        f"input size {input_.num_elements} is not a multiple of the window length {frame}",
        "make the input a whole number of frames",
        input_,
    )
    shift = option_int32(view, SHIFT)
    require(0 <= shift < 32, f"shift {shift} is outside 0..31", "give the window a shift in 0..31")
    return SignalWindowParams(shift=shift, elements=input_.num_elements)
