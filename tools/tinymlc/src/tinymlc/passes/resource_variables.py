"""Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE) as state.

TFLM keeps one buffer per resource variable (named by VAR_HANDLE's container and
shared name) that persists across inferences: ASSIGN_VARIABLE copies a tensor into it,
READ_VARIABLE copies it out, and CALL_ONCE runs an init subgraph (usually assigning
constants) on the first inference. This pass turns each variable into a variable tensor
of the main graph, which the planner places in the persistent state region:

* VAR_HANDLE and CALL_ONCE disappear; handles are resolved at compile time;
* READ_VARIABLE reads the variable tensor (its one input) into its output;
* ASSIGN_VARIABLE reads its value and writes the variable tensor (its output);
* the init subgraph's constant assignments become the variable's initial bytes
  (`Graph.state_initial`), which a fresh arena's first inference writes. An init
  subgraph computing anything else is rejected.

TFLM keeps one buffer per (container, shared name) for every subgraph: a variable read or
assigned in several graphs is carried between them through IF and WHILE
(`passes.carried_variables`); CALL_ONCE may run in any graph, its init subgraph's values
are the variable's wherever it is used.

A variable no init subgraph assigns starts as TFLM allocates it: every byte the low
byte of the zero point of the first tensor assigned to it (0 without quantization).
TFLM's Reset sets every variable so (MicroResourceVariables::ResetAll) and leaves
CALL_ONCE as having run, so the generated `reset` does too (`Graph.state_reset`): the
init subgraph's values come back only with a fresh arena.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinymlc.errors import CompileError
from tinymlc.ir import NO_TENSOR, CallOnceAttrs, DType, Graph, Model, Operator, OpKind, Tensor, VarHandleAttrs
from tinymlc.passes.carried_variables import Key, carried_keys, carry_variables, variable_tensor
from tinymlc.passes.control_flow import renumber_called_subgraphs
from tinymlc.passes.state import with_state

RESOURCE_KINDS = frozenset(
    {OpKind.VAR_HANDLE, OpKind.READ_VARIABLE, OpKind.ASSIGN_VARIABLE, OpKind.CALL_ONCE}
)


def _handles(graph: Graph) -> dict[int, Key]:
    """Resource tensor id -> variable key, for every VAR_HANDLE of `graph`."""
    return {
        op.outputs[0]: (op.attrs.container, op.attrs.shared_name)
        for op in graph.operators
        if op.kind is OpKind.VAR_HANDLE and isinstance(op.attrs, VarHandleAttrs) and op.outputs
    }


def _key(handles: dict[int, Key], op: Operator, source: str, where: str) -> Key:
    handle = op.inputs[0] if op.inputs else NO_TENSOR
    if handle not in handles:
        raise CompileError(f"{where}: {op.opcode_name} reads a resource no VAR_HANDLE defines", source)
    return handles[handle]


def _initial_values(model: Model, init_subgraph: int) -> dict[Key, Tensor]:
    """The constants the init subgraph assigns, by variable."""
    where = f"subgraph {init_subgraph} (CALL_ONCE's init subgraph)"
    if not 0 < init_subgraph < len(model.subgraphs):
        raise CompileError(f"CALL_ONCE names subgraph {init_subgraph}, which the model lacks", model.source)
    graph = model.subgraphs[init_subgraph]
    handles = _handles(graph)
    values: dict[Key, Tensor] = {}
    for index, op in enumerate(graph.operators):
        if op.kind is OpKind.VAR_HANDLE:
            continue
        value = (
            graph.tensors[op.inputs[1]] if op.kind is OpKind.ASSIGN_VARIABLE and len(op.inputs) == 2 else None
        )
        if value is None or not value.is_constant:
            raise CompileError(
                f"{where} operator {index} ({op.opcode_name}): only assignments of constants to "
                "variables are supported in an init subgraph",
                model.source,
            )
        values[_key(handles, op, model.source, where)] = value
    return values


def _state_bytes(value: Tensor) -> bytes:
    assert value.data is not None
    assert value.dtype.numpy_dtype is not None
    return np.ascontiguousarray(value.data, dtype=value.dtype.numpy_dtype).tobytes()


def lower_resource_variables(model: Model) -> Model:
    """`model` with every graph's resource variables as variable tensors of that graph (a
    variable used in several graphs carried between them, `passes.carried_variables`), and
    the init subgraphs CALL_ONCE runs folded into their initial values (and dropped)."""
    if not any(op.kind in RESOURCE_KINDS for graph in model.subgraphs for op in graph.operators):
        return model
    init_subgraphs = {
        op.attrs.init_subgraph_index
        for graph in model.subgraphs
        for op in graph.operators
        if op.kind is OpKind.CALL_ONCE and isinstance(op.attrs, CallOnceAttrs)
    }
    initial: dict[Key, Tensor] = {}
    for index in sorted(init_subgraphs):
        initial.update(_initial_values(model, index))
    run = [i for i in range(len(model.subgraphs)) if i not in init_subgraphs]
    uses = {i: _used_keys(model, i) for i in run}
    templates = _templates(model, run, initial)
    carried = carried_keys(model.subgraphs, uses)
    lowered = {i: _lower_graph(model, i, uses[i] | carried.get(i, set()), templates, initial) for i in run}
    graphs = carry_variables(
        {i: graph for i, (graph, _) in lowered.items()},
        {i: variables for i, (_, variables) in lowered.items()},
        carried,
        templates,
        model.source,
    )
    # The init subgraphs go; IF and WHILE name the others by their new numbers.
    numbers = {old: new for new, old in enumerate(run)}
    return replace(model, subgraphs=tuple(renumber_called_subgraphs(graphs[i], numbers) for i in run))


def _where(index: int) -> str:
    return "main graph" if index == 0 else f"subgraph {index}"


def _used_keys(model: Model, index: int) -> set[Key]:
    """The variables graph `index` reads or assigns."""
    graph = model.subgraphs[index]
    handles = _handles(graph)
    return {
        _key(handles, op, model.source, _where(index))
        for op in graph.operators
        if op.kind in (OpKind.READ_VARIABLE, OpKind.ASSIGN_VARIABLE)
    }


def _templates(model: Model, run: list[int], initial: dict[Key, Tensor]) -> dict[Key, Tensor]:
    """Each variable's type, shape and quantization: those of the first tensor assigned to
    it (TFLM allocates the buffer from it), else of its initial value, else of the first
    value read from it."""
    read = _first_values(model, run, OpKind.READ_VARIABLE)
    return {**read, **initial, **_first_values(model, run, OpKind.ASSIGN_VARIABLE)}


def _first_values(model: Model, run: list[int], kind: OpKind) -> dict[Key, Tensor]:
    """The first tensor each variable is assigned (ASSIGN_VARIABLE) or read into
    (READ_VARIABLE), in the order of the graphs in `run`."""
    values: dict[Key, Tensor] = {}
    for index in run:
        graph = model.subgraphs[index]
        handles = _handles(graph)
        for op in graph.operators:
            value = (
                (op.inputs[1:] if kind is OpKind.ASSIGN_VARIABLE else op.outputs) if op.kind is kind else ()
            )
            if value:
                values.setdefault(_key(handles, op, model.source, _where(index)), graph.tensors[value[0]])
    return values


def _lower_graph(
    model: Model, index: int, keys: set[Key], templates: dict[Key, Tensor], initial: dict[Key, Tensor]
) -> tuple[Graph, dict[Key, int]]:
    """Graph `index` with a variable tensor for each of `keys` (the variables it uses or
    carries), read and assigned by its READ_VARIABLE and ASSIGN_VARIABLE; those tensors."""
    graph = model.subgraphs[index]
    where = _where(index)
    handles = _handles(graph)
    tensors = list(graph.tensors)
    variables: dict[Key, int] = {}
    state_initial: dict[int, bytes] = dict(graph.state_initial)
    state_reset: dict[int, bytes | None] = dict(graph.state_reset)
    for key in sorted(keys):
        template = templates[key]
        variables[key] = len(tensors)
        tensors.append(variable_tensor(key, template))
        allocated = b""
        if template.dtype is not DType.INT8 and template.quantization is not None:
            # TFLM fills a variable with the low byte of its zero point whatever its type;
            # the generated reset fills only int8 state so (ResetVariableTensors' rule).
            fill = template.quantization.zero_point & 0xFF
            allocated = bytes([fill]) * tensors[-1].byte_size if fill else b""
        if key in initial:
            data = _state_bytes(initial[key])
            if len(data) != tensors[-1].byte_size:
                raise CompileError(
                    f"the init subgraph assigns {len(data)} bytes to variable {key[1]!r} of "
                    f"{tensors[-1].byte_size} bytes",
                    model.source,
                )
            state_initial[variables[key]] = data
            # TFLM's Reset fills every variable as allocated and runs no CALL_ONCE again.
            state_reset[variables[key]] = allocated
        elif allocated:
            state_initial[variables[key]] = allocated
    operators = []
    for op in graph.operators:
        if op.kind is OpKind.READ_VARIABLE:
            variable = variables[_key(handles, op, model.source, where)]
            operators.append(replace(op, inputs=(variable,)))
        elif op.kind is OpKind.ASSIGN_VARIABLE:
            variable = variables[_key(handles, op, model.source, where)]
            operators.append(replace(op, inputs=op.inputs[1:], outputs=(variable,)))
        elif op.kind not in (OpKind.VAR_HANDLE, OpKind.CALL_ONCE):
            operators.append(op)
    return with_state(graph, tensors, operators, state_initial, state_reset), variables
