"""SignalStacker (signal/micro/kernels/stacker.cc): frames of num_channels int16
values stacked with stacker_left_context earlier and stacker_right_context later frames
(the first frame after reset repeated as the left context), the stack written every
stacker_step frames; `valid` false while too few frames arrived (TFLM then leaves the
output unwritten)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import OpKind
from tinymlc.ops._common import OpView, require
from tinymlc.ops.signal._options import option_int32
from tinymlc.ops.signal._streaming import StreamingStep, require_samples_state, streaming_operands

NUM_CHANNELS, LEFT_CONTEXT, RIGHT_CONTEXT, STEP = 0, 1, 2, 3
"""Options in key order."""
COUNTERS = 2
"""Whether the first frame arrived, and the values the buffer holds."""


@dataclass(frozen=True)
class SignalStackerParams(StreamingStep):
    channels: int
    left_context: int
    right_context: int
    step: int
    computes_valid: bool

    @property
    def stack(self) -> int:
        """Values per output (TFLM's buffer_size)."""
        return self.channels * (self.left_context + self.right_context + 1)


def prepare(view: OpView) -> SignalStackerParams:
    computes_valid = view.op.kind is OpKind.SIGNAL_STACKER_VALID
    input_, output = streaming_operands(view, "SignalStacker", computes_valid, COUNTERS)
    params = SignalStackerParams(
        channels=option_int32(view, NUM_CHANNELS),
        left_context=option_int32(view, LEFT_CONTEXT),
        right_context=option_int32(view, RIGHT_CONTEXT),
        step=option_int32(view, STEP),
        computes_valid=computes_valid,
    )
    require(params.channels > 0, f"num_channels {params.channels} must be positive", "")
    require(params.left_context >= 0 and params.right_context >= 0, "contexts must not be negative", "")
    frames = params.left_context + params.right_context + 1
    # TFLM discards stacker_step frames of a full buffer: more than it holds (or none,
    # which overflows the next write) fails its circular buffer's assertions.
    require(1 <= params.step <= frames, f"stacker_step {params.step} is outside 1..{frames}", "")
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require(
        input_.num_elements >= params.channels,
        f"input holds fewer than num_channels {params.channels} values",
        "",
        input_,
    )
    if not computes_valid:
        require(len(output.shape) == 1, "output must be 1-D", "", output)
        # TFLM writes buffer_size values: others would be left unwritten.
        require(
            output.num_elements == params.stack,
            f"output holds {output.num_elements} values, the stack {params.stack}",
            "",
            output,
        )
        require_samples_state(view, "SignalStacker", params.stack)
    return params
