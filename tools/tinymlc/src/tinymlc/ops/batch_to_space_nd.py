"""BATCH_TO_SPACE_ND (int8 or float32): output[n, oh, ow, c] comes from input batch
`(sh * bw + sw) * N + n` at row `(oh + top) // bh` (sh = (oh + top) % bh) and
column likewise, TFLM's reference loop turned around."""

from __future__ import annotations

from tinymlc.ops._common import OpView, require
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params
from tinymlc.ops._space_batch import as_4d, spatial_operands


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (3,))
    (bh, bw), (top, bottom, left, right) = spatial_operands(view, input_)
    in_n, h, w, c = as_4d(input_.shape)
    require(in_n % (bh * bw) == 0, f"batch {in_n} is not a multiple of the block {bh}x{bw}", "", input_)
    n = in_n // (bh * bw)
    out4 = (n, h * bh - top - bottom, w * bw - left - right, c)
    output_shape = out4 if len(input_.shape) == 4 else (out4[0], out4[1], c)
    checked_output(view, output_shape)
    return remap_params(
        (in_n, h, w, c),
        out4,
        [
            lambda b: (b, 0, 0, 0),
            lambda y: (((y + top) % bh) * bw * n, (y + top) // bh, 0, 0),
            lambda x: (((x + left) % bw) * n, 0, (x + left) // bw, 0),
            lambda ch: (0, 0, 0, ch),
        ],
    )
