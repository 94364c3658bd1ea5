"""From a parsed model to everything codegen needs: validated, rewritten,
prepared and memory-planned for the target's cores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tinymlc.errors import naming_source
from tinymlc.ir import Graph, Model
from tinymlc.ops import PreparedParams, abort_flag, overlap_distance, prepare_graph, scratch_bytes
from tinymlc.passes import (
    BufferRequest,
    IoConversions,
    MemoryPlan,
    alias_reshapes,
    fold_constants,
    fold_io_conversions,
    fuse_activations,
    plan_graph_memory,
    split_outputs,
)
from tinymlc.passes.circular_buffer import lower_circular_buffers
from tinymlc.passes.control_flow import (
    bind_control_flow,
    called_in_order,
    check_state_owners,
    keep_called_state,
    pack_control_flow_outputs,
)
from tinymlc.passes.decode import decode_constants
from tinymlc.passes.detection_postprocess import lower_detection_postprocess
from tinymlc.passes.resource_variables import lower_resource_variables
from tinymlc.passes.signal_operators import lower_signal_operators
from tinymlc.quant import single_rounding_requantization
from tinymlc.validate import Diagnostic, check_model


@dataclass(frozen=True)
class Target:
    """The cores the model is planned and partitioned for (`--core_mhz`)."""

    core_mhz: tuple[int, ...] = (1,)
    split_every_layer: bool = False
    """Split every layer whatever the cost model says (tests, to exercise every part)."""

    @property
    def cores(self) -> int:
        return len(self.core_mhz)


ONE_CORE = Target()


@dataclass(frozen=True)
class CompiledModel:
    model: Model
    """The model as parsed, its resource variables lowered to variable tensors
    (`lower_resource_variables`: new tensors only appended; ids are shared with `graph`)."""
    graph: Graph
    """The main graph after fusion, constant folding, reshape aliasing and folding
    boundary conversions; its inputs and outputs are the caller's tensors."""
    io: IoConversions
    """Graph inputs and outputs converted between the caller's float buffer and the
    arena's int8 tensor while copying (`plan` holds the int8 tensors only)."""
    params: tuple[PreparedParams, ...]
    """`graph.operators[i]`'s TFLM-exact parameters."""
    plan: MemoryPlan
    target: Target
    scratch: dict[tuple[int, int], tuple[int, int]]
    """(layer, core) -> (arena offset, bytes) of that core's scratch for the layer's
    kernel, for every core of the target and every layer whose kernel takes scratch."""
    warnings: tuple[Diagnostic, ...]
    overlap_saved_bytes: int = 0
    """Arena bytes writing convolutions over their inputs saves (`plan.overlapped`)."""
    subgraphs: Mapping[int, CompiledModel] = field(default_factory=dict)
    """Every subgraph the graph runs through IF and WHILE (nested ones too), by index in
    `model.subgraphs`, compiled for one core on an arena of its own (see
    `ops.control_flow`), callees first."""


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


def compile_model(model: Model, target: Target = ONE_CORE) -> CompiledModel:
    """Validate (raising one CompileError listing every problem), rewrite, plan.

    The passes only drop operators and rewrite attributes; tensor ids stay
    those of the parsed model, so layer outputs can be matched against TFLM's
    tensors by id.
    """
    with single_rounding_requantization(model.single_rounding), naming_source(model.source):
        return _compile_model(model, target)


def _rewrite(graph: Graph) -> Graph:
    """The rewrites every graph gets (the main graph and the subgraphs it runs)."""
    return alias_reshapes(fold_constants(fuse_activations(split_outputs(pack_control_flow_outputs(graph)))))


def _compile_model(model: Model, target: Target) -> CompiledModel:
    model = lower_signal_operators(lower_resource_variables(model))
    model = lower_circular_buffers(lower_detection_postprocess(decode_constants(model)))
    warnings = check_model(model)
    subgraphs: dict[int, CompiledModel] = {}
    for index in called_in_order(model, model.main):
        subgraphs[index] = _compile_subgraph(model, index, subgraphs)
    stateful = {index for index, compiled in subgraphs.items() if compiled.plan.state_bytes}
    check_state_owners([model.main, *(model.subgraphs[i] for i in subgraphs)], stateful, model.source)
    graph, io = fold_io_conversions(_rewrite(model.main))
    graph, params = _prepare(model, graph, subgraphs)
    plan, scratch, saved = _plan_memory(io.arena_view(graph), params, target)
    return CompiledModel(
        model=model,
        graph=graph,
        io=io,
        params=params,
        plan=plan,
        target=target,
        scratch=scratch,
        warnings=tuple(warnings),
        overlap_saved_bytes=saved,
        subgraphs=subgraphs,
    )


