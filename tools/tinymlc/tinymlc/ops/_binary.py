"""Shared checks for the broadcasting binary operators."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, ElementwiseAttrs, Quantization
from tinymlc.ops._common import (
    OpView,
    Shape,
    broadcast_shape,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class BinaryShapes:
    input1_shape: Shape
    input2_shape: Shape
    output_shape: Shape
    requires_broadcast: bool
    """TFLM `requires_broadcast`: the input shapes differ."""


@dataclass(frozen=True)
class BinaryOperands:
    input1: Quantization
    input2: Quantization
    output: Quantization
    shapes: BinaryShapes
    output_dtype: DType


def check_binary(view: OpView) -> BinaryOperands:
    """int8 operands, per-tensor quantization, broadcastable shapes."""
    require_arity(view, (2,))
    input1, input2, output = view.input(0), view.input(1), view.output()
    for tensor, role in ((input1, "input 1"), (input2, "input 2"), (output, "output")):
        require_dtype(tensor, [DType.INT8], role)
    expected = broadcast_shape(input1.shape, input2.shape)
    require_output_shape(view, expected)
    return BinaryOperands(
        input1=per_tensor(input1),
        input2=per_tensor(input2),
        output=per_tensor(output),
        shapes=BinaryShapes(
            input1_shape=input1.shape,
            input2_shape=input2.shape,
            output_shape=expected,
            requires_broadcast=input1.shape != input2.shape,
        ),
        output_dtype=output.dtype,
    )


def elementwise_attrs(view: OpView) -> ElementwiseAttrs:
    attrs = view.op.attrs
    require(
        isinstance(attrs, ElementwiseAttrs),
        f"{view.op.opcode_name} has no builtin options",
        "re-export the model",
    )
    assert isinstance(attrs, ElementwiseAttrs)
    return attrs


@dataclass(frozen=True)
class AddSubParams:
    """TFLM OpDataAdd / OpDataSub for int8."""

    shapes: BinaryShapes
    input1_offset: int
    """-input1 zero point."""
    input2_offset: int
    """-input2 zero point."""
    output_offset: int
    """+output zero point."""
    left_shift: int
    """Both inputs are shifted left by this (20 for int8) before rescaling."""
    input1_multiplier: int
    input1_shift: int
    """QuantizeMultiplierSmallerThanOneExp exponent: <= 0, negative = right shift."""
    input2_multiplier: int
    input2_shift: int
    """As input1_shift."""
    output_multiplier: int
    output_shift: int
    """As input1_shift."""
    output_activation_min: int
    output_activation_max: int
