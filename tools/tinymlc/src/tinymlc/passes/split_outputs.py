"""Rewrite every multi-output operator (SPLIT, SPLIT_V, UNPACK) into one
STRIDED_SLICE per output, each with constant begin/end/strides tensors appended
to the graph: the planner, partitioner and codegen keep one output per layer.
Tensor ids of the parsed model are unchanged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinymlc.ir import DType, Graph, Operator, OpKind, StridedSliceAttrs, Tensor
from tinymlc.ops import prepare_operator
from tinymlc.ops.split import SplitParams

MULTI_OUTPUT_KINDS = frozenset({OpKind.SPLIT, OpKind.SPLIT_V, OpKind.UNPACK})


def split_outputs(graph: Graph) -> Graph:
    tensors = list(graph.tensors)
    operators: list[Operator] = []

    def constant(name: str, values: tuple[int, ...]) -> int:
        tensors.append(Tensor(name, (len(values),), DType.INT32, data=np.array(values, dtype=np.int32)))
        return len(tensors) - 1

    for index, op in enumerate(graph.operators):
        if op.kind not in MULTI_OUTPUT_KINDS:
            operators.append(op)
            continue
        params = prepare_operator(graph, index)
        assert isinstance(params, SplitParams)
        source = op.inputs[1] if op.kind is OpKind.SPLIT else op.inputs[0]
        for output, part in zip(op.outputs, params.slices, strict=True):
            name = tensors[output].name
            begin = constant(f"{name}/begin", part.begin)
            end = constant(f"{name}/end", part.end)
            strides = constant(f"{name}/strides", (1,) * len(part.begin))
            operators.append(
                Operator(
                    kind=OpKind.STRIDED_SLICE,
                    opcode_name=op.opcode_name,
                    inputs=(source, begin, end, strides),
                    outputs=(output,),
                    attrs=StridedSliceAttrs(0, 0, 0, 0, part.shrink_axis_mask, False),
                )
            )
    return replace(graph, tensors=tuple(tensors), operators=tuple(operators))
