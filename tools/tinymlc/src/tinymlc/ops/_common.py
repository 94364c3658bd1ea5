"""Helpers shared by the per-operator modules.

Conventions for every `*Params` dataclass in `tinymlc.ops`:
  * field names follow the TFLM OpData / *Params field they reproduce, and
    each field's doc names it;
  * "offset" fields keep TFLM's sign (e.g. `input_offset = -input_zero_point`
    for conv/FC/add, but `input_offset = +input_zero_point` for RELU);
  * a `*_shift` produced by `QuantizeMultiplier` is positive for a left shift,
    unless the field says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tinymlc.errors import OpError
from tinymlc.ir import NO_TENSOR, DType, Graph, Operator, Padding, Quantization, Tensor

Shape = tuple[int, ...]

GATHER_SCRATCH_ELEMENTS = 512
"""Longest run of operands the gathering kernels (CONV_2D's window, BATCH_MATMUL's
LHS row) copy into their scratch at once; longer runs are summed in chunks, so a
core's scratch for one layer is at most 1 KB."""


def gather_scratch_bytes(run: int) -> int:
    """Bytes of the i16 scratch a gathering kernel gets for runs of `run` operands."""
    return 2 * min(run, GATHER_SCRATCH_ELEMENTS)


@dataclass(frozen=True)
class OpView:
    """An operator together with the graph it lives in."""

    graph: Graph
    op: Operator

    @property
    def num_inputs(self) -> int:
        return len(self.op.inputs)

    def input(self, index: int) -> Tensor:
        tensor = self.optional_input(index)
        if tensor is None:
            raise OpError(f"required input {index} is missing", "re-export the model")
        return tensor

    def optional_input(self, index: int) -> Tensor | None:
        if index >= len(self.op.inputs) or self.op.inputs[index] == NO_TENSOR:
            return None
        return self.graph.tensors[self.op.inputs[index]]

    def output(self, index: int = 0) -> Tensor:
        if index >= len(self.op.outputs):
            raise OpError(f"required output {index} is missing", "re-export the model")
        return self.graph.tensors[self.op.outputs[index]]


def require(condition: bool, reason: str, suggestion: str = "", tensor: Tensor | None = None) -> None:
    """TF_LITE_ENSURE: fail preparation with a diagnostic when `condition` is false."""
    if not condition:
        raise OpError(reason, suggestion, tensor.name if tensor is not None else None)


def require_arity(view: OpView, inputs: Iterable[int], outputs: int = 1) -> None:
    allowed = tuple(inputs)
    require(
        view.num_inputs in allowed,
        f"expects {' or '.join(map(str, allowed))} inputs, has {view.num_inputs}",
        "re-export the model with a standard converter",
    )
    require(
        len(view.op.outputs) == outputs,
        f"expects {outputs} output(s), has {len(view.op.outputs)}",
        "re-export the model with a standard converter",
    )


def require_int8_operands(view: OpView, arities: Iterable[int]) -> tuple[Tensor, Tensor]:
    """Checks the input count and that input 0 and the output are int8; returns them."""
    require_arity(view, arities)
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(output, [DType.INT8], "output")
    return input_, output


QUANTIZED_ACTIVATION_TYPES = (DType.INT8, DType.INT16)
"""Activation types of TFLM's quantized elementwise kernels: int8, and int16 of 16x8
quantization."""


RAW_COPY_TYPES = (*QUANTIZED_ACTIVATION_TYPES, DType.FLOAT32)
"""Types of the operators that only move values (TRANSPOSE, STRIDED_SLICE, ...), which
TFLM also runs on float32 tensors."""


def require_quantized_operands(
    view: OpView, arities: Iterable[int], dtypes: Iterable[DType] = QUANTIZED_ACTIVATION_TYPES
) -> tuple[Tensor, Tensor]:
    """Checks the input count, that input 0 has one of `dtypes` and that the output
    has input 0's type; returns them."""
    require_arity(view, arities)
    input_, output = view.input(0), view.output()
    require_dtype(input_, dtypes, "input")
    require_dtype(output, [input_.dtype], "output")
    return input_, output


def check_raw_copy_quantization(*tensors: Tensor) -> None:
    """The per-tensor quantization an int8 or int16 tensor of a copying operator must
    carry (TFLM copies raw values whatever it says: the validator warns); unquantized
    types (float32, int32, bool) carry none."""
    for tensor in tensors:
        if tensor.dtype in QUANTIZED_ACTIVATION_TYPES:
            per_tensor(tensor)


def require_symmetric(tensor: Tensor, role: str) -> Quantization:
    """Per-tensor quantization with zero point 0, which TFLM's int16 kernels require."""
    quant = per_tensor(tensor)
    require(
        quant.zero_point == 0,
        f"{tensor.dtype.name} {role} must have zero point 0 (TFLM's int16 kernels are symmetric), "
        f"has {quant.zero_point}",
        "quantize with 16x8 quantization (symmetric int16 activations)",
        tensor,
    )
    return quant


