"""From a parsed model to everything codegen needs: validated, rewritten,
prepared and memory-planned for the target's cores."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import Graph, Model
from tinymlc.ops import PreparedParams, overlap_distance, prepare_graph, scratch_bytes
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


def compile_model(model: Model, target: Target = ONE_CORE) -> CompiledModel:
    """Validate (raising one CompileError listing every problem), rewrite, plan.

    The passes only drop operators and rewrite attributes; tensor ids stay
    those of the parsed model, so layer outputs can be matched against TFLM's
    tensors by id.
    """
    with single_rounding_requantization(model.single_rounding):
        return _compile_model(model, target)


def _compile_model(model: Model, target: Target) -> CompiledModel:
    model = lower_signal_operators(lower_resource_variables(model))
    model = lower_detection_postprocess(decode_constants(model))
    warnings = check_model(model)
    graph, io = fold_io_conversions(
        alias_reshapes(fold_constants(fuse_activations(split_outputs(model.main))))
    )
    params = prepare_graph(graph)
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
        plan_graph_memory(
            io.arena_view(graph), list(requests.values()), allow_in_place=True, overlap_distances=d
        )
        for d in ([{}, distances] if distances else [{}])
    ]
    plan = min(plans, key=lambda candidate: candidate.arena_bytes)
    return CompiledModel(
        model=model,
        graph=graph,
        io=io,
        params=params,
        plan=plan,
        target=target,
        scratch={place: (plan.offsets[r.key], r.size) for place, r in requests.items()},
        warnings=tuple(warnings),
        overlap_saved_bytes=plans[0].arena_bytes - plan.arena_bytes,
    )
