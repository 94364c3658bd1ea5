"""Render a compiled model as the `lib.rs` of a no_std crate, plus its report."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from tinymlc.codegen import rust
from tinymlc.codegen.pipeline import CompiledModel
from tinymlc.codegen.steps import Step, build_steps, constant_item, region_literal
from tinymlc.codegen.steps_control_flow import subgraph_modules
from tinymlc.errors import CompileError, naming_source
from tinymlc.ir import NO_TENSOR, DType, Graph, OpKind, Tensor
from tinymlc.ops import PreparedParams, abort_flag, float32
from tinymlc.ops.batch_matmul import BatchMatMulParams
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.float32_ops import FloatTransposeConvParams
from tinymlc.ops.fully_connected import FullyConnectedParams
from tinymlc.ops.lstm import FloatLstmParams, LstmParams
from tinymlc.ops.svdf import FloatSvdfParams, SvdfParams
from tinymlc.ops.transpose_conv import TransposeConvParams
from tinymlc.passes.memory_planner import STATE_HEADER_BYTES
from tinymlc.passes.partition import LayerCost, Schedule, partition

TEMPLATES = Path(__file__).parent / "templates"
_CRATE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class GeneratedCrate:
    lib_rs: str
    report: dict[str, Any]


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Rust source, not HTML
    )
    env.filters["rust_string"] = rust.string
    return env


def check_crate_name(name: str) -> str:
    if not _CRATE_NAME.match(name):
        raise CompileError(f"crate name {name!r} must be lower_snake_case ([a-z_][a-z0-9_]*)")
    return name


_REAL_VALUED = frozenset({"Int8", "Int16", "Float32"})
"""`DType` variants of tensors holding real values (quantized or float)."""


def _io_tensor(compiled: CompiledModel, tensor_id: int) -> dict[str, Any]:
    """Template fields of graph input/output `tensor_id`: the caller's view of it, and
    how it moves to or from its arena tensor (`Transfer`)."""
    tensor = compiled.graph.tensors[tensor_id]
    if tensor.is_constant:
        raise CompileError(f"graph input/output {tensor.name!r} is a constant tensor", compiled.model.source)
    quant = tensor.quantization
    scale, zero_point = (
        (quant.scale, quant.zero_point) if quant and tensor.dtype != DType.FLOAT32 else (1.0, 0)
    )
    conversion = compiled.io.of(tensor_id)
    arena_id = tensor_id if conversion is None else conversion.arena
    caller_dtype = compiled.model.caller_dtype(tensor_id)
    # uint8 at the API, int8 in the arena: the same reals with the zero point 128 higher.
    zero_point_shift = 128 if caller_dtype is DType.UINT8 and tensor.dtype is DType.INT8 else 0
    if zero_point_shift:
        transfer = "Transfer::FlipSignBit"
    elif conversion is None:
        transfer = "Transfer::Copy"
    else:
        kind = "Quantize" if tensor_id in compiled.io.inputs else "Dequantize"
        transfer = (
            f"Transfer::{kind} {{ scale: {rust.f32(conversion.scale)}, zero_point: {conversion.zero_point} }}"
        )
    fields = {
        "len": tensor.num_elements,
        "shape_literal": rust.usizes(tensor.shape),
        "shape": tensor.shape,
        "dtype": rust.dtype_variant(caller_dtype),
        "element": rust.element_type(caller_dtype),
        "arena_element": rust.element_type(tensor.dtype),
        "scale": rust.f32(scale),
        "zero_point": zero_point + zero_point_shift,
        "arena_zero_point": zero_point,
        "region": region_literal(
            compiled.plan.tensor_offsets[arena_id], compiled.graph.tensors[arena_id].byte_size
        ),
        "transfer": transfer,
    }
    fields["info"] = (
        f"TensorInfo {{ name: {rust.string(tensor.name)}, shape: &{fields['shape_literal']}, "
        f"len: {fields['len']}, dtype: DType::{fields['dtype']}, scale: {fields['scale']}, "
        f"zero_point: {zero_point} }}"
    )
    return fields


def _tile_literal(rows: tuple[int, int], channels: tuple[int, int]) -> str:
    return f"tile(({rows[0]}, {rows[1]}), ({channels[0]}, {channels[1]}))"


def _schedule_rows(schedule: Schedule) -> list[list[str]]:
    """`SCHEDULE`'s rows: each core's part of each layer, empty for idle cores."""
    rows = []
    for step in schedule.steps:
        row = [_tile_literal((0, 0), (0, 0))] * len(schedule.core_mhz)
        for part in step.parts:
            row[part.core] = _tile_literal(part.rows, part.channels)
        rows.append(row)
    return rows


def _scratch_rows(compiled: CompiledModel, steps: list[Step], schedule: Schedule) -> list[list[str]]:
    """`SCRATCH`'s rows: each logical core's scratch region per layer (empty: none). A
    layer updating state is one part: the core computing it is lent the state instead."""
    cores = compiled.target.cores
    rows = []
    for step in steps:
        row = [compiled.scratch.get((step.index, core), (0, 0)) for core in range(cores)]
        if step.state_region is not None:
            for part in schedule.steps[step.index].parts:
                row[part.core] = step.state_region
        rows.append([region_literal(*region) for region in row])
    return rows


def render_lib_rs(compiled: CompiledModel, crate_name: str, steps: list[Step], schedule: Schedule) -> str:
    graph = compiled.graph
    inputs = [_io_tensor(compiled, t) for t in graph.inputs]
    outputs = [_io_tensor(compiled, t) for t in graph.outputs]
    constant_ids = sorted(set().union(*(step.constants for step in steps)))
    # The one-tensor `predict` converts real values: only for quantized or float tensors
    # (not int32 ones such as ARG_MAX's output, nor bool).
    single_io = (
        len(inputs) == 1
        and len(outputs) == 1
        and all(t["dtype"] in _REAL_VALUED for t in (inputs[0], outputs[0]))
    )
    return (
        template_environment()
        .get_template("lib.rs.j2")
        .render(
            crate_name=crate_name,
            source=Path(compiled.model.source).name,
            arena_bytes=compiled.plan.arena_bytes,
            inputs=inputs,
            outputs=outputs,
            steps=steps,
            tensor_names=[t.name for t in graph.tensors],
            scratch_rows=_scratch_rows(compiled, steps, schedule),
            state=_state_literals(compiled),
            layer_regions=[
                region_literal(
                    compiled.plan.tensor_offsets[s.output_tensor], graph.tensors[s.output_tensor].byte_size
                )
                for s in steps
            ],
            constants=[constant_item(t, graph.tensors[t]) for t in constant_ids],
            schedule=schedule,
            schedule_rows=_schedule_rows(schedule),
            single_io=single_io,
            single_quantized=single_io and inputs[0]["dtype"] == outputs[0]["dtype"] == "Int8",
            subgraphs=subgraph_modules(compiled),
            abort_flags=[
                (layer, region_literal(start, end - start)) for layer, (start, end) in abort_flags(compiled)
            ],
        )
    )


def layer_macs(kind: OpKind, params: PreparedParams) -> int:
    """Multiply-accumulates of the matrix-like layers; 0 for everything else."""
    macs = 0
    if isinstance(
        params, float32.FloatConv2DParams | float32.FloatFullyConnectedParams | float32.FloatBatchMatMulParams
    ):
        macs = float32.macs(params)
    elif kind is OpKind.CONV_2D:
        assert isinstance(params, Conv2DParams)
        _, filter_h, filter_w, filter_depth = params.filter_shape
        macs = math.prod(params.output_shape) * filter_h * filter_w * filter_depth
    elif kind is OpKind.DEPTHWISE_CONV_2D:
        assert isinstance(params, DepthwiseConv2DParams)
        macs = math.prod(params.output_shape) * params.filter_shape[1] * params.filter_shape[2]
    elif kind is OpKind.FULLY_CONNECTED:
        assert isinstance(params, FullyConnectedParams)
        macs = params.batches * params.accum_depth * params.output_depth
    elif kind is OpKind.TRANSPOSE_CONV:
        assert isinstance(params, TransposeConvParams | FloatTransposeConvParams)
        out_channels, filter_h, filter_w, _ = params.filter_shape
        macs = math.prod(params.input_shape) * filter_h * filter_w * out_channels
    elif kind is OpKind.SVDF:
        assert isinstance(params, SvdfParams | FloatSvdfParams)
        dims = params.dims if isinstance(params, FloatSvdfParams) else params
        # The feature matmul and the time-weighted sum over each filter's memory.
        macs = dims.batches * dims.filters * (dims.input_size + dims.memory_size)
    elif kind is OpKind.UNIDIRECTIONAL_SEQUENCE_LSTM:
        assert isinstance(params, LstmParams | FloatLstmParams)
        # Four gates, each an input and a recurrent product, every step of every sequence.
        macs = params.batches * params.time_steps * 4 * params.units * (params.input_size + params.units)
    elif kind is OpKind.BATCH_MATMUL:
        assert isinstance(params, BatchMatMulParams)
        depth = params.lhs_shape[-2] if params.adj_x else params.lhs_shape[-1]
        macs = math.prod(params.output_shape) * depth
    return macs


def _tensor_entry(graph: Graph, compiled: CompiledModel, tensor_id: int) -> dict[str, Any]:
    tensor: Tensor = graph.tensors[tensor_id]
    entry: dict[str, Any] = {"tensor": tensor_id, "name": tensor.name, "bytes": tensor.byte_size}
    if tensor.is_constant:
        entry["storage"] = "flash"
    elif tensor_id in compiled.plan.tensor_offsets:
        entry["storage"] = "arena"
        entry["offset"] = compiled.plan.tensor_offsets[tensor_id]
    else:
        # A float input or output converted while copying: only the caller holds it.
        entry["storage"] = "caller"
        entry["converted"] = _tensor_entry(graph, compiled, compiled.io.arena_tensor(tensor_id))
    return entry


def _region(compiled: CompiledModel, tensor_id: int) -> tuple[int, int]:
    start = compiled.plan.tensor_offsets[tensor_id]
    return start, start + compiled.graph.tensors[tensor_id].byte_size


def _scratch_ranges(compiled: CompiledModel, layer: int) -> tuple[tuple[int, int], ...]:
    """Arena byte ranges of every core's scratch for `layer`."""
    return tuple(
        (offset, offset + size) for (at, _), (offset, size) in sorted(compiled.scratch.items()) if at == layer
    )


