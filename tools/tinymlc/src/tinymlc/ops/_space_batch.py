"""Shared checks of SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: a 3-D or 4-D input,
constant int32 block_shape [1 or 2] and paddings/crops [that many, 2]; TFLM views
3-D tensors as [N, H, 1, C] with a block width of 1."""

from __future__ import annotations

from tinymlc.ir import Tensor
from tinymlc.ops._common import OpView, constant_int32_values, require


def spatial_operands(view: OpView, input_: Tensor) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """(block height, block width) and (top, bottom, left, right) paddings or crops,
    extended to two spatial axes."""
    rank = len(input_.shape)
    require(rank in (3, 4), f"input must be 3-D or 4-D, is {list(input_.shape)}", "", input_)
    spatial = rank - 2
    block = constant_int32_values(view.input(1), "block_shape")
    edges = constant_int32_values(view.input(2), "paddings")
    require(len(block) == spatial, f"block_shape needs {spatial} entries", "", view.input(1))
    require(len(edges) == 2 * spatial, f"paddings/crops need {spatial}x2 entries", "", view.input(2))
    require(all(b > 0 for b in block), f"block_shape {list(block)} must be positive", "", view.input(1))
    require(all(e >= 0 for e in edges), f"paddings/crops {list(edges)} must not be negative", "")
    if spatial == 1:
        return (block[0], 1), (edges[0], edges[1], 0, 0)
    return (block[0], block[1]), (edges[0], edges[1], edges[2], edges[3])


def as_4d(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) == 3:
        return shape[0], shape[1], 1, shape[2]
    n, h, w, c = shape
    return n, h, w, c
