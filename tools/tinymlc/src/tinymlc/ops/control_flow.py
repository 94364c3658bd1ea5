"""IF and WHILE: control flow over subgraphs, as TFLM's if.cc and while.cc.

IF copies its inputs after the condition (a one-element bool) into the inputs of the
then or else subgraph, runs it and copies its outputs to the operator's. WHILE copies
its inputs to its outputs; then, while the cond subgraph given the outputs yields true
(the first byte of its output 0, as TFLM reads it), runs the body subgraph on them and
copies the body's outputs back. TFLM copies raw bytes after checking byte sizes; here
the tensors must agree in type too (converters never emit otherwise).

Each called subgraph runs on an arena of its own: the control-flow layer's scratch
(`ControlFlowParams.arena_bytes`, the largest plan of its subgraphs), live only while
the layer runs. A subgraph that keeps state (variable tensors, its own or those of the
subgraphs it runs) needs its arena to persist, as TFLM allocates every subgraph's variable
tensors persistently: the layer then runs its subgraphs in a block of the caller's state
region instead, one arena per subgraph (`state_input`, `subgraph_arenas`;
`passes.control_flow.keep_called_state`). A multi-output layer writes its outputs
packed into one tensor, each at an aligned offset (`output_offsets`), which SUBGRAPH_OUTPUT layers copy out
(`passes.control_flow`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tinymlc.errors import OpError
from tinymlc.ir import DType, Graph, IfAttrs, Operator, OpKind, SubgraphOutputAttrs, Tensor, WhileAttrs
from tinymlc.ops._common import OpView, require


@dataclass(frozen=True)
class ControlFlowParams:
    kind: OpKind
    """IF or WHILE."""
    subgraphs: tuple[int, int]
    """IF: (then, else); WHILE: (cond, body) (TFLM's OpData subgraph indices)."""
    output_bytes: tuple[int, ...] = ()
    """Bytes of each output."""
    output_offsets: tuple[int, ...] = ()
    """Byte offset of each output in the layer's output (0 alone: one output, unpacked)."""
    arena_bytes: int = 0
    """Bytes of the region the called subgraphs run in (the layer's scratch; 0 when they
    run in `state_input`'s block)."""
    subgraph_arenas: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))
    """(offset, bytes) of each of `subgraphs`' arenas in the region the layer is lent."""
    state_input: int | None = None
    """Position of the input holding the persistent block the subgraphs run in, when one
    of them keeps state (a variable tensor the layer is lent as its state); else None."""

    ends_inference: tuple[bool, bool] = (False, False)
    """Whether each of `subgraphs` can end the inference early (a CIRCULAR_BUFFER in it, or
    nested): the layer then keeps a flag at the start of its block (`ENDED_FLAG_BYTES`),
    set when a subgraph ended this inference, and ends it too, as TFLM's IF and WHILE pass
    the subgraph's kTfLiteAbort on."""

    @property
    def state_inputs(self) -> tuple[int, ...]:
        return () if self.state_input is None else (self.state_input,)


ENDED_FLAG_BYTES = 16
"""Bytes at the start of the block of a layer whose subgraphs can end the inference: its
int32 ended flag, aligned."""


@dataclass(frozen=True)
class SubgraphOutputParams:
    offset: int
    """Byte offset of this output in the packed tensor."""
    elements: int


def called_subgraphs(op: Operator) -> tuple[int, int]:
    """The subgraphs an IF (then, else) or WHILE (cond, body) operator runs."""
    if isinstance(op.attrs, IfAttrs):
        return op.attrs.then_subgraph_index, op.attrs.else_subgraph_index
    if isinstance(op.attrs, WhileAttrs):
        return op.attrs.cond_subgraph_index, op.attrs.body_subgraph_index
    raise OpError(f"{op.opcode_name} has no subgraph options", "re-export the model")


def prepare(view: OpView) -> ControlFlowParams:
    """The checks of TFLM's IfPrepare that need only this graph (the others: `check_call`,
    on the graph before `passes.control_flow` packs multiple outputs)."""
    op = view.op
    require(bool(op.outputs), "has no outputs", "re-export the model")
    if op.kind is OpKind.IF:
        require(view.num_inputs > 0, "has no condition input", "re-export the model")
        condition = view.input(0)
        require(condition.dtype is DType.BOOL, "condition is not bool", "", condition)
        require(condition.num_elements == 1, "condition has more than one element", "", condition)
    return ControlFlowParams(op.kind, called_subgraphs(op))


def prepare_output(view: OpView) -> SubgraphOutputParams:
    attrs = view.op.attrs
    assert isinstance(attrs, SubgraphOutputAttrs)
    return SubgraphOutputParams(attrs.offset, view.output().num_elements)


def _same_storage(role: str, ours: Tensor, theirs: Tensor) -> None:
    """TFLM's ValidateAndGetTensorSizes before each copy: equal byte sizes (and here types)."""
    require(
        ours.dtype is theirs.dtype and ours.byte_size == theirs.byte_size,
        f"{role} {theirs.name!r} is {theirs.dtype.name} {list(theirs.shape)}, "
        f"but the operator's is {ours.dtype.name} {list(ours.shape)}",
        "re-export the model",
        ours,
    )


def _same_count(role: str, expected: int, actual: int) -> None:
    require(expected == actual, f"{role} has {actual}, the operator {expected}", "re-export the model")


def _tensors(graph: Graph, ids: Sequence[int]) -> list[Tensor]:
    return [graph.tensors[t] for t in ids]


def _check_inputs(callee: Graph, index: int, sources: Sequence[Tensor]) -> None:
    _same_count(f"subgraph {index}'s inputs", len(sources), len(callee.inputs))
    for source, target in zip(sources, _tensors(callee, callee.inputs), strict=True):
        require(not target.is_constant, f"subgraph {index}'s input {target.name!r} is a constant")
        _same_storage(f"subgraph {index}'s input", source, target)


def _check_outputs(callee: Graph, index: int, targets: Sequence[Tensor]) -> None:
    _same_count(f"subgraph {index}'s outputs", len(targets), len(callee.outputs))
    for target, source in zip(targets, _tensors(callee, callee.outputs), strict=True):
        _same_storage(f"subgraph {index}'s output", target, source)


def check_call(subgraphs: Sequence[Graph], graph: Graph, op: Operator) -> None:
    """What TFLM's Prepare and its copies between the operator and its subgraphs
    require of the called subgraphs (`subgraphs`: the model's)."""
    first, second = called_subgraphs(op)
    inputs, outputs = _tensors(graph, op.inputs), _tensors(graph, op.outputs)
    if op.kind is OpKind.IF:
        for branch in (first, second):
            _check_inputs(subgraphs[branch], branch, inputs[1:])
            _check_outputs(subgraphs[branch], branch, outputs)
        return
    cond, body = subgraphs[first], subgraphs[second]
    require(len(inputs) == len(outputs), f"has {len(inputs)} inputs but {len(outputs)} outputs")
    for source, target in zip(inputs, outputs, strict=True):
        _same_storage("output", source, target)
    _check_inputs(cond, first, outputs)
    _check_inputs(body, second, outputs)
    _check_outputs(body, second, outputs)
    condition = _tensors(cond, cond.outputs)
    require(
        bool(condition) and condition[0].byte_size > 0,
        f"cond subgraph {first} has no output to read the condition from",
        "re-export the model",
    )
