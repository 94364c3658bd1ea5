"""`--onnx_exact`: integer-accumulating operators requantized in float32 as onnxruntime
(optimizations disabled) requantizes them, instead of TFLite's fixed-point multiplier.

onnxruntime's QOperator kernels (QLinearConv, QLinearMatMul, QGemm,
QLinearGlobalAveragePool) compute the exact int32 accumulator (bias included), convert
it to float32 and multiply it by one float32 scale per output channel (MLAS
`MlasRequantizeOutput`), rounding half to even before adding the output zero point and
saturating. The scale is `(x_scale * w_scale) / y_scale` in float32, in that order
(QGemm: `alpha * x_scale * w_scale`, then `/ y_scale`; alpha is 1 here);
QLinearGlobalAveragePool's is `x_scale / (y_scale * pixels)` on the sum of `q - zero_point`.
Here the int8 kernels write that exact int32 accumulator (`exact_integer.py`: the
default lowering's layers with an int32 output), and a REQUANTIZE_FLOAT layer converts it
to float32 and applies the same float32 operations. QLinearGlobalAveragePool sums the
integers in float32 (`integer.py`: exact below 2^24, checked per node).

QDQ operators are, in onnxruntime, DequantizeLinear -> float32 operator (MLAS's
summation order) -> QuantizeLinear (`real / y_scale`, round half to even). The exact
integer accumulator times `x_scale * w_scale`, divided by `y_scale`, reproduces that
except where onnxruntime's float summation rounds a result across a rounding boundary.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from tinymlc.frontend.onnx import elementwise, exact_integer, pool, tabulate
from tinymlc.frontend.onnx.builder import Act, Builder, Const, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.gemm import gemm_operands
from tinymlc.frontend.onnx.integer import integers, largest_integer, require_exact
from tinymlc.frontend.onnx.node import Node, act, const
from tinymlc.ir import (
    Activation,
    DType,
    ElementwiseAttrs,
    FloatRequantizeAttrs,
    LookupTableAttrs,
    OpKind,
    QLinearAddAttrs,
    ReducerAttrs,
)

# QOperator nodes whose onnxruntime kernel multiplies the accumulator by one combined scale.
_COMBINED_SCALE = frozenset({"QLinearConv", "QLinearMatMul", "QGemm", "QLinearGlobalAveragePool"})


def requantization(
    node: Node, input_scale: float, weight_scales: tuple[float, ...], output_scale: float
) -> FloatRequantizeAttrs:
    """The float32 multipliers and divisor onnxruntime applies to `node`'s accumulator
    (weight scales: one per output channel, or one)."""
    f32 = np.float32
    products = [f32(input_scale) * f32(scale) for scale in weight_scales]
    if node.op_type in _COMBINED_SCALE:
        multipliers = [product / f32(output_scale) for product in products]
        divisor = f32(1.0)
    else:
        multipliers, divisor = products, f32(output_scale)
    if len(set(multipliers)) == 1:
        multipliers = multipliers[:1]
    return FloatRequantizeAttrs(tuple(float(m) for m in multipliers), float(divisor))


def quantize_linear(scale: float) -> FloatRequantizeAttrs:
    """QuantizeLinear of a float: onnxruntime divides by the scale (MLAS `MlasQuantizeLinear`)."""
    return FloatRequantizeAttrs((1.0,), float(np.float32(scale)))


def _requantized(
    builder: Builder, node: Node, accumulator: int, attrs: FloatRequantizeAttrs, out: QParams
) -> int:
    if len(out.scales) != 1:
        raise UnsupportedNodeError("per-axis output quantization is not supported")
    output = builder.activation(
        node.output_name(), builder.onnx_shape[accumulator], out, builder.layout[accumulator]
    )
    builder.op(OpKind.REQUANTIZE_FLOAT, [accumulator], [output], attrs)
    return output


def _input(builder: Builder, x: int) -> tuple[float, int]:
    """(scale, int8 zero point) of a per-tensor quantized activation."""
    quantization = builder.quantization(x)
    return quantization.scales[0], quantization.zero_points[0]


def _weight_parameters(weights: Const, channels: int) -> tuple[QParams, tuple[float, ...]]:
    qparams = weights.qparams
    if qparams is None:
        raise UnsupportedNodeError("weights are float: quantize the model (QDQ or QOperator) first")
    if len(qparams.scales) not in (1, channels):
        raise UnsupportedNodeError(f"weights have {len(qparams.scales)} scales for {channels} channels")
    scales = qparams.scales if len(qparams.scales) == channels else qparams.scales * channels
    return qparams, tuple(scales)


def lower_conv(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    weights = const(inputs, 1, "weights")
    _, weight_scales = _weight_parameters(weights, weights.data.shape[0])
    accumulator = exact_integer.conv_accumulator(builder, node, inputs)
    return [_requantized_product(builder, node, inputs, accumulator, weight_scales, out[0])]


def lower_gemm(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    _, weights, transposed, _ = gemm_operands(node, inputs)
    _, weight_scales = _weight_parameters(weights, weights.data.shape[0 if transposed else 1])
    accumulator = exact_integer.gemm_accumulator(builder, node, inputs)
    return [_requantized_product(builder, node, inputs, accumulator, weight_scales, out[0])]


def lower_matmul(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    rhs = inputs[1] if len(inputs) > 1 else None
    if isinstance(rhs, Const):
        # Per column for 2-D weights, else one scale (BATCH_MATMUL's, checked there).
        _, weight_scales = _weight_parameters(rhs, rhs.data.shape[-1] if rhs.data.ndim == 2 else 1)
    elif isinstance(rhs, Act):
        weight_scales = (_input(builder, rhs.tensor)[0],)
    else:
        raise UnsupportedNodeError("the second operand is missing")
    accumulator = exact_integer.matmul_accumulator(builder, node, inputs)
    return [_requantized_product(builder, node, inputs, accumulator, weight_scales, out[0])]


def _requantized_product(
    builder: Builder,
    node: Node,
    inputs: list[Operand | None],
    accumulator: int,
    weight_scales: tuple[float, ...],
    out: QParams,
) -> int:
    """The int32 `accumulator` of x (input 0) times weights of `weight_scales`,
    requantized as onnxruntime requantizes it."""
    input_scale, _ = _input(builder, act(inputs, 0).tensor)
    attrs = requantization(node, input_scale, weight_scales, out.scale)
    return _requantized(builder, node, accumulator, attrs, out)


def lower_global_average_pool(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    """The sum of `q - zero_point` over H and W (float32 SUM of integers, exact), times
    `x_scale / (y_scale * pixels)`."""
    x = builder.standard(act(inputs, 0).tensor)
    if int(node.attr("channels_last", 0)):
        raise UnsupportedNodeError("channels_last=1 is not supported")
    shape = builder.onnx_shape[x]
    if len(shape) != 4:
        raise UnsupportedNodeError("only 2-D global average pooling is supported in exact mode")
    pixels = shape[2] * shape[3]
    input_scale, input_zero_point = _input(builder, x)
    require_exact(pixels * largest_integer(input_zero_point))
    source = integers(builder, x, input_zero_point, f"{node.name}/x")
    accumulator = builder.activation(f"{node.name}/accumulator", (shape[0], shape[1], 1, 1), None)
    axes = builder.int32_vector(f"{node.name}/axes", [1, 2])
    builder.op(OpKind.SUM, [source, axes], [accumulator], ReducerAttrs(True))
    f32 = np.float32
    multiplier = f32(input_scale) / (f32(out[0].scale) * f32(pixels))
    attrs = FloatRequantizeAttrs((float(multiplier),), 1.0)
    return [_requantized(builder, node, accumulator, attrs, out[0])]


def lower_average_pool(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    """QLinearAveragePool as onnxruntime computes it: the dequantized floats
    (`s_x * (q - zp_x)`) summed over the window in row order, divided by the window's
    count, then `y / s_y + zp_y` in float32, rounded half to even, saturated. Here
    DEQUANTIZE, TFLM's float AVERAGE_POOL_2D (the same sum, order and division) and
    REQUANTIZE_FLOAT. QDQ AveragePool and MaxPool keep the default lowering."""
    if node.op_type != "QLinearAveragePool":
        return pool.lower_pool(builder, node, inputs, out)
    x = act(inputs, 0).tensor
    out_shape, attrs, _ = pool.pool_window(builder, node, x)
    real = builder.activation(f"{node.name}/real", builder.onnx_shape[x], None)
    builder.op(OpKind.DEQUANTIZE, [x], [real])
    pooled = builder.activation(f"{node.name}/pooled", out_shape, None)
    builder.op(OpKind.AVERAGE_POOL_2D, [real], [pooled], attrs)
    divisor = float(np.float32(out[0].scale))
    requantize = FloatRequantizeAttrs((1.0,), divisor, out[0].zero_points[0])
    return [_requantized(builder, node, pooled, requantize, out[0])]


def lower_binary(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    """QDQ Add, Sub, Mul (onnxruntime: DequantizeLinear, the float32 operator,
    QuantizeLinear) as DEQUANTIZE, the float32 operator and a QUANTIZE that
    `onnxruntime_conversions` turns into QuantizeLinear's division; QLinearMul as MLAS
    computes it (`_qlinear_mul`), QLinearAdd as it does on x86-64 with AVX2 (`_qlinear_add`)."""
    if node.op_type == "QLinearMul":
        return [_qlinear_mul(builder, node, inputs, out[0])]
    if node.op_type == "QLinearAdd":
        return [_qlinear_add(builder, node, inputs, out[0])]
    out_shape = elementwise.broadcast_shape(builder, inputs)
    operands = []
    for index, operand in enumerate(inputs):
        name = f"{node.name}/real{index}"
        if isinstance(operand, Act):
            real = builder.activation(name, builder.onnx_shape[operand.tensor], None)
            builder.op(OpKind.DEQUANTIZE, [operand.tensor], [real])
            operands.append(real)
        elif isinstance(operand, Const):
            values = _dequantized(operand)
            layout = elementwise.broadcast_layout(values, len(out_shape))
            operands.append(builder.constant(name, layout, DType.FLOAT32))
        else:
            raise UnsupportedNodeError(f"input {index} is missing")
    result = builder.activation(f"{node.name}/result", out_shape, None)
    kind = {"Add": OpKind.ADD, "Sub": OpKind.SUB, "Mul": OpKind.MUL}[node.op_type]
    builder.op(kind, operands, [result], ElementwiseAttrs(Activation.NONE))
    output = builder.activation(node.output_name(), out_shape, out[0])
    builder.op(OpKind.QUANTIZE, [result], [output])
    return [output]


def _dequantized(operand: Const) -> np.ndarray:
    """A constant's float32 values as DequantizeLinear gives them (float ones as they are)."""
    qparams = operand.qparams
    if qparams is None:
        return np.asarray(operand.data, dtype=np.float32)
    if len(qparams.scales) != 1:
        raise UnsupportedNodeError("a per-axis quantized constant operand is not supported")
    integers_ = operand.data.astype(np.int64) - qparams.zero_points[0]
    return (np.float32(qparams.scale) * integers_.astype(np.float32)).astype(np.float32)