def _state_ranges(step: Step) -> tuple[tuple[int, int], ...]:
    """The arena bytes of the state `step` updates: written by the layer."""
    if step.state_region is None:
        return ()
    offset, size = step.state_region
    return ((offset, offset + size),)


def abort_flags(compiled: CompiledModel) -> list[tuple[int, tuple[int, int]]]:
    """(layer, arena byte range of its int32 flag) of each layer that can end the inference
    early (`ops.abort_flag`), in schedule order."""
    flags = []
    for index, (op, params) in enumerate(zip(compiled.graph.operators, compiled.params, strict=True)):
        flag = abort_flag(params)
        if flag is not None:
            position, element = flag
            start = compiled.plan.tensor_offsets[op.inputs[position]] + 4 * element
            flags.append((index, (start, start + 4)))
    return flags


def _state_literals(compiled: CompiledModel) -> dict[str, Any]:
    """What lib.rs needs of the state region: its size, its marker, each tensor's
    initialisation (a fill byte, then its initial bytes if it has any) and what `reset`
    writes (the same, unless `Graph.state_reset` says otherwise)."""
    graph, plan = compiled.graph, compiled.plan
    tensors, reset = [], []
    for tensor_id, offset in plan.state.items():
        tensor = graph.tensors[tensor_id]
        initial = graph.state_initial.get(tensor_id, b"")
        region, fill = region_literal(offset, tensor.byte_size), state_reset_byte(tensor)
        tensors.append({"region": region, "fill": fill, "initial": rust.ints(initial)})
        after_reset = graph.state_reset.get(tensor_id, initial)
        if after_reset is not None:
            reset.append({"region": region, "fill": fill, "initial": rust.ints(after_reset)})
    # The marker names this model's state layout (not the file's path: builds stay
    # reproducible), so an arena last used by another model's state reads as fresh.
    layout = [
        (offset, graph.tensors[t].name, graph.tensors[t].dtype.name, graph.tensors[t].shape)
        for t, offset in plan.state.items()
    ]
    digest = hashlib.sha256(repr((plan.arena_bytes, layout)).encode()).digest()
    return {
        "bytes": plan.state_bytes,
        "header_bytes": STATE_HEADER_BYTES,
        "marker": rust.ints(digest[:STATE_HEADER_BYTES]),
        "tensors": tensors,
        "reset": reset,
    }


