"""Quantization modes of the weighted operators (CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED): which instantiation of TFLM's integer kernel a layer runs.

A mode is a property of the tensors, not a different operator: int8 activations
accumulate in int32 with an int32 bias; 16x8 (int16 activations, int8 weights)
accumulates in the bias type, int64 or int32, which also picks the
`MultiplyByQuantizedMultiplier` overload.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, Tensor
from tinymlc.ops._accumulator_output import accumulates
from tinymlc.ops._common import OpView, require, require_arity, require_dtype

_RUST_TYPES = {DType.INT8: "i8", DType.INT16: "i16", DType.INT32: "i32", DType.INT64: "i64"}


@dataclass(frozen=True)
class LinearMode:
    activation: DType
    """INT8 or INT16: input and output element type."""
    accumulator: DType
    """INT32 or INT64: TFLM's AccumScalar / BiasType (the bias's type)."""
    accumulator_output: bool = False
    """The output is the int32 accumulator, not requantized (`_accumulator_output.py`)."""

    @property
    def is_16x8(self) -> bool:
        return self.activation is DType.INT16

    @property
    def rust_generics(self) -> str:
        """The kernel's `<activation, accumulator>` type arguments."""
        return f"{_RUST_TYPES[self.activation]}, {_RUST_TYPES[self.accumulator]}"


INT8_MODE = LinearMode(DType.INT8, DType.INT32)
ACCUMULATOR_MODE = LinearMode(DType.INT8, DType.INT32, accumulator_output=True)


def require_weighted_operands(view: OpView) -> tuple[Tensor, Tensor, Tensor | None, Tensor]:
    """Input, filter, optional bias and output of a weighted layer in any mode TFLM
    runs: int8 or int16 activations (input and output alike) and int8 weights, or int4
    weights with int8 activations (the parser unpacks them to int8, as TFLM's Eval does
    into a scratch buffer)."""
    require_arity(view, (2, 3))
    input_, filter_, output = view.input(0), view.input(1), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(filter_, [DType.INT8, DType.INT4], "filter")
    require(
        filter_.dtype is DType.INT8 or input_.dtype is DType.INT8,
        "TFLM unpacks INT4 weights for int8 activations only",
        "quantize the weights to int8 for 16x8 activations",
        filter_,
    )
    require(
        output.dtype is input_.dtype or accumulates(input_, output),
        f"output has type {output.dtype.name}, input {input_.dtype.name}: TFLM requires them equal",
        "quantize input and output alike",
        output,
    )
    return input_, filter_, view.optional_input(2), output


def linear_mode(
    input_: Tensor,
    bias: Tensor | None,
    output: Tensor,
    quantized_bias_type: DType,
    *,
    int32_bias_in_16x8: bool,
) -> LinearMode:
    """The mode TFLM's Eval dispatches on. `int32_bias_in_16x8`: whether the
    operator has a 16x8 kernel with 32-bit accumulation (CONV_2D and FULLY_CONNECTED
    do; DEPTHWISE_CONV_2D reads a 16x8 bias as int64 only)."""
    if input_.dtype is DType.INT8:
        if bias is not None:
            require_dtype(bias, [DType.INT32], "bias")
        return ACCUMULATOR_MODE if accumulates(input_, output) else INT8_MODE
    allowed = [DType.INT64, DType.INT32] if int32_bias_in_16x8 else [DType.INT64]
    if bias is not None:
        require_dtype(bias, allowed, "16x8 bias")
        return LinearMode(DType.INT16, bias.dtype)
    int32 = int32_bias_in_16x8 and quantized_bias_type is DType.INT32
    return LinearMode(DType.INT16, DType.INT32 if int32 else DType.INT64)
