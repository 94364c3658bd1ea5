"""FLOAT32 TRANSPOSE_CONV, RESIZE_BILINEAR and L2_NORMALIZATION: TFLM's float reference
kernels (`reference_ops::TransposeConv`, `ResizeBilinear`, `L2Normalization`), prepared.

Each operator's layer takes the float path when its data input is FLOAT32
(`with_float_data`): TRANSPOSE_CONV's is input 2 (input 0 is the output shape), the
others' input 0. Everything else about the layer is its quantized module's checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tinymlc.ir import DType, OpKind
from tinymlc.ops._common import (
    OpView,
    PaddingValues,
    require,
    require_arity,
    require_dtype,
)
from tinymlc.ops.float32 import FloatActivationRange, activation_range
from tinymlc.ops.l2_normalization import check_rank_and_activation
from tinymlc.ops.resize_bilinear import resize_geometry
from tinymlc.ops.transpose_conv import BIAS, FILTER, INPUT, transpose_conv_attrs, transpose_conv_geometry


@dataclass(frozen=True)
class FloatTransposeConvParams:
    padding: PaddingValues
    """ComputePaddingHeightWidth over the output size."""
    stride_h: int
    stride_w: int
    activation: FloatActivationRange
    input_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    """[out_channels, filter_h, filter_w, in_channels]."""
    output_shape: tuple[int, int, int, int]
    has_bias: bool


@dataclass(frozen=True)
class FloatSample:
    """One output row's (column's) `ComputeInterpolationValues`, in float32."""

    lower: int
    upper: int
    fraction: float
    """`scaled_value - lower_bound` (float32, exact)."""


@dataclass(frozen=True)
class FloatResizeBilinearParams:
    input_shape: tuple[int, int, int, int]
    rows: tuple[FloatSample, ...]
    columns: tuple[FloatSample, ...]
    output_shape: tuple[int, int, int, int]


@dataclass(frozen=True)
class FloatL2NormalizationParams:
    depth: int
    outer_size: int


FloatOpParams = FloatTransposeConvParams | FloatResizeBilinearParams | FloatL2NormalizationParams


def transpose_conv(view: OpView) -> FloatTransposeConvParams:
    attrs = transpose_conv_attrs(view)
    filter_, output = view.input(FILTER), view.output()
    # TFLM's float kernel reads its filter and bias whether constant or computed.
    require_dtype(
        filter_,
        [DType.FLOAT32],
        "filter (float activations with int8 weights are a hybrid layer TFLM refuses)",
    )
    require_dtype(output, [DType.FLOAT32], "output")
    geometry = transpose_conv_geometry(view, attrs)
    bias = view.optional_input(BIAS)
    if bias is not None:
        require_dtype(bias, [DType.FLOAT32], "bias")
        require(bias.num_elements == geometry.filter_shape[0], "bias size != output channels", "", bias)
    return FloatTransposeConvParams(
        padding=geometry.padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        activation=activation_range(attrs.activation),
        input_shape=geometry.input_shape,
        filter_shape=geometry.filter_shape,
        output_shape=geometry.output_shape,
        has_bias=bias is not None,
    )


def float_samples(
    in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool
) -> tuple[FloatSample, ...]:
    """`ComputeInterpolationValues` for every output index, in float32 as TFLM."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    result = []
    for index in range(out_size):
        position = f32(index) + f32(0.5) if half_pixel_centers else f32(index)
        scaled = position * scale - f32(0.5) if half_pixel_centers else position * scale
        lower = max(int(np.floor(scaled)), 0)
        upper = min(int(np.ceil(scaled)), in_size - 1)
        result.append(FloatSample(lower, upper, float(scaled - f32(lower))))
    return tuple(result)


def resize_bilinear(view: OpView) -> FloatResizeBilinearParams:
    geometry = resize_geometry(view, DType.FLOAT32)
    return FloatResizeBilinearParams(
        geometry.input_shape, *geometry.sampled(float_samples), geometry.output_shape
    )


def l2_normalization(view: OpView) -> FloatL2NormalizationParams:
    require_arity(view, (1,))
    require_dtype(view.output(), [DType.FLOAT32], "output")
    shape = check_rank_and_activation(view)
    require(view.output().shape == shape, "output shape differs from the input's", "re-export the model")
    return FloatL2NormalizationParams(depth=shape[-1], outer_size=math.prod(shape[:-1]))


FLOAT_OP_PREPARERS: dict[OpKind, tuple[int, Callable[[OpView], FloatOpParams]]] = {
    OpKind.TRANSPOSE_CONV: (INPUT, transpose_conv),
    OpKind.RESIZE_BILINEAR: (0, resize_bilinear),
    OpKind.L2_NORMALIZATION: (0, l2_normalization),
}
"""Per operator: the input whose FLOAT32 type selects the float path, and its preparer."""

Params = TypeVar("Params")


def with_float_data(
    quantized: Callable[[OpView], Params], data_input: int, float_prepare: Callable[[OpView], FloatOpParams]
) -> Callable[[OpView], Params | FloatOpParams]:
    """`quantized`, except that layers whose input `data_input` is FLOAT32 take TFLM's
    float path."""

    def prepare_any(view: OpView) -> Params | FloatOpParams:
        is_float = view.num_inputs > data_input and view.input(data_input).dtype is DType.FLOAT32
        return float_prepare(view) if is_float else quantized(view)

    return prepare_any
