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

Operators of other shapes are left for their prepare to reject as TFLM does. New
tensors are appended, so the model's tensor ids keep their meaning.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import CustomOptionsAttrs, Graph, Model, NoAttrs, Operator, OpKind, Tensor

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


def _lowered(graph: Graph, op: Operator) -> bool:
    if op.kind in _STATE_SAMPLES:
        return _STATE_SAMPLES[op.kind](graph, op) > 0
    return op.kind in _TWO_OUTPUTS and len(op.inputs) == 1 and len(op.outputs) == 2


def lower_signal_operators(model: Model) -> Model:
    main = model.main
    if not any(_lowered(main, op) for op in main.operators):
        return model
    tensors = list(main.tensors)
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
    lowered = replace(main, tensors=tuple(tensors), operators=tuple(operators))
    return replace(model, subgraphs=(lowered, *model.subgraphs[1:]))
