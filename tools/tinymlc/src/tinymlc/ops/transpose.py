"""TRANSPOSE (int8, int16): constant permutation, at most 5 dimensions."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ops._common import (
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
    input_, output = require_quantized_operands(view, (2,))
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
    require(
        per_tensor(input_) == per_tensor(output),
        "TRANSPOSE output must be quantized like its input",
        "",
        output,
    )
    expected = tuple(input_.shape[p] for p in perm)
    require_output_shape(view, expected)
    return TransposeParams(perm=perm, input_shape=input_.shape, output_shape=expected)
