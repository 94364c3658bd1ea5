"""SPACE_TO_DEPTH (int8 or float32): output[n, h, w, (i * b + j) * C + c] =
input[n, h * b + i, w * b + j, c], TFLM's reference loop."""

from __future__ import annotations

from tinymlc.ir import DepthToSpaceAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (1,))
    attrs = view.op.attrs
    block = attrs.block_size if isinstance(attrs, DepthToSpaceAttrs) else 0
    require(len(input_.shape) == 4, f"input must be 4-D, is {list(input_.shape)}", "", input_)
    require(block > 0, f"block_size {block} must be positive", "re-export the model")
    batches, height, width, depth = input_.shape
    require(
        height % block == 0 and width % block == 0,
        f"height {height} and width {width} must be multiples of block_size {block}",
        "",
        input_,
    )
    output_shape = (batches, height // block, width // block, depth * block * block)
    checked_output(view, output_shape)
    return remap_params(
        input_.shape,
        output_shape,
        [
            lambda n: (n, 0, 0, 0),
            lambda h: (0, h * block, 0, 0),
            lambda w: (0, 0, w * block, 0),
            lambda c: (0, c // (block * depth), (c // depth) % block, c % depth),
        ],
    )
