"""Shared checks for the broadcasting binary operators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tinymlc import quant
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


def check_binary(view: OpView, dtypes: Iterable[DType] = (DType.INT8,)) -> BinaryOperands:
    """Operands of one of `dtypes` (all three of one type), per-tensor quantization,
    broadcastable shapes."""
    require_arity(view, (2,))
    input1, input2, output = view.input(0), view.input(1), view.output()
    require_dtype(input1, dtypes, "input 1")
    for tensor, role in ((input2, "input 2"), (output, "output")):
        require_dtype(tensor, [input1.dtype], role)
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
class ArithmeticParams:
    """TFLM OpDataAdd / OpDataSub / SQUARED_DIFFERENCE OpData for int8: both inputs
    are shifted left, rescaled to a common scale, combined and rescaled to the output."""

    shapes: BinaryShapes
    input1_offset: int
    """-input1 zero point."""
    input2_offset: int
    """-input2 zero point."""
    output_offset: int
    """+output zero point."""
    left_shift: int
    """Both inputs are shifted left by this (20 for int8 ADD/SUB, 7 for SQUARED_DIFFERENCE)
    before rescaling."""
    input1_multiplier: int
    input1_shift: int
    """QuantizeMultiplierSmallerThanOneExp exponent: <= 0, negative = right shift."""
    input2_multiplier: int
    input2_shift: int
    """As input1_shift."""
    output_multiplier: int
    output_shift: int
    """As input1_shift for ADD/SUB; a QuantizeMultiplier exponent (positive = left) for
    SQUARED_DIFFERENCE."""
    output_activation_min: int
    output_activation_max: int


def rescale_to_twice_max_input_scale(
    operands: BinaryOperands,
) -> tuple[float, quant.QuantizedMultiplier, quant.QuantizedMultiplier]:
    """Both inputs rescaled (in double) to twice the larger input scale: that scale
    and the two input multipliers."""
    scale1, scale2 = operands.input1.scale, operands.input2.scale
    twice_max_input_scale = 2.0 * max(scale1, scale2)
    input1 = quant.quantize_multiplier_smaller_than_one_exp(scale1 / twice_max_input_scale)
    input2 = quant.quantize_multiplier_smaller_than_one_exp(scale2 / twice_max_input_scale)
    return twice_max_input_scale, input1, input2


def arithmetic_params(
    operands: BinaryOperands,
    left_shift: int,
    multipliers: tuple[quant.QuantizedMultiplier, quant.QuantizedMultiplier, quant.QuantizedMultiplier],
    activation: tuple[int, int],
) -> ArithmeticParams:
    """`ArithmeticParams` from the operands' zero points and the (input1, input2,
    output) multipliers."""
    input1, input2, output = multipliers
    return ArithmeticParams(
        shapes=operands.shapes,
        input1_offset=-operands.input1.zero_point,
        input2_offset=-operands.input2.zero_point,
        output_offset=operands.output.zero_point,
        left_shift=left_shift,
        input1_multiplier=input1.multiplier,
        input1_shift=input1.shift,
        input2_multiplier=input2.multiplier,
        input2_shift=input2.shift,
        output_multiplier=output.multiplier,
        output_shift=output.shift,
        output_activation_min=activation[0],
        output_activation_max=activation[1],
    )
