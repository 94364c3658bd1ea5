"""Step of MLAS_CONV (`--onnx_exact`: QDQ Conv, Gemm and MatMul summed in onnxruntime MLAS's
order); registered into `steps.EMITTERS`."""

from __future__ import annotations

import math

from tinymlc.codegen import rust
from tinymlc.codegen.steps import StepBuilder, _bias, _Emitter, _struct
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.mlas_conv import MlasConvParams

_KERNEL = "kernels::mlas_conv"


def _mlas_conv(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, MlasConvParams)
    attrs = params.attrs
    value = _struct(
        f"{_KERNEL}::MlasConvParams",
        input=rust.usizes(params.input_shape),
        output=rust.usizes(params.output_shape),
        kernel=rust.usizes(attrs.kernel),
        stride=rust.usizes(attrs.strides),
        dilation=rust.usizes(attrs.dilations),
        pad=rust.usizes(attrs.pads),
        groups=attrs.groups,
        block=attrs.block,
        block_sum=f"{_KERNEL}::BlockSum::{attrs.block_sum.value}",
        bias_first=rust.boolean(attrs.bias_first),
    )
    param = "&" + b.item("PARAMS", f"{_KERNEL}::MlasConvParams", value, 19 * 4)
    b.call(
        "mlas_conv::mlas_conv",
        param,
        b.input(0),
        b.input(1),
        _bias(b, params.has_bias),
        b.output(),
        b.range(math.prod(params.output_shape)),
    )


MLAS_EMITTERS: dict[OpKind, _Emitter] = {OpKind.MLAS_CONV: _mlas_conv}
