"""RESIZE_BILINEAR (int8): TFLM's ResizeBilinearInteger, whose per-row and
per-column 10-bit fixed-point positions are computed here
(ComputeInterpolationValuesInteger, C++ integer division truncating toward zero). The
FLOAT32 path is `float32_ops`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tinymlc.ir import DType, ResizeAttrs
from tinymlc.ops._common import OpView, constant_int32_values, require
from tinymlc.ops._remap import checked_output, copy_operands

ONE = 1 << 10


@dataclass(frozen=True)
class Sample:
    lower: int
    upper: int
    fraction: int
    """scaled_value - 1024 * lower (may leave 0..=1024 with half-pixel centers)."""


@dataclass(frozen=True)
class ResizeBilinearParams:
    input_shape: tuple[int, int, int, int]
    rows: tuple[Sample, ...]
    columns: tuple[Sample, ...]
    output_shape: tuple[int, int, int, int]


def _c_div(a: int, b: int) -> int:
    """C++ `/` on int32: truncation toward zero."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _scale_10(in_size: int, out_size: int, align_corners: bool) -> int:
    if align_corners and out_size > 1:
        return (ONE * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return (ONE * in_size + out_size // 2) // out_size


def samples(in_size: int, out_size: int, align_corners: bool, half_pixel_centers: bool) -> tuple[Sample, ...]:
    scale = _scale_10(in_size, out_size, align_corners)
    result = []
    for index in range(out_size):
        scaled = index * scale + (_c_div(scale, 2) - (1 << 9) if half_pixel_centers else 0)
        lower = max(_c_div(scaled, ONE), 0)
        upper = min(_c_div(scaled + ONE - 1, ONE), in_size - 1)
        result.append(Sample(lower, upper, scaled - ONE * lower))
    return tuple(result)


SampleT = TypeVar("SampleT")


@dataclass(frozen=True)
class ResizeGeometry:
    """What TFLM's Prepare checks and the kernels share: shapes and options."""

    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    align_corners: bool
    half_pixel_centers: bool

    def sampled(
        self, sample: Callable[[int, int, bool, bool], tuple[SampleT, ...]]
    ) -> tuple[tuple[SampleT, ...], tuple[SampleT, ...]]:
        """Every output row's and column's source by `sample` (the integer or the float
        `ComputeInterpolationValues`)."""
        _, in_h, in_w, _ = self.input_shape
        _, out_h, out_w, _ = self.output_shape
        align, half = self.align_corners, self.half_pixel_centers
        return sample(in_h, out_h, align, half), sample(in_w, out_w, align, half)


def resize_geometry(view: OpView, dtype: DType) -> ResizeGeometry:
    input_, _ = copy_operands(view, (2,), (dtype,))
    attrs = view.op.attrs
    align, half = (
        (attrs.align_corners, attrs.half_pixel_centers) if isinstance(attrs, ResizeAttrs) else (False, False)
    )
    require(not (align and half), "half_pixel_centers and align_corners cannot both be set (TFLM)", "")
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    size = constant_int32_values(view.input(1), "size")
    require(len(size) == 2 and all(s > 0 for s in size), f"size {list(size)} must be 2 positive values", "")
    batches, in_h, in_w, channels = input_.shape
    require(in_h > 0 and in_w > 0, "empty input", "", input_)
    out_h, out_w = size
    output_shape = (batches, out_h, out_w, channels)
    checked_output(view, output_shape)
    return ResizeGeometry((batches, in_h, in_w, channels), output_shape, align, half)


def prepare(view: OpView) -> ResizeBilinearParams:
    geometry = resize_geometry(view, DType.INT8)
    return ResizeBilinearParams(geometry.input_shape, *geometry.sampled(samples), geometry.output_shape)
