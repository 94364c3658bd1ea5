"""AveragePool, MaxPool, GlobalAveragePool, ReduceMean (QDQ) and QLinearAveragePool,
QLinearGlobalAveragePool -> AVERAGE_POOL_2D, MAX_POOL_2D, MEAN."""

from __future__ import annotations

from tinymlc.frontend.onnx.builder import Builder, Operand, QParams, UnsupportedNodeError, ir_axis
from tinymlc.frontend.onnx.node import Node, act, int_list_input_or_attr
from tinymlc.frontend.onnx.spatial import spatial
from tinymlc.ir import Activation, OpKind, Pool2DAttrs, ReducerAttrs


def pool_window(builder: Builder, node: Node, x: int) -> tuple[tuple[int, int, int, int], Pool2DAttrs, bool]:
    """(ONNX output shape, the pooling's attributes, whether it averages) of a 2-D pool
    whose window TFLite's SAME/VALID padding reproduces, validated."""
    shape = builder.onnx_shape[x]
    kernel = [int(k) for k in node.attr("kernel_shape") or []]
    if len(shape) != 4 or len(kernel) != 2:
        raise UnsupportedNodeError(f"only 2-D pooling is supported (input shape {list(shape)})")
    if len(node.proto.output) > 1 and node.proto.output[1]:
        raise UnsupportedNodeError("MaxPool's Indices output is not supported")
    geometry = spatial(node, (shape[2], shape[3]), (kernel[0], kernel[1]))
    if geometry.dilations != (1, 1):
        raise UnsupportedNodeError("dilated pooling is not supported")
    padding = geometry.tflite_padding((shape[2], shape[3]), (kernel[0], kernel[1]))
    average = node.op_type.endswith("AveragePool")
    if padding is None or (average and int(node.attr("count_include_pad", 0)) and padding.name == "SAME"):
        raise UnsupportedNodeError(
            f"pads {list(geometry.pads)} (count_include_pad={node.attr('count_include_pad', 0)}) differ from "
            "TFLite's SAME/VALID pooling windows"
        )
    if int(node.attr("channels_last", 0)):
        raise UnsupportedNodeError("channels_last=1 is not supported")
    attrs = Pool2DAttrs(padding, *geometry.strides, kernel[0], kernel[1], Activation.NONE)
    return (shape[0], shape[1], *geometry.output), attrs, average


def lower_pool(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    out_shape, attrs, average = pool_window(builder, node, x.tensor)
    # TFLM pools keep the input's quantization; a different output scale is a requantize.
    output = builder.activation(node.output_name(), out_shape, builder.qparams(x.tensor))
    builder.op(OpKind.AVERAGE_POOL_2D if average else OpKind.MAX_POOL_2D, [x.tensor], [output], attrs)
    return [builder.requantize(output, out[0].quantization(), f"{node.output_name()}/requantized")]


def _mean(builder: Builder, node: Node, x: int, axes: list[int], keep: bool, out: QParams) -> list[int]:
    shape = builder.onnx_shape[x]
    rank = len(shape)
    onnx_axes = sorted({a % rank for a in axes} if axes else set(range(rank)))
    out_shape = tuple((1 if a in onnx_axes else n) for a, n in enumerate(shape) if keep or a not in onnx_axes)
    kept = [a for a in (0, 2, 3, 1) if a not in onnx_axes] if rank == 4 else []
    in_order = [a for a in kept if shape[a] != 1] == sorted(a for a in kept if shape[a] != 1)
    source, ir_axes = x, [ir_axis(a, rank) for a in onnx_axes]
    if rank == 4 and not keep and not in_order:
        source, ir_axes = builder.onnx_ordered(x), onnx_axes
    output = builder.activation(node.output_name(), out_shape, out)
    axis_tensor = builder.int32_vector(f"{node.name}/axes", sorted(ir_axes))
    builder.op(OpKind.MEAN, [source, axis_tensor], [output], ReducerAttrs(keep))
    return [output]


def lower_global_average_pool(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    if int(node.attr("channels_last", 0)):
        raise UnsupportedNodeError("channels_last=1 is not supported")
    rank = len(builder.onnx_shape[x.tensor])
    if rank < 3:
        raise UnsupportedNodeError("input must have spatial dimensions")
    return _mean(builder, node, x.tensor, list(range(2, rank)), True, out[0])


def lower_reduce_mean(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    axes = int_list_input_or_attr(node, inputs, 1, "axes", 18) or []
    if not axes and int(node.attr("noop_with_empty_axes", 0)):
        raise UnsupportedNodeError("noop_with_empty_axes=1 with no axes")
    return _mean(builder, node, x.tensor, axes, bool(node.attr("keepdims", 1)), out[0])


LOWERINGS = {
    "AveragePool": lower_pool,
    "MaxPool": lower_pool,
    "GlobalAveragePool": lower_global_average_pool,
    "ReduceMean": lower_reduce_mean,
}
