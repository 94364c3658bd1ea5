"""QUANTIZE: float32 -> int8/int16 (affine) and the integer requantizes TFLM's
PrepareQuantizeReference / EvalQuantizeReference run: int8/int16 -> int8/int16/int32 and
int32 -> int8/int16 (the uint8 ones aside)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._common import (
    OpView,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


class QuantizeMode(enum.Enum):
    FLOAT_TO_INT8 = "float_to_int8"
    """AffineQuantize: round(x / (float)scale) + zero_point, clamped."""
    FLOAT_TO_INT16 = "float_to_int16"
    """AffineQuantize into int16."""
    REQUANTIZE = "requantize"
    """Requantize: MultiplyByQuantizedMultiplier(x - in_zp) + out_zp, clamped."""


@dataclass(frozen=True)
class QuantizeParams:
    mode: QuantizeMode
    output_scale: float
    """OpDataQuantizeReference.quantization_params.scale (double of the float32 scale;
    the kernel divides by it as float)."""
    output_zero_point: int
    """quantization_params.zero_point."""
    input_zero_point: int
    """OpDataQuantizeReference.input_zero_point (REQUANTIZE only; 0 otherwise)."""
    requantize_output_multiplier: int
    """REQUANTIZE only: QuantizeMultiplier(input_scale / output_scale)."""
    requantize_output_shift: int
    """REQUANTIZE only: positive = left."""
    is_identity: bool
    """REQUANTIZE with multiplier 2^30, shift 1 and equal zero points: a copy."""

    @property
    def from_float(self) -> bool:
        return self.mode in (QuantizeMode.FLOAT_TO_INT8, QuantizeMode.FLOAT_TO_INT16)


# Output types per input type of TFLM's EvalQuantizeReference.
_OUTPUT_TYPES = {
    DType.FLOAT32: (DType.INT8, DType.INT16),
    DType.INT8: (DType.INT8, DType.INT16, DType.INT32),
    DType.INT16: (DType.INT8, DType.INT16, DType.INT32),
    DType.INT32: (DType.INT8, DType.INT16),
}


def prepare(view: OpView) -> QuantizeParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, _OUTPUT_TYPES, "input")
    require_dtype(output, _OUTPUT_TYPES[input_.dtype], "output")
    require_output_shape(view, input_.shape)
    output_quant = per_tensor(output)
    if input_.dtype is DType.FLOAT32:
        return QuantizeParams(
            mode=QuantizeMode.FLOAT_TO_INT8 if output.dtype is DType.INT8 else QuantizeMode.FLOAT_TO_INT16,
            output_scale=output_quant.scale,
            output_zero_point=output_quant.zero_point,
            input_zero_point=0,
            requantize_output_multiplier=0,
            requantize_output_shift=0,
            is_identity=False,
        )
    input_quant = per_tensor(input_)
    require(output_quant.scale > 0, "output scale must be positive", "", output)
    multiplier = quant.quantize_multiplier(input_quant.scale / output_quant.scale)
    return QuantizeParams(
        mode=QuantizeMode.REQUANTIZE,
        output_scale=output_quant.scale,
        output_zero_point=output_quant.zero_point,
        input_zero_point=input_quant.zero_point,
        requantize_output_multiplier=multiplier.multiplier,
        requantize_output_shift=multiplier.shift,
        is_identity=(
            multiplier == quant.QuantizedMultiplier(1 << 30, 1)
            and input_quant.zero_point == output_quant.zero_point
        ),
    )
