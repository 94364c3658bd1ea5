"""From a parsed model to everything codegen needs: validated, rewritten,
prepared and memory-planned."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import Graph, Model
from tinymlc.ops import PreparedParams, prepare_graph
from tinymlc.passes import MemoryPlan, alias_reshapes, fold_constants, fuse_activations, plan_graph_memory
from tinymlc.validate import Diagnostic, check_model


@dataclass(frozen=True)
class CompiledModel:
    model: Model
    """The model as parsed (tensor ids are shared with `graph`)."""
    graph: Graph
    """The main graph after fusion, constant folding and reshape aliasing."""
    params: tuple[PreparedParams, ...]
    """`graph.operators[i]`'s TFLM-exact parameters."""
    plan: MemoryPlan
    warnings: tuple[Diagnostic, ...]


def compile_model(model: Model) -> CompiledModel:
    """Validate (raising one CompileError listing every problem), rewrite, plan.

    The passes only drop operators and rewrite attributes; tensor ids stay
    those of the parsed model, so layer outputs can be matched against TFLM's
    tensors by id.
    """
    warnings = check_model(model)
    graph = alias_reshapes(fold_constants(fuse_activations(model.main)))
    # Elementwise operators whose output may overwrite a dying input are planned
    # in place (`plan.in_place`); codegen calls the kernels' `*_in_place`
    # variants for exactly those, which take that one region as `&mut [T]`.
    # None of our kernels needs scratch memory (TFLM's MEAN / BATCH_MATMUL
    # scratch is only counted in the TFLM comparison of the report).
    plan = plan_graph_memory(graph, allow_in_place=True)
    return CompiledModel(model, graph, prepare_graph(graph), plan, tuple(warnings))
