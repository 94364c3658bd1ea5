"""CIRCULAR_BUFFER (TFLM's custom operator, kernels/circular_buffer.cc): the streaming
keyword models' history of frames. Each inference shifts the output's `num_slots`
frames of `depth` values one frame towards the start and appends the input's frame,
and counts the inference: every `cycles_max`-th one completes the count. With one
output, an inference that does not complete it ends there (TFLM's kTfLiteAbort: the
interpreter runs no later operator and `Invoke` returns the status). With a second
output, a bool of one element ('valid'), no inference ends early: the operator writes
whether this one completed the count into it (measured with the tflite-micro wheel of
2026-10: cycles_max 3 gives false, false, true, false, false, true, ...).

TFLM keeps the frames in the output tensor and the count in its op data, both across
inferences. `passes.circular_buffer` makes the output a variable tensor (the state
region keeps it) and appends a variable int32 pair as input 1: the cycles left until
the count completes (TFLM's `cycles_until_run`), and whether this inference left it
incomplete: the one-output form's flag that it ended the inference (the generated
executor reads it, `abort_flag`), the two-output form's negated 'valid', which a
CIRCULAR_BUFFER_VALID layer after the buffer writes. It also resolves TFLM's default
for a non-positive `cycles_max` into the options and records there whether the buffer
ends inferences.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import NO_TENSOR, DType, Graph, Operator, OpKind, Tensor
from tinymlc.ops._common import OpView, require, require_dtype
from tinymlc.ops.signal._options import option_int32

CYCLES_MAX = 0
"""`cycles_max`: the options map's first value in key order (TFLM's
`ElementAsInt32(kCircularBufferCyclesMaxIndex)`, whatever its key)."""
ENDS_INFERENCE = 1
"""The lowered options' second value: nonzero for the one-output form."""
STATE_INPUT = 1
"""The variable int32 pair `passes.circular_buffer` appends: cycles left, ended flag."""
STATE_ELEMENTS = 2
ENDED_FLAG = 1
"""Index in the state pair of the flag that this inference left the count incomplete
(and, in the one-output form, ended there)."""
VALID_STATE_INPUT = 0
"""CIRCULAR_BUFFER_VALID's one input: its buffer's state pair, after the buffer's step."""


@dataclass(frozen=True)
class CircularBufferParams:
    num_slots: int
    """Frames the history holds (TFLM's output->dims->data[1])."""
    depth: int
    """Values per frame (output dims[2] * dims[3]); TFLM shifts only the first
    num_slots * depth values of the output and reads the input's first depth."""
    cycles_max: int
    """Inferences per completed one (TFLM's OpData::cycles_max after Prepare, >= 1)."""
    ends_inference: bool
    """The one-output form: an inference that leaves the count incomplete ends here."""

    @property
    def state_inputs(self) -> tuple[int, ...]:
        return (STATE_INPUT,)


@dataclass(frozen=True)
class CircularBufferValidParams:
    """The 'valid' step reads the flag its buffer's step set: nothing to configure."""


def _rank4_shape(tensor: Tensor) -> tuple[int, int, int, int]:
    # TFLM's Prepare and Eval read dims[0..3] of both tensors without checking the rank.
    require(len(tensor.shape) == 4, f"{tensor.name} must have rank 4 (TFLM reads 4 dimensions)", "", tensor)
    a, b, c, d = tensor.shape
    return a, b, c, d


def resolved_cycles_max(graph: Graph) -> dict[int, int]:
    """Operator index -> cycles_max of each CIRCULAR_BUFFER of `graph`, as TFLM's Prepare
    leaves it. A non-positive option takes TFLM's default, chosen for the two streaming
    models TFLM ships: 1 for an output of 5, 13 or 25 slots or for the fifth such
    operator prepared (counted since the last 1) with a 2 x 96 frame, else 2. TFLM
    counts those operators in a static variable shared by every interpreter of the
    process; this counts them as a process preparing this one model does."""
    resolved: dict[int, int] = {}
    defaults_prepared = 0
    for index, op in enumerate(graph.operators):
        if op.kind is not OpKind.CIRCULAR_BUFFER or not op.outputs:
            continue
        cycles_max = option_int32(OpView(graph, op), CYCLES_MAX)
        if cycles_max <= 0:
            defaults_prepared += 1
            shape = graph.tensors[op.outputs[0]].shape
            slots, frame = (shape[1], shape[2:]) if len(shape) == 4 else (0, ())
            if slots in (5, 13, 25) or (defaults_prepared == 5 and frame == (2, 96)):
                cycles_max, defaults_prepared = 1, 0
            else:
                cycles_max = 2
        resolved[index] = cycles_max
    return resolved


def has_tflm_outputs(op: Operator) -> bool:
    """The outputs TFLM's Prepare takes: the frames, and optionally 'valid'."""
    return len(op.outputs) in (1, 2) and NO_TENSOR not in op.outputs


def is_lowered(op: Operator) -> bool:
    return op.kind is OpKind.CIRCULAR_BUFFER and len(op.inputs) == STATE_INPUT + 1


def prepare(view: OpView) -> CircularBufferParams:
    require(
        has_tflm_outputs(view.op),
        f"has outputs {list(view.op.outputs)}; TFLM takes the frames and optionally 'valid'",
        "",
    )
    require(
        is_lowered(view.op),
        "expects 1 input, and keeps state across inferences, which only the main graph may "
        "(not a subgraph run by IF or WHILE)",
        "",
    )
    input_, output, state = view.input(0), view.output(), view.input(STATE_INPUT)
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(output, [DType.INT8], "output")
    batch, one, rows, columns = _rank4_shape(input_)
    out_batch, num_slots, out_rows, out_columns = _rank4_shape(output)
    require(
        (batch, one, rows, columns) == (out_batch, 1, out_rows, out_columns),
        f"input {list(input_.shape)} is not one frame [{out_batch}, 1, {out_rows}, {out_columns}] "
        f"of output {list(output.shape)}",
        "",
        input_,
    )
    # TFLM would memmove a negative size.
    require(num_slots >= 1, "the output must hold at least one frame (dims[1] >= 1)", "", output)
    _require_state(state)
    cycles_max = option_int32(view, CYCLES_MAX)
    require(cycles_max >= 1, f"cycles_max {cycles_max} was not resolved", "")
    return CircularBufferParams(
        num_slots=num_slots,
        depth=out_rows * out_columns,
        cycles_max=cycles_max,
        ends_inference=option_int32(view, ENDS_INFERENCE) != 0,
    )


def prepare_valid(view: OpView) -> CircularBufferValidParams:
    _require_state(view.input(VALID_STATE_INPUT))
    valid = view.output()
    require_dtype(valid, [DType.BOOL], "valid output")
    require(valid.num_elements == 1, "the 'valid' output must hold one element", "", valid)
    return CircularBufferValidParams()


def _require_state(state: Tensor) -> None:
    require(
        state.is_variable and state.dtype is DType.INT32 and state.num_elements == STATE_ELEMENTS,
        "malformed circular buffer state",
        "",
        state,
    )
