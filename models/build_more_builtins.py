"""Micro-models of the TFLite Micro builtins added last: LOG_SOFTMAX (int8).

Imported by build_models.py into `all_models()`. The converter emits int8 LOG_SOFTMAX
with TFLM's fixed output quantization (scale 16/256, zero point 127).
"""

from __future__ import annotations

import tensorflow as tf

import build_models as bm

ROWS = (1, 4, 6)
ONE_ROW = (1, 40)


def log_softmax_models() -> list[bm.ModelSpec]:
    def model(name: str, shape: tuple[int, ...], std: float) -> bm.ModelSpec:
        return bm.op_model(f"log_softmax_{name}", f"int8 log-softmax over the last axis of {list(shape)}",
                           bm.single_op([shape], lambda x: tf.nn.log_softmax(x, axis=-1),
                                        [bm.normal(shape, std=std)]),
                           bm.expect("LOG_SOFTMAX"))

    return [model("rows", ROWS, 2.0), model("wide", ONE_ROW, 6.0)]


def more_builtin_models() -> list[bm.ModelSpec]:
    return log_softmax_models()
