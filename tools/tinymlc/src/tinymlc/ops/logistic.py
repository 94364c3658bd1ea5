"""LOGISTIC (int8; int16 of 16x8 quantization).

int8: TFLM only checks the output zero point (-128); the kernel always produces
values at scale 1/256 whatever the output tensor claims, so that is what
bit-exactness means here. int16: TFLM's lookup-table kernel (`_sigmoid16`).
"""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, per_tensor, require
from tinymlc.ops._sigmoid16 import Int16SigmoidParams, prepare_int16_sigmoid
from tinymlc.ops._sigmoid_like import SigmoidLikeParams, prepare_sigmoid_like

OUTPUT_ZERO_POINT = -128
# The int16 input left shift at which TFLM takes its power-of-two path (scale 2^-12).
INT16_POWER_OF_TWO_SHIFTS = (0,)


def prepare(view: OpView) -> SigmoidLikeParams | Int16SigmoidParams:
    if view.input(0).dtype is DType.INT16:
        return prepare_int16_sigmoid(view, INT16_POWER_OF_TWO_SHIFTS)
    params = prepare_sigmoid_like(view)
    output = view.output()
    require(
        per_tensor(output).zero_point == OUTPUT_ZERO_POINT,
        "int8 logistic output zero point must be -128",
        "let the converter choose the logistic output quantization (1/256, -128)",
        output,
    )
    return params
