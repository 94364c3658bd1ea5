"""BATCH_MATMUL (int8, and 16x8: int16 operands with zero points 0, a 64-bit
accumulator): TFLM BatchMatMulPrepare."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import Activation, BatchMatMulAttrs, DType
from tinymlc.ops._accumulator_output import (
    IDENTITY_MULTIPLIER,
    IDENTITY_SHIFT,
    INT32_RANGE,
    accumulates,
    require_accumulator_output,
)
from tinymlc.ops._common import (
    OpView,
    gather_scratch_bytes,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
    require_symmetric,
)


@dataclass(frozen=True)
class BatchMatMulParams:
    adj_x: bool
    adj_y: bool
    lhs_shape: tuple[int, ...]
    """LHS shape extended with leading 1s to the output rank."""
    rhs_shape: tuple[int, ...]
    """RHS shape extended with leading 1s to the output rank."""
    output_shape: tuple[int, ...]
    lhs_offset: int
    """FullyConnectedParams.input_offset = -lhs zero point."""
    rhs_offset: int
    """FullyConnectedParams.weights_offset = -rhs zero point."""
    output_offset: int
    """Output zero point."""
    output_multiplier: int
    output_shift: int
    """QuantizeMultiplier(float(lhs_scale * rhs_scale) / out_scale), positive = left."""
    output_activation_min: int
    output_activation_max: int
    scratch_bytes: int
    """Per-core arena scratch the kernel gathers each LHS row into."""
    accumulator_output: bool = False
    """The output is the int32 accumulator, not requantized (`_accumulator_output.py`)."""


def matmul_shapes(
    view: OpView, attrs: BatchMatMulAttrs
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], int]:
    """The LHS and RHS shapes extended to the output rank, the output shape (batch
    dimensions broadcast) the model must declare, and the accumulation depth."""
    lhs, rhs = view.input(0), view.input(1)
    rank = max(len(lhs.shape), len(rhs.shape))
    lhs_shape = (1,) * (rank - len(lhs.shape)) + lhs.shape
    rhs_shape = (1,) * (rank - len(rhs.shape)) + rhs.shape
    batch = []
    for a, b in zip(lhs_shape[:-2], rhs_shape[:-2], strict=True):
        require(1 in (a, b) or a == b, f"batch dims {a} and {b} do not broadcast", "", lhs)
        batch.append(b if a == 1 else a)
    accum_lhs = lhs_shape[-2] if attrs.adj_x else lhs_shape[-1]
    accum_rhs = rhs_shape[-1] if attrs.adj_y else rhs_shape[-2]
    require(accum_lhs == accum_rhs, f"inner dimensions {accum_lhs} and {accum_rhs} differ", "", rhs)
    rows = lhs_shape[-1] if attrs.adj_x else lhs_shape[-2]
    cols = rhs_shape[-2] if attrs.adj_y else rhs_shape[-1]
    expected = (*batch, rows, cols)
    require_output_shape(view, expected)
    return lhs_shape, rhs_shape, expected, accum_lhs


def prepare(view: OpView) -> BatchMatMulParams:
    attrs = view.op.attrs
    require(isinstance(attrs, BatchMatMulAttrs), "BATCH_MATMUL has no options", "re-export the model")
    assert isinstance(attrs, BatchMatMulAttrs)
    require(not attrs.asymmetric_quantize_inputs, "hybrid BATCH_MATMUL is not supported", "")
    require_arity(view, (2,))
    lhs, rhs, output = view.input(0), view.input(1), view.output()
    require_dtype(lhs, [DType.INT8, DType.INT16], "lhs")
    accumulator = accumulates(lhs, output)
    for tensor, role in ((lhs, "lhs"), (rhs, "rhs"), (output, "output")):
        require_dtype(tensor, [DType.INT32 if accumulator and tensor is output else lhs.dtype], role)
        require(2 <= len(tensor.shape) <= 5, f"{role} rank must be 2..5", "", tensor)
    lhs_shape, rhs_shape, expected, accum_lhs = matmul_shapes(view, attrs)
    lhs_quant, rhs_quant = per_tensor(lhs), per_tensor(rhs)
    int16 = lhs.dtype is DType.INT16
    if accumulator:
        require_accumulator_output(output, Activation.NONE)
        output_offset = 0
        multiplier = quant.QuantizedMultiplier(IDENTITY_MULTIPLIER, IDENTITY_SHIFT)
        low, high = INT32_RANGE
    else:
        output_quant = per_tensor(output)
        output_offset = output_quant.zero_point
        multiplier = quant.quantize_multiplier(
            quant.product_multiplier(lhs_quant.scale, rhs_quant.scale, output_quant.scale)
        )
        if int16:
            for tensor, role in ((lhs, "lhs"), (rhs, "rhs"), (output, "output")):
                require_symmetric(tensor, role)
            require(
                -31 <= multiplier.shift <= 7,
                "the scales' ratio is out of the range TFLM's 64-bit requantization handles",
                "re-quantize the model",
                output,
            )
        low, high = lhs.dtype.integer_range
    return BatchMatMulParams(
        adj_x=attrs.adj_x,
        adj_y=attrs.adj_y,
        lhs_shape=lhs_shape,
        rhs_shape=rhs_shape,
        output_shape=expected,
        lhs_offset=-lhs_quant.zero_point,
        rhs_offset=-rhs_quant.zero_point,
        output_offset=output_offset,
        output_multiplier=multiplier.multiplier,
        output_shift=multiplier.shift,
        output_activation_min=low,
        output_activation_max=high,
        # The 16x8 kernel (the reference) gathers nothing.
        scratch_bytes=0 if int16 else gather_scratch_bytes(accum_lhs),
        accumulator_output=accumulator,
    )
