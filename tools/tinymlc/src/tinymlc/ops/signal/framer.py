"""SignalFramer (signal/micro/kernels/framer.cc): each row of int16 samples (the
innermost dimension, a multiple of frame_step) cut into frames of frame_size samples
every frame_step samples, the samples carried across inferences in a circular buffer
per row (prefill: primed with frame_size - frame_step zeros), `valid` false while a
buffer holds too few samples (TFLM then leaves those frames unwritten)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import OpKind
from tinymlc.ops._common import OpView, require
from tinymlc.ops.signal._options import option_int32
from tinymlc.ops.signal._streaming import StreamingStep, require_samples_state, streaming_operands

FRAME_SIZE, FRAME_STEP, PREFILL = 0, 1, 2
"""Options in key order."""
COUNTERS = 1
"""Samples gained since reset beyond the prefill, the same for every row."""


@dataclass(frozen=True)
class SignalFramerParams(StreamingStep):
    frame_size: int
    frame_step: int
    prefill: bool
    rows: int
    """Product of the input's outer dimensions (TFLM's outer_dims)."""
    frames: int
    """Frames per row and inference (innermost dimension / frame_step)."""
    computes_valid: bool

    @property
    def capacity(self) -> int:
        return capacity(self.frame_size, self.frame_step)


def capacity(frame_size: int, frame_step: int) -> int:
    """TFLM's buffer capacity per row: frame_size rounded up to a multiple of frame_step."""
    return -(-frame_size // frame_step) * frame_step


def prepare(view: OpView) -> SignalFramerParams:
    computes_valid = view.op.kind is OpKind.SIGNAL_FRAMER_VALID
    input_, output = streaming_operands(view, "SignalFramer", computes_valid, COUNTERS)
    size, step = option_int32(view, FRAME_SIZE), option_int32(view, FRAME_STEP)
    prefill = option_int32(view, PREFILL) != 0
    require(size > 0 and step > 0, f"frame_size {size} and frame_step {step} must be positive", "")
    # TFLM primes frame_size - frame_step zeros as an unsigned count: negative overflows.
    require(not prefill or size >= step, f"prefill with frame_size {size} < frame_step {step}", "")
    require(len(input_.shape) >= 1, "input must have at least 1 dimension", "", input_)
    innermost = input_.shape[-1]
    require(
        innermost >= step and innermost % step == 0,
        f"innermost dimension {innermost} is not a positive multiple of frame_step {step}",
        "",
        input_,
    )
    params = SignalFramerParams(
        frame_size=size,
        frame_step=step,
        prefill=prefill,
        rows=input_.num_elements // innermost,
        frames=innermost // step,
        computes_valid=computes_valid,
    )
    if not computes_valid:
        require(len(output.shape) == len(input_.shape) + 1, "output rank must be input rank + 1", "", output)
        require(
            output.num_elements == params.rows * params.frames * size,
            f"output {list(output.shape)} does not hold {params.frames} frames of {size} per row",
            "",
            output,
        )
        require_samples_state(view, "SignalFramer", params.rows * params.capacity)
    return params
