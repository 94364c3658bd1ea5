"""LOGISTIC (int8).

TFLM only checks the output zero point (-128); the kernel always produces
values at scale 1/256 whatever the output tensor claims, so that is what
bit-exactness means here.
"""

from __future__ import annotations

from tinymlc.ops._common import OpView, per_tensor, require
from tinymlc.ops._sigmoid_like import SigmoidLikeParams, prepare_sigmoid_like

OUTPUT_ZERO_POINT = -128


def prepare(view: OpView) -> SigmoidLikeParams:
    params = prepare_sigmoid_like(view)
    output = view.output()
    require(
        per_tensor(output).zero_point == OUTPUT_ZERO_POINT,
        "int8 logistic output zero point must be -128",
        "let the converter choose the logistic output quantization (1/256, -128)",
        output,
    )
    return params