def _nearest_float32(exact: Fraction) -> np.float32:
    """`exact` rounded to the nearest float32, ties to even."""
    guess = np.float32(float(exact))
    neighbours = (np.nextafter(guess, np.float32(-np.inf)), guess, np.nextafter(guess, np.float32(np.inf)))
    return min(neighbours, key=lambda v: (abs(Fraction(float(v)) - exact), int(v.view(np.uint32)) & 1))


def _scalar_operand(shapes: list[tuple[int, ...]], out_shape: tuple[int, ...]) -> int:
    """Which operand onnxruntime's broadcasting hands its QLinearAdd kernel as one value per
    run (1: the first, 2: the second, 0: neither): the one of size 1 along the innermost
    output axis longer than 1 (a single-element output: the first)."""
    longer = [axis for axis, size in enumerate(out_shape) if size > 1]
    if not longer:
        return 1
    axis = longer[-1] - len(out_shape)
    for index, shape in enumerate(shapes, start=1):
        if -axis > len(shape) or shape[axis] == 1:
            return index
    return 0


def _qlinear_add(builder: Builder, node: Node, inputs: list[Operand | None], out: QParams) -> int:
    """QLinearAdd as MLAS computes it on x86-64 with AVX2 and FMA
    (`MlasQLinearAddKernelAvx2Helper`, see `runtime/kernels/src/qlinear_add.rs`): float32
    ratios `s_a / s_c`, `s_b / s_c` and `zp_c - fma(ratio_a, zp_a, ratio_b * zp_b)` (the
    compiler contracts that expression into one fused multiply-add: measured), on the
    stored uint8 or int8 values."""
    out_shape = elementwise.broadcast_shape(builder, inputs)
    rank = len(out_shape)
    operands, shapes, scales, zero_points = [], [], [], []
    for index, operand in enumerate(inputs):
        tensor, shape = elementwise.operand_tensor(builder, node, operand, index, rank)
        shapes.append(shape)
        quantization = builder.quantization(tensor)
        scales.append(quantization.scales[0])
        zero_points.append(quantization.zero_points[0])
        operands.append(tensor)
    shift = 128 if out.unsigned else 0
    f32 = np.float32
    ratio_a, ratio_b = f32(scales[0]) / f32(out.scale), f32(scales[1]) / f32(out.scale)
    zero_a, zero_b = f32(zero_points[0] + shift), f32(zero_points[1] + shift)
    folded = _nearest_float32(
        Fraction(float(ratio_a)) * Fraction(float(zero_a)) + Fraction(float(ratio_b * zero_b))
    )
    fixed = f32(out.zero_points[0]) - folded
    attrs = QLinearAddAttrs(
        float(ratio_a), float(ratio_b), float(fixed), out.unsigned, _scalar_operand(shapes, out_shape)
    )
    output = builder.activation(node.output_name(), out_shape, out)
    builder.op(OpKind.QLINEAR_ADD, operands, [output], attrs)
    return output


