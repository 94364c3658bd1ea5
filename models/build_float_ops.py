"""Float32 micro-models of the operators whose float32 mode TFLite Micro runs besides
its float arithmetic (build_float.py): the data-movement operators (SLICE, SPLIT,
GATHER, the remapping ones, ...), which copy float32 values as they copy int8 ones,
and the float forms of ARG_MAX / ARG_MIN.

Imported by build_models.py into `all_models()`. Inputs are drawn from N(0, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

import build_models as bm
from build_data_ops import mul_by_ones_to_broadcast_to

FEATURE_MAP = (1, 6, 8, 6)


def float_op(name: str, description: str, shapes: list[tuple[int, ...]],
             fn: Callable[..., Any], op: str, output_dtype: str = "FLOAT32",
             **options: Any) -> bm.ModelSpec:
    """`op_float_<name>`: `fn` of float32 inputs, converted without quantization."""
    patch = options.pop("patch", None)
    expectations = bm.ModelExpectations(
        required_ops=(bm.expect(op, **options),),
        only_required_ops=True,
        input_dtype="FLOAT32",
        output_dtype=output_dtype,
        integer_only=False,
    )
    return bm.ModelSpec(f"op_float_{name}", f"float32 {description}", bm.single_op(shapes, fn),
                        expectations, quantize=False, patch=patch)


def data_movement_models() -> list[bm.ModelSpec]:
    return [
        float_op("slice_4d", "tf.slice begin (0, 2, 1, 3) size (1, 3, -1, 2)", [FEATURE_MAP],
                 lambda x: tf.slice(x, (0, 2, 1, 3), (1, 3, -1, 2)), "SLICE"),
        float_op("split_axis3", "tf.split into 3 on the channels", [FEATURE_MAP],
                 lambda x: tf.split(x, 3, axis=3), "SPLIT"),
        float_op("split_v_axis2", "tf.split sizes (1, 5, 2) on W", [FEATURE_MAP],
                 lambda x: tf.split(x, (1, 5, 2), axis=2), "SPLIT_V"),
        float_op("unpack_axis1", "tf.unstack on H of [1, 3, 5, 4]", [(1, 3, 5, 4)],
                 lambda x: tf.unstack(x, axis=1), "UNPACK", axis=1),
        float_op("pack_axis1", "tf.stack of 3 [1, 4, 5] on axis 1", [(1, 4, 5)] * 3,
                 lambda *xs: tf.stack(xs, axis=1), "PACK", axis=1),
        float_op("gather_axis1", "tf.gather indices (3, 0, 2, 2) on axis 1 of [1, 5, 6]", [(1, 5, 6)],
                 lambda x: tf.gather(x, (3, 0, 2, 2), axis=1), "GATHER"),
        float_op("gather_nd_rows", "tf.gather_nd indices [[1, 2], [0, 0], [2, 4]] on [3, 5, 4]",
                 [(3, 5, 4)], lambda x: tf.gather_nd(x, ((1, 2), (0, 0), (2, 4))), "GATHER_ND"),
        float_op("depth_to_space_block2", "tf.nn.depth_to_space block 2 on [1, 4, 5, 12]",
                 [(1, 4, 5, 12)], lambda x: tf.nn.depth_to_space(x, 2), "DEPTH_TO_SPACE"),
        float_op("space_to_depth_block2", "tf.nn.space_to_depth block 2 on [1, 6, 4, 3]",
                 [(1, 6, 4, 3)], lambda x: tf.nn.space_to_depth(x, 2), "SPACE_TO_DEPTH"),
        float_op("space_to_batch_nd_padded", "block (2, 2), paddings ((1, 1), (2, 0)) on [1, 6, 6, 3]",
                 [(1, 6, 6, 3)], lambda x: tf.space_to_batch_nd(x, (2, 2), ((1, 1), (2, 0))),
                 "SPACE_TO_BATCH_ND"),
        float_op("batch_to_space_nd_cropped", "block (2, 2), crops ((0, 1), (1, 0)) on [4, 3, 3, 2]",
                 [(4, 3, 3, 2)], lambda x: tf.batch_to_space(x, (2, 2), ((0, 1), (1, 0))),
                 "BATCH_TO_SPACE_ND"),
        float_op("mirror_pad_reflect", "REFLECT pad H (2, 1), W (0, 2) of [1, 5, 4, 3]", [(1, 5, 4, 3)],
                 lambda x: tf.pad(x, ((0, 0), (2, 1), (0, 2), (0, 0)), mode="REFLECT"), "MIRROR_PAD"),
        float_op("broadcast_to", "[1, 1, 6, 1] -> [2, 4, 6, 3] (MUL by ones patched back)",
                 [(1, 1, 6, 1)], lambda x: tf.broadcast_to(x, (2, 4, 6, 3)), "BROADCAST_TO",
                 patch=mul_by_ones_to_broadcast_to()),
        float_op("resize_nearest_neighbor_half_pixel", "tf.image.resize nearest [1, 5, 7, 3] -> 9x4",
                 [(1, 5, 7, 3)], lambda x: tf.image.resize(x, (9, 4), method="nearest"),
                 "RESIZE_NEAREST_NEIGHBOR"),
        float_op("reverse_v2_axis1", "tf.reverse on H of [1, 5, 4, 3]", [(1, 5, 4, 3)],
                 lambda x: tf.reverse(x, (1,)), "REVERSE_V2"),
        float_op("arg_max_last_axis", "tf.argmax over 10 classes of [2, 3, 10] (int32 output)",
                 [(2, 3, 10)], lambda x: tf.argmax(x, axis=-1, output_type=tf.int32), "ARG_MAX",
                 output_dtype="INT32"),
        float_op("arg_min_axis1", "tf.argmin over H of [1, 6, 4, 3] (int32 output)", [(1, 6, 4, 3)],
                 lambda x: tf.argmin(x, axis=1, output_type=tf.int32), "ARG_MIN", output_dtype="INT32"),
    ]


def float_op_models() -> list[bm.ModelSpec]:
    return data_movement_models()

