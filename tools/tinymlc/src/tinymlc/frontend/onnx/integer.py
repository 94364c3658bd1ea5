"""MatMulInteger and ConvInteger: int32 accumulators of integer operands with zero points,
the int8 kernels' accumulator output (`exact_integer.py`). The int8 kernels take one
weight zero point per tensor, or per-channel ones folded into int8 weights; per-channel
zero points that leave the weights beyond int8 take the float32 kernels on the operands'
integers (`q - zero_point`, exact in float32) instead, CAST to int32: every product and
partial sum is an integer below 2^24 in magnitude (checked here from the weights and the
input type's range), where float32 addition is exact in any order. Dynamic-quantization
graphs follow them with Cast to float (a CAST) and Mul by a scale: Mul/Add with
constants stay float32 operators (`lower_float_arithmetic`).

`integers` and `require_exact`: the float32 integers of an activation (`q - zero_point`)
and the bound below which float32 sums of them are exact, for `--onnx_exact`'s
QLinearGlobalAveragePool and QLinearMul.
"""

from __future__ import annotations

import numpy as np

from tinymlc.frontend.onnx.builder import NCHW_TO_NHWC, Act, Builder, Const, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.conv import conv_dimensions
from tinymlc.frontend.onnx.exact_integer import ZeroPointsNotFoldedError, conv_accumulator, matmul_accumulator
from tinymlc.frontend.onnx.node import Node
from tinymlc.frontend.onnx.spatial import spatial
from tinymlc.ir import (
    Activation,
    BatchMatMulAttrs,
    Conv2DAttrs,
    DType,
    ElementwiseAttrs,
    FullyConnectedAttrs,
    OpKind,
    Padding,
    Tensor,
)

# Integers up to this magnitude are exact in float32, and so are their sums.
FLOAT32_EXACT_INTEGERS = 1 << 24


def integers(builder: Builder, source: int, zero_point: int, name: str) -> int:
    """Float32 activation of `source`'s stored int8 values minus `zero_point` (the int8
    zero point: a uint8 one moved by -128): a CAST, then an ADD of `-zero_point` (both
    exact: small integers)."""
    onnx_shape, layout = builder.onnx_shape[source], builder.layout[source]
    stored = builder.activation(f"{name}/stored", onnx_shape, None, layout)
    builder.op(OpKind.CAST, [source], [stored])
    if zero_point == 0:
        return stored
    real = builder.activation(name, onnx_shape, None, layout)
    offset = builder.constant(f"{name}/offset", np.full((1,) * len(onnx_shape), -zero_point), DType.FLOAT32)
    builder.op(OpKind.ADD, [stored, offset], [real], ElementwiseAttrs(Activation.NONE))
    return real


def largest_integer(zero_point: int) -> int:
    """The largest |q - zero_point| of an int8 q."""
    return max(zero_point + 128, 127 - zero_point)


def require_exact(bound: int) -> None:
    if bound >= FLOAT32_EXACT_INTEGERS:
        raise UnsupportedNodeError(
            f"its accumulators may reach {bound}, beyond 2^24 where the float32 kernels "
            "computing them stop being exact"
        )


def _integer_weights(weights: Const, zero_point: np.ndarray, unsigned: bool, axis: int) -> Const:
    """`weights` as quantized weights (scale 1) with their zero point, one per tensor or
    one per channel along `axis`."""
    if weights.data.dtype != (np.uint8 if unsigned else np.int8):
        raise UnsupportedNodeError(f"weights of type {weights.data.dtype} do not match their zero point")
    zero_points = tuple(int(z) for z in zero_point.reshape(-1))
    per_channel = len(zero_points) > 1
    qparams = QParams((1.0,) * len(zero_points), zero_points, unsigned, axis if per_channel else None)
    return Const(weights.data, qparams)


def lower_matmul_integer(
    builder: Builder, node: Node, lhs: int, rhs: Const, rhs_zero_point: np.ndarray, rhs_unsigned: bool
) -> int:
    """The int32 output of lhs @ rhs with constant 2-D `rhs`: the int8 kernels'
    accumulator output, or the float32 one for per-column zero points that leave the
    weights beyond int8."""
    if rhs.data.ndim != 2:
        raise UnsupportedNodeError(f"B must be a 2-D constant, is {list(rhs.data.shape)}")
    weights = _integer_weights(rhs, rhs_zero_point, rhs_unsigned, 1)
    try:
        return matmul_accumulator(builder, node, [Act(lhs), weights], node.output_name())
    except ZeroPointsNotFoldedError:
        zero_point = builder.quantization(lhs).zero_point
        accumulator = _float_matmul_accumulator(
            builder, node, lhs, zero_point, rhs, rhs_zero_point, rhs_unsigned
        )
        return _accumulate_to_int32(builder, accumulator, node.output_name())


