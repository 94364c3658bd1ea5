"""FLOAT32 operators: TFLM's float reference kernels, prepared.

A float layer needs no quantization arithmetic, only its shapes, window geometry and the
float activation range (`CalculateActivationRange<float>`), so every float operator is
prepared here, in front of the operator's quantized `prepare` (`with_float_path`): a
layer whose input 0 and output are FLOAT32 takes TFLM's float path, every other one the
operator's own module. Operators TFLM runs only in float (EXP, LOG, SQRT, FLOOR, ...) have
no other path.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tinymlc.ir import (
    Activation,
    BatchMatMulAttrs,
    Conv2DAttrs,
    DepthwiseConv2DAttrs,
    DType,
    FullyConnectedAttrs,
    LeakyReluAttrs,
    OpKind,
    Pool2DAttrs,
    SoftmaxAttrs,
    Tensor,
)
from tinymlc.ops._binary import BinaryShapes, elementwise_attrs
from tinymlc.ops._common import (
    OpView,
    PaddingValues,
    broadcast_shape,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)
from tinymlc.ops._conv_common import conv_window_output
from tinymlc.ops._pooling import pool_window_output
from tinymlc.ops.batch_matmul import matmul_shapes
from tinymlc.ops.mean import reduction_axes

FLOAT_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class FloatActivationRange:
    """`float_activation_min/max` (`CalculateActivationRange<float>`: RELU [0, max],
    RELU6 [0, 6], RELU_N1_TO_1 [-1, 1], anything else [lowest, max])."""

    min: float
    max: float


def activation_range(activation: Activation) -> FloatActivationRange:
    if activation is Activation.RELU:
        return FloatActivationRange(0.0, FLOAT_MAX)
    if activation is Activation.RELU6:
        return FloatActivationRange(0.0, 6.0)
    if activation is Activation.RELU_N1_TO_1:
        return FloatActivationRange(-1.0, 1.0)
    return FloatActivationRange(-FLOAT_MAX, FLOAT_MAX)


@dataclass(frozen=True)
class FloatConv2DParams:
    padding: PaddingValues
    """ConvParams.padding_values (ComputePaddingHeightWidth)."""
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    depth_multiplier: int | None
    """DepthwiseParams.depth_multiplier; None for CONV_2D."""
    activation: FloatActivationRange
    input_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    """CONV_2D [out_channels, h, w, in_channels / groups]; DEPTHWISE [1, h, w, out_channels]."""
    output_shape: tuple[int, int, int, int]
    has_bias: bool


@dataclass(frozen=True)
class FloatFullyConnectedParams:
    batches: int
    """Input elements / accum_depth (TFLM `batches`)."""
    input_depth: int
    """The filter's last dimension (TFLM `accum_depth`)."""
    output_depth: int
    has_bias: bool
    activation: FloatActivationRange


class FloatPoolKind(enum.Enum):
    """The kernel's `FloatPoolKind` variant."""

    AVERAGE = "Average"
    MAX = "Max"
    L2 = "L2"


@dataclass(frozen=True)
class FloatPoolParams:
    kind: FloatPoolKind
    padding: PaddingValues
    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    activation: FloatActivationRange
    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]


@dataclass(frozen=True)
class FloatBinaryParams:
    operation: str
    """The kernel's `FloatBinary` variant."""
    activation: FloatActivationRange | None
    """The fused activation of ADD / SUB / MUL / DIV; None for the others."""
    shapes: BinaryShapes


@dataclass(frozen=True)
class FloatUnaryParams:
    operation: str
    """The kernel's `FloatUnary` variant."""
    alpha: float | None
    """LEAKY_RELU's alpha (float32, exact); None for the others."""
    elements: int


@dataclass(frozen=True)
class FloatSoftmaxParams:
    beta: float | None
    """SOFTMAX's beta as the kernel multiplies with it (TFLM's double cast to float);
    None for LOG_SOFTMAX."""
    depth: int
    """The innermost dimension."""
    rows: int


