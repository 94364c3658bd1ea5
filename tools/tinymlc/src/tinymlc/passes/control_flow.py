"""Control flow (IF, WHILE) over subgraphs: which subgraphs run, and one output per layer.

* `called_in_order`: every subgraph the main graph reaches through IF and WHILE, callees
  before callers, so each is compiled (and planned) before the layers that run it;
  recursion, which TFLM would follow until its stack overflows, is refused.
* `pack_control_flow_outputs`: a layer writes one output region. An IF or WHILE with
  several outputs writes them packed into one byte tensor, each at an aligned offset;
  a SUBGRAPH_OUTPUT layer per used output copies it out (WHILE needs its outputs together
  anyway: they are its loop variables).
* `bind_control_flow`: each control-flow layer's parameters learn their subgraphs'
  planned arena size and the packed offsets.
* `keep_called_state`: a layer running a subgraph that keeps state (variable tensors, its
  own or nested ones) runs its subgraphs in a persistent block instead of its scratch: a
  new variable tensor (one arena per subgraph, each laid out as that subgraph's plan, its
  state at its start) that the graph's state planning places with the graph's own state,
  so that state survives between calls, each WHILE iteration and each inference, as in
  TFLM (whose allocator allocates every subgraph's variable tensors persistently), and the
  generated `reset` resets it. TFLM keeps one copy of a subgraph's variables whichever
  operator runs it: a stateful subgraph run by two control-flow operators is refused
  (`check_state_owners`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import accumulate

import numpy as np

from tinymlc.errors import CompileError
from tinymlc.ir import (
    DType,
    Graph,
    IfAttrs,
    Model,
    Operator,
    OpKind,
    SubgraphOutputAttrs,
    Tensor,
    WhileAttrs,
)
from tinymlc.ops import PreparedParams
from tinymlc.ops.control_flow import ENDED_FLAG_BYTES, ControlFlowParams, called_subgraphs
from tinymlc.passes.memory_planner import align

CONTROL_FLOW_KINDS = frozenset({OpKind.IF, OpKind.WHILE})


def _callees(graph: Graph) -> list[int]:
    return [i for op in graph.operators if op.kind in CONTROL_FLOW_KINDS for i in called_subgraphs(op)]


def called_in_order(model: Model, graph: Graph) -> list[int]:
    """The subgraphs `graph` runs, directly or nested, each after the ones it runs."""
    order: list[int] = []
    active: list[int] = []

    def visit(index: int) -> None:
        if not 0 < index < len(model.subgraphs):
            raise CompileError(
                f"a control-flow operator runs subgraph {index}; the model has "
                f"{len(model.subgraphs)} and the first is the main graph",
                model.source,
            )
        if index in active:
            cycle = " -> ".join(str(i) for i in (*active[active.index(index) :], index))
            raise CompileError(f"subgraphs run each other recursively ({cycle})", model.source)
        if index in order:
            return
        active.append(index)
        for callee in _callees(model.subgraphs[index]):
            visit(callee)
        active.pop()
        order.append(index)

    for callee in _callees(graph):
        visit(callee)
    return order


def renumber_called_subgraphs(graph: Graph, numbers: Mapping[int, int]) -> Graph:
    """`graph` with its IF and WHILE naming subgraphs by `numbers` (old index -> new), for
    passes that drop subgraphs (a dropped one becomes -1: refused if still run)."""

    def renumbered(op: Operator) -> Operator:
        attrs = op.attrs
        if isinstance(attrs, IfAttrs):
            return replace(
                op,
                attrs=IfAttrs(
                    numbers.get(attrs.then_subgraph_index, -1), numbers.get(attrs.else_subgraph_index, -1)
                ),
            )
        if isinstance(attrs, WhileAttrs):
            return replace(
                op,
                attrs=WhileAttrs(
                    numbers.get(attrs.cond_subgraph_index, -1), numbers.get(attrs.body_subgraph_index, -1)
                ),
            )
        return op

    return replace(graph, operators=tuple(renumbered(op) for op in graph.operators))


def packed_offsets(byte_sizes: Sequence[int]) -> tuple[int, ...]:
    """Offset of each output in a packed tensor: one after another, each aligned."""
    return (0, *accumulate(align(size) for size in byte_sizes[:-1]))


def pack_control_flow_outputs(graph: Graph) -> Graph:
    tensors = list(graph.tensors)
    operators: list[Operator] = []
    read = set(graph.outputs) | {t for op in graph.operators for t in op.inputs}
    for op in graph.operators:
        if op.kind not in CONTROL_FLOW_KINDS or len(op.outputs) < 2:
            operators.append(op)
            continue
        outputs = [graph.tensors[t] for t in op.outputs]
        offsets = packed_offsets([t.byte_size for t in outputs])
        size = offsets[-1] + outputs[-1].byte_size
        tensors.append(Tensor(f"{outputs[0].name}/packed", (size,), DType.UINT8))
        packed = len(tensors) - 1
        operators.append(replace(op, outputs=(packed,)))
        operators += [
            Operator(
                OpKind.SUBGRAPH_OUTPUT, op.opcode_name, (packed,), (output,), SubgraphOutputAttrs(offset)
            )
            for output, offset in zip(op.outputs, offsets, strict=True)
            if output in read
        ]
    return replace(graph, tensors=tuple(tensors), operators=tuple(operators))


def bind_control_flow(
    params: Sequence[PreparedParams], subgraphs: Sequence[Graph], arena_bytes: Mapping[int, int]
) -> tuple[PreparedParams, ...]:
    """`params` with each control-flow layer's packed output offsets and the arena its
    subgraphs (planned, `arena_bytes` by subgraph) run in."""

    def bound(layer: PreparedParams) -> PreparedParams:
        if not isinstance(layer, ControlFlowParams):
            return layer
        results = subgraphs[layer.subgraphs[0 if layer.kind is OpKind.IF else 1]]
        sizes = tuple(results.tensors[t].byte_size for t in results.outputs)
        first, second = (arena_bytes[i] for i in layer.subgraphs)
        return replace(
            layer,
            output_bytes=sizes,
            output_offsets=packed_offsets(sizes),
            arena_bytes=max(first, second),
            subgraph_arenas=((0, first), (0, second)),
        )

    return tuple(bound(layer) for layer in params)


def keep_called_state(
    graph: Graph,
    params: Sequence[PreparedParams],
    state_bytes: Mapping[int, int],
    arena_bytes: Mapping[int, int],
    ends_inference: Mapping[int, bool],
) -> tuple[Graph, tuple[PreparedParams, ...]]:
    """`graph` and `params` with each control-flow layer that runs a subgraph keeping state
    (`state_bytes` by subgraph, nonzero) given a persistent block for its subgraphs' arenas
    (`arena_bytes` by subgraph), a variable tensor appended to its inputs; the block starts
    with the layer's ended flag when a subgraph can end the inference (`ends_inference`)."""
    tensors = list(graph.tensors)
    operators = list(graph.operators)
    bound = list(params)
    for index, (op, layer) in enumerate(zip(graph.operators, params, strict=True)):
        if not isinstance(layer, ControlFlowParams) or not any(state_bytes[i] for i in layer.subgraphs):
            continue
        # One arena per distinct subgraph (IF's branches or WHILE's cond and body may be one).
        distinct = list(dict.fromkeys(layer.subgraphs))
        ends = (ends_inference[layer.subgraphs[0]], ends_inference[layer.subgraphs[1]])
        flag = ENDED_FLAG_BYTES if any(ends) else 0
        packed = packed_offsets([arena_bytes[i] for i in distinct])
        offsets = {subgraph: flag + offset for subgraph, offset in zip(distinct, packed, strict=True)}
        size = offsets[distinct[-1]] + arena_bytes[distinct[-1]]
        tensors.append(
            Tensor(
                f"{graph.tensors[op.outputs[0]].name}/subgraph state", (size,), DType.UINT8, is_variable=True
            )
        )
        operators[index] = replace(op, inputs=(*op.inputs, len(tensors) - 1))
        first, second = ((offsets[i], arena_bytes[i]) for i in layer.subgraphs)
        bound[index] = replace(
            layer,
            arena_bytes=0,
            subgraph_arenas=(first, second),
            state_input=len(op.inputs),
            ends_inference=ends,
        )
    return replace(graph, tensors=tuple(tensors), operators=tuple(operators)), tuple(bound)


def check_state_owners(graphs: Sequence[Graph], stateful: set[int], source: str) -> None:
    """Refuses a subgraph keeping state that two control-flow operators run (TFLM shares its
    variables between them; here each operator keeps its subgraphs' state in its own block)."""
    callers: dict[int, int] = {}
    for graph in graphs:
        for op in graph.operators:
            if op.kind in CONTROL_FLOW_KINDS:
                for index in set(called_subgraphs(op)) & stateful:
                    callers[index] = callers.get(index, 0) + 1
    shared = sorted(index for index, count in callers.items() if count > 1)
    if shared:
        raise CompileError(
            f"subgraph {shared[0]} keeps state (variable tensors) and is run by "
            f"{callers[shared[0]]} control-flow operators, which would share that state; "
            "not supported (give each operator its own copy of the subgraph)",
            source,
        )


def constant_condition(tensor: Tensor) -> bool:
    """A constant condition's value as TFLM reads it: its first byte."""
    assert tensor.data is not None
    return bool(np.ascontiguousarray(tensor.data).view(np.uint8).reshape(-1)[0])
