"""TANH (int8; int16 of 16x8 quantization).

int8: TFLM checks neither output scale nor zero point; the kernel produces values at
scale 1/128, zero point 0. int16: TFLM's lookup-table kernel (`_sigmoid16`).
"""

from __future__ import annotations

from tinymlc.ir import DType
from tinymlc.ops._common import OpView
from tinymlc.ops._sigmoid16 import Int16SigmoidParams, prepare_int16_sigmoid
from tinymlc.ops._sigmoid_like import SigmoidLikeParams, prepare_sigmoid_like

# The int16 input left shifts at which TFLM takes its power-of-two path (scales 2^-12
# and 2^-11).
INT16_POWER_OF_TWO_SHIFTS = (0, 1)


def prepare(view: OpView) -> SigmoidLikeParams | Int16SigmoidParams:
    if view.input(0).dtype is DType.INT16:
        return prepare_int16_sigmoid(view, INT16_POWER_OF_TWO_SHIFTS)
    return prepare_sigmoid_like(view)