def state_reset_byte(tensor: Tensor) -> int:
    """The byte every byte of a variable tensor is reset to: TFLM's ResetVariableTensors
    fills int8 tensors with their zero point and every other type with zeros."""
    if tensor.dtype is DType.INT8 and tensor.quantization is not None:
        return tensor.quantization.zero_point & 0xFF
    return 0


def layer_costs(compiled: CompiledModel, steps: list[Step]) -> list[LayerCost]:
    """What the partition pass needs of each layer."""
    graph = compiled.graph
    flags = abort_flags(compiled)
    costs = []
    for step, op, params in zip(steps, graph.operators, compiled.params, strict=True):
        # Every core checks the flags of the layers before a step before computing its part:
        # a step on another core than such a layer's waits for a barrier after it.
        flags_read = tuple(flag for layer, flag in flags if layer < step.index)
        assert step.space is not None
        output = graph.tensors[step.output_tensor]
        inputs = sorted({t for t in op.inputs if t != NO_TENSOR})
        arena_inputs = [t for t in inputs if not graph.tensors[t].is_constant]
        costs.append(
            LayerCost(
                space=step.space,
                macs=layer_macs(op.kind, params),
                output_elements=output.num_elements,
                output_bytes=output.byte_size,
                arena_input_bytes=sum(graph.tensors[t].byte_size for t in arena_inputs),
                constant_bytes=sum(
                    graph.tensors[t].byte_size for t in inputs if graph.tensors[t].is_constant
                ),
                reads=(*(_region(compiled, t) for t in arena_inputs), *flags_read),
                writes=(
                    _region(compiled, step.output_tensor),
                    *_scratch_ranges(compiled, step.index),
                    *_state_ranges(step),
                ),
            )
        )
    return costs


