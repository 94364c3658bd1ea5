"""Resource variables used in several graphs, carried through IF and WHILE.

TFLM keeps one buffer per resource variable, whichever subgraph reads or assigns it: a
WHILE body accumulating into a variable the main graph reads after the loop, an IF whose
branches both update it. Here each graph's variables are its own tensors
(`passes.resource_variables`), and a control-flow operator carries the shared ones: every
variable used in two graphs or more and reached through the operator's subgraphs
(directly or nested) becomes one more operand of the operator, of its subgraphs' inputs
and (but a WHILE cond's) outputs, and of its results, which an ASSIGN_VARIABLE after the
operator writes back into the calling graph's variable. IF and WHILE copy their operands
into the subgraph they run and its results back, so the subgraph starts from the caller's
value and the caller continues from the subgraph's, as with one buffer: nothing else runs
in between. The main graph holds every such variable (its state, reset by `reset`).
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, replace

from tinymlc.errors import CompileError
from tinymlc.ir import Graph, IfAttrs, Operator, OpKind, Tensor, WhileAttrs

Key = tuple[str, str]
"""A resource variable: VAR_HANDLE's (container, shared name)."""


def variable_tensor(key: Key, template: Tensor, is_variable: bool = True) -> Tensor:
    """The tensor holding variable `key` in a graph (`template`: the variable's type, shape
    and quantization); `is_variable` False for one a subgraph only passes through."""
    return Tensor(
        name=f"variable {key[1] or key[0]!r}",
        shape=template.shape,
        dtype=template.dtype,
        quantization=template.quantization,
        is_variable=is_variable,
    )


def _callees(graph: Graph, graphs: Container[int]) -> list[tuple[int, Operator]]:
    """(position, operator) of each IF and WHILE of `graph` whose subgraphs are among
    `graphs` (the others are refused by validation)."""
    return [
        (position, op)
        for position, op in enumerate(graph.operators)
        if isinstance(op.attrs, IfAttrs | WhileAttrs) and all(i > 0 and i in graphs for i in _subgraphs(op))
    ]


def _subgraphs(op: Operator) -> tuple[int, int]:
    attrs = op.attrs
    if isinstance(attrs, IfAttrs):
        return attrs.then_subgraph_index, attrs.else_subgraph_index
    assert isinstance(attrs, WhileAttrs)
    return attrs.cond_subgraph_index, attrs.body_subgraph_index


def carried_keys(subgraphs: Sequence[Graph], uses: Mapping[int, set[Key]]) -> dict[int, set[Key]]:
    """Per graph (by index, those of `uses`), the variables used in several graphs that it or
    the subgraphs it runs (nested) use: the ones it holds and passes on."""
    reached: dict[int, set[Key]] = {}

    def reach(index: int, active: frozenset[int]) -> set[Key]:
        if index in reached:
            return reached[index]
        keys = set(uses.get(index, set()))
        for _, op in _callees(subgraphs[index], uses):
            # A recursive call is refused by validation; it reaches nothing more here.
            keys |= set().union(*(reach(i, active | {index}) for i in _subgraphs(op) if i not in active))
        reached[index] = keys
        return keys

    users: dict[Key, int] = {}
    for keys in uses.values():
        for key in keys:
            users[key] = users.get(key, 0) + 1
    shared = {key for key, count in users.items() if count > 1}
    return {index: reach(index, frozenset()) & shared for index in uses}


@dataclass(frozen=True)
class _Signature:
    """The variables a subgraph takes as extra inputs and gives back as extra outputs."""

    keys: tuple[Key, ...]
    outputs: bool


def carry_variables(
    graphs: Mapping[int, Graph],
    variables: Mapping[int, Mapping[Key, int]],
    carried: Mapping[int, set[Key]],
    templates: Mapping[Key, Tensor],
    source: str,
) -> dict[int, Graph]:
    """`graphs` (by index) with every IF and WHILE carrying the shared variables its
    subgraphs reach (`carried`, from `carried_keys`), each graph's variable tensors being
    `variables` (by graph, by key; `templates`: each variable's type and shape)."""
    signatures: dict[int, _Signature] = {}
    rewritten = {}
    for index, graph in graphs.items():
        rewritten[index] = graph
        for position, op in reversed(_callees(graph, graphs)):
            subgraphs = _subgraphs(op)
            keys = tuple(sorted(set().union(*(carried.get(i, set()) for i in subgraphs))))
            if not keys:
                continue
            for role, subgraph in enumerate(subgraphs):
                # A WHILE's cond gives back only its condition.
                signature = _Signature(keys, outputs=op.kind is OpKind.IF or role == 1)
                known = signatures.setdefault(subgraph, signature)
                if known.keys != keys:
                    raise CompileError(
                        f"subgraph {subgraph} is run by control-flow operators that carry "
                        "different resource variables through it; not supported",
                        source,
                    )
                signatures[subgraph] = replace(known, outputs=known.outputs or signature.outputs)
            rewritten[index] = _carry_through(rewritten[index], position, keys, variables[index])
    for index, signature in signatures.items():
        rewritten[index] = _take_and_give_back(
            rewritten[index], signature, variables.get(index, {}), templates
        )
    return rewritten


def _carry_through(graph: Graph, position: int, keys: tuple[Key, ...], variables: Mapping[Key, int]) -> Graph:
    """`graph` with its operator at `position` taking `keys`' variables as extra operands and
    giving back new values, which ASSIGN_VARIABLE layers right after write back."""
    op = graph.operators[position]
    tensors = list(graph.tensors)
    results = []
    for key in keys:
        variable = tensors[variables[key]]
        tensors.append(replace(variable, name=f"{variable.name} after {op.opcode_name}", is_variable=False))
        results.append(len(tensors) - 1)
    operands = tuple(variables[key] for key in keys)
    write_backs = [
        Operator(OpKind.ASSIGN_VARIABLE, "ASSIGN_VARIABLE", (result,), (variable,))
        for result, variable in zip(results, operands, strict=True)
    ]
    operators = list(graph.operators)
    operators[position : position + 1] = [
        replace(op, inputs=(*op.inputs, *operands), outputs=(*op.outputs, *results)),
        *write_backs,
    ]
    return replace(graph, tensors=tuple(tensors), operators=tuple(operators))


def _take_and_give_back(
    graph: Graph, signature: _Signature, variables: Mapping[Key, int], templates: Mapping[Key, Tensor]
) -> Graph:
    """Subgraph `graph` taking `signature`'s variables as extra inputs (its variable tensors;
    a new tensor passed straight through where it uses none) and giving them back."""
    tensors = list(graph.tensors)
    carried = []
    for key in signature.keys:
        if key not in variables:
            tensors.append(variable_tensor(key, templates[key], is_variable=False))
        carried.append(variables.get(key, len(tensors) - 1))
    outputs = (*graph.outputs, *carried) if signature.outputs else graph.outputs
    return replace(graph, tensors=tuple(tensors), inputs=(*graph.inputs, *carried), outputs=outputs)
