"""ADD_N (int8, float32): TFLM add_n.cc CalculateOpData.

All inputs share the first input's shape and type; int8 ones also its scale and zero
point (TFLM checks each). Float32 is summed plainly, no parameters (`sum` None).
`sum_params` is also CUMSUM's Prepare.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import Activation, DType, Quantization
from tinymlc.ops._common import OpView, per_tensor, require, require_dtype, require_output_shape

LEFT_SHIFT = 20
"""TFLM's `kAddNIntegerShift` (and CUMSUM's `kCumSumIntegerShift`)."""


@dataclass(frozen=True)
class SumParams:
    """ADD_N's and CUMSUM's OpData: same-scale int8 values summed, the sum rescaled."""

    left_shift: int
    input_offset: int
    """-input zero point."""
    input_multiplier: int
    input_shift: int
    """QuantizeMultiplierSmallerThanOneExp(s / (2 * (double)s))."""
    output_offset: int
    output_multiplier: int
    output_shift: int
    """QuantizeMultiplierSmallerThanOneExp(2 * (double)s / ((1 << 20) * (double)s_out))."""
    output_activation_min: int
    output_activation_max: int


def sum_params(input_quant: Quantization, output_quant: Quantization) -> SumParams:
    twice_max_input_scale = 2 * input_quant.scale
    input_multiplier = quant.quantize_multiplier_smaller_than_one_exp(
        input_quant.scale / twice_max_input_scale
    )
    output_multiplier = quant.quantize_multiplier_smaller_than_one_exp(
        twice_max_input_scale / ((1 << LEFT_SHIFT) * output_quant.scale)
    )
    low, high = quant.activation_range_quantized(
        Activation.NONE, output_quant.scale, output_quant.zero_point, DType.INT8
    )
    return SumParams(
        left_shift=LEFT_SHIFT,
        input_offset=-input_quant.zero_point,
        input_multiplier=input_multiplier.multiplier,
        input_shift=input_multiplier.shift,
        output_offset=output_quant.zero_point,
        output_multiplier=output_multiplier.multiplier,
        output_shift=output_multiplier.shift,
        output_activation_min=low,
        output_activation_max=high,
    )


@dataclass(frozen=True)
class AddNParams:
    inputs: int
    elements: int
    sum: SumParams | None
    """None for float32."""


def prepare(view: OpView) -> AddNParams:
    require(
        view.num_inputs >= 2, f"ADD_N needs at least 2 inputs, has {view.num_inputs}", "re-export the model"
    )
    require(len(view.op.outputs) == 1, f"expects 1 output, has {len(view.op.outputs)}", "re-export the model")
    first, output = view.input(0), view.output()
    require_dtype(first, [DType.INT8, DType.FLOAT32], "input 0")
    require_dtype(output, [first.dtype], "output")
    for index in range(1, view.num_inputs):
        tensor = view.input(index)
        require(tensor.shape == first.shape, f"input {index} has another shape than input 0", "", tensor)
        require_dtype(tensor, [first.dtype], f"input {index}")
    require_output_shape(view, first.shape)
    if first.dtype is DType.FLOAT32:
        return AddNParams(inputs=view.num_inputs, elements=first.num_elements, sum=None)
    first_quant = per_tensor(first)
    for index in range(1, view.num_inputs):
        tensor = view.input(index)
        tensor_quant = per_tensor(tensor)
        require(
            (tensor_quant.scale, tensor_quant.zero_point) == (first_quant.scale, first_quant.zero_point),
            f"input {index} is quantized unlike input 0 (TFLM requires one scale and zero point)",
            "requantize the inputs to one scale",
            tensor,
        )
    return AddNParams(
        inputs=view.num_inputs, elements=first.num_elements, sum=sum_params(first_quant, per_tensor(output))
    )
