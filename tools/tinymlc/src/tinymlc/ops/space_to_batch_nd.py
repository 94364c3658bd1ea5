"""SPACE_TO_BATCH_ND (int8 or float32): output batch `(sh * bw + sw) * N + n` holds input
rows `oh * bh + sh - top` (and columns likewise), padding outside the input.

TFLM pads with its `SpaceToBatchParams.output_offset`, which its Prepare never sets
(a zeroed persistent buffer): 0, not the output zero point as in TFLite."""

from __future__ import annotations

from tinymlc.ops._common import OpView, require
from tinymlc.ops._remap import RemapParams, checked_output, copy_operands, remap_params
from tinymlc.ops._space_batch import as_4d, spatial_operands

PAD_VALUE = 0


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (3,))
    (bh, bw), (top, bottom, left, right) = spatial_operands(view, input_)
    n, h, w, c = as_4d(input_.shape)
    padded_h, padded_w = h + top + bottom, w + left + right
    require(
        padded_h % bh == 0 and padded_w % bw == 0,
        f"padded size {padded_h}x{padded_w} is not a multiple of the block {bh}x{bw}",
        "",
        input_,
    )
    out4 = (n * bh * bw, padded_h // bh, padded_w // bw, c)
    output_shape = out4 if len(input_.shape) == 4 else (out4[0], out4[1], c)
    checked_output(view, output_shape)
    return remap_params(
        (n, h, w, c),
        out4,
        [
            lambda b: (b % n, (b // n) // bw - top, (b // n) % bw - left, 0),
            lambda y: (0, y * bh, 0, 0),
            lambda x: (0, 0, x * bw, 0),
            lambda ch: (0, 0, 0, ch),
        ],
        PAD_VALUE,
    )