def _qlinear_mul(builder: Builder, node: Node, inputs: list[Operand | None], out: QParams) -> int:
    """QLinearMul as MLAS computes it on x86 (`MlasQLinearMul`): the integer product
    `(a - zp_a) * (b - zp_b)` in float32 times `(s_a * s_b) / s_c`, plus the output zero point
    in float32, rounded half to even and saturated. Here a float32 MUL of the operands'
    integers (exact: below 2^16) and REQUANTIZE_FLOAT."""
    out_shape = elementwise.broadcast_shape(builder, inputs)
    rank = len(out_shape)
    operands, scales = [], []
    for index, operand in enumerate(inputs):
        if isinstance(operand, Act):
            shape = builder.onnx_shape[operand.tensor]
            if rank == 4 and len(shape) != 4:
                raise UnsupportedNodeError(f"a rank-{len(shape)} activation broadcast against a 4-D tensor")
            scale, zero_point = _input(builder, operand.tensor)
            operands.append(integers(builder, operand.tensor, zero_point, f"{node.name}/operand{index}"))
        elif isinstance(operand, Const):
            qparams, (scale,) = _weight_parameters(operand, 1)
            values = operand.data.astype(np.int64) - qparams.zero_points[0]
            data = elementwise.broadcast_layout(values, rank)
            operands.append(builder.constant(f"{node.name}/operand{index}", data, DType.FLOAT32))
        else:
            raise UnsupportedNodeError(f"input {index} is missing")
        scales.append(scale)
    product = builder.activation(f"{node.name}/product", out_shape, None)
    builder.op(OpKind.MUL, operands, [product], ElementwiseAttrs(Activation.NONE))
    f32 = np.float32
    ratio = f32(scales[0]) * f32(scales[1]) / f32(out.scale)
    attrs = FloatRequantizeAttrs((float(ratio),), 1.0, out.zero_points[0])
    return _requantized(builder, node, product, attrs, out)


