"""Gather (QDQ: an activation indexed by constant indices) -> GATHER.

Indices are normalized (negative ones counted from the end) and validated at compile
time; indices computed at run time have no int8 kernel and are rejected.
"""

from __future__ import annotations

import numpy as np

from tinymlc.frontend.onnx.builder import Builder, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node, act, const
from tinymlc.ir import DType, GatherAttrs, OpKind


def lower_gather(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0, "data")
    indices_operand = const(inputs, 1, "indices")
    if indices_operand.qparams is not None or not np.issubdtype(indices_operand.data.dtype, np.integer):
        raise UnsupportedNodeError("indices must be an integer constant")
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    given_axis = int(node.attr("axis", 0))
    if not -rank <= given_axis < rank:
        raise UnsupportedNodeError(f"axis {given_axis} is out of range for rank {rank}")
    axis = given_axis % rank
    indices = np.asarray(indices_operand.data, dtype=np.int64)
    if indices.size and (indices.min() < -shape[axis] or indices.max() >= shape[axis]):
        raise UnsupportedNodeError(f"indices outside [-{shape[axis]}, {shape[axis]}) of axis {axis}")
    indices = np.where(indices < 0, indices + shape[axis], indices)
    out_shape = shape[:axis] + tuple(int(d) for d in indices.shape) + shape[axis + 1 :]
    # 1-D indices keep the rank, so the gather runs on the input's own layout; other
    # ranks add or drop axes and run in ONNX order (a scalar index as a one-element
    # vector, its axis then reshaped away).
    source = x.tensor if indices.ndim == 1 else builder.onnx_ordered(x.tensor)
    vector = indices.reshape(-1) if indices.ndim == 0 else indices
    gathered_shape = shape[:axis] + tuple(int(d) for d in vector.shape) + shape[axis + 1 :]
    qparams, name = builder.qparams(source), node.output_name()
    layout = builder.layout[source] if indices.ndim == 1 else tuple(range(len(gathered_shape)))
    gathered = builder.activation(name if indices.ndim else f"{name}/kept", gathered_shape, qparams, layout)
    index_tensor = builder.constant(f"{node.name}/indices", vector.astype(np.int32), DType.INT32)
    attrs = GatherAttrs(builder.layout[source].index(axis), 0)
    builder.op(OpKind.GATHER, [source, index_tensor], [gathered], attrs)
    output = gathered
    if indices.ndim == 0:
        output = builder.activation(name, out_shape, qparams, tuple(range(len(out_shape))))
        builder.op(OpKind.RESHAPE, [gathered, builder.int32_vector(f"{name}/shape", out_shape)], [output])
    return [builder.requantize(output, out[0].quantization(), f"{node.output_name()}/requantized")]


LOWERINGS = {"Gather": lower_gather}
