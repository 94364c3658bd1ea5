"""CONV_2D: int8 activations with int32 bias, or 16x8 (int16 activations) with
int64 or int32 bias; int8 per-channel or per-tensor weights."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import Conv2DAttrs
from tinymlc.ops._common import OpView, PaddingValues, gather_scratch_bytes, require
from tinymlc.ops._conv_common import (
    ConvQuantization,
    check_conv_tensors,
    conv_quantization,
    conv_window_output,
)
from tinymlc.ops._linear_mode import LinearMode

# TFLM kConvQuantizedDimension: filters are [out_channels, h, w, in_channels].
QUANTIZED_DIMENSION = 0


@dataclass(frozen=True)
class Conv2DParams:
    padding: PaddingValues
    """OpDataConv.padding (ComputePaddingHeightWidth)."""
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    quantization: ConvQuantization
    input_shape: tuple[int, int, int, int]
    """NHWC."""
    filter_shape: tuple[int, int, int, int]
    """[out_channels, filter_h, filter_w, in_channels / groups]."""
    output_shape: tuple[int, int, int, int]
    has_bias: bool
    groups: int
    """input depth / filter input depth (the reference kernel's grouped conv)."""
    scratch_bytes: int
    """Per-core arena scratch the kernel gathers each output pixel's window into
    (0 for 16x8, whose kernel reads the input in place)."""
    mode: LinearMode
    """int8, or 16x8 with its accumulator."""


def prepare(view: OpView) -> Conv2DParams:
    attrs = view.op.attrs
    require(isinstance(attrs, Conv2DAttrs), "CONV_2D has no Conv2DOptions", "re-export the model")
    assert isinstance(attrs, Conv2DAttrs)
    input_, filter_, bias, output, mode = check_conv_tensors(
        view, QUANTIZED_DIMENSION, attrs.quantized_bias_type, int32_bias_in_16x8=True
    )
    batches, in_h, in_w, in_depth = input_.shape
    out_channels, filter_h, filter_w, filter_depth = filter_.shape
    require(
        filter_depth > 0 and in_depth % filter_depth == 0,
        f"input depth {in_depth} is not a multiple of the filter depth {filter_depth}",
        "fix the filter shape",
        filter_,
    )
    groups = in_depth // filter_depth
    require(out_channels % groups == 0, "output channels not divisible by groups", "", filter_)
    padding, output_shape = conv_window_output(view, attrs, input_.shape, (filter_h, filter_w), out_channels)
    return Conv2DParams(
        padding=padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        dilation_h=attrs.dilation_h,
        dilation_w=attrs.dilation_w,
        quantization=conv_quantization(input_, filter_, output, attrs.activation, out_channels, mode),
        input_shape=(batches, in_h, in_w, in_depth),
        filter_shape=(out_channels, filter_h, filter_w, filter_depth),
        output_shape=output_shape,
        has_bias=bias is not None,
        groups=groups,
        scratch_bytes=0 if mode.is_16x8 else gather_scratch_bytes(filter_h * filter_w * filter_depth),
        mode=mode,
    )


def _first_input(out: int, stride: int, pad: int, dilation: int, taps: int, size: int) -> int | None:
    """The lowest input coordinate the window of output coordinate `out` reads."""
    return next(
        (c for c in (out * stride - pad + tap * dilation for tap in range(taps)) if 0 <= c < size), None
    )


def overlap_distance(params: Conv2DParams) -> int:
    """Bytes the output must start below its input for the kernel to write it over the
    input in one buffer (`conv_2d_overlapped`): each output pixel ends at or before
    the lowest input byte it or any later pixel (NHW order) reads. Mirrors the
    kernel's `overlap_distance`, which refuses anything closer."""
    batches, in_h, in_w, in_c = params.input_shape
    _, out_h, out_w, out_c = params.output_shape
    _, filter_h, filter_w, _ = params.filter_shape
    first_y = [
        _first_input(y, params.stride_h, params.padding.height, params.dilation_h, filter_h, in_h)
        for y in range(out_h)
    ]
    first_x = [
        _first_input(x, params.stride_w, params.padding.width, params.dilation_w, filter_w, in_w)
        for x in range(out_w)
    ]
    lowest_read: int | None = None  # nothing read from here on
    distance = 0
    for pixel in reversed(range(batches * out_h * out_w)):
        batch, rest = divmod(pixel, out_h * out_w)
        y, x = divmod(rest, out_w)
        in_y, in_x = first_y[y], first_x[x]
        if in_y is not None and in_x is not None:
            first = ((batch * in_h + in_y) * in_w + in_x) * in_c
            lowest_read = first if lowest_read is None else min(lowest_read, first)
        if lowest_read is not None:
            distance = max(distance, (pixel + 1) * out_c - lowest_read)
    return distance