def lower_conv_integer(
    builder: Builder,
    node: Node,
    x: int,
    weights: Const,
    weight_zero_point: np.ndarray,
    weights_unsigned: bool,
) -> int:
    """The int32 output of ConvInteger (padding is the input's zero point, i.e. integer
    0): the int8 kernels' accumulator output, or the float32 one for per-channel zero
    points that leave the weights beyond int8."""
    integer_weights = _integer_weights(weights, weight_zero_point, weights_unsigned, 0)
    try:
        return conv_accumulator(
            builder, node, [Act(builder.standard(x)), integer_weights], node.output_name()
        )
    except ZeroPointsNotFoldedError:
        zero_point = builder.quantization(x).zero_point
        accumulator = _float_conv_accumulator(
            builder, node, x, zero_point, weights, weight_zero_point, weights_unsigned
        )
        return _accumulate_to_int32(builder, accumulator, node.output_name())


def _weight_integers(weights: Const, zero_point: np.ndarray, axis: int, unsigned: bool) -> np.ndarray:
    """`weights - zero_point` as int64; a 1-D zero point runs along `axis`."""
    values = weights.data.astype(np.int64)
    if weights.data.dtype != (np.uint8 if unsigned else np.int8):
        raise UnsupportedNodeError(f"weights of type {weights.data.dtype} do not match their zero point")
    shape = [1] * values.ndim
    if zero_point.size > 1:
        if zero_point.size != values.shape[axis]:
            raise UnsupportedNodeError(
                f"weight zero point of {zero_point.size} values for {values.shape[axis]} channels"
            )
        shape[axis] = -1
    return values - zero_point.astype(np.int64).reshape(shape if zero_point.size > 1 else [1])


def _accumulate_to_int32(builder: Builder, accumulator: int, name: str) -> int:
    """The float32 accumulator CAST to int32."""
    output = builder.add_tensor(Tensor(name, builder.tensor(accumulator).shape, DType.INT32, None))
    builder.onnx_shape[output] = builder.onnx_shape[accumulator]
    builder.layout[output] = builder.layout[accumulator]
    builder.op(OpKind.CAST, [accumulator], [output])
    return output


def _float_matmul_accumulator(
    builder: Builder,
    node: Node,
    lhs: int,
    lhs_zero_point: int,
    rhs: Const,
    rhs_zero_point: np.ndarray,
    rhs_unsigned: bool,
    bias: np.ndarray | None = None,
) -> int:
    """Float accumulator of lhs @ rhs (+ an integer `bias` per column) with constant `rhs`:
    FULLY_CONNECTED over lhs's last axis when there is a bias, else BATCH_MATMUL."""
    if rhs.data.ndim != 2:
        raise UnsupportedNodeError(f"B must be a 2-D constant, is {list(rhs.data.shape)}")
    shape = builder.onnx_shape[lhs]
    if len(shape) < 2 or shape[-1] != rhs.data.shape[0]:
        raise UnsupportedNodeError(f"A {list(shape)} and B {list(rhs.data.shape)} do not multiply")
    weights = _weight_integers(rhs, rhs_zero_point, 1, rhs_unsigned)
    largest_bias = 0 if bias is None else int(np.abs(bias.astype(np.int64)).max(initial=0))
    bound = int(np.abs(weights).sum(axis=0).max(initial=0)) * largest_integer(lhs_zero_point)
    require_exact(bound + largest_bias)
    ordered = builder.onnx_ordered(integers(builder, lhs, lhs_zero_point, f"{node.name}/a"))
    out_shape = (*shape[:-1], int(rhs.data.shape[1]))
    accumulator = builder.activation(
        f"{node.name}/accumulator", out_shape, None, tuple(range(len(out_shape)))
    )
    if bias is None:
        rhs_id = builder.constant(f"{node.name}/b", weights, DType.FLOAT32)
        attrs = BatchMatMulAttrs(adj_x=False, adj_y=False, asymmetric_quantize_inputs=False)
        builder.op(OpKind.BATCH_MATMUL, [ordered, rhs_id], [accumulator], attrs)
        return accumulator
    filter_id = builder.constant(f"{node.name}/filter", weights.T, DType.FLOAT32)
    bias_id = builder.constant(f"{node.name}/bias", bias.reshape(-1), DType.FLOAT32)
    fc_attrs = FullyConnectedAttrs(
        Activation.NONE, 0, keep_num_dims=len(shape) > 2, asymmetric_quantize_inputs=False
    )
    builder.op(OpKind.FULLY_CONNECTED, [ordered, filter_id, bias_id], [accumulator], fc_attrs)
    return accumulator


