"""TRANSPOSE_CONV: int8 activations with int32 bias, or 16x8 (int16 activations)
with int64 (or int16, widened) bias; int8 weights per-channel or per-tensor.

Inputs are (output_shape, filter, input, bias?). TFLM takes the output size from
the output tensor, and the padding from `ComputePaddingHeightWidth` over that
size. Its kernels ignore the filter zero point, and the 16x8 kernel also the
activation zero points.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tinymlc.ir import DType, TransposeConvAttrs
from tinymlc.ops._common import (
    OpView,
    PaddingValues,
    compute_padding,
    int_values,
    per_tensor,
    quantization,
    require,
    require_arity,
    require_dtype,
)
from tinymlc.ops._conv_common import ConvQuantization, conv_quantization
from tinymlc.ops._linear_mode import INT8_MODE, LinearMode

OUTPUT_SHAPE, FILTER, INPUT, BIAS = range(4)


@dataclass(frozen=True)
class TransposeConvParams:
    padding: PaddingValues
    """OpData.params.padding_values (ComputePaddingHeightWidth over the output)."""
    stride_h: int
    stride_w: int
    quantization: ConvQuantization
    input_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    """[out_channels, filter_h, filter_w, in_channels]."""
    output_shape: tuple[int, int, int, int]
    has_bias: bool
    mode: LinearMode
    """int8 (int32 accumulation) or 16x8 (int64 accumulation)."""
    widened_bias: tuple[int, ...] | None
    """An int16 bias as the int64 values TFLM converts it to in Eval (else None)."""


@dataclass(frozen=True)
class TransposeConvGeometry:
    """What every type's TRANSPOSE_CONV shares: its shapes and padding."""

    padding: PaddingValues
    input_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]


def transpose_conv_attrs(view: OpView) -> TransposeConvAttrs:
    """The options and operand count every type's TRANSPOSE_CONV requires."""
    attrs = view.op.attrs
    require(
        isinstance(attrs, TransposeConvAttrs),
        "TRANSPOSE_CONV has no TransposeConvOptions",
        "re-export the model",
    )
    assert isinstance(attrs, TransposeConvAttrs)
    require_arity(view, (3, 4))
    return attrs


def transpose_conv_geometry(view: OpView, attrs: TransposeConvAttrs) -> TransposeConvGeometry:
    """The 4-D shapes connected by the filter; the padding TFLM computes over the
    output size."""
    input_, filter_, output = view.input(INPUT), view.input(FILTER), view.output()
    for tensor, role in ((input_, "input"), (filter_, "filter"), (output, "output")):
        require(len(tensor.shape) == 4, f"{role} must be 4-D, is {list(tensor.shape)}", "", tensor)
    batches, in_h, in_w, in_depth = input_.shape
    out_channels, filter_h, filter_w, filter_depth = filter_.shape
    out_batches, out_h, out_w, output_depth = output.shape
    require(
        filter_depth == in_depth and out_channels == output_depth and out_batches == batches,
        f"filter {list(filter_.shape)} does not connect input {list(input_.shape)} to output "
        f"{list(output.shape)}",
        "re-export the model",
        filter_,
    )
    padding, _ = compute_padding(
        attrs.padding, (attrs.stride_h, attrs.stride_w), (1, 1), (out_h, out_w), (filter_h, filter_w)
    )
    return TransposeConvGeometry(
        padding,
        (batches, in_h, in_w, in_depth),
        (out_channels, filter_h, filter_w, filter_depth),
        (out_batches, out_h, out_w, output_depth),
    )


def prepare(view: OpView) -> TransposeConvParams:
    attrs = transpose_conv_attrs(view)
    input_, filter_, output = view.input(INPUT), view.input(FILTER), view.output()
    bias = view.optional_input(BIAS)
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(filter_, [DType.INT8], "filter")
    require_dtype(output, [input_.dtype], "output")
    require(filter_.is_constant, "filter must be constant", "freeze the weights", filter_)
    geometry = transpose_conv_geometry(view, attrs)
    out_channels = geometry.filter_shape[0]
    per_tensor(input_)
    per_tensor(output)
    filter_quant = quantization(filter_)
    require(
        len(filter_quant.scales) in (1, out_channels),
        f"filter has {len(filter_quant.scales)} scales for {out_channels} output channels",
        "quantize the filter per output channel (axis 0) or per tensor",
        filter_,
    )
    mode = INT8_MODE if input_.dtype is DType.INT8 else LinearMode(DType.INT16, DType.INT64)
    widened_bias = None
    if bias is not None:
        require_dtype(
            bias, [DType.INT32] if input_.dtype is DType.INT8 else [DType.INT64, DType.INT16], "bias"
        )
        require(bias.is_constant, "bias must be constant", "freeze the weights", bias)
        require(bias.num_elements == out_channels, "bias size != output channels", "", bias)
        if bias.dtype is DType.INT16:
            widened_bias = int_values(bias)
    quant = conv_quantization(input_, filter_, output, attrs.activation, out_channels, mode)
    return TransposeConvParams(
        padding=geometry.padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        quantization=dataclasses.replace(quant, weights_offset=0),
        input_shape=geometry.input_shape,
        filter_shape=geometry.filter_shape,
        output_shape=geometry.output_shape,
        has_bias=bias is not None,
        mode=mode,
        widened_bias=widened_bias,
    )
