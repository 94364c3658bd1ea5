"""Steps of the data-movement operators (RESHAPE and its aliases, PAD, CONCATENATION,
PACK, STRIDED_SLICE, the remapped layouts, RESIZE_BILINEAR, TRANSPOSE) and of the
reductions (MEAN, SUM, REDUCE_MAX/MIN/ALL, ARG_MAX/MIN); registered into
`steps.EMITTERS`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tinymlc.codegen import rust
from tinymlc.codegen.steps import (
    StepBuilder,
    _element,
    _elementwise,
    _Emitter,
    _multiplier,
    _nhwc,
    _output_literal,
    _output_range,
    _params_ref,
    _struct,
)
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops._remap import RemapParams
from tinymlc.ops.arg_min_max import ArgMinMaxParams
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.float32_ops import FloatResizeBilinearParams, FloatSample
from tinymlc.ops.mean import MeanParams
from tinymlc.ops.pad import PadParams
from tinymlc.ops.reduce_extreme import ReduceExtremeParams
from tinymlc.ops.reshape import ReshapeParams
from tinymlc.ops.resize_bilinear import ResizeBilinearParams, Sample
from tinymlc.ops.strided_slice import StridedSliceParams
from tinymlc.ops.transpose import TransposeParams


def _layout_call(
    b: StepBuilder, kernel: str, input_shape: Sequence[int], output_shape: Sequence[int], *layout: str
) -> None:
    """Kernel call that rearranges input 0 (of `input_shape`) as `layout` describes."""
    b.call(
        kernel,
        b.input(0),
        b.shape("input_shape", input_shape),
        *layout,
        b.output(),
        _output_range(b, output_shape),
    )


def _reshape(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReshapeParams)
    _elementwise(b, "reshape::reshape")


def _pad(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, PadParams)
    axes = ", ".join(
        _struct("AxisPadding", before=lo, after=hi)
        for lo, hi in zip(params.left_padding, params.right_padding, strict=True)
    )
    padding = b.item(
        "PADDING", f"[AxisPadding; {len(params.left_padding)}]", f"[{axes}]", 8 * len(params.left_padding)
    )
    _layout_call(
        b,
        f"pad::pad::<{_element(b)}>",
        params.input_shape,
        params.output_shape,
        f"&{padding}",
        _output_literal(b, params.pad_value),
    )


def _concatenation(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ConcatenationParams)
    axis_sizes = b.int_array("AXIS_SIZES", "usize", [shape[params.axis] for shape in params.input_shapes])
    inner = math.prod(params.output_shape[params.axis + 1 :])
    value = _struct("ConcatLayout", outer=params.outer_size, inner=inner, axis_sizes=f"&{axis_sizes}")
    layout = b.item("LAYOUT", "ConcatLayout<'static>", value, 3 * 4)
    inputs = ", ".join(b.input(i) for i in range(params.inputs_count))
    b.call(
        f"concatenation::concatenation::<{_element(b)}>",
        f"&{layout}",
        f"&[{inputs}]",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _mean(b: StepBuilder, params: PreparedParams, kernel: str = "mean::mean") -> None:
    assert isinstance(params, MeanParams)
    axes = b.int_array("AXES", "usize", params.axes)
    b.call(
        f"{kernel}::<{rust.element_type(params.element)}>",
        _params_ref(
            b,
            "MeanParams",
            4,
            input_zero_point=params.input_zero_point,
            output_zero_point=params.output_zero_point,
            multiplier=_multiplier(params.multiplier, params.shift),
        ),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        f"&{axes}",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _slice_count(start: int, stop: int, stride: int) -> int:
    """Iterations of `for (i = start; stride > 0 ? i < stop : i > stop; i += stride)`."""
    span = stop - start if stride > 0 else start - stop
    return max(0, -(-span // abs(stride)))


def _strided_slice(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, StridedSliceParams)
    axes = ", ".join(
        _struct("SliceAxis", start=start, stride=stride, count=_slice_count(start, stop, stride))
        for start, stop, stride in zip(params.starts, params.stops, params.strides, strict=True)
    )
    slices = b.item("AXES", f"[SliceAxis; {len(params.starts)}]", f"[{axes}]", 12 * len(params.starts))
    _layout_call(
        b,
        f"strided_slice::strided_slice::<{_element(b)}>",
        params.input_shape_5d,
        params.output_shape,
        f"&{slices}",
    )


def _remap(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, RemapParams)
    table = b.item(
        "CONTRIBUTIONS",
        f"[i32; {len(params.contributions)}]",
        rust.ints(params.contributions),
        4 * len(params.contributions),
    )
    b.call(
        "remap::remap",
        b.input(params.data_input),
        b.shape("input_shape", params.input_shape),
        b.shape("output_shape", params.output_shape),
        f"&{table}",
        _output_literal(b, params.pad_value),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _extreme(maximum: bool) -> str:
    return "kernels::reduce::Extreme::Max" if maximum else "kernels::reduce::Extreme::Min"


def _reduce_extreme(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReduceExtremeParams)
    axes = b.int_array("AXES", "usize", params.axes)
    b.call(
        "reduce::reduce_extreme",
        _extreme(params.maximum),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        f"&{axes}",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _arg_min_max(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ArgMinMaxParams)
    b.call(
        "reduce::arg_extreme",
        _extreme(params.maximum),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        str(params.axis),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _resize_bilinear(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ResizeBilinearParams | FloatResizeBilinearParams)
    is_float = isinstance(params, FloatResizeBilinearParams)
    sample = "kernels::resize_bilinear::Sample"  # not among the template's imports
    table_type = f"{sample}<f32>" if is_float else sample  # a literal infers the fraction type

    def table(suffix: str, samples: tuple[Sample | FloatSample, ...]) -> str:
        values = ", ".join(
            _struct(
                sample,
                lower=s.lower,
                upper=s.upper,
                fraction=rust.f32(s.fraction) if is_float else s.fraction,
            )
            for s in samples
        )
        return "&" + b.item(suffix, f"[{table_type}; {len(samples)}]", f"[{values}]", 12 * len(samples))

    b.call(
        "float::resize_bilinear::resize_bilinear" if is_float else "resize_bilinear::resize_bilinear",
        b.input(0),
        f"&{_nhwc(params.input_shape)}",
        table("ROWS", params.rows),
        table("COLUMNS", params.columns),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _transpose(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, TransposeParams)
    perm = b.int_array("PERM", "usize", params.perm)
    kernel = f"transpose::transpose::<{_element(b)}>"
    _layout_call(b, kernel, params.input_shape, params.output_shape, f"&{perm}")


LAYOUT_EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.CONCATENATION: _concatenation,
    OpKind.MEAN: _mean,
    OpKind.PAD: _pad,
    OpKind.PADV2: _pad,
    OpKind.RESHAPE: _reshape,
    OpKind.READ_VARIABLE: _reshape,
    OpKind.ASSIGN_VARIABLE: _reshape,
    OpKind.SQUEEZE: _reshape,
    OpKind.STRIDED_SLICE: _strided_slice,
    OpKind.SLICE: _strided_slice,
    OpKind.EXPAND_DIMS: _reshape,
    OpKind.DEPTH_TO_SPACE: _remap,
    OpKind.SPACE_TO_DEPTH: _remap,
    OpKind.SPACE_TO_BATCH_ND: _remap,
    OpKind.BATCH_TO_SPACE_ND: _remap,
    OpKind.MIRROR_PAD: _remap,
    OpKind.RESIZE_NEAREST_NEIGHBOR: _remap,
    OpKind.BROADCAST_TO: _remap,
    OpKind.FILL: _remap,
    OpKind.ZEROS_LIKE: _remap,
    OpKind.REVERSE_V2: _remap,
    OpKind.GATHER: _remap,
    OpKind.GATHER_ND: _remap,
    OpKind.PACK: _concatenation,
    OpKind.REDUCE_MAX: _reduce_extreme,
    OpKind.REDUCE_MIN: _reduce_extreme,
    OpKind.REDUCE_ALL: _reduce_extreme,
    OpKind.ARG_MAX: _arg_min_max,
    OpKind.ARG_MIN: _arg_min_max,
    OpKind.SUM: lambda b, params: _mean(b, params, "mean::sum"),
    OpKind.RESIZE_BILINEAR: _resize_bilinear,
    OpKind.TRANSPOSE: _transpose,
}
