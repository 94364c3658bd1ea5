"""`--onnx_exact` for QDQ Conv, Gemm and MatMul: onnxruntime dequantizes their operands and
runs its float32 operator, so the result depends on the order MLAS sums the products in.
This lowers them to DEQUANTIZE -> MLAS_CONV (that order) -> QUANTIZE (which
`exact.onnxruntime_conversions` turns into QuantizeLinear's division).

The order, read from MLAS (`convolve.cpp`, `sgemm.cpp`, the x86-64 SGEMM kernels) and
measured against onnxruntime 1.32 on random layers, with one intra-op thread (more threads
split a convolution's output columns, and the K blocking follows the split):

* Conv expands the input into columns, `k = (channel * kernel_h + row) * kernel_w + column`
  per group. 1x1 stride-1 unpadded convolutions (and an input-wide or input-tall window
  over one channel) multiply the input directly, so does one with more filters than output
  pixels: one SGEMM over the whole K (filters as rows, pixels as columns).
  Otherwise MlasConvOperation blocks K itself (`_sgemm_stride_k` of the pixels) and runs
  SGEMM per block. The bias is added after the sum.
* Gemm and MatMul: to onnxruntime their weights are DequantizeLinear's output, not
  constants, so SGEMM does not pack them: blocked by their column count (a MatMul's
  leading axes are rows); Gemm's bias broadcast into the output first.
* Inside a block the FMA3/AVX-512 kernels accumulate `fma(w, x, acc)` from zero and add the
  block's sum to the output. A single row (one filter per group: a depthwise convolution,
  or a one-row Gemm/MatMul; MLAS's `M = 1` kernel, over the whole K of its call) is summed
  unfused: rounded products in groups of four, then two, then one, each group added to the
  output. x86-64 hosts without FMA round every product: not reproduced here.
* A single row by transposed weights (Gemm `transB=1`), and a single column (one output
  pixel, filters and pixels swapped), go through MLAS's `M = 1` kernel for transposed
  weights: eight lane sums of rounded products (`k % 8`), reduced by a tree that depends
  on whether the channel is in a run of four, two or one channels. Where that kernel's runs
  would be of pixels or rows (a single filter over an input-wide window, a single-column
  product by untransposed weights) the layer keeps the integer lowering (`exact.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc.frontend.onnx import exact
from tinymlc.frontend.onnx.builder import Act, Builder, Const, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.conv import conv_dimensions
from tinymlc.frontend.onnx.gemm import gemm_operands
from tinymlc.frontend.onnx.node import Node, act, const, optional_const
from tinymlc.frontend.onnx.spatial import Spatial, spatial
from tinymlc.ir import BlockSum, DType, MlasConvAttrs, OpKind

# MLAS_SGEMM_STRIDEN and MLAS_SGEMM_STRIDEK.
_STRIDE = 128


@dataclass(frozen=True)
class SummationOrder:
    block: int
    """Terms per K block."""
    block_sum: BlockSum


def _sgemm_stride_k(columns: int, depth: int) -> int:
    """The K stride MLAS's SGEMM (and MlasConvOperation) steps by for `columns` output
    columns: halved towards K when the columns outnumber it, doubled while the N stride
    can halve over few columns."""
    stride_n, stride_k = _STRIDE, _STRIDE
    if columns >= depth:
        while stride_k // 2 >= depth:
            stride_n, stride_k = stride_n * 2, stride_k // 2
    else:
        while stride_n > 16 and stride_n // 2 >= columns:
            stride_n, stride_k = stride_n // 2, stride_k * 2
    return stride_k


def _product_order(rows: int, columns: int, depth: int, transposed: bool) -> SummationOrder | None:
    """The order of a Gemm/MatMul (one MLAS SGEMM call, unpacked weights, one thread)."""
    if rows == 1:
        return SummationOrder(depth, BlockSum.EIGHT_LANES if transposed else BlockSum.UNFUSED_GROUPS)
    if columns == 1 and not transposed:
        # Rows and columns swapped into the transposed-weights kernel: its runs are of rows.
        return None
    return SummationOrder(_sgemm_stride_k(columns, depth), BlockSum.FUSED)


def conv_order(
    filters: int, channels: int, size: tuple[int, int], kernel: tuple[int, int], geometry: Spatial
) -> SummationOrder | None:
    """The order one group of a 2-D convolution is summed in (`filters` and `channels` per
    group), or None where this module does not reproduce it."""
    depth = channels * kernel[0] * kernel[1]
    columns = geometry.output[0] * geometry.output[1]
    direct = transposed = False
    if geometry.strides == (1, 1) and geometry.pads == (0, 0, 0, 0):
        if kernel == (1, 1):
            direct = True
        elif channels == 1 and geometry.dilations == (1, 1):
            transposed = kernel[1] == size[1]
            direct = transposed or kernel == (size[0], 1)
    # One SGEMM over the whole K, or one per K block (MlasConvOperation).
    block = depth if direct or filters > columns else _sgemm_stride_k(columns, depth)
    if filters == 1:
        # The transposed single-row kernel's runs would be of pixels.
        return None if transposed else SummationOrder(block, BlockSum.UNFUSED_GROUPS)
    if columns == 1:
        # One pixel: filters and pixels swapped into the transposed-weights kernel.
        return None if transposed else SummationOrder(block, BlockSum.EIGHT_LANES)
    return SummationOrder(_sgemm_stride_k(columns, depth), BlockSum.FUSED)


def _dequantized(operand: Const, default_axis: int) -> np.ndarray:
    """A constant's float32 values as DequantizeLinear gives them: `float(q - zp) * scale`,
    rounded once; float constants as they are."""
    qparams = operand.qparams
    if qparams is None:
        return np.asarray(operand.data, dtype=np.float32)
    values = operand.data.astype(np.int64)
    scales = np.array(qparams.scales, dtype=np.float32)
    zero_points = np.array(qparams.zero_points, dtype=np.int64)
    if scales.size > 1:
        shape = [1] * values.ndim
        axis = default_axis if qparams.axis is None else qparams.axis
        shape[axis] = -1
        scales, zero_points = scales.reshape(shape), zero_points.reshape(shape)
    return ((values - zero_points).astype(np.float32) * scales).astype(np.float32)


def _output_qparams(out: QParams) -> QParams:
    if len(out.scales) != 1:
        raise UnsupportedNodeError("per-axis output quantization is not supported")
    return out


def _summed(
    builder: Builder,
    node: Node,
    source: int,
    filter_values: np.ndarray,
    bias: np.ndarray | None,
    out_shape: tuple[int, ...],
    attrs: MlasConvAttrs,
    out: QParams,
) -> int:
    """DEQUANTIZE `source`, MLAS_CONV, QUANTIZE to `out` (layouts: `source`'s)."""
    layout = builder.layout[source]
    real = builder.activation(f"{node.name}/real", builder.onnx_shape[source], None, layout)
    builder.op(OpKind.DEQUANTIZE, [source], [real])
    operands = [real, builder.constant(f"{node.name}/filter", filter_values, DType.FLOAT32)]
    if bias is not None:
        operands.append(builder.constant(f"{node.name}/bias", bias, DType.FLOAT32))
    result = builder.activation(f"{node.name}/result", out_shape, None, layout)
    builder.op(OpKind.MLAS_CONV, operands, [result], attrs)
    output = builder.activation(node.output_name(), out_shape, _output_qparams(out), layout)
    builder.op(OpKind.QUANTIZE, [result], [output])
    return output


def _is_qdq(node: Node, inputs: list[Operand | None]) -> bool:
    """A float operator on dequantized operands with quantized constant weights (not a
    QLinear* node, whose onnxruntime kernel accumulates integers)."""
    weights = inputs[1] if len(inputs) > 1 else None
    return (
        node.op_type in ("Conv", "Gemm", "MatMul")
        and isinstance(weights, Const)
        and weights.qparams is not None
    )


def lower_conv(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    if not _is_qdq(node, inputs):
        return exact.lower_conv(builder, node, inputs, out)
    x = builder.standard(act(inputs, 0).tensor)
    weights = const(inputs, 1, "weights")
    (batch, _, height, width), (out_channels, channels, kh, kw), group = conv_dimensions(
        builder.onnx_shape[x], node, weights.data.shape
    )
    geometry = spatial(node, (height, width), (kh, kw))
    order = conv_order(out_channels // group, channels, (height, width), (kh, kw), geometry)
    if order is None:
        return exact.lower_conv(builder, node, inputs, out)
    bias_operand = optional_const(inputs, 2, "bias")
    bias = None if bias_operand is None else _dequantized(bias_operand, 0).reshape(-1)
    if bias is not None and bias.size != out_channels:
        raise UnsupportedNodeError(f"bias of {bias.size} values for {out_channels} output channels")
    attrs = MlasConvAttrs(
        (kh, kw),
        geometry.strides,
        geometry.dilations,
        geometry.pads[:2],
        group,
        order.block,
        order.block_sum,
        bias_first=False,
    )
    filter_values = _dequantized(weights, 0).reshape(out_channels, -1)
    out_shape = (batch, out_channels, *geometry.output)
    return [_summed(builder, node, x, filter_values, bias, out_shape, attrs, out[0])]


def _product(
    builder: Builder,
    node: Node,
    inputs: list[Operand | None],
    x: int,
    weights: np.ndarray,
    transposed: bool,
    bias: np.ndarray | None,
    out: list[QParams],
) -> list[int]:
    """x @ weights ([K, N] float32; `transposed`: Gemm's `transB`) (+ bias first, per column)
    as a 1x1 convolution over the last axis; the integer lowering where MLAS's order is not
    reproduced."""
    shape = builder.onnx_shape[x]
    depth, columns = weights.shape
    if len(shape) < 2 or shape[-1] != depth:
        raise UnsupportedNodeError(f"A {list(shape)} and B {list(weights.shape)} do not multiply")
    if bias is not None and bias.size != columns:
        raise UnsupportedNodeError(f"C of {bias.size} values is not one per column of {columns}")
    order = _product_order(int(np.prod(shape[:-1])), columns, depth, transposed)
    if order is None:
        fallback = exact.lower_gemm if node.op_type == "Gemm" else exact.lower_matmul
        return fallback(builder, node, inputs, out)
    one = (1, 1)
    attrs = MlasConvAttrs(one, one, one, (0, 0), 1, order.block, order.block_sum, bias_first=bias is not None)
    out_shape = (*shape[:-1], columns)
    filter_values = np.ascontiguousarray(weights.T)
    source = builder.onnx_ordered(x)
    return [_summed(builder, node, source, filter_values, bias, out_shape, attrs, out[0])]


def lower_gemm(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    if not _is_qdq(node, inputs):
        return exact.lower_gemm(builder, node, inputs, out)
    x, weights, transposed, bias_operand = gemm_operands(node, inputs)
    values = _dequantized(weights, 1)
    bias = None if bias_operand is None else _dequantized(bias_operand, 0).reshape(-1)
    return _product(builder, node, inputs, x, values.T if transposed else values, transposed, bias, out)


def lower_matmul(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    rhs = inputs[1] if len(inputs) > 1 else None
    lhs = inputs[0]
    if not (_is_qdq(node, inputs) and isinstance(rhs, Const) and rhs.data.ndim == 2 and isinstance(lhs, Act)):
        return exact.lower_matmul(builder, node, inputs, out)
    return _product(builder, node, inputs, lhs.tensor, _dequantized(rhs, 1), False, None, out)


LOWERINGS = {"Conv": lower_conv, "Gemm": lower_gemm, "MatMul": lower_matmul}
"""`--onnx_exact` lowerings of QDQ Conv, Gemm, MatMul (the others: `exact.LOWERINGS`)."""
