"""The int32 accumulator output of the int8 linear operators (CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL). Not in .tflite files: `--onnx_exact`
lowers onnxruntime's integer operators (QLinearConv, QLinearMatMul, QGemm, QDQ Conv,
Gemm, MatMul) to them, each followed by REQUANTIZE_FLOAT, as onnxruntime computes the
exact int32 sum before requantizing it in float.

An INT8 input with an unquantized INT32 output selects it: the kernel writes
`sum((x - zp_x) * (w - zp_w)) + bias` and applies no multiplier, output offset or
activation (`runtime/kernels/src/linear_output.rs`); the parameters the kernel takes
for them hold the identity."""

from __future__ import annotations

from tinymlc.ir import Activation, DType, Tensor
from tinymlc.ops._common import require

IDENTITY_MULTIPLIER = 1 << 30
"""With `IDENTITY_SHIFT`: exactly 1.0 (unused by an int32 output)."""
IDENTITY_SHIFT = 1
INT32_RANGE = DType.INT32.integer_range
"""The activation range of an int32 output: none."""


def accumulates(input_: Tensor, output: Tensor) -> bool:
    """Whether the operator writes its int32 accumulators."""
    return input_.dtype is DType.INT8 and output.dtype is DType.INT32


def require_accumulator_output(output: Tensor, activation: Activation) -> None:
    """An int32 accumulator output carries no quantization and no fused activation."""
    require(
        output.quantization is None,
        "an int32 accumulator output carries no quantization",
        "drop the output's quantization",
        output,
    )
    require(
        activation is Activation.NONE,
        f"an int32 accumulator output takes no fused activation ({activation.name})",
        "apply the activation after the requantization",
        output,
    )


def require_filter_zero_points(filter_: Tensor, zero_points: tuple[int, ...], accumulator: bool) -> None:
    """TFLM's int8 kernels take filter zero points of 0. The accumulator output also takes
    one per-tensor zero point (the kernels' `weights_offset`): weights whose distance from
    it exceeds int8 (uint8 ONNX weights) keep it."""
    require(
        all(z == 0 for z in zero_points) or (accumulator and len(set(zero_points)) == 1),
        "filter zero points must be 0 (TFLM's int8 kernels ignore them)",
        "use symmetric weight quantization",
        filter_,
    )