def constant_int32_values(tensor: Tensor, role: str) -> tuple[int, ...]:
    """Values of an int32 operand TFLM requires to be constant (paddings, perm, axes)."""
    require_dtype(tensor, [DType.INT32], role)
    require_constant(tensor, role)
    return int_values(tensor)


def quantization(tensor: Tensor) -> Quantization:
    """The tensor's quantization, which TFLM requires for quantized kernels."""
    quant = tensor.quantization
    require(
        quant is not None,
        "quantized kernel needs quantization parameters on this tensor",
        "export the model with full integer quantization",
        tensor,
    )
    assert quant is not None
    require(
        len(quant.zero_points) == len(quant.scales),
        f"{len(quant.scales)} scales but {len(quant.zero_points)} zero points",
        "re-export the model",
        tensor,
    )
    return quant


def per_tensor(tensor: Tensor) -> Quantization:
    """The per-tensor view TFLM's kernels read (`TfLiteTensor.params`): the first
    scale and zero point, whatever else the tensor carries."""
    quant = quantization(tensor)
    return Quantization((quant.scale,), (quant.zero_point,))


def require_dtype(tensor: Tensor, allowed: Iterable[DType], role: str) -> None:
    allowed_types = tuple(allowed)
    names = "/".join(t.name for t in allowed_types)
    if tensor.dtype is DType.FLOAT32 and DType.FLOAT32 not in allowed_types:
        suggestion = (
            "tinymlc has no float32 kernel for this operator: export with full integer "
            "quantization (inference_input/output_type=int8)"
        )
    elif tensor.dtype is DType.INT16:
        suggestion = "16x8 quantization is not supported; quantize activations to INT8"
    else:
        suggestion = f"convert the {role} to {names}"
    require(
        tensor.dtype in allowed_types,
        f"{role} has type {tensor.dtype.name}, expected {names}",
        suggestion,
        tensor,
    )


def require_constant(tensor: Tensor, role: str) -> None:
    require(
        tensor.is_constant,
        f"{role} must be a constant tensor (TFLM rejects a computed {role})",
        "fold the computation producing it or make it a constant",
        tensor,
    )


def int_values(tensor: Tensor) -> tuple[int, ...]:
    """Constant integer payload, flattened."""
    assert tensor.data is not None
    return tuple(int(v) for v in tensor.data.reshape(-1))


def require_output_shape(view: OpView, expected: Shape, index: int = 0) -> None:
    output = view.output(index)
    require(
        output.shape == expected,
        f"output shape {list(output.shape)} does not match the inferred {list(expected)}",
        "re-export the model with static shapes",
        output,
    )


def broadcast_shape(a: Shape, b: Shape) -> Shape:
    """NumPy-style broadcast of two shapes, as TFLite's broadcasting ops do."""
    rank = max(len(a), len(b))
    a_ext = (1,) * (rank - len(a)) + a
    b_ext = (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(a_ext, b_ext, strict=True):
        require(
            1 in (x, y) or x == y,
            f"shapes {list(a)} and {list(b)} cannot be broadcast",
            "fix the input shapes",
        )
        out.append(x if y == 1 else y)
    return tuple(out)


def normalize_axis(axis: int, rank: int) -> int:
    require(-rank <= axis < rank, f"axis {axis} out of range for rank {rank}", "fix the axis")
    return axis + rank if axis < 0 else axis


@dataclass(frozen=True)
class PaddingValues:
    """TFLite `TfLitePaddingValues`: the top/left padding and the odd extra row/col."""

    height: int
    width: int
    height_offset: int
    width_offset: int


def compute_out_size(padding: Padding, image: int, filter_size: int, stride: int, dilation: int) -> int:
    """TFLite `ComputeOutSize` (padding.h)."""
    require(
        stride > 0 and dilation > 0 and filter_size > 0, "stride, dilation and filter size must be positive"
    )
    effective_filter = (filter_size - 1) * dilation + 1
    if padding is Padding.SAME:
        return (image + stride - 1) // stride
    return max((image + stride - effective_filter) // stride, 0)


def _padding_with_offset(
    stride: int, dilation: int, in_size: int, filter_size: int, out_size: int
) -> tuple[int, int]:
    effective_filter = (filter_size - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective_filter - in_size, 0)
    return total // 2, total % 2


def compute_padding(
    padding: Padding,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    in_size: tuple[int, int],
    filter_size: tuple[int, int],
) -> tuple[PaddingValues, tuple[int, int]]:
    """TFLite `ComputePaddingHeightWidth`: padding values and (out_h, out_w).

    Arguments are (height, width) pairs.
    """
    out_h = compute_out_size(padding, in_size[0], filter_size[0], stride[0], dilation[0])
    out_w = compute_out_size(padding, in_size[1], filter_size[1], stride[1], dilation[1])
    pad_h, off_h = _padding_with_offset(stride[0], dilation[0], in_size[0], filter_size[0], out_h)
    pad_w, off_w = _padding_with_offset(stride[1], dilation[1], in_size[1], filter_size[1], out_w)
    return PaddingValues(pad_h, pad_w, off_h, off_w), (out_h, out_w)


def flat_size(shape: Sequence[int]) -> int:
    return math.prod(shape)
