"""Shared prepare for MAXIMUM and MINIMUM (int8, int16)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ops._binary import BinaryShapes, check_binary
from tinymlc.ops._common import QUANTIZED_ACTIVATION_TYPES, OpView


@dataclass(frozen=True)
class MinMaxParams:
    """The kernel compares raw integer values: no quantization parameters."""

    shapes: BinaryShapes


def prepare_min_max(view: OpView) -> MinMaxParams:
    # TFLM compares the raw integers whatever the quantization (the validator warns
    # when the tensors differ).
    return MinMaxParams(shapes=check_binary(view, QUANTIZED_ACTIVATION_TYPES).shapes)
