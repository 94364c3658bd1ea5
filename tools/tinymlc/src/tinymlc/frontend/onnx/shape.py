"""Data movement: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Pad, Slice,
Split -> RESHAPE, TRANSPOSE, CONCATENATION, PAD, STRIDED_SLICE.

These keep real values: their output gets the input's quantization, and a model asking
for a different one gets a requantize after them.
"""

from __future__ import annotations

import math

import numpy as np

from tinymlc.frontend.onnx.builder import (
    NCHW_TO_NHWC,
    Act,
    Builder,
    Const,
    Operand,
    QParams,
    UnsupportedNodeError,
    ir_axis,
)
from tinymlc.frontend.onnx.node import Node, act, const, int_list_input_or_attr, ints, optional_const, scalar
from tinymlc.ir import Activation, ConcatenationAttrs, DType, OpKind, StridedSliceAttrs


def _finish(builder: Builder, output: int, out: QParams) -> int:
    return builder.requantize(output, out.quantization(), f"{builder.tensor(output).name}/requantized")


def _reshaped(builder: Builder, node: Node, x: int, out_shape: tuple[int, ...], out: QParams) -> list[int]:
    if math.prod(out_shape) != math.prod(builder.onnx_shape[x]):
        raise UnsupportedNodeError(f"cannot reshape {list(builder.onnx_shape[x])} to {list(out_shape)}")
    output = builder.activation(node.output_name(), out_shape, builder.qparams(x))
    builder.store_onnx_ordered(builder.onnx_ordered(x), output)
    return [_finish(builder, output, out)]


