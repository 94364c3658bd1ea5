"""TFLite_Detection_PostProcess's four outputs as four single-output layers.

Each layer (boxes, classes, scores, number of detections) runs the whole kernel and
writes its own output. TFLM writes only the slots holding detections in fast mode
(and never those past `max_detections` in either mode): the rest keep what the last
invocation left, zero at first. The outputs are therefore variable tensors, held in
the state region, so they keep their values between invocations as TFLM's do.

Operators of another arity are left for their prepare to reject. Tensor ids are
unchanged.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import NO_TENSOR, Model, Operator, OpKind
from tinymlc.ops.detection_postprocess import OUTPUT_NAMES


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
    operators: list[Operator] = []
    for op in main.operators:
        if not _lowered(op):
            operators.append(op)
            continue
        for kind, output in zip(OUTPUT_NAMES, op.outputs, strict=True):
            tensors[output] = replace(tensors[output], is_variable=True)
            operators.append(replace(op, kind=kind, outputs=(output,)))
    graph = replace(main, tensors=tuple(tensors), operators=tuple(operators))
    return replace(model, subgraphs=(graph, *model.subgraphs[1:]))
