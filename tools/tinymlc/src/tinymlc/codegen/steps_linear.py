"""Steps of the convolutions, pools and matrix products (CONV_2D, DEPTHWISE_CONV_2D,
TRANSPOSE_CONV, FULLY_CONNECTED, AVERAGE/MAX_POOL_2D, BATCH_MATMUL, SVDF): the
windowed and matrix kernels with their per-channel quantization; registered into
`steps.EMITTERS`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from tinymlc.codegen import rust
from tinymlc.codegen.steps import (
    StepBuilder,
    _activation,
    _bias,
    _Emitter,
    _fully_connected_call,
    _geometry,
    _multiplier,
    _nhwc,
    _nhwc_tile,
    _pool_call,
    _struct,
    _struct_block,
    _window_operands,
)
from tinymlc.ir import DType, OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops._conv_common import ConvQuantization
from tinymlc.ops._pooling import Pool2DParams
from tinymlc.ops.batch_matmul import BatchMatMulParams
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.float32_ops import FloatTransposeConvParams
from tinymlc.ops.fully_connected import FullyConnectedParams
from tinymlc.ops.svdf import STATE_INPUT, SvdfParams
from tinymlc.ops.transpose_conv import TransposeConvParams


def _linear_quant(
    b: StepBuilder,
    offsets: tuple[int, int, int],
    multipliers: Sequence[int],
    shifts: Sequence[int],
    activation: tuple[int, int],
) -> str:
    multipliers_name = b.int_array("MULTIPLIERS", "i32", multipliers)
    shifts_name = b.int_array("SHIFTS", "i32", shifts)
    value = _struct_block(
        "LinearQuantParams",
        input_offset=offsets[0],
        weights_offset=offsets[1],
        output_offset=offsets[2],
        output_multipliers=_struct(
            "ChannelMultipliers", multipliers=f"&{multipliers_name}", shifts=f"&{shifts_name}"
        ),
        activation=_activation(*activation),
    )
    return "&" + b.item("QUANT", "LinearQuantParams<'static>", value, 5 * 4)


def _conv_quant(b: StepBuilder, q: ConvQuantization) -> str:
    return _linear_quant(
        b,
        (q.input_offset, q.weights_offset, q.output_offset),
        q.per_channel_output_multiplier,
        q.per_channel_output_shift,
        (q.output_activation_min, q.output_activation_max),
    )


def _output_form(accumulator_output: bool) -> str:
    """The suffix of the optimized int8 kernel writing int32 accumulators instead of int8
    outputs (a function of its own, each compiled in the kernels crate)."""
    return "_accumulators" if accumulator_output else ""


def _conv_2d(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, Conv2DParams)
    out_shape = params.output_shape
    if b.overlapped is not None:
        input_at, output_at = b.overlap_offsets()
        b.call(
            "conv::conv_2d_overlapped",
            _geometry(b, params),
            _conv_quant(b, params.quantization),
            b.output(),
            f"({input_at}, {_nhwc(params.input_shape)})",
            b.input(1),
            _nhwc(params.filter_shape),
            _bias(b, params.has_bias),
            f"({output_at}, {_nhwc(out_shape)})",
            _nhwc_tile(b, out_shape),
            b.scratch(),
        )
        return
    # The optimized kernel gathers int8 windows; 16x8 runs the generic reference.
    kernel, scratch = (
        (f"reference::conv::conv_2d::<{params.mode.rust_generics}, _>", ())
        if params.mode.is_16x8
        else ("conv::conv_2d" + _output_form(params.mode.accumulator_output), (b.scratch(),))
    )
    b.call(
        kernel,
        _geometry(b, params),
        _conv_quant(b, params.quantization),
        *_window_operands(b, params),
        *scratch,
    )


def _depthwise_conv_2d(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DepthwiseConv2DParams)
    kernel = (
        f"reference::depthwise_conv::depthwise_conv_2d::<{params.mode.rust_generics}, _>"
        if params.mode.is_16x8
        else "depthwise_conv::depthwise_conv_2d" + _output_form(params.mode.accumulator_output)
    )
    b.call(
        kernel,
        _geometry(b, params),
        str(params.depth_multiplier),
        _conv_quant(b, params.quantization),
        *_window_operands(b, params),
    )


def _transpose_conv_geometry(b: StepBuilder, params: TransposeConvParams | FloatTransposeConvParams) -> str:
    geometry = _struct(
        "kernels::transpose_conv::TransposeConvGeometry",
        stride_height=params.stride_h,
        stride_width=params.stride_w,
        pad_top=params.padding.height,
        pad_left=params.padding.width,
    )
    return "&" + b.item("GEOMETRY", "kernels::transpose_conv::TransposeConvGeometry", geometry, 4 * 4)


def _transpose_conv(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, TransposeConvParams)
    if params.widened_bias is not None:
        # TFLM widens an int16 bias to int64 before its 16x8 kernel; so does the compiler.
        count = len(params.widened_bias)
        widened = b.item("BIAS", f"[i64; {count}]", rust.ints(params.widened_bias), 8 * count)
        bias = f"Some(&{widened})"
    else:
        bias = f"Some({b.input(3)})" if params.has_bias else "None"
    out_shape = params.output_shape
    b.call(
        f"transpose_conv::transpose_conv::<{params.mode.rust_generics}>",
        _transpose_conv_geometry(b, params),
        _conv_quant(b, params.quantization),
        b.input(2),
        _nhwc(params.input_shape),
        b.input(1),
        _nhwc(params.filter_shape),
        bias,
        b.output(),
        _nhwc(out_shape),
        _nhwc_tile(b, out_shape),
    )


def _fully_connected(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, FullyConnectedParams)
    multipliers = params.per_channel_output_multiplier or (params.output_multiplier,)
    shifts = params.per_channel_output_shift or (params.output_shift,)
    quant = _linear_quant(
        b,
        (params.input_offset, params.weights_offset, params.output_offset),
        multipliers,
        shifts,
        (params.output_activation_min, params.output_activation_max),
    )
    # The optimized kernel is int8's; 16x8 runs the generic reference.
    kernel = (
        f"reference::fully_connected::fully_connected::<{params.mode.rust_generics}, _>"
        if params.mode.is_16x8
        else "fully_connected::fully_connected" + _output_form(params.mode.accumulator_output)
    )
    dims = (params.batches, params.accum_depth, params.output_depth)
    _fully_connected_call(b, kernel, quant, dims, params.has_bias)


def _pool(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, Pool2DParams)
        _pool_call(
            b,
            f"pooling::{kernel}::<{rust.element_type(params.element)}>",
            (),
            params,
            ("POOL", "PoolParams"),
            _activation(params.activation_min, params.activation_max),
        )

    return emit


def _batch_matmul(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, BatchMatMulParams)
    quant = _linear_quant(
        b,
        (params.lhs_offset, params.rhs_offset, params.output_offset),
        (params.output_multiplier,),
        (params.output_shift,),
        (params.output_activation_min, params.output_activation_max),
    )
    lhs = b.shape("lhs_shape", params.lhs_shape)
    rhs = b.shape("rhs_shape", params.rhs_shape)
    shapes = _struct(
        "BatchMatMulShapes",
        lhs=f"*{lhs}",
        rhs=f"*{rhs}",
        adj_x=rust.boolean(params.adj_x),
        adj_y=rust.boolean(params.adj_y),
    )
    b.step.body.append(f"let shapes = {shapes};")
    *batch, rows, columns = params.output_shape
    tile = b.tile(math.prod(batch) * rows, columns)
    if b.tensor(0).dtype is DType.INT16:
        b.call(
            "reference::batch_matmul::batch_matmul_int16",
            quant,
            "&shapes",
            b.input(0),
            b.input(1),
            b.output(),
            tile,
        )
        return
    kernel = "batch_matmul::batch_matmul" + _output_form(params.accumulator_output)
    b.call(kernel, quant, "&shapes", b.input(0), b.input(1), b.output(), tile, b.scratch())


def _svdf(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SvdfParams)
    quant = _struct(
        "SvdfQuant",
        input_zero_point=params.input_zero_point,
        state_zero_point=params.state_zero_point,
        output_zero_point=params.output_zero_point,
        feature=_multiplier(params.feature_multiplier, params.feature_shift),
        output=_multiplier(params.output_multiplier, params.output_shift),
    )
    dims = _struct(
        "SvdfDims",
        batches=params.batches,
        input_size=params.input_size,
        filters=params.filters,
        rank=params.rank,
        memory_size=params.memory_size,
    )
    b.call(
        "svdf::svdf",
        "&" + b.item("QUANT", "SvdfQuant", quant, 7 * 4),
        dims,
        b.input(0),
        b.input(1),
        b.input(2),
        b.input(3),
        b.state(STATE_INPUT),
        b.output(),
        b.whole(),
    )


LINEAR_EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.AVERAGE_POOL_2D: _pool("average_pool_2d"),
    OpKind.BATCH_MATMUL: _batch_matmul,
    OpKind.CONV_2D: _conv_2d,
    OpKind.DEPTHWISE_CONV_2D: _depthwise_conv_2d,
    OpKind.FULLY_CONNECTED: _fully_connected,
    OpKind.MAX_POOL_2D: _pool("max_pool_2d"),
    OpKind.SVDF: _svdf,
    OpKind.TRANSPOSE_CONV: _transpose_conv,
}
