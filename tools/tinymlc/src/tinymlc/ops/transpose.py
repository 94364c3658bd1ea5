"""TRANSPOSE (int8, int16, float32): constant permutation, at most 5 dimensions."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import (
    RAW_COPY_TYPES,
    OpView,
    constant_int32_values,
    per_tensor,
    require,
    require_output_shape,
    require_quantized_operands,
)

MAX_DIMENSIONS = 5


@dataclass(frozen=True)
class TransposeParams:
    perm: tuple[int, ...]
    """TransposeParams.perm: output axis i reads input axis perm[i]."""
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def prepare(view: OpView) -> TransposeParams:
    input_, output = require_quantized_operands(view, (2,), RAW_COPY_TYPES)
    perm_tensor = view.input(1)
    perm = constant_int32_values(perm_tensor, "perm")
    rank = len(input_.shape)
    require(rank <= MAX_DIMENSIONS, f"TRANSPOSE supports at most {MAX_DIMENSIONS} dimensions", "", input_)
    require(
        sorted(perm) == list(range(rank)),
        f"perm {list(perm)} is not a permutation of 0..{rank - 1}",
        "",
        perm_tensor,
    )
    # TFLM copies raw values whatever the quantization (the validator warns).
    if input_.dtype is not DType.FLOAT32:
        per_tensor(input_)
        per_tensor(output)
    expected = tuple(input_.shape[p] for p in perm)
    require_output_shape(view, expected)
    return TransposeParams(perm=perm, input_shape=input_.shape, output_shape=expected)