def _float_conv_accumulator(
    builder: Builder,
    node: Node,
    x: int,
    x_zero_point: int,
    weights: Const,
    weight_zero_point: np.ndarray,
    weights_unsigned: bool,
    bias: np.ndarray | None = None,
) -> int:
    """Float accumulator of a convolution of integers (+ an integer `bias` per output
    channel): padding is the zero point, i.e. integer 0, as the float kernels pad."""
    (batch, channels, height, width), (out_channels, _, kh, kw), _ = conv_dimensions(
        builder.onnx_shape[x], node, weights.data.shape
    )
    values = _weight_integers(weights, weight_zero_point, 0, weights_unsigned)
    bound = int(np.abs(values).reshape(out_channels, -1).sum(axis=1).max(initial=0))
    largest_bias = 0 if bias is None else int(np.abs(bias.astype(np.int64)).max(initial=0))
    require_exact(bound * largest_integer(x_zero_point) + largest_bias)
    geometry = spatial(node, (height, width), (kh, kw))
    source = integers(builder, builder.standard(x), x_zero_point, f"{node.name}/x")
    padding = geometry.tflite_padding((height, width), (kh, kw))
    if padding is None:
        top, left, bottom, right = geometry.pads
        padded = builder.activation(
            f"{node.name}/padded", (batch, channels, height + top + bottom, width + left + right), None
        )
        paddings = builder.constant(
            f"{node.name}/paddings", np.array([[0, 0], [top, bottom], [left, right], [0, 0]]), DType.INT32
        )
        builder.op(OpKind.PAD, [source, paddings], [padded])
        source, padding = padded, Padding.VALID
    filter_id = builder.constant(f"{node.name}/filter", values.transpose(NCHW_TO_NHWC), DType.FLOAT32)
    operands = [source, filter_id]
    if bias is not None:
        operands.append(builder.constant(f"{node.name}/bias", bias.reshape(-1), DType.FLOAT32))
    accumulator = builder.activation(
        f"{node.name}/accumulator", (batch, out_channels, *geometry.output), None
    )
    (stride_h, stride_w), (dilation_h, dilation_w) = geometry.strides, geometry.dilations
    attrs = Conv2DAttrs(padding, stride_h, stride_w, dilation_h, dilation_w, Activation.NONE)
    builder.op(OpKind.CONV_2D, operands, [accumulator], attrs)
    return accumulator


def lower_float_arithmetic(builder: Builder, node: Node, x: int, constant: Const) -> int:
    """Mul or Add of a float32 activation and a float constant (a dynamic-quantization
    graph's scale and bias after its integer accumulator), as float32 MUL / ADD."""
    if node.op_type not in ("Mul", "Add"):
        raise UnsupportedNodeError("only Mul and Add by constants follow an integer accumulator here")
    shape = builder.onnx_shape[x]
    data = np.asarray(constant.data, dtype=np.float32)
    try:
        out_shape = tuple(int(d) for d in np.broadcast_shapes(shape, data.shape))
    except ValueError as exc:
        raise UnsupportedNodeError(f"{list(data.shape)} does not broadcast to {list(shape)}") from exc
    if out_shape != shape:
        raise UnsupportedNodeError(f"the constant {list(data.shape)} would broadcast the activation")
    source = builder.onnx_ordered(x)
    # The constant in ONNX element order, with the activation's rank.
    operand = builder.constant(
        f"{node.name}/constant", data.reshape((1,) * (len(shape) - data.ndim) + data.shape), DType.FLOAT32
    )
    output = builder.activation(node.output_name(), shape, None, tuple(range(len(shape))))
    kind = OpKind.MUL if node.op_type == "Mul" else OpKind.ADD
    builder.op(kind, [source, operand], [output], ElementwiseAttrs(Activation.NONE))
    return output
