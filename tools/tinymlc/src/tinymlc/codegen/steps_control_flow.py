"""Steps of IF and WHILE, and the Rust module of each subgraph they run.

A subgraph becomes `mod subgraph_<index>`: its layers (emitted as the main graph's
are), planned in an arena of its own, `run` executing them in order on the calling
core, `input_<i>` / `output_<i>` views of its inputs and outputs (an output may be a
constant) and `condition`, the first byte of output 0 as TFLM's WHILE reads it.

The control-flow step runs whole on one core: it lends the subgraphs the layer's
scratch as their arena (or, when one keeps state, the layer's persistent block, which
holds each subgraph's arena, state first: `ops.control_flow`), copies its inputs into the
subgraph's, runs it and copies the outputs to its own, as TFLM's IF and WHILE do.
Splitting each inner layer across cores would need a barrier per inner layer and
iteration inside one step of the schedule; the cores that do not run the layer go on to
the layers after it as the partition pass allows. Nothing recurses (recursion is
refused), nothing allocates. A subgraph that can end the inference (a CIRCULAR_BUFFER in
it) stops there; the layer then sets its ended flag and returns without copying out.
"""

from __future__ import annotations

from typing import Any

from tinymlc.codegen import rust
from tinymlc.codegen.pipeline import CompiledModel, abort_flags
from tinymlc.codegen.steps import (
    StepBuilder,
    build_steps,
    constant_item,
    constant_name,
    region_literal,
)
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.control_flow import ControlFlowParams, SubgraphOutputParams
from tinymlc.passes.control_flow import constant_condition


def _module(index: int) -> str:
    """The path of subgraph `index`'s module, from the crate root and from every subgraph
    module (which imports its parent's items): relative, as the crate may be a module."""
    return f"subgraph_{index}"


def _copy(source: str, target: str) -> str:
    return f"copy_elements({source}, {target}).map_err(kernel_error)?;"


def _loop_variable(params: ControlFlowParams, position: int, mutable: bool) -> str:
    """The view of output `position` in `out`: all of it, or its part of the packed outputs."""
    if len(params.output_offsets) == 1:
        return "out"
    region = region_literal(params.output_offsets[position], params.output_bytes[position])
    return f"tinyml_arena::region{'_mut' if mutable else ''}(out, {region}).map_err(arena_error)?"


def _arena(params: ControlFlowParams, position: int) -> str:
    """`let arena`: the arena of subgraph `params.subgraphs[position]`, in the region the layer
    is lent (`lent`: its scratch, or its persistent block when a subgraph keeps state)."""
    offset, size = params.subgraph_arenas[position]
    return (
        f"let arena = tinyml_arena::region_mut::<u8>(lent, {region_literal(offset, size)})"
        ".map_err(arena_error)?;"
    )


def _run(params: ControlFlowParams, position: int, sources: list[str]) -> list[str]:
    """`let arena` of the subgraph at `position`, `sources` copied into its inputs, and its run."""
    module = _module(params.subgraphs[position])
    lines = [
        _copy(source, f"{module}::input_{i}(arena).map_err(arena_error)?") for i, source in enumerate(sources)
    ]
    if not params.ends_inference[position]:
        return [_arena(params, position), *lines, f"{module}::run(arena)?;"]
    # The subgraph ended the inference: so does the layer (its flag set, nothing copied out).
    return [
        _arena(params, position),
        *lines,
        f"if {module}::run(arena)? {{",
        "    return set_ended(lent, true).map_err(arena_error);",
        "}",
    ]


def _copy_outputs(params: ControlFlowParams, position: int) -> list[str]:
    module = _module(params.subgraphs[position])
    return [
        _copy(f"{module}::output_{i}(arena).map_err(arena_error)?", _loop_variable(params, i, mutable=True))
        for i in range(len(params.output_offsets))
    ]


def _lent_region(b: StepBuilder, params: ControlFlowParams) -> None:
    """`lent`: the region the subgraphs run in, the layer's scratch or, when a subgraph keeps
    state, the persistent block holding their arenas (lent as the layer's state)."""
    b.whole()
    b.step.body.append("if part.rows.is_empty() {\n        return Ok(());\n    }")
    if params.state_input is not None:
        b.step.body.append(f"let lent: &mut [u8] = {b.state(params.state_input)};")
        if any(params.ends_inference):
            b.step.body.append("set_ended(lent, false).map_err(arena_error)?;")
    elif params.arena_bytes:
        b.step.body.append(f"let lent: &mut [u8] = {b.scratch('u8')};")
    else:
        b.step.body.append("let lent: &mut [u8] = &mut [];")


