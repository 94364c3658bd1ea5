"""TANH (int8).

TFLM checks neither output scale nor zero point; the kernel produces values at
scale 1/128, zero point 0.
"""

from __future__ import annotations

from tinymlc.ops._common import OpView
from tinymlc.ops._sigmoid_like import SigmoidLikeParams, prepare_sigmoid_like


def prepare(view: OpView) -> SigmoidLikeParams:
    return prepare_sigmoid_like(view)
