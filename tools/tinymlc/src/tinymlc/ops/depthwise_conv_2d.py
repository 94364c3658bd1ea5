"""DEPTHWISE_CONV_2D: int8 activations with int32 bias, or 16x8 (int16
activations) with int64 bias; int8 per-channel weights."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DepthwiseConv2DAttrs, DType
from tinymlc.ops._common import OpView, PaddingValues, require
from tinymlc.ops._conv_common import (
    ConvQuantization,
    check_conv_tensors,
    conv_quantization,
    conv_window_output,
)
from tinymlc.ops._linear_mode import LinearMode

# TFLM kDepthwiseConvQuantizedDimension: filters are [1, h, w, out_channels].
QUANTIZED_DIMENSION = 3


@dataclass(frozen=True)
class DepthwiseConv2DParams:
    padding: PaddingValues
    """OpDataConv.padding (ComputePaddingHeightWidth)."""
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    depth_multiplier: int
    """DepthwiseParams.depth_multiplier: output channels per input channel."""
    quantization: ConvQuantization
    input_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    """[1, filter_h, filter_w, out_channels]."""
    output_shape: tuple[int, int, int, int]
    has_bias: bool
    mode: LinearMode
    """int8, or 16x8 (always int64 accumulation: TFLM reads the bias as int64)."""


def prepare(view: OpView) -> DepthwiseConv2DParams:
    attrs = view.op.attrs
    require(
        isinstance(attrs, DepthwiseConv2DAttrs),
        "DEPTHWISE_CONV_2D has no DepthwiseConv2DOptions",
        "re-export the model",
    )
    assert isinstance(attrs, DepthwiseConv2DAttrs)
    input_, filter_, bias, output, mode = check_conv_tensors(
        view, QUANTIZED_DIMENSION, DType.FLOAT32, int32_bias_in_16x8=False
    )
    batches, in_h, in_w, in_depth = input_.shape
    one, filter_h, filter_w, out_channels = filter_.shape
    require(one == 1, f"depthwise filter must be [1, h, w, c], is {list(filter_.shape)}", "", filter_)
    # The reference kernel derives the multiplier from the shapes and checks it
    # against the option; trust shapes, but insist they agree.
    require(
        in_depth > 0 and out_channels == in_depth * attrs.depth_multiplier,
        f"output channels {out_channels} != input depth {in_depth} x depth_multiplier "
        f"{attrs.depth_multiplier}",
        "fix depth_multiplier",
        filter_,
    )
    padding, output_shape = conv_window_output(view, attrs, input_.shape, (filter_h, filter_w), out_channels)
    return DepthwiseConv2DParams(
        padding=padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        dilation_h=attrs.dilation_h,
        dilation_w=attrs.dilation_w,
        depth_multiplier=attrs.depth_multiplier,
        quantization=conv_quantization(input_, filter_, output, attrs.activation, out_channels, mode),
        input_shape=(batches, in_h, in_w, in_depth),
        filter_shape=(one, filter_h, filter_w, out_channels),
        output_shape=output_shape,
        has_bias=bias is not None,
        mode=mode,
    )
