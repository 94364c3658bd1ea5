"""CONCATENATION (int8, int16, int32, bool): TFLM copies the stored values.

int8: TFLM requires every input to be quantized exactly like the output. int16: it
requires zero points 0 only; inputs at other scales are copied unchanged, as TFLM does.
int32 and bool: no quantization is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import Activation, ConcatenationAttrs, DType
from tinymlc.ops._common import (
    RAW_COPY_TYPES,
    OpView,
    flat_size,
    normalize_axis,
    per_tensor,
    require,
    require_dtype,
    require_output_shape,
    require_symmetric,
)

# TFLM kMaxInputNum
MAX_INPUTS = 10
MAX_DIMENSIONS = 6
ELEMENT_TYPES = (*RAW_COPY_TYPES, DType.INT32, DType.BOOL)


@dataclass(frozen=True)
class ConcatenationParams:
    axis: int
    """ConcatenationParams.axis, made non-negative."""
    inputs_count: int
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    outer_size: int
    """Product of output dims before `axis`."""
    copy_sizes: tuple[int, ...]
    """Per input: elements copied per outer step (axis dim * inner size)."""


def prepare(view: OpView) -> ConcatenationParams:
    attrs = view.op.attrs
    require(isinstance(attrs, ConcatenationAttrs), "CONCATENATION has no options", "re-export the model")
    assert isinstance(attrs, ConcatenationAttrs)
    require(
        attrs.activation is Activation.NONE, "fused activation on CONCATENATION is not supported", "", None
    )
    require(
        1 <= view.num_inputs <= MAX_INPUTS,
        f"TFLM concatenates 1..{MAX_INPUTS} inputs",
        "split the concatenation",
    )
    output = view.output()
    require_dtype(output, ELEMENT_TYPES, "output")
    is_int8 = output.dtype is DType.INT8
    is_int16 = output.dtype is DType.INT16
    output_quant = per_tensor(output) if is_int8 else None
    if is_int16:
        require_symmetric(output, "output")
    inputs = [view.input(i) for i in range(view.num_inputs)]
    rank = len(output.shape)
    require(rank <= MAX_DIMENSIONS, f"at most {MAX_DIMENSIONS} dimensions", "", output)
    axis = normalize_axis(attrs.axis, rank)
    for tensor in inputs:
        require_dtype(tensor, [output.dtype], "input")
        if is_int8:
            require(
                per_tensor(tensor) == output_quant,
                "all CONCATENATION inputs must be quantized exactly like the output",
                "insert a QUANTIZE (requantize) before this input",
                tensor,
            )
        elif is_int16:
            require_symmetric(tensor, "input")
        require(len(tensor.shape) == rank, "inputs must have the output's rank", "", tensor)
        require(
            all(tensor.shape[d] == output.shape[d] for d in range(rank) if d != axis),
            f"input shape {list(tensor.shape)} does not match the output off the concat axis",
            "",
            tensor,
        )
    expected = (*output.shape[:axis], sum(t.shape[axis] for t in inputs), *output.shape[axis + 1 :])
    require_output_shape(view, expected)
    inner = flat_size(output.shape[axis + 1 :])
    return ConcatenationParams(
        axis=axis,
        inputs_count=len(inputs),
        input_shapes=tuple(t.shape for t in inputs),
        output_shape=expected,
        outer_size=flat_size(output.shape[:axis]),
        copy_sizes=tuple(t.shape[axis] * inner for t in inputs),
    )