def schedule_report(schedule: Schedule) -> dict[str, Any]:
    """report.json's `schedule`: per step which core computes what, and the predictions."""
    cycles = schedule.core_cycles()
    total = sum(cycles)
    single_us = total / max(schedule.core_mhz)
    predicted_us = schedule.predicted_us()
    return {
        "core_mhz": list(schedule.core_mhz),
        "predicted_us": round(predicted_us, 3),
        "predicted_single_core_us": round(single_us, 3),
        "predicted_speedup": round(single_us / predicted_us, 3) if predicted_us else 1.0,
        "predicted_core_shares": [round(c / total, 4) if total else 0.0 for c in cycles],
        "barriers": sum(step.barrier_after for step in schedule.steps),
        "steps": [
            {
                "layer": step.layer,
                "axis": step.axis,
                "barrier_after": step.barrier_after,
                "parts": [
                    {
                        "core": part.core,
                        "rows": list(part.rows),
                        "channels": list(part.channels),
                        "cycles": round(part.cycles, 1),
                        "us": round(part.cycles / schedule.core_mhz[part.core], 3),
                    }
                    for part in step.parts
                ],
            }
            for step in schedule.steps
        ],
    }


def build_report(compiled: CompiledModel, steps: list[Step], schedule: Schedule) -> dict[str, Any]:
    graph = compiled.graph
    constant_ids = sorted(set().union(*(step.constants for step in steps)))
    weight_bytes = sum(graph.tensors[t].byte_size for t in constant_ids)
    param_bytes = sum(step.param_bytes for step in steps)
    steps_by_output = {step.output_tensor: step.index for step in steps}
    layers = []
    for step, op, params in zip(steps, graph.operators, compiled.params, strict=True):
        output = graph.tensors[step.output_tensor]
        layers.append(
            {
                "index": step.index,
                "op": op.opcode_name,
                "output_tensor": output.name,
                "shape": list(output.shape),
                "macs": layer_macs(op.kind, params),
                "tensors": [_tensor_entry(graph, compiled, t) for t in (*op.inputs, *op.outputs) if t >= 0],
            }
        )
    return {
        "source": compiled.model.source,
        "flash_bytes": weight_bytes + param_bytes,
        "weight_bytes": weight_bytes,
        "param_bytes": param_bytes,
        "arena_bytes": compiled.plan.arena_bytes,
        "tflm_greedy_arena_bytes": compiled.plan.tflm_greedy_bytes,
        "arena_lower_bound_bytes": compiled.plan.lower_bound,
        "scratch": [
            {"layer": layer, "core": core, "offset": offset, "bytes": size}
            for (layer, core), (offset, size) in sorted(compiled.scratch.items())
        ],
        "state": {
            "offset": 0,
            "bytes": compiled.plan.state_bytes,
            "tensors": [
                {
                    **_tensor_entry(graph, compiled, t),
                    "reset_byte": state_reset_byte(graph.tensors[t]),
                    "initial_value": t in graph.state_initial,
                    "kept_on_reset": graph.state_reset.get(t, b"") is None,
                }
                for t in compiled.plan.state
            ],
        },
        "overlapped": [
            {"layer": steps_by_output[output], "input": source, "output": output}
            for output, source in compiled.plan.overlapped
        ],
        "overlap_saved_bytes": compiled.overlap_saved_bytes,
        "planner_strategy": compiled.plan.strategy,
        "total_macs": sum(layer["macs"] for layer in layers),
        "inputs": [_tensor_entry(graph, compiled, t) for t in graph.inputs],
        "outputs": [_tensor_entry(graph, compiled, t) for t in graph.outputs],
        "layers": layers,
        "schedule": schedule_report(schedule),
        "subgraphs": [
            {
                "index": index,
                "name": subgraph.graph.name,
                "arena_bytes": subgraph.plan.arena_bytes,
                "layers": [op.opcode_name for op in subgraph.graph.operators],
            }
            for index, subgraph in compiled.subgraphs.items()
        ],
        "warnings": [str(w) for w in compiled.warnings],
    }


def generate_crate(compiled: CompiledModel, crate_name: str) -> GeneratedCrate:
    """The crate for the target `compiled` was planned for."""
    with naming_source(compiled.model.source):
        steps = build_steps(compiled)
        target = compiled.target
        schedule = partition(layer_costs(compiled, steps), target.core_mhz, target.split_every_layer)
        return GeneratedCrate(
            lib_rs=render_lib_rs(compiled, check_crate_name(crate_name), steps, schedule),
            report=build_report(compiled, steps, schedule),
        )


def render_cargo_toml(crate_name: str, runtime_dir: Path) -> str:
    return (
        template_environment()
        .get_template("Cargo.toml.j2")
        .render(crate_name=check_crate_name(crate_name), runtime_dir=runtime_dir.resolve().as_posix())
    )
