"""Shared prepare for MAXIMUM and MINIMUM (int8, int16)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ops._binary import BinaryShapes, check_binary
from tinymlc.ops._common import QUANTIZED_ACTIVATION_TYPES, OpView, require


@dataclass(frozen=True)
class MinMaxParams:
    """The kernel compares raw integer values: no quantization parameters."""

    shapes: BinaryShapes


def prepare_min_max(view: OpView) -> MinMaxParams:
    operands = check_binary(view, QUANTIZED_ACTIVATION_TYPES)
    # TFLM compares the raw integers; that is only meaningful when all three
    # tensors share one quantization, which the converter guarantees.
    require(
        operands.input1 == operands.output and operands.input2 == operands.output,
        f"{view.op.opcode_name} inputs and output must share quantization (TFLM compares raw integer values)",
        "re-export the model",
        view.output(),
    )
    return MinMaxParams(shapes=operands.shapes)
