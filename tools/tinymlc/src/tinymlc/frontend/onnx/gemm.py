"""Gemm, MatMul (QDQ), QGemm and QLinearMatMul -> FULLY_CONNECTED (constant weights)."""

from __future__ import annotations

import math

import numpy as np

from tinymlc.frontend.onnx.builder import (
    Act,
    Builder,
    Const,
    Operand,
    OutputOf,
    QParams,
    UnsupportedNodeError,
    quantized_output,
    signed_data,
)
from tinymlc.frontend.onnx.node import Node, act, optional_const
from tinymlc.frontend.onnx.weights import WeightsNotInt8Error, WeightsOf, bias_tensor, folded_weights
from tinymlc.ir import Activation, BatchMatMulAttrs, DType, FullyConnectedAttrs, OpKind, Quantization


def fully_connected(
    builder: Builder,
    node: Node,
    x: int,
    weights: Const,
    transposed: bool,
    bias: Const | None,
    output_of: OutputOf,
    weights_of: WeightsOf = folded_weights,
) -> int:
    """y = x @ W (+ bias) over x's last ONNX axis; W is [K, N], or [N, K] when `transposed`."""
    if weights.data.ndim != 2:
        raise UnsupportedNodeError(f"weights must be 2-D, are {list(weights.data.shape)}")
    values, scales, zero_point = weights_of(weights, 0 if transposed else 1)
    filter_values = values if transposed else values.T
    units, depth = filter_values.shape
    ordered = builder.onnx_ordered(x)
    shape = builder.onnx_shape[x]
    if shape[-1] != depth:
        raise UnsupportedNodeError(f"input's last dimension {shape[-1]} != weights' inner dimension {depth}")
    input_quant = builder.quantization(x)
    filter_id = builder.constant(
        f"{node.name}/filter", filter_values, DType.INT8, Quantization(scales, (zero_point,) * units, 0)
    )
    bias_id = bias_tensor(builder, f"{node.name}/bias", bias, input_quant.scale, scales)
    out_shape = (*shape[:-1], units)
    # The product is in ONNX order; it stays so (operators needing NHWC relay it).
    output = output_of(out_shape, tuple(range(len(out_shape))))
    attrs = FullyConnectedAttrs(
        Activation.NONE, 0, keep_num_dims=len(shape) > 2, asymmetric_quantize_inputs=False
    )
    builder.op(OpKind.FULLY_CONNECTED, [ordered, filter_id, bias_id], [output], attrs)
    if len(shape) < 2 or math.prod(shape) == 0:
        raise UnsupportedNodeError(f"input shape {list(shape)} cannot be multiplied")
    return output


def gemm_operands(node: Node, inputs: list[Operand | None]) -> tuple[int, Const, bool, Const | None]:
    """(input, weights, whether the weights are [N, K], bias) of a Gemm, validated."""
    x = act(inputs, 0)
    if int(node.attr("transA", 0)):
        raise UnsupportedNodeError("transA=1 (a transposed activation) is not supported")
    if float(node.attr("alpha", 1.0)) != 1.0:
        raise UnsupportedNodeError("alpha != 1 is not supported")
    weights = inputs[1]
    if not isinstance(weights, Const):
        raise UnsupportedNodeError("B must be constant weights (activation x activation is not supported)")
    bias = optional_const(inputs, 2, "C")
    if bias is not None and float(node.attr("beta", 1.0)) != 1.0:
        raise UnsupportedNodeError("beta != 1 is not supported")
    return x.tensor, weights, bool(node.attr("transB", 0)), bias


def lower_gemm(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x, weights, transposed, bias = gemm_operands(node, inputs)
    if len(builder.onnx_shape[x]) != 2:
        raise UnsupportedNodeError("Gemm input must be 2-D")
    return [
        fully_connected(
            builder, node, x, weights, transposed, bias, quantized_output(builder, node.output_name(), out[0])
        )
    ]


def matmul_output_shape(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of lhs @ rhs, both at least 2-D, batch dimensions broadcast."""
    if min(len(lhs_shape), len(rhs_shape)) < 2:
        raise UnsupportedNodeError("1-D MatMul operands are not supported")
    try:
        batch = np.broadcast_shapes(lhs_shape[:-2], rhs_shape[:-2])
    except ValueError as exc:
        raise UnsupportedNodeError(
            f"batch dimensions of {list(lhs_shape)} and {list(rhs_shape)} do not broadcast"
        ) from exc
    return (*(int(d) for d in batch), lhs_shape[-2], rhs_shape[-1])


def batch_matmul(builder: Builder, node: Node, lhs: int, rhs: Operand | None, output_of: OutputOf) -> int:
    """y = lhs @ rhs with per-tensor zero points on both sides (BATCH_MATMUL): activation
    products, batched weights, and weights whose zero point does not fold into int8."""
    if isinstance(rhs, Const):
        qparams = rhs.qparams
        if qparams is None or len(qparams.scales) != 1:
            raise UnsupportedNodeError("batched or asymmetric weights must be quantized per tensor")
        rhs_id = builder.constant(f"{node.name}/rhs", signed_data(rhs), DType.INT8, qparams.quantization())
        rhs_shape = tuple(int(d) for d in rhs.data.shape)
    elif isinstance(rhs, Act):
        rhs_id, rhs_shape = builder.onnx_ordered(rhs.tensor), builder.onnx_shape[rhs.tensor]
    else:
        raise UnsupportedNodeError("the second operand is missing")
    out_shape = matmul_output_shape(builder.onnx_shape[lhs], rhs_shape)
    output = output_of(out_shape, tuple(range(len(out_shape))))
    attrs = BatchMatMulAttrs(adj_x=False, adj_y=False, asymmetric_quantize_inputs=False)
    builder.op(OpKind.BATCH_MATMUL, [builder.onnx_ordered(lhs), rhs_id], [output], attrs)
    return output


def lower_matmul(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    return [matmul(builder, node, inputs, quantized_output(builder, node.output_name(), out[0]))]


def matmul(
    builder: Builder,
    node: Node,
    inputs: list[Operand | None],
    output_of: OutputOf,
    weights_of: WeightsOf = folded_weights,
) -> int:
    """FULLY_CONNECTED for 2-D constant weights `weights_of` takes, else BATCH_MATMUL."""
    x = act(inputs, 0)
    weights = inputs[1] if len(inputs) > 1 else None
    if isinstance(weights, Const) and weights.data.ndim == 2:
        try:
            return fully_connected(builder, node, x.tensor, weights, False, None, output_of, weights_of)
        except WeightsNotInt8Error:
            pass
    return batch_matmul(builder, node, x.tensor, weights, output_of)


LOWERINGS = {"Gemm": lower_gemm, "MatMul": lower_matmul}
