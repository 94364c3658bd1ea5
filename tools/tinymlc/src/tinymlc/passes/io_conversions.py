"""Fold a float model's boundary QUANTIZE / DEQUANTIZE into its input and output copies.

Converters given `inference_input_type=float` emit a float graph input read by one
QUANTIZE, and a float graph output written by one DEQUANTIZE. As layers, both
conversions keep the float tensor (4 bytes per element) in the arena, although the
caller's own buffer already holds it. Folded, the generated code quantizes the
caller's floats straight into the int8 tensor the QUANTIZE wrote (the same kernel
and parameters, so the same bits), and dequantizes the int8 tensor the DEQUANTIZE
read straight into the caller's buffer; the float tensors never enter the arena.

The graph keeps its caller-facing `inputs` and `outputs` (the float tensors: what
the generated API takes and returns, and what TFLM compares); `IoConversions`
says which of them reach the arena through a conversion, and `arena_view` is the
graph as the memory planner must see it: the int8 tensors as its inputs (written
before the first layer) and outputs (read after the last).

Folded only when nothing else needs the float tensor: the float input (with any
reshape alias of it) is read by that one QUANTIZE alone, the float output is read
by no layer, and at least one layer remains to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from tinymlc.ir import DType, Graph, OpKind
from tinymlc.ops import prepare_operator
from tinymlc.ops.dequantize import DequantizeParams
from tinymlc.ops.quantize import QuantizeMode, QuantizeParams
from tinymlc.passes._rewrite import without_operators


@dataclass(frozen=True)
class IoConversion:
    """The caller's float tensor `caller` <-> the arena's int8 tensor `arena`:
    `real = scale * (quantized - zero_point)` (the int8 tensor's quantization)."""

    caller: int
    arena: int
    scale: float
    zero_point: int


@dataclass(frozen=True)
class IoConversions:
    inputs: Mapping[int, IoConversion] = field(default_factory=dict)
    """Caller-facing graph input id -> the QUANTIZE folded into copying it in."""
    outputs: Mapping[int, IoConversion] = field(default_factory=dict)
    """Caller-facing graph output id -> the DEQUANTIZE folded into copying it out."""

    def of(self, tensor_id: int) -> IoConversion | None:
        """The conversion of graph input/output `tensor_id`, if it has one."""
        return self.inputs.get(tensor_id) or self.outputs.get(tensor_id)

    def arena_tensor(self, tensor_id: int) -> int:
        """The arena tensor holding graph input/output `tensor_id` (itself unless converted)."""
        conversion = self.of(tensor_id)
        return tensor_id if conversion is None else conversion.arena

    def arena_view(self, graph: Graph) -> Graph:
        """`graph` with the arena tensors as its inputs and outputs, for planning."""
        return replace(
            graph,
            inputs=tuple(self.arena_tensor(t) for t in graph.inputs),
            outputs=tuple(self.arena_tensor(t) for t in graph.outputs),
        )


def _group(graph: Graph, root: int) -> set[int]:
    """`root` and every reshape alias sharing its storage."""
    return {root} | {t for t in graph.aliases if graph.storage_of(t) == root}


def _folded_input(graph: Graph, caller: int, consumers: dict[int, list[int]]) -> int | None:
    """The QUANTIZE to fold into copying float input `caller` in, or None."""
    group = _group(graph, caller)
    readers = {index for t in group for index in consumers.get(t, [])}
    if graph.tensors[caller].dtype is not DType.FLOAT32 or len(readers) != 1 or group & set(graph.outputs):
        return None
    (index,) = readers
    operator = graph.operators[index]
    # The generated copy quantizes into int8 only; an int16 QUANTIZE stays a layer.
    if operator.kind is not OpKind.QUANTIZE or graph.tensors[operator.outputs[0]].dtype is not DType.INT8:
        return None
    return index


def _folded_output(
    graph: Graph, caller: int, producers: dict[int, int], consumers: dict[int, list[int]]
) -> int | None:
    """The DEQUANTIZE to fold into copying float output `caller` out, or None."""
    root = graph.storage_of(caller)
    index = producers.get(root)
    if (
        index is None
        or graph.tensors[caller].dtype is not DType.FLOAT32
        or graph.operators[index].kind is not OpKind.DEQUANTIZE
        # The generated copy dequantizes int8 only; an int16 DEQUANTIZE stays a layer.
        or graph.tensors[graph.operators[index].inputs[0]].dtype is not DType.INT8
        or any(consumers.get(t) for t in _group(graph, root))
    ):
        return None
    return index


def fold_io_conversions(graph: Graph) -> tuple[Graph, IoConversions]:
    producers, consumers = graph.producers(), graph.consumers()
    inputs: dict[int, IoConversion] = {}
    outputs: dict[int, IoConversion] = {}
    removed: set[int] = set()
    for caller in graph.inputs:
        index = _folded_input(graph, caller, consumers)
        if index is not None:
            params = prepare_operator(graph, index)
            assert isinstance(params, QuantizeParams)
            assert params.mode is QuantizeMode.FLOAT_TO_INT8
            arena = graph.operators[index].outputs[0]
            inputs[caller] = IoConversion(caller, arena, params.output_scale, params.output_zero_point)
            removed.add(index)
    for caller in graph.outputs:
        index = _folded_output(graph, caller, producers, consumers)
        if index is not None:
            params = prepare_operator(graph, index)
            assert isinstance(params, DequantizeParams)
            arena = graph.operators[index].inputs[0]
            outputs[caller] = IoConversion(caller, arena, params.scale, params.zero_point)
            removed.add(index)
    if not removed or len(removed) == len(graph.operators):
        return replace(graph), IoConversions()
    float_tensors = {
        t for c in (*inputs.values(), *outputs.values()) for t in _group(graph, graph.storage_of(c.caller))
    }
    aliases = {t: owner for t, owner in graph.aliases.items() if t not in float_tensors}
    return without_operators(graph, removed, aliases=aliases), IoConversions(inputs, outputs)
