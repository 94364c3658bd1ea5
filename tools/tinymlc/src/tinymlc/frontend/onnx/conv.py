"""Conv (QDQ) and QLinearConv -> CONV_2D or DEPTHWISE_CONV_2D, with a PAD first when
the model pads in a way TFLite's SAME/VALID does not."""

from __future__ import annotations

import numpy as np

from tinymlc.frontend.onnx.builder import (
    NCHW_TO_NHWC,
    Builder,
    Operand,
    OutputOf,
    QParams,
    UnsupportedNodeError,
    quantized_output,
)
from tinymlc.frontend.onnx.node import Node, act, const, optional_const
from tinymlc.frontend.onnx.spatial import spatial
from tinymlc.frontend.onnx.weights import WeightsOf, bias_tensor, folded_weights
from tinymlc.ir import Activation, Conv2DAttrs, DepthwiseConv2DAttrs, DType, OpKind, Padding, Quantization


def conv_dimensions(
    shape: tuple[int, ...], node: Node, weight_shape: tuple[int, ...]
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], int]:
    """(N, C, H, W) of the input, (M, C / group, kh, kw) of the weights and the group of a
    2-D convolution, validated."""
    if len(shape) != 4 or len(weight_shape) != 4:
        raise UnsupportedNodeError(f"only 2-D convolutions are supported (input shape {list(shape)})")
    batch, channels, height, width = shape
    out_channels, group_channels, kh, kw = weight_shape
    group = int(node.attr("group", 1))
    if group < 1 or channels != group * group_channels or out_channels % group:
        raise UnsupportedNodeError(
            f"group {group} does not divide {channels} input / {out_channels} output channels"
        )
    return (batch, channels, height, width), (out_channels, group_channels, kh, kw), group


def lower_conv(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    return [conv_layer(builder, node, inputs, quantized_output(builder, node.output_name(), out[0]))]


def conv_layer(
    builder: Builder,
    node: Node,
    inputs: list[Operand | None],
    output_of: OutputOf,
    weights_of: WeightsOf = folded_weights,
) -> int:
    """The CONV_2D or DEPTHWISE_CONV_2D of a Conv (and the PAD before it): its output the
    activation `output_of` makes for the ONNX output shape, its filter `weights_of`'s."""
    x = act(inputs, 0)
    weights = const(inputs, 1, "weights")
    bias = optional_const(inputs, 2, "bias")
    (batch, channels, height, width), (out_channels, group_channels, kh, kw), group = conv_dimensions(
        builder.onnx_shape[x.tensor], node, weights.data.shape
    )
    geometry = spatial(node, (height, width), (kh, kw))
    values, scales, zero_point = weights_of(weights, 0)
    input_quant = builder.quantization(x.tensor)
    bias_id = bias_tensor(builder, f"{node.name}/bias", bias, input_quant.scale, scales)
    source = x.tensor
    padding = geometry.tflite_padding((height, width), (kh, kw))
    if padding is None:
        top, left, bottom, right = geometry.pads
        padded_shape = (batch, height + top + bottom, width + left + right, channels)
        padded = builder.raw_activation(f"{node.name}/padded", padded_shape, input_quant)
        paddings = builder.constant(
            f"{node.name}/paddings",
            np.array([[0, 0], [top, bottom], [left, right], [0, 0]]),
            DType.INT32,
        )
        builder.op(OpKind.PAD, [source, paddings], [padded])
        source, padding = padded, Padding.VALID
    output = output_of((batch, out_channels, *geometry.output), None)
    (stride_h, stride_w), (dilation_h, dilation_w) = geometry.strides, geometry.dilations
    depthwise = group == channels and group_channels == 1 and group > 1
    if depthwise:
        filter_values = (
            values.reshape(out_channels, kh, kw).transpose(1, 2, 0).reshape(1, kh, kw, out_channels)
        )
        filter_id = builder.constant(
            f"{node.name}/filter",
            filter_values,
            DType.INT8,
            Quantization(scales, (zero_point,) * out_channels, 3),
        )
        attrs_dw = DepthwiseConv2DAttrs(
            padding, stride_h, stride_w, dilation_h, dilation_w, out_channels // channels, Activation.NONE
        )
        builder.op(OpKind.DEPTHWISE_CONV_2D, [source, filter_id, bias_id], [output], attrs_dw)
    else:
        filter_id = builder.constant(
            f"{node.name}/filter",
            values.transpose(NCHW_TO_NHWC),
            DType.INT8,
            Quantization(scales, (zero_point,) * out_channels, 0),
        )
        attrs = Conv2DAttrs(padding, stride_h, stride_w, dilation_h, dilation_w, Activation.NONE)
        builder.op(OpKind.CONV_2D, [source, filter_id, bias_id], [output], attrs)
    return output


LOWERINGS = {"Conv": lower_conv}
