"""ADD, SUB, MUL, DIV, MAXIMUM and MINIMUM of unquantized INT32 tensors.

TFLM runs these on INT32 as plain integer arithmetic: ADD clamps to the full INT32
range whatever its fused activation (add.cc), SUB, MUL and DIV to
`CalculateActivationRange<int32_t>(activation)` (sub.cc, mul_common.cc, div.cc), and
MAXIMUM / MINIMUM compare the values. Each operator's quantized preparation handles
every other type; `with_integer_path` puts this one in front of it. DIV is INT32
only here (TFLM's INT8 and FLOAT32 DIV are not supported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tinymlc.ir import Activation, DType, ElementwiseAttrs, OpKind
from tinymlc.ops._binary import BinaryShapes
from tinymlc.ops._common import OpView, require
from tinymlc.ops.logical import broadcast_operands

INT32_MIN, INT32_MAX = DType.INT32.integer_range

ARITHMETIC: dict[OpKind, str] = {
    OpKind.ADD: "Add",
    OpKind.SUB: "Sub",
    OpKind.MUL: "Mul",
    OpKind.DIV: "Div",
}
"""Operator -> variant of the kernels' `IntegerOp`."""

KINDS = (OpKind.ADD, OpKind.SUB, OpKind.MUL, OpKind.MAXIMUM, OpKind.MINIMUM)
"""The operators whose quantized preparation this one goes in front of."""


@dataclass(frozen=True)
class IntegerBinaryParams:
    op: str | None
    """Variant of the kernels' `IntegerOp`; None for MAXIMUM / MINIMUM."""
    activation_min: int
    activation_max: int
    shapes: BinaryShapes


def _activation_range(activation: Activation) -> tuple[int, int]:
    """TFLite `CalculateActivationRange<int32_t>`."""
    if activation is Activation.RELU:
        return 0, INT32_MAX
    if activation is Activation.RELU6:
        return 0, 6
    if activation is Activation.RELU_N1_TO_1:
        return -1, 1
    return INT32_MIN, INT32_MAX


def prepare(view: OpView) -> IntegerBinaryParams:
    shapes = broadcast_operands(view, [DType.INT32], DType.INT32)
    kind = view.op.kind
    if kind is OpKind.DIV:
        for index in (0, 1):
            require(
                view.input(index).quantization is None,
                "INT32 DIV needs unquantized inputs (TFLM checks kTfLiteNoQuantization)",
                "remove the quantization parameters",
                view.input(index),
            )
    low, high = INT32_MIN, INT32_MAX
    if kind in (OpKind.SUB, OpKind.MUL, OpKind.DIV):
        # Absent options: TFLM value-initialises them, i.e. no activation.
        attrs = view.op.attrs
        low, high = _activation_range(
            attrs.activation if isinstance(attrs, ElementwiseAttrs) else Activation.NONE
        )
    return IntegerBinaryParams(
        op=ARITHMETIC.get(kind), activation_min=low, activation_max=high, shapes=shapes
    )


Params = TypeVar("Params")


def with_integer_path(
    quantized: Callable[[OpView], Params],
) -> Callable[[OpView], Params | IntegerBinaryParams]:
    """`quantized`, except that INT32 operands take TFLM's integer path."""

    def prepare_any(view: OpView) -> Params | IntegerBinaryParams:
        if view.num_inputs >= 1 and view.input(0).dtype is DType.INT32:
            return prepare(view)
        return quantized(view)

    return prepare_any
