"""TFLM signal operators with two outputs or hidden state, as single-output steps.

* SignalFftAutoScale writes a frame and its scale bits: it becomes a step computing the
  scale bits (SIGNAL_FFT_AUTO_SCALE_BITS) and one shifting the frame by them.
* SignalFilterBankSpectralSubtraction keeps its noise estimate in a persistent buffer
  (TFLM's AllocatePersistentBuffer, zeroed on reset) and copies it to its second output:
  the buffer becomes a variable tensor of the main graph (planned in the state region,
  reset to zero), updated in place by the operator, and the copy a READ_VARIABLE.

Operators of other shapes are left for their prepare to reject as TFLM does. New
tensors are appended, so the model's tensor ids keep their meaning.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import Model, NoAttrs, Operator, OpKind, Tensor

_LOWERED = frozenset({OpKind.SIGNAL_FFT_AUTO_SCALE, OpKind.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION})


def lower_signal_operators(model: Model) -> Model:
    main = model.main
    if not any(op.kind in _LOWERED and len(op.outputs) == 2 for op in main.operators):
        return model
    tensors = list(main.tensors)
    operators: list[Operator] = []
    for op in main.operators:
        if op.kind not in _LOWERED or len(op.inputs) != 1 or len(op.outputs) != 2:
            operators.append(op)
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
