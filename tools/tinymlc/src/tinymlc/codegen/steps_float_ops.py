"""Emitters of the FLOAT32 layers `tinymlc.ops.float32_ops` prepares (TRANSPOSE_CONV,
L2_NORMALIZATION; RESIZE_BILINEAR's emitter takes either sample table itself), in
front of each operator's quantized emitter."""

from __future__ import annotations

from tinymlc.codegen.steps import (
    EMITTERS,
    StepBuilder,
    _Emitter,
    _nhwc,
    _nhwc_tile,
    _transpose_conv_geometry,
)
from tinymlc.codegen.steps_float import _activation
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.float32_ops import FloatL2NormalizationParams, FloatTransposeConvParams
from tinymlc.ops.transpose_conv import BIAS, FILTER, INPUT


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


def _with_float(quantized: _Emitter) -> _Emitter:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        if isinstance(params, FloatTransposeConvParams):
            _transpose_conv(b, params)
        elif isinstance(params, FloatL2NormalizationParams):
            _l2_normalization(b, params)
        else:
            quantized(b, params)

    return emit


FLOAT_OP_EMITTERS: dict[OpKind, _Emitter] = {
    kind: _with_float(EMITTERS[kind]) for kind in (OpKind.TRANSPOSE_CONV, OpKind.L2_NORMALIZATION)
}
