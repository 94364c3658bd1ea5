"""TFLM signal operators with two outputs or hidden state, as single-output steps.

* SignalFftAutoScale writes a frame and its scale bits: it becomes a step computing the
  scale bits (SIGNAL_FFT_AUTO_SCALE_BITS) and one shifting the frame by them.
* SignalFilterBankSpectralSubtraction keeps its noise estimate in a persistent buffer
  (TFLM's AllocatePersistentBuffer, zeroed on reset) and copies it to its second output:
  the buffer becomes a variable tensor of the main graph (planned in the state region,
  reset to zero), updated in place by the operator, and the copy a READ_VARIABLE.
* SignalOverlapAdd keeps a frame-long accumulation buffer per row (zeros after reset):
  a variable tensor of them becomes its second input.
* SignalDelay keeps the last `delay_length` samples of each row (TFLM's circular
  buffers, zeros after reset): a variable tensor of them becomes its second input.
* SignalFramer and SignalStacker keep circular buffers and write a `valid` flag: each
  becomes a step writing the flag and one writing the samples, both reading int32
  counters and the second updating them and the buffered samples (variable tensors,
  `ops.signal._streaming`).

Operators of other shapes are left for their prepare to reject as TFLM does. New
tensors are appended, so the model's tensor ids keep their meaning.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import CustomOptionsAttrs, DType, Graph, Model, NoAttrs, Operator, OpKind, Tensor
from tinymlc.ops.signal import framer, stacker
from tinymlc.passes.state import hold_in_state

_TWO_OUTPUTS = frozenset({OpKind.SIGNAL_FFT_AUTO_SCALE, OpKind.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION})


def _delay_history(graph: Graph, op: Operator) -> int:
    """Samples of state a well-formed SignalDelay keeps (0: none, or malformed)."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or not isinstance(op.attrs, CustomOptionsAttrs):
        return 0
    delay = op.attrs.values[0] if op.attrs.values else 0
    input_ = graph.tensors[op.inputs[0]]
    if not isinstance(delay, int) or delay <= 0 or not input_.shape or input_.shape[-1] == 0:
        return 0
    return int(delay) * (input_.num_elements // input_.shape[-1])


def _overlap_buffers(graph: Graph, op: Operator) -> int:
    """Samples of state a well-formed SignalOverlapAdd keeps (0: malformed)."""
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        return 0
    input_ = graph.tensors[op.inputs[0]]
    if len(input_.shape) < 2 or input_.shape[-2] == 0:
        return 0
    return input_.num_elements // input_.shape[-2]


_STATE_SAMPLES = {OpKind.SIGNAL_DELAY: _delay_history, OpKind.SIGNAL_OVERLAP_ADD: _overlap_buffers}
"""Operators keeping samples of their input's type as state, and how many."""


def _option(op: Operator, index: int) -> int:
    """Option `index` in key order as an integer (0 when absent or not a number)."""
    values = op.attrs.values if isinstance(op.attrs, CustomOptionsAttrs) else ()
    value = values[index] if index < len(values) else 0
    return int(value) if isinstance(value, (int, float)) else 0


def _framer_buffers(graph: Graph, op: Operator) -> int:
    """Samples a well-formed SignalFramer buffers (0: malformed)."""
    input_ = graph.tensors[op.inputs[0]]
    size, step = _option(op, framer.FRAME_SIZE), _option(op, framer.FRAME_STEP)
    if not input_.shape or input_.shape[-1] == 0 or size <= 0 or step <= 0:
        return 0
    return input_.num_elements // input_.shape[-1] * framer.capacity(size, step)


def _stacker_buffer(_graph: Graph, op: Operator) -> int:
    """Values a well-formed SignalStacker buffers (0: malformed)."""
    left, right = _option(op, stacker.LEFT_CONTEXT), _option(op, stacker.RIGHT_CONTEXT)
    return max(_option(op, stacker.NUM_CHANNELS), 0) * max(left + right + 1, 0)


_STREAMING = {
    OpKind.SIGNAL_FRAMER: (OpKind.SIGNAL_FRAMER_VALID, framer.COUNTERS, _framer_buffers),
    OpKind.SIGNAL_STACKER: (OpKind.SIGNAL_STACKER_VALID, stacker.COUNTERS, _stacker_buffer),
}
"""Operators writing samples and a `valid` flag: the flag's kind, the number of
counters and the samples they buffer."""


def _lowered(graph: Graph, op: Operator) -> bool:
    if op.kind in _STATE_SAMPLES:
        return _STATE_SAMPLES[op.kind](graph, op) > 0
    if op.kind in _STREAMING:
        well_formed = len(op.inputs) == 1 and len(op.outputs) == 2
        return well_formed and _STREAMING[op.kind][2](graph, op) > 0
    return op.kind in _TWO_OUTPUTS and len(op.inputs) == 1 and len(op.outputs) == 2


def lower_signal_operators(model: Model) -> Model:
    main = model.main
    if not any(_lowered(main, op) for op in main.operators):
        return model
    tensors = list(main.tensors)
    state_reset = dict(main.state_reset)
    operators: list[Operator] = []
    for op in main.operators:
        if not _lowered(main, op):
            operators.append(op)
        elif op.kind in _STATE_SAMPLES:
            # The state: a variable tensor of the samples the operator keeps, its input 1.
            source = main.tensors[op.inputs[0]]
            samples = _STATE_SAMPLES[op.kind](main, op)
            tensors.append(Tensor(f"{source.name} (state)", (samples,), source.dtype, is_variable=True))
            operators.append(replace(op, inputs=(op.inputs[0], len(tensors) - 1)))
        elif op.kind in _STREAMING:
            valid_kind, counters, buffered = _STREAMING[op.kind]
            source = main.tensors[op.inputs[0]]
            tensors.append(Tensor(f"{source.name} (counters)", (counters,), DType.INT32, is_variable=True))
            tensors.append(
                Tensor(f"{source.name} (buffer)", (buffered(main, op),), DType.INT16, is_variable=True)
            )
            counters_id, buffer_id = len(tensors) - 2, len(tensors) - 1
            samples, valid = op.outputs
            # TFLM leaves the samples unwritten while not valid: as its arena does for a
            # tensor nothing else overwrites, they keep the last written values (zero at
            # first; its Reset leaves them), held in the state region.
            hold_in_state(tensors, state_reset, samples)
            operators.append(
                replace(op, kind=valid_kind, inputs=(op.inputs[0], counters_id), outputs=(valid,))
            )
            operators.append(replace(op, inputs=(op.inputs[0], counters_id, buffer_id), outputs=(samples,)))
        elif op.kind is OpKind.SIGNAL_FFT_AUTO_SCALE:
            frame, scale_bits = op.outputs
            operators.append(replace(op, kind=OpKind.SIGNAL_FFT_AUTO_SCALE_BITS, outputs=(scale_bits,)))
            operators.append(replace(op, inputs=(op.inputs[0], scale_bits), outputs=(frame,)))
        else:
            output, noise_estimate = op.outputs
            template = main.tensors[noise_estimate]
            state = len(tensors)
            tensors.append(
                Tensor(
                    name=f"{template.name} (noise estimate state)",
                    shape=template.shape,
                    dtype=template.dtype,
                    is_variable=True,
                )
            )
            operators.append(replace(op, inputs=(op.inputs[0], state), outputs=(output,)))
            operators.append(
                replace(
                    op, kind=OpKind.READ_VARIABLE, inputs=(state,), outputs=(noise_estimate,), attrs=NoAttrs()
                )
            )
    lowered = replace(main, tensors=tuple(tensors), operators=tuple(operators), state_reset=state_reset)
    return replace(model, subgraphs=(lowered, *model.subgraphs[1:]))
