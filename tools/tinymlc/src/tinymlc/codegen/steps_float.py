"""Emitters of FLOAT32 layers (`tinymlc.ops.float32`): each calls the
`tinyml_kernels::float` kernel computing TFLM's float reference operator.

`wrap_float_path` puts the float emitter in front of each operator's quantized one,
as `ops.float32.with_float_path` does for preparation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinymlc.codegen import rust
from tinymlc.codegen.steps import (
    EMITTERS,
    StepBuilder,
    _binary_call,
    _elementwise,
    _Emitter,
    _fully_connected_call,
    _geometry,
    _pool_call,
    _rows_call,
    _struct,
    _window_operands,
)
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.float32 import (
    FLOAT_PREPARERS,
    FloatActivationRange,
    FloatBatchMatMulParams,
    FloatBinaryParams,
    FloatConv2DParams,
    FloatFullyConnectedParams,
    FloatPoolParams,
    FloatReduceParams,
    FloatSoftmaxParams,
    FloatUnaryParams,
)

_KERNELS = "float"


def _activation(activation: FloatActivationRange) -> str:
    return _struct(
        "kernels::float::FloatActivation", min=rust.f32(activation.min), max=rust.f32(activation.max)
    )


def _convolution(b: StepBuilder, params: FloatConv2DParams) -> None:
    geometry_ref = _geometry(b, params)
    operands = (_activation(params.activation), *_window_operands(b, params))
    if params.depth_multiplier is None:
        b.call(f"{_KERNELS}::linear::conv_2d", geometry_ref, *operands)
    else:
        b.call(
            f"{_KERNELS}::linear::depthwise_conv_2d", geometry_ref, str(params.depth_multiplier), *operands
        )


def _fully_connected(b: StepBuilder, params: FloatFullyConnectedParams) -> None:
    _fully_connected_call(
        b,
        f"{_KERNELS}::linear::fully_connected",
        _activation(params.activation),
        (params.batches, params.input_depth, params.output_depth),
        params.has_bias,
    )


def _pool(b: StepBuilder, params: FloatPoolParams) -> None:
    _pool_call(
        b,
        f"{_KERNELS}::pooling::pool_2d",
        (f"kernels::float::pooling::FloatPoolKind::{params.kind.value}",),
        params,
        ("PARAMS", "kernels::float::pooling::FloatPoolParams"),
        _activation(params.activation),
    )


def _binary(b: StepBuilder, params: FloatBinaryParams) -> None:
    operation = f"kernels::float::elementwise::FloatBinary::{params.operation}"
    if params.activation is not None:
        operation += f"({_activation(params.activation)})"
    _binary_call(b, f"{_KERNELS}::elementwise::binary", params.shapes, operation)


def _unary(b: StepBuilder, params: FloatUnaryParams) -> None:
    operation = f"kernels::float::elementwise::FloatUnary::{params.operation}"
    if params.alpha is not None:
        operation += f"({rust.f32(params.alpha)})"
    _elementwise(b, f"{_KERNELS}::elementwise::unary", operation)


def _softmax(b: StepBuilder, params: FloatSoftmaxParams) -> None:
    kind = (
        "kernels::float::softmax::FloatSoftmaxKind::LogSoftmax"
        if params.beta is None
        else f"kernels::float::softmax::FloatSoftmaxKind::Softmax {{ beta: {rust.f32(params.beta)} }}"
    )
    _rows_call(b, f"{_KERNELS}::softmax::softmax", kind, params.depth, params.rows)


def _reduce(b: StepBuilder, params: FloatReduceParams) -> None:
    axes = b.int_array("AXES", "usize", params.axes)
    b.call(
        f"{_KERNELS}::reduce::reduce",
        f"kernels::float::reduce::FloatReduce::{params.operation}",
        b.input(0),
        b.shape("input_shape", params.input_shape),
        f"&{axes}",
        b.output(),
        b.range(math.prod(params.output_shape)),
    )


def _batch_matmul(b: StepBuilder, params: FloatBatchMatMulParams) -> None:
    b.call(
        f"{_KERNELS}::linear::batch_matmul",
        rust.boolean(params.adj_x),
        rust.boolean(params.adj_y),
        b.input(0),
        b.shape("lhs_shape", params.lhs_shape),
        b.input(1),
        b.shape("rhs_shape", params.rhs_shape),
        b.output(),
        b.shape("output_shape", params.output_shape),
        b.range(math.prod(params.output_shape)),
    )


# The float emitter of each prepared float layer kind.
_FLOAT_STEPS: dict[type[object], Callable[[StepBuilder, Any], None]] = {
    FloatConv2DParams: _convolution,
    FloatFullyConnectedParams: _fully_connected,
    FloatPoolParams: _pool,
    FloatBinaryParams: _binary,
    FloatUnaryParams: _unary,
    FloatSoftmaxParams: _softmax,
    FloatReduceParams: _reduce,
    FloatBatchMatMulParams: _batch_matmul,
}


def wrap_float_path(quantized: _Emitter | None) -> _Emitter:
    """`quantized`, except for layers prepared for TFLM's float path."""

    def emit(b: StepBuilder, params: PreparedParams) -> None:
        float_step = _FLOAT_STEPS.get(type(params))
        if float_step is not None:
            float_step(b, params)
        else:
            assert quantized is not None, "a float-only operator is always prepared for float"
            quantized(b, params)

    return emit


FLOAT_EMITTERS: dict[OpKind, _Emitter] = {
    kind: wrap_float_path(EMITTERS.get(kind)) for kind in FLOAT_PREPARERS
}