def _prepare(
    model: Model, graph: Graph, subgraphs: Mapping[int, CompiledModel]
) -> tuple[Graph, tuple[PreparedParams, ...]]:
    """The graph's layers' parameters; the graph gains the persistent blocks its
    control-flow layers running stateful subgraphs need (`keep_called_state`)."""
    arena_bytes = {index: compiled.plan.arena_bytes for index, compiled in subgraphs.items()}
    state_bytes = {index: compiled.plan.state_bytes for index, compiled in subgraphs.items()}
    ends_inference = {
        index: any(abort_flag(layer) is not None for layer in compiled.params)
        for index, compiled in subgraphs.items()
    }
    params = bind_control_flow(prepare_graph(graph), model.subgraphs, arena_bytes)
    return keep_called_state(graph, params, state_bytes, arena_bytes, ends_inference)


def _compile_subgraph(model: Model, index: int, compiled: Mapping[int, CompiledModel]) -> CompiledModel:
    """Subgraph `index`, run by control flow on one core in an arena of its own (its state,
    if any, at the arena's start: `keep_called_state` makes its caller keep that arena);
    the subgraphs it runs are in `compiled` already."""
    graph, params = _prepare(model, _rewrite(model.subgraphs[index]), compiled)
    plan, scratch, saved = _plan_memory(graph, params, ONE_CORE)
    return CompiledModel(
        model=model,
        graph=graph,
        io=IoConversions(),
        params=params,
        plan=plan,
        target=ONE_CORE,
        scratch=scratch,
        warnings=(),
        overlap_saved_bytes=saved,
        subgraphs={i: compiled[i] for i in called_in_order(model, graph)},
    )


def _plan_memory(
    arena_view: Graph, params: tuple[PreparedParams, ...], target: Target
) -> tuple[MemoryPlan, dict[tuple[int, int], tuple[int, int]], int]:
    """The arena plan of a graph (`arena_view`: its inputs and outputs as the arena holds
    them), each (layer, core)'s scratch region in it and the bytes overlapped layers save."""
    # Each core running a layer whose kernel takes scratch gets its own buffer, live
    # for that layer only. Every core of the target gets one: which cores share a
    # layer is decided later, from this plan (the partition pass). Negative keys
    # never collide with tensor ids.
    requests: dict[tuple[int, int], BufferRequest] = {}
    for layer, layer_params in enumerate(params):
        size = scratch_bytes(layer_params)
        for core in range(target.cores if size else 0):
            requests[(layer, core)] = BufferRequest(-1 - len(requests), size, layer, layer)
    # Elementwise operators whose output may overwrite a dying input are planned
    # in place (`plan.in_place`); codegen calls the kernels' `*_in_place` variants
    # for exactly those, which take that one region as `&mut [T]`.
    # On one core, a convolution may write its output over the input rows it has read
    # (`plan.overlapped`). Cores splitting the layer would overwrite rows another core
    # still reads, so multi-core plans keep every output apart from its inputs. Tying
    # two buffers together can also hinder placement: the smaller plan wins.
    distances = {
        layer: distance
        for layer, layer_params in enumerate(params)
        if target.cores == 1 and (distance := overlap_distance(layer_params)) is not None
    }
    plans = [
        plan_graph_memory(arena_view, list(requests.values()), allow_in_place=True, overlap_distances=d)
        for d in ([{}, distances] if distances else [{}])
    ]
    plan = min(plans, key=lambda candidate: candidate.arena_bytes)
    scratch = {place: (plan.offsets[r.key], r.size) for place, r in requests.items()}
    return plan, scratch, plans[0].arena_bytes - plan.arena_bytes
