"""Micro-models of the TFLite Micro builtins and modes added last: LOG_SOFTMAX (int8),
16x8 BATCH_MATMUL and the int16 data-movement operators.

Imported by build_models.py into `all_models()`. The converter emits int8 LOG_SOFTMAX
with TFLM's fixed output quantization (scale 16/256, zero point 127).
"""

from __future__ import annotations

import tensorflow as tf

import build_models as bm
from build_i16 import i16_model

ROWS = (1, 4, 6)
ONE_ROW = (1, 40)


def log_softmax_models() -> list[bm.ModelSpec]:
    def model(name: str, shape: tuple[int, ...], std: float) -> bm.ModelSpec:
        return bm.op_model(f"log_softmax_{name}", f"int8 log-softmax over the last axis of {list(shape)}",
                           bm.single_op([shape], lambda x: tf.nn.log_softmax(x, axis=-1),
                                        [bm.normal(shape, std=std)]),
                           bm.expect("LOG_SOFTMAX"))

    return [model("rows", ROWS, 2.0), model("wide", ONE_ROW, 6.0)]


def int16_models() -> list[bm.ModelSpec]:
    return [
        i16_model("batch_matmul", "[2, 5, 8] x [2, 8, 6]",
                  bm.single_op([(2, 5, 8), (2, 8, 6)], tf.matmul),
                  bm.expect("BATCH_MATMUL", adjX=False, adjY=False)),
        i16_model("split_slice", "SPLIT of [1, 6, 8] into 2, then SLICE of the second",
                  bm.single_op([(1, 6, 8)], lambda x: tf.slice(tf.split(x, 2, axis=1)[1], [0, 1, 2], [1, 2, 5])),
                  bm.expect("SPLIT"), bm.expect("SLICE")),
    ]


def more_builtin_models() -> list[bm.ModelSpec]:
    return log_softmax_models() + int16_models()
