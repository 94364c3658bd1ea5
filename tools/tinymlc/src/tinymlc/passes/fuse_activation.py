"""Fuse a standalone RELU / RELU6 into the operator producing its input.

Equivalence (int8): with identical input/output quantization the standalone
RELU's rescale is the identity (multiplier 2^30, shift 1 reproduces every
int32 exactly), so it computes clamp(x, max(-128, zp), 127) -- the producer's
fused RELU range.  RELU6 computes clamp(x, zp, q(6)), q(6) = clamp(zp +
round(6f/scale)) -- the fused RELU6 range.  Only applied when the producer's
output feeds nothing else and is not a graph output.
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import (
    Activation,
    Conv2DAttrs,
    DepthwiseConv2DAttrs,
    ElementwiseAttrs,
    FullyConnectedAttrs,
    Graph,
    OpKind,
    Pool2DAttrs,
)
from tinymlc.passes._rewrite import with_operator, without_operators

FUSABLE_PRODUCERS = frozenset(
    {
        OpKind.CONV_2D,
        OpKind.DEPTHWISE_CONV_2D,
        OpKind.FULLY_CONNECTED,
        OpKind.ADD,
        OpKind.SUB,
        OpKind.MUL,
        OpKind.AVERAGE_POOL_2D,
        OpKind.MAX_POOL_2D,
    }
)
ACTIVATIONS = {OpKind.RELU: Activation.RELU, OpKind.RELU6: Activation.RELU6}

_FusableAttrs = Conv2DAttrs | DepthwiseConv2DAttrs | FullyConnectedAttrs | ElementwiseAttrs | Pool2DAttrs


def fuse_activations(graph: Graph) -> Graph:
    changed = True
    while changed:
        changed = False
        producers = graph.producers()
        consumers = graph.consumers()
        for index, activation_op in enumerate(graph.operators):
            activation = ACTIVATIONS.get(activation_op.kind)
            if activation is None or len(activation_op.inputs) != 1:
                continue
            source = activation_op.inputs[0]
            producer_index = producers.get(source)
            if producer_index is None:
                continue
            producer = graph.operators[producer_index]
            attrs = producer.attrs
            if (
                producer.kind not in FUSABLE_PRODUCERS
                or not isinstance(attrs, _FusableAttrs)
                or attrs.activation is not Activation.NONE
                or consumers.get(source) != [index]
                or source in graph.outputs
            ):
                continue
            source_tensor = graph.tensors[source]
            target = activation_op.outputs[0]
            target_tensor = graph.tensors[target]
            if (
                source_tensor.quantization is None
                or source_tensor.quantization != target_tensor.quantization
                or source_tensor.dtype != target_tensor.dtype
                or source_tensor.shape != target_tensor.shape
            ):
                continue
            fused = replace(producer, attrs=replace(attrs, activation=activation), outputs=(target,))
            graph = without_operators(with_operator(graph, producer_index, fused), {index})
            changed = True
            break
    return graph