@dataclass(frozen=True)
class FloatReduceParams:
    operation: str
    """The kernel's `FloatReduce` variant."""
    axes: tuple[int, ...]
    """Reduced axes, non-negative, deduplicated, ascending."""
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


@dataclass(frozen=True)
class FloatBatchMatMulParams:
    adj_x: bool
    adj_y: bool
    lhs_shape: tuple[int, ...]
    """LHS shape extended with leading 1s to the output rank."""
    rhs_shape: tuple[int, ...]
    """RHS shape extended with leading 1s to the output rank."""
    output_shape: tuple[int, ...]
    depth: int
    """The accumulation depth."""


FloatParams = (
    FloatConv2DParams
    | FloatFullyConnectedParams
    | FloatPoolParams
    | FloatBinaryParams
    | FloatUnaryParams
    | FloatSoftmaxParams
    | FloatReduceParams
    | FloatBatchMatMulParams
)

_BINARY: dict[OpKind, str] = {
    OpKind.ADD: "Add",
    OpKind.SUB: "Sub",
    OpKind.MUL: "Mul",
    OpKind.DIV: "Div",
    OpKind.MAXIMUM: "Maximum",
    OpKind.MINIMUM: "Minimum",
    OpKind.SQUARED_DIFFERENCE: "SquaredDifference",
    OpKind.FLOOR_DIV: "FloorDiv",
    OpKind.FLOOR_MOD: "FloorMod",
    OpKind.PRELU: "Prelu",
}
PRELU_MAX_RANK = 4
"""BroadcastPrelu4DSlowFloat's rank."""

_ACTIVATED_BINARY = frozenset({OpKind.ADD, OpKind.SUB, OpKind.MUL, OpKind.DIV})

_UNARY: dict[OpKind, str] = {
    OpKind.RELU: "Relu",
    OpKind.RELU6: "Relu6",
    OpKind.LEAKY_RELU: "LeakyRelu",
    OpKind.LOGISTIC: "Logistic",
    OpKind.TANH: "Tanh",
    OpKind.HARD_SWISH: "HardSwish",
    OpKind.ELU: "Elu",
    OpKind.EXP: "Exp",
    OpKind.LOG: "Log",
    OpKind.SIN: "Sin",
    OpKind.COS: "Cos",
    OpKind.SQRT: "Sqrt",
    OpKind.RSQRT: "Rsqrt",
    OpKind.ABS: "Abs",
    OpKind.NEG: "Neg",
    OpKind.SQUARE: "Square",
    OpKind.FLOOR: "Floor",
    OpKind.CEIL: "Ceil",
    OpKind.ROUND: "Round",
}

_REDUCERS: dict[OpKind, str] = {
    OpKind.MEAN: "Mean",
    OpKind.SUM: "Sum",
    OpKind.REDUCE_MAX: "Max",
    OpKind.REDUCE_MIN: "Min",
}

_POOLS: dict[OpKind, FloatPoolKind] = {
    OpKind.AVERAGE_POOL_2D: FloatPoolKind.AVERAGE,
    OpKind.MAX_POOL_2D: FloatPoolKind.MAX,
    OpKind.L2_POOL_2D: FloatPoolKind.L2,
}


_Attrs = TypeVar("_Attrs")


def _options(view: OpView, kind: type[_Attrs], missing: str) -> _Attrs:
    """The operator's options, of `kind` (a model without them is rejected: `missing`)."""
    attrs = view.op.attrs
    require(isinstance(attrs, kind), missing, "re-export the model")
    assert isinstance(attrs, kind)
    return attrs


def _float_operands(view: OpView, arities: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    require_arity(view, arities)
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.FLOAT32], "input")
    require_dtype(output, [DType.FLOAT32], "output")
    return input_, output


