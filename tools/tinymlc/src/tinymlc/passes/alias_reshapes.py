"""Turn RESHAPE / SQUEEZE into storage aliases.

A reshape of a contiguous int8 tensor moves no bytes, so the operator is
dropped and its output recorded in `Graph.aliases` as sharing the input's
storage; the memory planner then gives both one buffer whose lifetime covers
both tensors.

Not aliased:
  * constant inputs (constant folding materialises those instead);
  * variable tensors (state): a reshape of state copies it as TFLM does;
  * a graph input reshaped straight into a graph output: the caller's input
    and output buffers would become one, which an API handing out both at
    once could not express -- the copy is kept.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import Graph, OpKind
from tinymlc.passes._rewrite import without_operators

RESHAPE_KINDS = frozenset({OpKind.RESHAPE, OpKind.SQUEEZE, OpKind.EXPAND_DIMS})


def alias_reshapes(graph: Graph) -> Graph:
    aliases = dict(graph.aliases)
    removed: set[int] = set()
    for index, op in enumerate(graph.operators):
        if op.kind not in RESHAPE_KINDS or not op.inputs or len(op.outputs) != 1:
            continue
        source, target = op.inputs[0], op.outputs[0]
        source_tensor, target_tensor = graph.tensors[source], graph.tensors[target]
        if (
            source_tensor.is_constant
            or source_tensor.is_variable
            or target_tensor.is_variable
            or source_tensor.dtype != target_tensor.dtype
            or source_tensor.quantization != target_tensor.quantization
            or source_tensor.num_elements != target_tensor.num_elements
            or (source in graph.inputs and target in graph.outputs)
        ):
            continue
        aliases[target] = source
        removed.add(index)
    return without_operators(graph, removed, aliases=aliases) if removed else replace(graph)
