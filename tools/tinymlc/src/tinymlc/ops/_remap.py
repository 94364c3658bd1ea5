"""Shared parameters of the operators that copy input elements to output positions
through per-axis coordinate tables (the `remap` kernel): DEPTH_TO_SPACE,
SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, MIRROR_PAD, RESIZE_NEAREST_NEIGHBOR,
BROADCAST_TO and GATHER."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinymlc.ir import DType, Tensor
from tinymlc.ops._common import (
    OpView,
    check_raw_copy_quantization,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)

AxisTerms = Callable[[int], Sequence[int]]
"""Output index along one axis -> what it adds to each input coordinate."""


@dataclass(frozen=True)
class RemapParams:
    input_shape: tuple[int, ...]
    """The input as the kernel views it (same elements, row-major)."""
    output_shape: tuple[int, ...]
    """The output as the kernel views it (same elements, row-major)."""
    contributions: tuple[int, ...]
    """For every output axis and index, its term for each input coordinate."""
    pad_value: int
    """Written where a summed coordinate leaves its input axis."""
    data_input: ClassVar[int] = 0
    """The operator input the kernel reads."""


def remap_params(
    input_shape: Sequence[int],
    output_shape: Sequence[int],
    axes: Sequence[AxisTerms],
    pad_value: int = 0,
) -> RemapParams:
    rank = len(input_shape)
    contributions: list[int] = []
    for extent, terms in zip(output_shape, axes, strict=True):
        for index in range(extent):
            row = tuple(terms(index))
            assert len(row) == rank
            contributions.extend(row)
    return RemapParams(tuple(input_shape), tuple(output_shape), tuple(contributions), pad_value)


def apply_remap(params: RemapParams, data: np.ndarray) -> np.ndarray:
    """The kernel's result in numpy (constant folding, tests)."""
    source = data.reshape(params.input_shape)
    rank = len(params.input_shape)
    coords = np.zeros((*params.output_shape, rank), dtype=np.int64)
    table = np.array(params.contributions, dtype=np.int64).reshape(-1, rank)
    first = 0
    for axis, extent in enumerate(params.output_shape):
        shape = [1] * len(params.output_shape) + [rank]
        shape[axis] = extent
        coords += table[first : first + extent].reshape(shape)
        first += extent
    inside = np.all((coords >= 0) & (coords < np.array(params.input_shape)), axis=-1)
    clipped = np.clip(coords, 0, np.array(params.input_shape) - 1)
    values = source[tuple(clipped[..., a] for a in range(rank))]
    return np.where(inside, values, params.pad_value).astype(data.dtype)


def unit(rank: int, axis: int, value: int) -> tuple[int, ...]:
    """Terms adding `value` to input coordinate `axis` only."""
    return tuple(value if a == axis else 0 for a in range(rank))


INT8_AND_FLOAT32 = (DType.INT8, DType.FLOAT32)
"""The types most of TFLM's data-movement kernels copy."""


def copy_operands(
    view: OpView, inputs: Sequence[int], dtypes: Sequence[DType] = INT8_AND_FLOAT32
) -> tuple[Tensor, Tensor]:
    """Input 0 and the output of an operator copying raw values of one of `dtypes` (the
    types its TFLM kernel copies; TFLM does not rescale them, whatever the quantization:
    the validator warns)."""
    require_arity(view, inputs)
    input_, output = view.input(0), view.output()
    require_dtype(input_, dtypes, "input")
    require_dtype(output, [input_.dtype], "output")
    check_raw_copy_quantization(input_, output)
    return input_, output


def checked_output(view: OpView, expected: Sequence[int]) -> None:
    require(all(d >= 0 for d in expected), f"inferred output shape {list(expected)} is negative", "")
    require_output_shape(view, tuple(expected))
