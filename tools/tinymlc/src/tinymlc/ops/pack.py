"""PACK (int8, int16, float32, int32): the inputs stacked along a new output axis. TFLM copies raw values
(whatever the quantization) in the order CONCATENATION does on the inputs given a
unit dimension at that axis, so this module returns CONCATENATION's parameters and
shares its kernel."""

from __future__ import annotations

from tinymlc.ir import DType, PackAttrs
from tinymlc.ops._common import (
    RAW_COPY_TYPES,
    OpView,
    check_raw_copy_quantization,
    flat_size,
    require,
    require_dtype,
    require_output_shape,
)
from tinymlc.ops.concatenation import ConcatenationParams

ELEMENT_TYPES = (*RAW_COPY_TYPES, DType.INT32)
"""The types TFLM's PACK copies (int64 aside, which tinymlc has no tensors of)."""


def prepare(view: OpView) -> ConcatenationParams:
    attrs = view.op.attrs
    require(isinstance(attrs, PackAttrs), "PACK has no options", "re-export the model")
    assert isinstance(attrs, PackAttrs)
    require(view.num_inputs >= 1, "PACK has no inputs", "re-export the model")
    require(
        attrs.values_count == view.num_inputs,
        f"values_count {attrs.values_count} but {view.num_inputs} inputs",
        "re-export the model",
    )
    inputs = [view.input(i) for i in range(view.num_inputs)]
    shape = inputs[0].shape
    rank = len(shape) + 1
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    require(0 <= axis < rank, f"axis {attrs.axis} out of range for output rank {rank}", "fix the axis")
    require_dtype(inputs[0], ELEMENT_TYPES, "input")
    for tensor in inputs:
        require_dtype(tensor, [inputs[0].dtype], "input")
        require(
            tensor.shape == shape, f"input shapes differ: {list(tensor.shape)} vs {list(shape)}", "", tensor
        )
    output = view.output()
    require_dtype(output, [inputs[0].dtype], "output")
    check_raw_copy_quantization(*inputs, output)
    expected = (*shape[:axis], len(inputs), *shape[axis:])
    require_output_shape(view, expected)
    stacked = (*shape[:axis], 1, *shape[axis:])
    return ConcatenationParams(
        axis=axis,
        inputs_count=len(inputs),
        input_shapes=(stacked,) * len(inputs),
        output_shape=expected,
        outer_size=flat_size(shape[:axis]),
        copy_sizes=(flat_size(shape[axis:]),) * len(inputs),
    )
