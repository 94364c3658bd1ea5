"""FULLY_CONNECTED: int8 activations with int32 bias, or 16x8 (int16 activations)
with int64 or int32 bias; int8 weights per-tensor or per-channel."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType, FullyConnectedAttrs, Tensor
from tinymlc.ops._accumulator_output import (
    IDENTITY_MULTIPLIER,
    IDENTITY_SHIFT,
    INT32_RANGE,
    require_accumulator_output,
    require_filter_zero_points,
)
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    quantization,
    require,
    require_output_shape,
)
from tinymlc.ops._linear_mode import LinearMode, linear_mode, require_weighted_operands

# GetQuantizedConvolutionMultipler rejects a bias scale further than this
# (relative to the output scale) from input_scale * filter_scale.
MAX_BIAS_SCALE_MISMATCH = 0.02


@dataclass(frozen=True)
class FullyConnectedParams:
    input_offset: int
    """FullyConnectedParams.input_offset = -input zero point."""
    weights_offset: int
    """FullyConnectedParams.weights_offset = -filter zero point (0 for int8)."""
    output_offset: int
    """FullyConnectedParams.output_offset = output zero point."""
    output_multiplier: int
    """OpDataFullyConnected.output_multiplier (per-tensor path; 0 if per-channel)."""
    output_shift: int
    """OpDataFullyConnected.output_shift, positive = left (passed unchanged to the kernel)."""
    per_channel_output_multiplier: tuple[int, ...] | None
    """OpDataFullyConnected.per_channel_output_multiplier when the filter is per-channel."""
    per_channel_output_shift: tuple[int, ...] | None
    """OpDataFullyConnected.per_channel_output_shift, positive = left."""
    output_activation_min: int
    output_activation_max: int
    batches: int
    """Input flat size / accum_depth (rows of the product)."""
    accum_depth: int
    """filter.shape[1]: inner dimension."""
    output_depth: int
    """filter.shape[0]: output units."""
    has_bias: bool
    mode: LinearMode
    """int8, or 16x8 with its accumulator."""


def prepare(view: OpView) -> FullyConnectedParams:
    attrs = view.op.attrs
    require(
        isinstance(attrs, FullyConnectedAttrs),
        "FULLY_CONNECTED has no FullyConnectedOptions",
        "re-export the model",
    )
    assert isinstance(attrs, FullyConnectedAttrs)
    require(
        attrs.weights_format == 0,
        f"shuffled weights format {attrs.weights_format} is not supported",
        "export with the DEFAULT weights format",
    )
    require(
        not attrs.asymmetric_quantize_inputs,
        "hybrid (asymmetric_quantize_inputs) fully-connected is not supported",
        "export with full integer quantization",
    )
    input_, filter_, bias, output = require_weighted_operands(view)
    mode = linear_mode(input_, bias, output, attrs.quantized_bias_type, int32_bias_in_16x8=True)
    require(len(filter_.shape) == 2, f"filter must be 2-D, is {list(filter_.shape)}", "", filter_)
    input_quant = per_tensor(input_)
    filter_quant = quantization(filter_)
    output_depth, accum_depth = filter_.shape
    input_size = input_.num_elements
    require(
        accum_depth > 0 and input_size % accum_depth == 0,
        f"input size {input_size} is not a multiple of the filter depth {accum_depth}",
        "fix the input shape",
        input_,
    )
    batches = input_size // accum_depth
    expected = (*input_.shape[:-1], output_depth) if attrs.keep_num_dims else (batches, output_depth)
    require_output_shape(view, expected)
    require_filter_zero_points(filter_, filter_quant.zero_points, mode.accumulator_output)
    if bias is not None:
        require(bias.num_elements == output_depth, "bias size != output depth", "", bias)
    per_channel: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    if mode.accumulator_output:
        require_accumulator_output(output, attrs.activation)
        output_offset, (act_min, act_max) = 0, INT32_RANGE
        multiplier = quant.QuantizedMultiplier(IDENTITY_MULTIPLIER, IDENTITY_SHIFT)
    else:
        output_offset, (act_min, act_max), multiplier, per_channel = _requantization(
            attrs, input_, filter_, bias, output
        )
    return FullyConnectedParams(
        input_offset=-input_quant.zero_point,
        weights_offset=-filter_quant.zero_point,
        output_offset=output_offset,
        output_multiplier=multiplier.multiplier,
        output_shift=multiplier.shift,
        per_channel_output_multiplier=per_channel[0] if per_channel else None,
        per_channel_output_shift=per_channel[1] if per_channel else None,
        output_activation_min=act_min,
        output_activation_max=act_max,
        batches=batches,
        accum_depth=accum_depth,
        output_depth=output_depth,
        has_bias=bias is not None,
        mode=mode,
    )


def _requantization(
    attrs: FullyConnectedAttrs, input_: Tensor, filter_: Tensor, bias: Tensor | None, output: Tensor
) -> tuple[int, tuple[int, int], quant.QuantizedMultiplier, tuple[tuple[int, ...], tuple[int, ...]] | None]:
    """(output offset, activation range, per-tensor multiplier, per-channel multipliers and
    shifts) of a requantizing FULLY_CONNECTED (OpDataFullyConnected)."""
    input_quant, filter_quant = per_tensor(input_), quantization(filter_)
    output_depth = filter_.shape[0]
    per_channel: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    output_quant = per_tensor(output)
    act_min, act_max = quant.activation_range_quantized(
        attrs.activation, output_quant.scale, output_quant.zero_point, output.dtype
    )
    multiplier = quant.QuantizedMultiplier(0, 0)
    if filter_quant.is_per_channel:
        require(
            filter_.dtype is not DType.INT4,
            "TFLM's per-channel FULLY_CONNECTED does not take INT4 weights",
            "quantize INT4 weights per tensor, or use int8 weights",
            filter_,
        )
        # As for convolutions, TFLM indexes the scales by output unit and only checks
        # that the dimension quantized_dimension names has that many entries.
        axis = filter_quant.quantized_dimension
        require(
            len(filter_quant.scales) == output_depth
            and 0 <= axis < len(filter_.shape)
            and filter_.shape[axis] == output_depth,
            f"filter has {len(filter_quant.scales)} scales along axis {axis} for {output_depth} output units",
            "quantize the weights per output unit",
            filter_,
        )
        per_channel = quant.convolution_multipliers(
            input_quant.scale, filter_quant.scales, output_quant.scale, output_depth
        )
    else:
        if bias is not None and bias.quantization is not None:
            product = input_quant.scale * filter_quant.scale
            mismatch = abs(product - bias.quantization.scale) / output_quant.scale
            require(
                mismatch <= MAX_BIAS_SCALE_MISMATCH,
                f"bias scale {bias.quantization.scale} differs from input*filter scale {product}",
                "re-quantize the bias with scale = input_scale * filter_scale",
                bias,
            )
        multiplier = quant.quantize_multiplier(
            quant.product_multiplier(input_quant.scale, filter_quant.scale, output_quant.scale)
        )
    return output_quant.zero_point, (act_min, act_max), multiplier, per_channel
