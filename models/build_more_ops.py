"""Micro-models for the remaining TFLite Micro builtins the TF converter emits
(REVERSE_V2, ...).

Imported by build_models.py, whose helpers build and check them like every other
model of the zoo.
"""

from __future__ import annotations

import tensorflow as tf

from build_models import ModelSpec, expect, op_model, single_op


# The converter writes REVERSE_V2 version 3, which TF 2.19's TFLite interpreter lacks.
_NO_TFLITE_REVERSE = "TFLite's interpreter has no REVERSE_V2 version 3: TFLM is the reference"


def more_op_models() -> list[ModelSpec]:
    return [
        op_model("reverse_v2_axis1", "tf.reverse on axis 1 of [1, 5, 4, 3]",
                 single_op([(1, 5, 4, 3)], lambda x: tf.reverse(x, axis=[1])), expect("REVERSE_V2"),
                 tflite_unsupported=_NO_TFLITE_REVERSE),
        op_model("reverse_v2_axes_2_3", "tf.reverse on axes 2 and 3 (contiguous, as TFLM needs) of [2, 3, 4, 5]",
                 single_op([(2, 3, 4, 5)], lambda x: tf.reverse(x, axis=[2, 3])), expect("REVERSE_V2"),
                 tflite_unsupported=_NO_TFLITE_REVERSE),
    ]
