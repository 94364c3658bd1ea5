"""DEPTH_TO_SPACE (int8 or float32): output[n, h * b + i, w * b + j, c] =
input[n, h, w, (i * b + j) * C_out + c], TFLM's reference loop."""

from __future__ import annotations

from tinymlc.ir import DepthToSpaceAttrs
from tinymlc.ops._common import OpView, require
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params, unit


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (1,))
    attrs = view.op.attrs
    block = attrs.block_size if isinstance(attrs, DepthToSpaceAttrs) else 0
    require(len(input_.shape) == 4, f"input must be 4-D, is {list(input_.shape)}", "", input_)
    require(block > 0, f"block_size {block} must be positive", "re-export the model")
    batches, height, width, depth = input_.shape
    require(depth % (block * block) == 0, f"depth {depth} is not a multiple of {block}x{block}", "", input_)
    out_depth = depth // (block * block)
    output_shape = (batches, height * block, width * block, out_depth)
    checked_output(view, output_shape)
    return remap_params(
        input_.shape,
        output_shape,
        [
            lambda n: unit(4, 0, n),
            lambda h: (0, h // block, 0, (h % block) * block * out_depth),
            lambda w: (0, 0, w // block, (w % block) * out_depth),
            lambda c: unit(4, 3, c),
        ],
    )