def _weights(view: OpView, rank: int) -> tuple[Tensor, Tensor | None]:
    """The float filter (of `rank`) and the optional float bias. Unlike the quantized
    kernels' (whose Prepare reads their quantization), TFLM's float kernels take them
    computed at run time as well, and so do these."""
    filter_ = view.input(1)
    require_dtype(filter_, [DType.FLOAT32], "filter")
    require(len(filter_.shape) == rank, f"filter must be {rank}-D, is {list(filter_.shape)}", "", filter_)
    bias = view.optional_input(2)
    if bias is not None:
        require_dtype(bias, [DType.FLOAT32], "bias")
    return filter_, bias


def _convolution(view: OpView) -> FloatConv2DParams:
    attrs = view.op.attrs
    require(
        isinstance(attrs, Conv2DAttrs | DepthwiseConv2DAttrs),
        "has no convolution options",
        "re-export the model",
    )
    assert isinstance(attrs, Conv2DAttrs | DepthwiseConv2DAttrs)
    input_, _ = _float_operands(view, (2, 3))
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    filter_, bias = _weights(view, 4)
    batches, in_h, in_w, in_depth = input_.shape
    if isinstance(attrs, DepthwiseConv2DAttrs):
        _, filter_h, filter_w, out_channels = filter_.shape
        require(filter_.shape[0] == 1, "depthwise filter must be [1, h, w, channels]", "", filter_)
        require(
            in_depth > 0 and out_channels == in_depth * attrs.depth_multiplier,
            f"output channels {out_channels} != input depth {in_depth} x depth_multiplier "
            f"{attrs.depth_multiplier}",
            "fix depth_multiplier",
        )
        depth_multiplier: int | None = attrs.depth_multiplier
    else:
        out_channels, filter_h, filter_w, filter_depth = filter_.shape
        require(
            filter_depth > 0
            and in_depth % filter_depth == 0
            and out_channels % (in_depth // filter_depth) == 0,
            f"input depth {in_depth} and output channels {out_channels} do not split into groups of "
            f"filter depth {filter_depth}",
            "fix the filter shape",
            filter_,
        )
        depth_multiplier = None
    if bias is not None:
        require(bias.num_elements == out_channels, "bias size != output channels", "", bias)
    padding, output_shape = conv_window_output(view, attrs, input_.shape, (filter_h, filter_w), out_channels)
    return FloatConv2DParams(
        padding=padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        dilation_h=attrs.dilation_h,
        dilation_w=attrs.dilation_w,
        depth_multiplier=depth_multiplier,
        activation=activation_range(attrs.activation),
        input_shape=(batches, in_h, in_w, in_depth),
        filter_shape=(filter_.shape[0], filter_h, filter_w, filter_.shape[3]),
        output_shape=output_shape,
        has_bias=bias is not None,
    )


def _fully_connected(view: OpView) -> FloatFullyConnectedParams:
    attrs = _options(view, FullyConnectedAttrs, "has no FullyConnectedOptions")
    require(attrs.weights_format == 0, "shuffled weights are not supported by TFLM", "re-export the model")
    input_, _ = _float_operands(view, (2, 3))
    filter_, bias = _weights(view, 2)
    output_depth, accum_depth = filter_.shape
    require(
        accum_depth > 0 and input_.num_elements % accum_depth == 0,
        f"input size {input_.num_elements} is not a multiple of the filter depth {accum_depth}",
        "fix the input shape",
        input_,
    )
    batches = input_.num_elements // accum_depth
    expected = (*input_.shape[:-1], output_depth) if attrs.keep_num_dims else (batches, output_depth)
    require_output_shape(view, expected)
    if bias is not None:
        require(bias.num_elements == output_depth, "bias size != output depth", "", bias)
    return FloatFullyConnectedParams(
        batches=batches,
        input_depth=accum_depth,
        output_depth=output_depth,
        has_bias=bias is not None,
        activation=activation_range(attrs.activation),
    )


def _pool(view: OpView) -> FloatPoolParams:
    attrs = _options(view, Pool2DAttrs, "pooling op has no Pool2DOptions")
    input_, _ = _float_operands(view, (1,))
    require(len(input_.shape) == 4, f"input must be 4-D NHWC, is {list(input_.shape)}", "", input_)
    padding, output_shape = pool_window_output(view, attrs, input_.shape)
    batches, in_h, in_w, depth = input_.shape
    return FloatPoolParams(
        kind=_POOLS[view.op.kind],
        padding=padding,
        stride_h=attrs.stride_h,
        stride_w=attrs.stride_w,
        filter_h=attrs.filter_h,
        filter_w=attrs.filter_w,
        activation=activation_range(attrs.activation),
        input_shape=(batches, in_h, in_w, depth),
        output_shape=output_shape,
    )


def _binary(view: OpView) -> FloatBinaryParams:
    input1, _ = _float_operands(view, (2,))
    input2 = view.input(1)
    require_dtype(input2, [DType.FLOAT32], "input 2")
    expected = broadcast_shape(input1.shape, input2.shape)
    require_output_shape(view, expected)
    require(
        view.op.kind is not OpKind.PRELU or len(expected) <= PRELU_MAX_RANK,
        f"TFLM's float PRELU broadcasts at most {PRELU_MAX_RANK} dimensions, the output has {len(expected)}",
        "reshape to 4 dimensions around the PRELU",
    )
    activation = (
        activation_range(elementwise_attrs(view).activation) if view.op.kind in _ACTIVATED_BINARY else None
    )
    return FloatBinaryParams(
        operation=_BINARY[view.op.kind],
        activation=activation,
        shapes=BinaryShapes(
            input1_shape=input1.shape,
            input2_shape=input2.shape,
            output_shape=expected,
            requires_broadcast=input1.shape != input2.shape,
        ),
    )


def _same_shape_operand(view: OpView) -> Tensor:
    """The one float input of an operator whose output has its shape."""
    input_, output = _float_operands(view, (1,))
    require(
        output.shape == input_.shape, "output shape differs from the input's", "re-export the model", output
    )
    return input_


def _unary(view: OpView) -> FloatUnaryParams:
    input_ = _same_shape_operand(view)
    alpha = None
    if view.op.kind is OpKind.LEAKY_RELU:
        attrs = _options(view, LeakyReluAttrs, "LEAKY_RELU has no options")
        alpha = attrs.alpha
    return FloatUnaryParams(operation=_UNARY[view.op.kind], alpha=alpha, elements=input_.num_elements)


def _softmax(view: OpView) -> FloatSoftmaxParams:
    input_ = _same_shape_operand(view)
    require(len(input_.shape) >= 1, "input must have at least one dimension", "", input_)
    beta = None
    if view.op.kind is OpKind.SOFTMAX:
        attrs = _options(view, SoftmaxAttrs, "SOFTMAX has no SoftmaxOptions")
        beta = attrs.beta
    depth = input_.shape[-1]
    return FloatSoftmaxParams(beta=beta, depth=depth, rows=math.prod(input_.shape[:-1]))


def _reduce(view: OpView) -> FloatReduceParams:
    _, axes, expected = reduction_axes(view)
    input_, _ = _float_operands(view, (2,))
    return FloatReduceParams(
        operation=_REDUCERS[view.op.kind], axes=axes, input_shape=input_.shape, output_shape=expected
    )


def _batch_matmul(view: OpView) -> FloatBatchMatMulParams:
    attrs = _options(view, BatchMatMulAttrs, "BATCH_MATMUL has no options")
    _float_operands(view, (2,))
    for tensor, role in ((view.input(0), "lhs"), (view.input(1), "rhs")):
        require_dtype(tensor, [DType.FLOAT32], role)
        require(2 <= len(tensor.shape) <= 5, f"{role} rank must be 2..5", "", tensor)
    lhs_shape, rhs_shape, expected, depth = matmul_shapes(view, attrs)
    return FloatBatchMatMulParams(attrs.adj_x, attrs.adj_y, lhs_shape, rhs_shape, expected, depth)


FLOAT_PREPARERS: dict[OpKind, Callable[[OpView], FloatParams]] = {
    OpKind.CONV_2D: _convolution,
    OpKind.DEPTHWISE_CONV_2D: _convolution,
    OpKind.FULLY_CONNECTED: _fully_connected,
    **dict.fromkeys(_POOLS, _pool),
    **dict.fromkeys(_BINARY, _binary),
    **dict.fromkeys(_UNARY, _unary),
    OpKind.SOFTMAX: _softmax,
    OpKind.LOG_SOFTMAX: _softmax,
    **dict.fromkeys(_REDUCERS, _reduce),
    OpKind.BATCH_MATMUL: _batch_matmul,
}

FLOAT_ONLY_KINDS = frozenset(
    {
        OpKind.EXP,
        OpKind.LOG,
        OpKind.SIN,
        OpKind.COS,
        OpKind.SQRT,
        OpKind.NEG,
        OpKind.SQUARE,
        OpKind.FLOOR,
        OpKind.CEIL,
        OpKind.ROUND,
        OpKind.FLOOR_DIV,
        OpKind.FLOOR_MOD,
        OpKind.L2_POOL_2D,
    }
)
"""Operators TFLM runs only in float."""


def is_float_layer(view: OpView) -> bool:
    """Whether the layer takes TFLM's float path: float input 0 and output."""
    return (
        view.num_inputs >= 1
        and view.optional_input(0) is not None
        and view.input(0).dtype is DType.FLOAT32
        and len(view.op.outputs) >= 1
        and view.output().dtype is DType.FLOAT32
    )


# Layers with weights: a float one whose weights are int8 is a hybrid (dynamic-range
# quantized) layer, which TFLM refuses ("Hybrid models are not supported").
WEIGHTED_KINDS = frozenset(
    {
        OpKind.CONV_2D,
        OpKind.DEPTHWISE_CONV_2D,
        OpKind.FULLY_CONNECTED,
        OpKind.TRANSPOSE_CONV,
        OpKind.BATCH_MATMUL,
        OpKind.SVDF,
        OpKind.UNIDIRECTIONAL_SEQUENCE_LSTM,
    }
)


def _require_not_hybrid(view: OpView) -> None:
    if view.op.kind not in WEIGHTED_KINDS:
        return
    for index in range(1, view.num_inputs):
        weights = view.optional_input(index)
        require(
            weights is None or weights.dtype not in (DType.INT8, DType.INT4),
            "a hybrid (dynamic-range quantized) layer: float activations with int8 weights, "
            "which TFLite Micro does not run either",
            "convert with full integer quantization (a representative dataset), or without "
            "quantization as a float model",
            weights,
        )


def prepare(view: OpView) -> FloatParams:
    """The float layer's parameters; OpError where TFLM's float Prepare would fail."""
    _require_not_hybrid(view)
    require(
        view.op.kind not in FLOAT_ONLY_KINDS or is_float_layer(view),
        f"{view.op.opcode_name} runs only on FLOAT32 tensors (as in TFLite Micro)",
        "keep this operator in float32 (the converter does for these operators)",
    )
    return FLOAT_PREPARERS[view.op.kind](view)


Params = TypeVar("Params")


def with_float_path(quantized: Callable[[OpView], Params]) -> Callable[[OpView], Params | FloatParams]:
    """`quantized`, except that float layers take TFLM's float path."""

    def prepare_any(view: OpView) -> Params | FloatParams:
        return prepare(view) if is_float_layer(view) else quantized(view)

    return prepare_any


def macs(params: FloatConv2DParams | FloatFullyConnectedParams | FloatBatchMatMulParams) -> int:
    """Multiply-accumulates of a float convolution, fully connected or matmul layer."""
    if isinstance(params, FloatFullyConnectedParams):
        return params.batches * params.input_depth * params.output_depth
    if isinstance(params, FloatBatchMatMulParams):
        return math.prod(params.output_shape) * params.depth
    _, filter_h, filter_w, filter_depth = params.filter_shape
    per_output = filter_h * filter_w * (1 if params.depth_multiplier is not None else filter_depth)
    return math.prod(params.output_shape) * per_output
