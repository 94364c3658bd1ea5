"""TFLite_Detection_PostProcess's four outputs as single-output layers.

The operator becomes a DETECTION_POSTPROCESS_SELECT layer, which decodes the boxes and
runs the suppression into a new int32 tensor of the detections (count, then anchor,
class and score bits of each), and one layer per output writing it from them (inputs:
that selection, then the operator's own three). TFLM writes only the slots holding
detections in fast mode (and never those past `max_detections` in either mode): the
rest keep what the last invocation left, zero at first. The outputs are therefore
variable tensors, held in the state region, so they keep their values between
invocations as TFLM's do.

Operators of another arity are left for their prepare to reject. New tensors are
appended, so the model's tensor ids keep their meaning.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import NO_TENSOR, DType, Model, Operator, OpKind, Tensor
from tinymlc.ops.detection_postprocess import OUTPUT_NAMES, selection_length
from tinymlc.passes.state import hold_in_state


def _lowered(op: Operator) -> bool:
    return (
        op.kind is OpKind.DETECTION_POSTPROCESS
        and len(op.inputs) == 3
        and len(op.outputs) == len(OUTPUT_NAMES)
        and NO_TENSOR not in op.outputs
    )


def lower_detection_postprocess(model: Model) -> Model:
    main = model.main
    if not any(_lowered(op) for op in main.operators):
        return model
    tensors = list(main.tensors)
    state_reset = dict(main.state_reset)
    operators: list[Operator] = []
    for op in main.operators:
        if not _lowered(op):
            operators.append(op)
            continue
        boxes = tensors[op.inputs[0]]
        length = selection_length(boxes, op.attrs)
        tensors.append(Tensor(f"{boxes.name} (detections)", (length,), DType.INT32))
        selection = len(tensors) - 1
        operators.append(replace(op, kind=OpKind.DETECTION_POSTPROCESS_SELECT, outputs=(selection,)))
        for kind, output in zip(OUTPUT_NAMES, op.outputs, strict=True):
            hold_in_state(tensors, state_reset, output)
            operators.append(replace(op, kind=kind, inputs=(selection, *op.inputs), outputs=(output,)))
    graph = replace(main, tensors=tuple(tensors), operators=tuple(operators), state_reset=state_reset)
    return replace(model, subgraphs=(graph, *model.subgraphs[1:]))
