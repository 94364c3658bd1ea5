"""SignalDelay: each row of int16 frames delayed by delay_length samples across inferences
(signal/micro/kernels/delay.cc), its history a variable tensor `passes.signal_operators`
adds as input 1 (none for a zero delay, which copies)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_dtype
from tinymlc.ops.signal._options import option_int32

STATE_INPUT = 1
"""The history: the last delay_length samples of every row."""
DELAY_LENGTH = 0
"""Option 'delay_length' (the only key)."""


@dataclass(frozen=True)
class SignalDelayParams:
    frame: int
    """Samples per row (the innermost dimension)."""
    delay_length: int

    @property
    def stateful(self) -> bool:
        return self.delay_length > 0


def prepare(view: OpView) -> SignalDelayParams:
    require(len(view.op.outputs) == 1, f"expects 1 output, has {len(view.op.outputs)}", "re-export the model")
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT16], "input")
    require_dtype(output, [DType.INT16], "output")
    require(len(input_.shape) >= 1 and input_.shape[-1] > 0, "input must have a non-empty last dimension", "")
    require(output.num_elements == input_.num_elements, "output and input sizes differ", "", output)
    delay = option_int32(view, DELAY_LENGTH)
    # TFLM primes its buffers with delay_length zeros: a negative length has no meaning.
    require(delay >= 0, f"delay_length {delay} is negative", "")
    frame = input_.shape[-1]
    rows = input_.num_elements // frame
    require(view.num_inputs == (2 if delay else 1), "expects 1 input", "re-export the model")
    if delay:
        state = view.input(STATE_INPUT)
        require(state.is_variable and state.num_elements == rows * delay, "malformed delay state", "", state)
    return SignalDelayParams(frame=frame, delay_length=delay)
