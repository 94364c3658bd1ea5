"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL: TFLM ComparisonsPrepare.

TFLM compares INT32 and FLOAT32 (and, for EQUAL / NOT_EQUAL, BOOL) stored values
directly and rescales INT8 operands to one scale first. Its INT16 path for the
ordering comparisons reads scaling parameters Prepare never sets, and INT64 has no
arena storage here: both are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType, OpKind
from tinymlc.ops._binary import BinaryShapes
from tinymlc.ops._common import OpView, per_tensor, require, require_dtype
from tinymlc.ops.logical import broadcast_operands

LEFT_SHIFT = 8
"""TFLM ComparisonsPrepare's `kLeftShift`."""

COMPARISONS: dict[OpKind, str] = {
    OpKind.EQUAL: "Equal",
    OpKind.NOT_EQUAL: "NotEqual",
    OpKind.LESS: "Less",
    OpKind.LESS_EQUAL: "LessEqual",
    OpKind.GREATER: "Greater",
    OpKind.GREATER_EQUAL: "GreaterEqual",
}
"""Operator -> variant of the kernels' `Comparison`."""

_EQUALITY = frozenset({OpKind.EQUAL, OpKind.NOT_EQUAL})


@dataclass(frozen=True)
class ComparisonScaling:
    """The INT8 fields of TFLM's `ComparisonParams`."""

    left_shift: int
    input1_offset: int
    """-input 1 zero point."""
    input1_multiplier: int
    input1_shift: int
    """QuantizeMultiplierSmallerThanOneExp(input 1 scale); shift <= 0."""
    input2_offset: int
    input2_multiplier: int
    input2_shift: int


@dataclass(frozen=True)
class ComparisonParams:
    comparison: str
    """Variant of the kernels' `Comparison`."""
    input_dtype: DType
    shapes: BinaryShapes
    scaling: ComparisonScaling | None
    """Set for INT8 operands (compared on a common scale), None for raw comparisons."""


def prepare(view: OpView) -> ComparisonParams:
    allowed = [DType.INT8, DType.INT32, DType.FLOAT32]
    if view.op.kind in _EQUALITY:
        allowed.append(DType.BOOL)
    shapes = broadcast_operands(view, allowed, DType.BOOL)
    input1, input2 = view.input(0), view.input(1)
    require_dtype(input2, [input1.dtype], "input 2")
    scaling = None
    if input1.dtype is DType.INT8:
        quant1, quant2 = per_tensor(input1), per_tensor(input2)
        multiplier1 = quant.quantize_multiplier_smaller_than_one_exp(quant1.scale)
        multiplier2 = quant.quantize_multiplier_smaller_than_one_exp(quant2.scale)
        scaling = ComparisonScaling(
            left_shift=LEFT_SHIFT,
            input1_offset=-quant1.zero_point,
            input1_multiplier=multiplier1.multiplier,
            input1_shift=multiplier1.shift,
            input2_offset=-quant2.zero_point,
            input2_multiplier=multiplier2.multiplier,
            input2_shift=multiplier2.shift,
        )
    require(view.op.kind in COMPARISONS, f"{view.op.opcode_name} is not a comparison")
    return ComparisonParams(
        comparison=COMPARISONS[view.op.kind],
        input_dtype=input1.dtype,
        shapes=shapes,
        scaling=scaling,
    )