def lower_reshape(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    requested = ints(const(inputs, 1, "shape"))
    allow_zero = bool(node.attr("allowzero", 0))
    dims = [shape[i] if d == 0 and not allow_zero and i < len(shape) else d for i, d in enumerate(requested)]
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise UnsupportedNodeError(f"shape {requested} is invalid")
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        if known == 0 or math.prod(shape) % known:
            raise UnsupportedNodeError(f"cannot infer -1 in shape {requested} from {list(shape)}")
        dims[dims.index(-1)] = math.prod(shape) // known
    return _reshaped(builder, node, x.tensor, tuple(dims), out[0])


def lower_flatten(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    axis = int(node.attr("axis", 1))
    axis = axis + len(shape) if axis < 0 else axis
    return _reshaped(builder, node, x.tensor, (math.prod(shape[:axis]), math.prod(shape[axis:])), out[0])


def lower_squeeze(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    axes = int_list_input_or_attr(node, inputs, 1, "axes", 13)
    drop = {a % len(shape) for a in axes} if axes else {a for a, n in enumerate(shape) if n == 1}
    if any(shape[a] != 1 for a in drop):
        raise UnsupportedNodeError("squeezing an axis whose size is not 1")
    return _reshaped(builder, node, x.tensor, tuple(n for a, n in enumerate(shape) if a not in drop), out[0])


def lower_unsqueeze(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = list(builder.onnx_shape[x.tensor])
    axes = int_list_input_or_attr(node, inputs, 1, "axes", 13) or []
    rank = len(shape) + len(axes)
    for a in sorted(a % rank for a in axes):
        shape.insert(a, 1)
    return _reshaped(builder, node, x.tensor, tuple(shape), out[0])


def lower_transpose(
    builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]
) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    perm = [int(p) for p in node.attr("perm") or range(rank - 1, -1, -1)]
    if sorted(perm) != list(range(rank)):
        raise UnsupportedNodeError(f"perm {perm} is not a permutation of {rank} axes")
    out_shape = tuple(shape[p] for p in perm)
    # Only the axes' labels change: IR axis i holds input ONNX axis layout[i], which is
    # output ONNX axis perm.index(layout[i]). Same bytes: a RESHAPE the alias pass removes;
    # operators needing another layout transpose when they read it.
    layout = tuple(perm.index(a) for a in builder.layout[x.tensor])
    output = builder.activation(node.output_name(), out_shape, builder.qparams(x.tensor), layout)
    builder.permute_into(x.tensor, None, output)
    return [_finish(builder, output, out[0])]


def lower_concat(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    quantization = out[0].quantization()
    tensors, shapes = [], []
    for index, operand in enumerate(inputs):
        if isinstance(operand, Act):
            shapes.append(builder.onnx_shape[operand.tensor])
            tensors.append(builder.requantize(operand.tensor, quantization, f"{node.name}/input{index}"))
        elif isinstance(operand, Const):
            raise UnsupportedNodeError("constant Concat inputs are not supported")
    rank = len(shapes[0])
    axis = int(node.attr("axis", 0)) % rank
    out_shape = list(shapes[0])
    out_shape[axis] = sum(s[axis] for s in shapes)
    output = builder.activation(node.output_name(), tuple(out_shape), out[0])
    builder.op(
        OpKind.CONCATENATION, tensors, [output], ConcatenationAttrs(ir_axis(axis, rank), Activation.NONE)
    )
    return [output]


def lower_pad(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    if node.attr("mode", "constant") != "constant":
        raise UnsupportedNodeError(f"mode {node.attr('mode')!r} (only constant padding is supported)")
    pads = ints(const(inputs, 1, "pads")) if node.opset >= 11 else [int(p) for p in node.attr("pads") or []]
    value = (
        scalar(optional_const(inputs, 2, "constant_value"), 0.0)
        if node.opset >= 11
        else float(node.attr("value", 0.0))
    )
    if value != 0.0:
        raise UnsupportedNodeError(f"padding with {value} (only with zero) is supported")
    axes = list(range(rank))
    if node.opset >= 18 and len(inputs) > 3 and inputs[3] is not None:
        axes = [a % rank for a in ints(const(inputs, 3, "axes"))]
    if len(pads) != 2 * len(axes) or min(pads, default=0) < 0:
        raise UnsupportedNodeError(f"pads {pads} must be non-negative, two per axis")
    begin, end = [0] * rank, [0] * rank
    for i, a in enumerate(axes):
        begin[a], end[a] = pads[i], pads[i + len(axes)]
    out_shape = tuple(n + b + e for n, b, e in zip(shape, begin, end, strict=True))
    output = builder.activation(node.output_name(), out_shape, builder.qparams(x.tensor))
    order = NCHW_TO_NHWC if rank == 4 else tuple(range(rank))
    paddings = np.array([[begin[a], end[a]] for a in order], dtype=np.int32).reshape(rank, 2)
    builder.op(
        OpKind.PAD, [x.tensor, builder.constant(f"{node.name}/paddings", paddings, DType.INT32)], [output]
    )
    return [_finish(builder, output, out[0])]


def _slice(builder: Builder, x: int, name: str, starts: list[int], stops: list[int], steps: list[int]) -> int:
    """STRIDED_SLICE of `x` with resolved ONNX start/stop/step per ONNX axis."""
    shape = builder.onnx_shape[x]
    rank = len(shape)
    out_shape = tuple(len(range(b, e, s)) for b, e, s in zip(starts, stops, steps, strict=True))
    output = builder.activation(name, out_shape, builder.qparams(x))
    order = NCHW_TO_NHWC if rank == 4 else tuple(range(rank))
    end_mask = sum(1 << i for i, a in enumerate(order) if stops[a] < 0)
    begin = builder.int32_vector(f"{name}/begin", [starts[a] for a in order])
    end = builder.int32_vector(f"{name}/end", [max(stops[a], 0) for a in order])
    strides = builder.int32_vector(f"{name}/strides", [steps[a] for a in order])
    builder.op(
        OpKind.STRIDED_SLICE,
        [x, begin, end, strides],
        [output],
        StridedSliceAttrs(0, end_mask, 0, 0, 0, False),
    )
    return output


def lower_slice(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    if node.opset >= 10:
        starts, ends = ints(const(inputs, 1, "starts")), ints(const(inputs, 2, "ends"))
        axes = ints(optional_const(inputs, 3, "axes"), list(range(len(starts))))
        steps = ints(optional_const(inputs, 4, "steps"), [1] * len(starts))
    else:
        starts, ends = list(node.attr("starts")), list(node.attr("ends"))
        axes, steps = list(node.attr("axes") or range(len(starts))), [1] * len(starts)
    begin, stop, step = [0] * rank, list(shape), [1] * rank
    for given_start, given_end, axis, stride in zip(starts, ends, axes, steps, strict=True):
        a, n = axis % rank, shape[axis % rank]
        if stride == 0:
            raise UnsupportedNodeError("slice step 0")
        start = given_start + n if given_start < 0 else given_start
        end = given_end + n if given_end < 0 else given_end
        if stride > 0:
            begin[a], stop[a] = min(max(start, 0), n), min(max(end, 0), n)
        else:
            begin[a], stop[a] = min(max(start, 0), n - 1), min(max(end, -1), n - 1)
        step[a] = stride
    output = _slice(builder, x.tensor, node.output_name(), begin, stop, step)
    return [_finish(builder, output, out[0])]


def lower_split(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    rank = len(shape)
    axis = int(node.attr("axis", 0)) % rank
    count = len(node.proto.output)
    sizes = int_list_input_or_attr(node, inputs, 1, "split", 13)
    if not sizes:
        size = -(-shape[axis] // count)
        sizes = [min(size, shape[axis] - i * size) for i in range(count)]
    if sum(sizes) != shape[axis] or len(sizes) != count:
        raise UnsupportedNodeError(f"split sizes {sizes} do not cover axis {axis} of size {shape[axis]}")
    outputs, offset = [], 0
    for index, size in enumerate(sizes):
        begin, stop = [0] * rank, list(shape)
        begin[axis], stop[axis] = offset, offset + size
        offset += size
        piece = _slice(builder, x.tensor, node.output_name(index), begin, stop, [1] * rank)
        outputs.append(_finish(builder, piece, out[min(index, len(out) - 1)]))
    return outputs


LOWERINGS = {
    "Reshape": lower_reshape,
    "Flatten": lower_flatten,
    "Squeeze": lower_squeeze,
    "Unsqueeze": lower_unsqueeze,
    "Transpose": lower_transpose,
    "Concat": lower_concat,
    "Pad": lower_pad,
    "Slice": lower_slice,
    "Split": lower_split,
}

# Operators that keep real values: without a QuantizeLinear after them in a QDQ model,
# their output keeps the input's quantization.
VALUE_PRESERVING = frozenset(
    {
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Transpose",
        "Slice",
        "Split",
        "Pad",
        "Concat",
        "MaxPool",
        "Gather",
    }
)
