"""RESIZE_NEAREST_NEIGHBOR (int8, int16, float32): per output row and column, the input index
TFLM's GetNearestNeighbor computes in float32 (align_corners rounds half away from
zero, otherwise floors; half_pixel_centers adds 0.5)."""

from __future__ import annotations

import math

import numpy as np

from tinymlc.ir import ResizeAttrs
from tinymlc.ops._common import RAW_COPY_TYPES, OpView, constant_int32_values, require
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params


def nearest(index: int, in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> int:
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    position = (f32(index) + f32(0.5 if half_pixel_centers else 0.0)) * scale
    # TfLiteRound rounds half away from zero; the position is never negative.
    value = math.floor(float(position) + (0.5 if align_corners else 0.0))
    value = min(value, in_size - 1)
    return max(0, value) if half_pixel_centers else value


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (2,), RAW_COPY_TYPES)
    attrs = view.op.attrs
    align, half = (
        (attrs.align_corners, attrs.half_pixel_centers) if isinstance(attrs, ResizeAttrs) else (False, False)
    )
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    size = constant_int32_values(view.input(1), "size")
    require(len(size) == 2 and all(s > 0 for s in size), f"size {list(size)} must be 2 positive values", "")
    batches, in_h, in_w, channels = input_.shape
    out_h, out_w = size
    checked_output(view, (batches, out_h, out_w, channels))
    return remap_params(
        input_.shape,
        (batches, out_h, out_w, channels),
        [
            lambda n: (n, 0, 0, 0),
            lambda y: (0, nearest(y, in_h, out_h, align, half), 0, 0),
            lambda x: (0, 0, nearest(x, in_w, out_w, align, half), 0),
            lambda c: (0, 0, 0, c),
        ],
    )
