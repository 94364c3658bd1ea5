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
from tinymlc.passes.control_flow import renumber_called_subgraphs
from tinymlc.passes.state import with_state

RESOURCE_KINDS = frozenset(
    {OpKind.VAR_HANDLE, OpKind.READ_VARIABLE, OpKind.ASSIGN_VARIABLE, OpKind.CALL_ONCE}
)

_Key = tuple[str, str]


def _handles(graph: Graph) -> dict[int, _Key]:
    """Resource tensor id -> variable key, for every VAR_HANDLE of `graph`."""
    return {
        op.outputs[0]: (op.attrs.container, op.attrs.shared_name)
        for op in graph.operators
        if op.kind is OpKind.VAR_HANDLE and isinstance(op.attrs, VarHandleAttrs) and op.outputs
    }


def _key(handles: dict[int, _Key], op: Operator, source: str, where: str) -> _Key:
    handle = op.inputs[0] if op.inputs else NO_TENSOR
    if handle not in handles:
        raise CompileError(f"{where}: {op.opcode_name} reads a resource no VAR_HANDLE defines", source)
    return handles[handle]


def _initial_values(model: Model, init_subgraph: int) -> dict[_Key, Tensor]:
    """The constants the init subgraph assigns, by variable."""
    where = f"subgraph {init_subgraph} (CALL_ONCE's init subgraph)"
    if not 0 < init_subgraph < len(model.subgraphs):
        raise CompileError(f"CALL_ONCE names subgraph {init_subgraph}, which the model lacks", model.source)
    graph = model.subgraphs[init_subgraph]
    handles = _handles(graph)
    values: dict[_Key, Tensor] = {}
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
    """`model` with its main graph's resource variables as variable tensors, and the init
    subgraphs CALL_ONCE runs folded into their initial values (and dropped)."""
    main = model.main
    if not any(op.kind in RESOURCE_KINDS for op in main.operators):
        return model
    handles = _handles(main)
    initial: dict[_Key, Tensor] = {}
    init_subgraphs = set()
    for op in main.operators:
        if op.kind is OpKind.CALL_ONCE and isinstance(op.attrs, CallOnceAttrs):
            init_subgraphs.add(op.attrs.init_subgraph_index)
            initial.update(_initial_values(model, op.attrs.init_subgraph_index))
    # Each variable's tensor takes the type, shape and quantization of the first tensor
    # assigned to it (TFLM allocates the buffer from it), else of the value read.
    templates: dict[_Key, Tensor] = {}
    for op in main.operators:
        if op.kind is OpKind.ASSIGN_VARIABLE and len(op.inputs) == 2:
            templates.setdefault(_key(handles, op, model.source, "main graph"), main.tensors[op.inputs[1]])
    for key, value in initial.items():
        templates.setdefault(key, value)
    for op in main.operators:
        if op.kind is OpKind.READ_VARIABLE and op.outputs:
            templates.setdefault(_key(handles, op, model.source, "main graph"), main.tensors[op.outputs[0]])
    tensors = list(main.tensors)
    variables: dict[_Key, int] = {}
    state_initial: dict[int, bytes] = dict(main.state_initial)
    state_reset: dict[int, bytes | None] = dict(main.state_reset)
    for key, template in templates.items():
        variables[key] = len(tensors)
        tensors.append(
            Tensor(
                name=f"variable {key[1] or key[0]!r}",
                shape=template.shape,
                dtype=template.dtype,
                quantization=template.quantization,
                is_variable=True,
            )
        )
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
    for op in main.operators:
        if op.kind is OpKind.READ_VARIABLE:
            variable = variables[_key(handles, op, model.source, "main graph")]
            operators.append(replace(op, inputs=(variable,)))
        elif op.kind is OpKind.ASSIGN_VARIABLE:
            variable = variables[_key(handles, op, model.source, "main graph")]
            operators.append(replace(op, inputs=op.inputs[1:], outputs=(variable,)))
        elif op.kind not in (OpKind.VAR_HANDLE, OpKind.CALL_ONCE):
            operators.append(op)
    lowered = with_state(main, tensors, operators, state_initial, state_reset)
    # The init subgraphs go; IF and WHILE name the others by their new numbers.
    kept = [0, *(i for i in range(1, len(model.subgraphs)) if i not in init_subgraphs)]
    numbers = {old: new for new, old in enumerate(kept)}
    graphs = (lowered, *(model.subgraphs[i] for i in kept[1:]))
    return replace(model, subgraphs=tuple(renumber_called_subgraphs(g, numbers) for g in graphs))
