"""Shared prepare for AVERAGE_POOL_2D and MAX_POOL_2D (TFLM PoolingPrepare), int8
and int16."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType, Pool2DAttrs
from tinymlc.ops._common import (
    OpView,
    PaddingValues,
    compute_padding,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)

# PoolingPrepare: |input_scale - output_scale| (in float) must not exceed this.
MAX_SCALE_DIFFERENCE = 1.0e-6


@dataclass(frozen=True)
class Pool2DParams:
    padding: PaddingValues
    """OpDataPooling.padding (dilation 1)."""
    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    activation_min: int
    """OpDataPooling.activation_min (quantized fused activation)."""
    activation_max: int
    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    element: DType
    """INT8, or INT16 (16x8): TFLM's int16 pools are the same arithmetic."""


def pool_window_output(
    view: OpView, attrs: Pool2DAttrs, input_shape: tuple[int, ...]
) -> tuple[PaddingValues, tuple[int, int, int, int]]:
    """ComputePaddingHeightWidth for the pool's window (dilation 1), and the NHWC output
    shape the model must declare."""
    batches, in_h, in_w, depth = input_shape
    padding, (out_h, out_w) = compute_padding(
        attrs.padding,
        (attrs.stride_h, attrs.stride_w),
        (1, 1),
        (in_h, in_w),
        (attrs.filter_h, attrs.filter_w),
    )
    output_shape = (batches, out_h, out_w, depth)
    require_output_shape(view, output_shape)
    return padding, output_shape


def prepare_pool(view: OpView) -> Pool2DParams:
    attrs = view.op.attrs
    require(isinstance(attrs, Pool2DAttrs), "pooling op has no Pool2DOptions", "re-export the model")
    assert isinstance(attrs, Pool2DAttrs)
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(output, [input_.dtype], "output")
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    scale_difference = float(abs(quant.f32(input_quant.scale) - quant.f32(output_quant.scale)))
    require(
        scale_difference <= MAX_SCALE_DIFFERENCE and input_quant.zero_point == output_quant.zero_point,
        "pooling requires identical input and output quantization",
        "keep the pooling output quantized like its input",
        output,
    )
    padding, output_shape = pool_window_output(view, attrs, input_.shape)
    batches, in_h, in_w, depth = input_.shape
    act_min, act_max = quant.activation_range_quantized(
        attrs.activation, output_quant.scale, output_quant.zero_point, output.dtype
    )
    return Pool2DParams(
        padding=padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        filter_h=attrs.filter_h,
        filter_w=attrs.filter_w,
        activation_min=act_min,
        activation_max=act_max,
        input_shape=(batches, in_h, in_w, depth),
        output_shape=output_shape,
        element=input_.dtype,
    )
