"""Checks and quantization shared by CONV_2D and DEPTHWISE_CONV_2D."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import Activation, Conv2DAttrs, DepthwiseConv2DAttrs, DType, Tensor
from tinymlc.ops._accumulator_output import (
    IDENTITY_MULTIPLIER,
    IDENTITY_SHIFT,
    INT32_RANGE,
    require_accumulator_output,
    require_filter_zero_points,
)
from tinymlc.ops._common import (
    OpView,
    PaddingValues,
    compute_padding,
    per_tensor,
    quantization,
    require,
    require_output_shape,
)
from tinymlc.ops._linear_mode import LinearMode, linear_mode, require_weighted_operands


@dataclass(frozen=True)
class ConvQuantization:
    """Quantization fields common to TFLM's OpDataConv and ConvParams."""

    input_offset: int
    """ConvParams.input_offset = -input zero point (added to each input value)."""
    weights_offset: int
    """ConvParams.weights_offset = -filter zero point (always 0: int8 kernels ignore it)."""
    output_offset: int
    """ConvParams.output_offset = output zero point (added after rescaling)."""
    per_channel_output_multiplier: tuple[int, ...]
    """OpDataConv.per_channel_output_multiplier: Q31 multiplier per output channel."""
    per_channel_output_shift: tuple[int, ...]
    """OpDataConv.per_channel_output_shift: per output channel, positive = left shift."""
    output_activation_min: int
    """OpDataConv.output_activation_min (fused activation folded in)."""
    output_activation_max: int
    """OpDataConv.output_activation_max."""


def check_conv_tensors(
    view: OpView, quantized_dimension: int, quantized_bias_type: DType, *, int32_bias_in_16x8: bool
) -> tuple[Tensor, Tensor, Tensor | None, Tensor, LinearMode]:
    """Type/quantization checks; returns (input, filter, bias, output, mode)."""
    input_, filter_, bias, output = require_weighted_operands(view)
    mode = linear_mode(input_, bias, output, quantized_bias_type, int32_bias_in_16x8=int32_bias_in_16x8)
    require(filter_.is_constant, "filter must be constant", "freeze the weights", filter_)
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    require(len(filter_.shape) == 4, f"filter must be 4-D, is {list(filter_.shape)}", "", filter_)
    per_tensor(input_)
    if not mode.accumulator_output:
        per_tensor(output)
    filter_quant = quantization(filter_)
    channels = filter_.shape[quantized_dimension]
    if filter_quant.is_per_channel:
        # PopulateConvolutionQuantizationParams indexes the scales by output channel
        # whatever quantized_dimension says; it only checks that the dimension
        # it names has one entry per output channel.
        axis = filter_quant.quantized_dimension
        require(
            len(filter_quant.scales) == channels
            and 0 <= axis < len(filter_.shape)
            and filter_.shape[axis] == channels,
            f"filter has {len(filter_quant.scales)} scales along axis {axis} for {channels} output channels",
            "re-export the model",
            filter_,
        )
    require_filter_zero_points(filter_, filter_quant.zero_points, mode.accumulator_output)
    if bias is not None:
        require(bias.is_constant, "bias must be constant", "freeze the weights", bias)
        require(
            bias.num_elements == channels,
            f"bias has {bias.num_elements} elements for {channels} output channels",
            "re-export the model",
            bias,
        )
    return input_, filter_, bias, output, mode


def conv_window_output(
    view: OpView,
    attrs: Conv2DAttrs | DepthwiseConv2DAttrs,
    input_shape: tuple[int, ...],
    filter_size: tuple[int, int],
    out_channels: int,
) -> tuple[PaddingValues, tuple[int, int, int, int]]:
    """ComputePaddingHeightWidth for the window, and the NHWC output shape the model
    must declare."""
    batches, in_h, in_w, _ = input_shape
    padding, (out_h, out_w) = compute_padding(
        attrs.padding,
        (attrs.stride_h, attrs.stride_w),
        (attrs.dilation_h, attrs.dilation_w),
        (in_h, in_w),
        filter_size,
    )
    output_shape = (batches, out_h, out_w, out_channels)
    require_output_shape(view, output_shape)
    return padding, output_shape


def conv_quantization(
    input_: Tensor, filter_: Tensor, output: Tensor, activation: Activation, channels: int, mode: LinearMode
) -> ConvQuantization:
    """`PopulateConvolutionQuantizationParams` plus the cached zero points. TFLM's
    16x8 convolution kernels ignore the activation zero points (the converter makes
    them 0), so their offsets are 0 whatever the tensors say. An int32 accumulator
    output has no requantization: identity parameters."""
    if mode.accumulator_output:
        require_accumulator_output(output, activation)
        return ConvQuantization(
            input_offset=-quantization(input_).zero_point,
            weights_offset=-quantization(filter_).zero_point,
            output_offset=0,
            per_channel_output_multiplier=(IDENTITY_MULTIPLIER,),
            per_channel_output_shift=(IDENTITY_SHIFT,),
            output_activation_min=INT32_RANGE[0],
            output_activation_max=INT32_RANGE[1],
        )
    input_quant, filter_quant, output_quant = (
        quantization(input_),
        quantization(filter_),
        quantization(output),
    )
    multipliers, shifts = quant.convolution_multipliers(
        input_quant.scale, filter_quant.scales, output_quant.scale, channels
    )
    act_min, act_max = quant.activation_range_quantized(
        activation, output_quant.scale, output_quant.zero_point, output.dtype
    )
    uses_zero_points = not mode.is_16x8
    return ConvQuantization(
        input_offset=-input_quant.zero_point if uses_zero_points else 0,
        weights_offset=-filter_quant.zero_point,
        output_offset=output_quant.zero_point if uses_zero_points else 0,
        per_channel_output_multiplier=multipliers,
        per_channel_output_shift=shifts,
        output_activation_min=act_min,
        output_activation_max=act_max,
    )
