"""L2_NORMALIZATION (int8) along the last axis: TFLM L2NormPrepare (micro/kernels/l2norm.cc).

The output is in units of 1/128 (TFLM writes it so whatever the output tensor's
quantization says). The FLOAT32 path is `float32_ops`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import Activation, ElementwiseAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._unary import check_unary_int8

MAX_RANK = 4
"""TFLM: `NumDimensions(input) <= 4`."""


@dataclass(frozen=True)
class L2NormalizationParams:
    input_zero_point: int
    """L2NormalizationParams.input_zero_point."""
    depth: int
    outer_size: int


def check_rank_and_activation(view: OpView) -> tuple[int, ...]:
    """TFLM's Prepare checks of every type; the input shape."""
    shape = view.input(0).shape
    require(len(shape) <= MAX_RANK, f"rank {len(shape)} exceeds TFLM's {MAX_RANK}", "reshape the input")
    require(len(shape) >= 1, "L2_NORMALIZATION of a scalar", "reshape the input")
    attrs = view.op.attrs
    activation = attrs.activation if isinstance(attrs, ElementwiseAttrs) else Activation.NONE
    require(
        activation is Activation.NONE,
        f"fused activation {activation.name} (TFLM accepts only NONE)",
        "re-export the model without a fused activation",
    )
    return shape


def prepare(view: OpView) -> L2NormalizationParams:
    input_quant, _ = check_unary_int8(view)
    shape = check_rank_and_activation(view)
    return L2NormalizationParams(
        input_zero_point=input_quant.zero_point,
        depth=shape[-1],
        outer_size=math.prod(shape[:-1]),
    )
