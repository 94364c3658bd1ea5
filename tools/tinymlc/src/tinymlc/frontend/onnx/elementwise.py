"""Add, Sub, Mul (QDQ) and QLinearAdd, QLinearMul -> ADD, SUB, MUL with broadcasting."""

from __future__ import annotations

import numpy as np

from tinymlc.frontend.onnx.builder import (
    NCHW_TO_NHWC,
    Act,
    Builder,
    Const,
    Operand,
    QParams,
    UnsupportedNodeError,
)
from tinymlc.frontend.onnx.node import Node
from tinymlc.frontend.onnx.weights import constant_operand
from tinymlc.ir import Activation, ElementwiseAttrs, OpKind

_KINDS = {"Add": OpKind.ADD, "Sub": OpKind.SUB, "Mul": OpKind.MUL}


def operand_tensor(
    builder: Builder, node: Node, operand: Operand | None, index: int, rank: int
) -> tuple[int, tuple[int, ...]]:
    """IR tensor of an operand broadcast against an output of rank `rank`, and its ONNX shape."""
    if isinstance(operand, Act):
        shape = builder.onnx_shape[operand.tensor]
        if rank == 4 and len(shape) != 4:
            raise UnsupportedNodeError(f"an activation of rank {len(shape)} broadcast against a 4-D tensor")
        return operand.tensor, shape
    if not isinstance(operand, Const):
        raise UnsupportedNodeError(f"input {index} is missing")
    shape = tuple(int(d) for d in operand.data.shape)
    data = broadcast_layout(operand.data, rank)
    return constant_operand(builder, f"{node.name}/operand{index}", Const(data, operand.qparams)), shape


def broadcast_layout(data: np.ndarray, rank: int) -> np.ndarray:
    """A constant operand with `rank` axes (leading 1s), laid out as activations of that
    rank are (NHWC for rank 4)."""
    shaped = data.reshape((1,) * (rank - data.ndim) + data.shape)
    return np.ascontiguousarray(shaped.transpose(NCHW_TO_NHWC) if rank == 4 else shaped)


def broadcast_shape(builder: Builder, inputs: list[Operand | None]) -> tuple[int, ...]:
    """The ONNX shape two operands broadcast to."""
    if len(inputs) != 2:
        raise UnsupportedNodeError("expected two inputs")
    shapes = [
        builder.onnx_shape[o.tensor]
        if isinstance(o, Act)
        else tuple(o.data.shape)
        if isinstance(o, Const)
        else ()
        for o in inputs
    ]
    try:
        out_shape = tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError as exc:
        raise UnsupportedNodeError(f"shapes {[list(s) for s in shapes]} do not broadcast") from exc
    if not any(isinstance(o, Act) for o in inputs):
        raise UnsupportedNodeError("both operands are constants")
    return out_shape


def lower_binary(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    out_shape = broadcast_shape(builder, inputs)
    operands = [operand_tensor(builder, node, o, i, len(out_shape))[0] for i, o in enumerate(inputs)]
    output = builder.activation(node.output_name(), out_shape, out[0])
    builder.op(
        _KINDS[node.op_type.removeprefix("QLinear")], operands, [output], ElementwiseAttrs(Activation.NONE)
    )
    return [output]


LOWERINGS = {"Add": lower_binary, "Sub": lower_binary, "Mul": lower_binary}
