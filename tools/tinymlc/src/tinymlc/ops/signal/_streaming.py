"""The shape SignalFramer and SignalStacker share: an int16 input gathered into a
circular buffer (TFLM's persistent state), an int16 output written when the buffer
holds enough samples and a bool scalar `valid` saying whether it did.

`passes.signal_operators` splits each into a step writing `valid` (inputs: the input
and the counters) and one writing the output and updating the state (inputs: the
input, the counters and the buffered samples, both variable tensors zeroed on reset).
"""

from __future__ import annotations

from tinymlc.ir import DType, Tensor
from tinymlc.ops._common import OpView, require, require_dtype

COUNTERS_INPUT = 1
"""int32 counters of the buffer (how many samples it holds), zero after reset."""
SAMPLES_INPUT = 2
"""The buffered int16 samples, oldest first."""


class StreamingStep:
    """Parameters of either step (the operators' dataclasses derive from this)."""

    computes_valid: bool
    """True for the step writing `valid`, False for the one writing the samples."""

    @property
    def state_inputs(self) -> tuple[int, ...]:
        """The state the samples step updates (adjacent in the state region, in this order)."""
        return () if self.computes_valid else (COUNTERS_INPUT, SAMPLES_INPUT)


def streaming_operands(view: OpView, name: str, computes_valid: bool, counters: int) -> tuple[Tensor, Tensor]:
    """Checks the split operator's operands; returns (input, output) where the output
    is `valid` for the valid step and the samples output otherwise."""
    expected_inputs = 2 if computes_valid else 3
    require(
        view.num_inputs == expected_inputs and len(view.op.outputs) == 1,
        "expects 1 input and 2 outputs (the samples and 'valid')",
        "re-export the model",
    )
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT16], "input")
    _require_state(view, COUNTERS_INPUT, DType.INT32, counters, f"{name} counters")
    if computes_valid:
        require_dtype(output, [DType.BOOL], "valid output")
        require(len(output.shape) == 0, "the 'valid' output must be a scalar", "", output)
    else:
        require_dtype(output, [DType.INT16], "output")
    return input_, output


def require_samples_state(view: OpView, name: str, samples: int) -> None:
    _require_state(view, SAMPLES_INPUT, DType.INT16, samples, f"{name} buffer")


def _require_state(view: OpView, position: int, dtype: DType, elements: int, what: str) -> None:
    """The variable tensor `passes.signal_operators` made, as this operator needs it."""
    state = view.input(position)
    well_formed = state.is_variable and state.dtype is dtype and state.num_elements == elements
    require(well_formed, f"malformed {what}", "", state)
