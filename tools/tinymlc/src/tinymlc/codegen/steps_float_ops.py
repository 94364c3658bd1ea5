"""Emitters of the FLOAT32 layers `tinymlc.ops.float32_ops` (TRANSPOSE_CONV,
L2_NORMALIZATION; RESIZE_BILINEAR's emitter takes either sample table itself) and
`tinymlc.ops.svdf` prepare, in front of each operator's quantized emitter."""

from __future__ import annotations

from tinymlc.codegen.steps import (
    EMITTERS,
    StepBuilder,
    _Emitter,
    _nhwc,
    _nhwc_tile,
    _struct,
)
from tinymlc.codegen.steps_float import _activation
from tinymlc.codegen.steps_linear import _transpose_conv_geometry
from tinymlc.ir import Activation, OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.float32_ops import FloatL2NormalizationParams, FloatTransposeConvParams
from tinymlc.ops.svdf import STATE_INPUT, FloatSvdfParams
from tinymlc.ops.transpose_conv import BIAS, FILTER, INPUT

_SVDF_ACTIVATIONS = {
    Activation.NONE: "None",
    Activation.RELU: "Relu",
    Activation.RELU_N1_TO_1: "ReluN1To1",
    Activation.RELU6: "Relu6",
    Activation.TANH: "Tanh",
    Activation.SIGN_BIT: "SignBit",
}


def _transpose_conv(b: StepBuilder, params: FloatTransposeConvParams) -> None:
    b.call(
        "float::transpose_conv::transpose_conv",
        _transpose_conv_geometry(b, params),
        _activation(params.activation),
        b.input(INPUT),
        _nhwc(params.input_shape),
        b.input(FILTER),
        _nhwc(params.filter_shape),
        f"Some({b.input(BIAS)})" if params.has_bias else "None",
        b.output(),
        _nhwc(params.output_shape),
        _nhwc_tile(b, params.output_shape),
    )


def _l2_normalization(b: StepBuilder, params: FloatL2NormalizationParams) -> None:
    b.call(
        "float::l2_normalization::l2_normalization",
        str(params.depth),
        b.input(0),
        b.output(),
        b.range(params.outer_size, "rows"),
    )


def _svdf(b: StepBuilder, params: FloatSvdfParams) -> None:
    dims = params.dims
    b.call(
        "float::svdf::svdf",
        _struct(
            "SvdfDims",
            batches=dims.batches,
            input_size=dims.input_size,
            filters=dims.filters,
            rank=dims.rank,
            memory_size=dims.memory_size,
        ),
        f"kernels::float::svdf::SvdfActivation::{_SVDF_ACTIVATIONS[params.activation]}",
        b.input(0),
        b.input(1),
        b.input(2),
        f"Some({b.input(3)})" if params.has_bias else "None",
        b.state(STATE_INPUT),
        b.output(),
        b.whole(),
    )


def _with_float(quantized: _Emitter) -> _Emitter:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        if isinstance(params, FloatTransposeConvParams):
            _transpose_conv(b, params)
        elif isinstance(params, FloatL2NormalizationParams):
            _l2_normalization(b, params)
        elif isinstance(params, FloatSvdfParams):
            _svdf(b, params)
        else:
            quantized(b, params)

    return emit


FLOAT_OP_EMITTERS: dict[OpKind, _Emitter] = {
    kind: _with_float(EMITTERS[kind])
    for kind in (OpKind.TRANSPOSE_CONV, OpKind.L2_NORMALIZATION, OpKind.SVDF)
}