def onnxruntime_conversions(builder: Builder) -> None:
    """Every QUANTIZE the lowering left, as onnxruntime converts: from float32 a
    REQUANTIZE_FLOAT dividing by the scale (QuantizeLinear), between int8 tensors
    onnxruntime's DequantizeLinear -> QuantizeLinear as a LOOKUP_TABLE (QLinearConcat's
    own tables are those too)."""
    for index, op in enumerate(builder.operators):
        if op.kind is not OpKind.QUANTIZE:
            continue
        source, target = builder.tensor(op.inputs[0]), builder.tensor(op.outputs[0])
        if target.dtype is not DType.INT8 or target.quantization is None:
            continue
        if source.dtype is DType.FLOAT32:
            attrs: FloatRequantizeAttrs | LookupTableAttrs = quantize_linear(target.quantization.scale)
            kind = OpKind.REQUANTIZE_FLOAT
        elif source.dtype is DType.INT8 and source.quantization is not None:
            out = QParams(target.quantization.scales, target.quantization.zero_points, unsigned=False)
            table = tabulate.onnxruntime_table(
                None, source.quantization.scale, source.quantization.zero_point, out
            )
            attrs, kind = LookupTableAttrs(table), OpKind.LOOKUP_TABLE
        else:
            continue
        builder.operators[index] = replace(op, kind=kind, opcode_name=kind.name, attrs=attrs)


LOWERINGS = {
    **tabulate.LOWERINGS,
    "Conv": lower_conv,
    "Gemm": lower_gemm,
    "MatMul": lower_matmul,
    **dict.fromkeys(("Add", "Sub", "Mul"), lower_binary),
    "AveragePool": lower_average_pool,
    "GlobalAveragePool": lower_global_average_pool,
}
"""The operators whose exact-mode lowering replaces the default one."""