def _indented(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _block(lines: list[str]) -> list[str]:
    """`lines` in a block of their own (each subgraph's `arena` borrows `lent` there)."""
    return ["{", *_indented(lines), "}"]


def _if(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ControlFlowParams)
    _lent_region(b, params)
    # The operator's inputs after the condition (the persistent block, if any, is last).
    operands = len(b.op.inputs) - (params.state_input is not None)
    sources = [b.input(position) for position in range(1, operands)]
    branches = [[*_run(params, position, sources), *_copy_outputs(params, position)] for position in (0, 1)]
    condition = b.tensor(0)
    if condition.is_constant:
        # Known at compile time: only the branch taken is emitted.
        b.step.body += _block(branches[0 if constant_condition(condition) else 1])
    else:
        taken = b.input(0)
        b.step.body += [
            f"if {taken}.first().is_some_and(|&value| value != 0) {{",
            *_indented(branches[0]),
            "} else {",
            *_indented(branches[1]),
            "}",
        ]
    b.step.body.append("Ok(())")


def _while(b: StepBuilder, params: ControlFlowParams) -> None:
    _lent_region(b, params)
    cond = _module(params.subgraphs[0])
    count = len(params.output_offsets)
    variables = [_loop_variable(params, i, mutable=False) for i in range(count)]
    b.step.body += [_copy(b.input(i), _loop_variable(params, i, mutable=True)) for i in range(count)]
    b.step.body += [
        "loop {",
        *_indented(
            [
                "let more = {",
                *_indented(_run(params, 0, variables)),
                f"    {cond}::condition(arena).map_err(arena_error)?",
                "};",
                "if !more {",
                "    break;",
                "}",
                *_block([*_run(params, 1, variables), *_copy_outputs(params, 1)]),
            ]
        ),
        "}",
        "Ok(())",
    ]


def _while_step(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ControlFlowParams)
    _while(b, params)


def _subgraph_output(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SubgraphOutputParams)
    packed = b.op.inputs[0]
    output = b.graph.tensors[b.op.outputs[0]]
    region = region_literal(b.plan.tensor_offsets[packed] + params.offset, output.byte_size)
    b.step.body.append(
        f"let packed: &[{rust.element_type(output.dtype)}] = inputs.get({region}).map_err(arena_error)?;"
    )
    b.call("reshape::reshape", "packed", b.output(), b.range(params.elements))


CONTROL_FLOW_EMITTERS = {
    OpKind.IF: _if,
    OpKind.WHILE: _while_step,
    OpKind.SUBGRAPH_OUTPUT: _subgraph_output,
}


def _subgraph_fields(index: int, compiled: CompiledModel) -> dict[str, Any]:
    """Template fields of `mod subgraph_<index>`."""
    graph, plan = compiled.graph, compiled.plan
    steps = build_steps(compiled)
    constant_ids = set().union(*(step.constants for step in steps))

    def region(tensor_id: int) -> str:
        return region_literal(plan.tensor_offsets[tensor_id], graph.tensors[tensor_id].byte_size)

    outputs = []
    for tensor_id in graph.outputs:
        tensor = graph.tensors[tensor_id]
        if tensor.is_constant:
            constant_ids.add(tensor_id)
            view = f"Ok(&{constant_name(tensor_id)}.0)"
        else:
            view = f"tinyml_arena::region(arena, {region(tensor_id)})"
        outputs.append({"element": rust.element_type(tensor.dtype), "view": view})
    # Only a cond subgraph's `condition` is called, and its output 0 has a first byte.
    first = graph.tensors[graph.outputs[0]] if graph.outputs else None
    if first is None or first.is_constant:
        condition = f"Ok({rust.boolean(first is not None and constant_condition(first))})"
    else:
        first_byte = region_literal(plan.tensor_offsets[graph.outputs[0]], 1)
        first_byte_set = ".first().is_some_and(|&value| value != 0)"
        condition = f"Ok(tinyml_arena::region::<u8>(arena, {first_byte})?{first_byte_set})"
    return {
        "index": index,
        "name": graph.name,
        "arena_bytes": plan.arena_bytes,
        "steps": steps,
        "tensor_names": [t.name for t in graph.tensors],
        "constants": [constant_item(t, graph.tensors[t]) for t in sorted(constant_ids)],
        "layer_regions": [
            {
                "output": step.in_place_region or region(step.output_tensor),
                "in_place": f"Some({step.in_place_region})" if step.in_place_region else "None",
                # A layer updating state is lent it as its scratch, as in the main graph.
                "scratch": region_literal(
                    *(step.state_region or compiled.scratch.get((step.index, 0), (0, 0)))
                ),
                "part": f"tile((0, {step.space.rows}), (0, {step.space.channels}))" if step.space else "",
            }
            for step in steps
        ],
        "inputs": [
            {"element": rust.element_type(graph.tensors[t].dtype), "region": region(t)} for t in graph.inputs
        ],
        "outputs": outputs,
        "condition": condition,
        "abort_flags": [
            (layer, region_literal(start, end - start)) for layer, (start, end) in abort_flags(compiled)
        ],
    }


def subgraph_modules(compiled: CompiledModel) -> list[dict[str, Any]]:
    """Template fields of the module of every subgraph the model runs."""
    return [_subgraph_fields(index, subgraph) for index, subgraph in compiled.subgraphs.items()]
