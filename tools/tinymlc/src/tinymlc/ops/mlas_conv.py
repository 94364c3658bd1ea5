"""MLAS_CONV (`--onnx_exact` only): a float32 convolution summed in onnxruntime MLAS's order
(`runtime/kernels/src/mlas_conv.rs`; the order: `frontend/onnx/mlas_order.py`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import DType, MlasConvAttrs
from tinymlc.ops._common import OpView, require, require_arity, require_constant, require_dtype


@dataclass(frozen=True)
class MlasConvParams:
    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    attrs: MlasConvAttrs
    has_bias: bool


def _nhwc(shape: tuple[int, ...], role: str, pointwise: bool) -> tuple[int, int, int, int]:
    """`shape` as NHWC; another rank (a matrix product's operand) only for a 1x1 window,
    every axis but the last as pixels."""
    if len(shape) == 4:
        return shape[0], shape[1], shape[2], shape[3]
    require(pointwise and len(shape) >= 1, f"the {role} must be NHWC, is {list(shape)}")
    return 1, 1, math.prod(shape[:-1]), shape[-1]


def prepare(view: OpView) -> MlasConvParams:
    require_arity(view, (2, 3))
    attrs = view.op.attrs
    require(isinstance(attrs, MlasConvAttrs), "MLAS_CONV without its window and order")
    assert isinstance(attrs, MlasConvAttrs)
    input_, filter_, output = view.input(0), view.input(1), view.output()
    for tensor, role in ((input_, "input"), (filter_, "filter"), (output, "output")):
        require_dtype(tensor, [DType.FLOAT32], role)
    require_constant(filter_, "filter")
    pointwise = attrs.kernel == attrs.strides == attrs.dilations == (1, 1) and attrs.pads == (0, 0)
    pointwise = pointwise and attrs.groups == 1
    input_shape = _nhwc(input_.shape, "input", pointwise)
    output_shape = _nhwc(output.shape, "output", pointwise)
    values = (*attrs.kernel, *attrs.strides, *attrs.dilations, attrs.groups, attrs.block)
    require(all(v >= 1 for v in values), "kernel, strides, dilations, groups and block must be positive")
    require(min(attrs.pads) >= 0, f"pads {attrs.pads} must not be negative")
    channels, out_channels = input_shape[3], output_shape[3]
    require(
        channels % attrs.groups == 0 and out_channels % attrs.groups == 0,
        f"{attrs.groups} groups do not divide {channels} input / {out_channels} output channels",
    )
    depth = channels // attrs.groups * attrs.kernel[0] * attrs.kernel[1]
    require(
        filter_.shape == (out_channels, depth),
        f"filter {list(filter_.shape)} is not [{out_channels}, {depth}]",
    )
    require(input_shape[0] == output_shape[0], "input and output batches differ")
    require(min(output_shape) >= 1, f"output {list(output_shape)} is empty")
    bias = view.optional_input(2)
    if bias is not None:
        require_dtype(bias, [DType.FLOAT32], "bias")
        require_constant(bias, "bias")
        require(bias.shape == (out_channels,), f"bias {list(bias.shape)} is not [{out_channels}]")
    return MlasConvParams(input_shape, output_shape, attrs, bias is not None)
