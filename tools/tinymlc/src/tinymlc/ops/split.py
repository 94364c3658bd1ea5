"""SPLIT, SPLIT_V and UNPACK (int8, int16, float32, int32): one input cut along an axis into several
outputs. Each output is a STRIDED_SLICE of the input (UNPACK's shrinking its
axis); `passes.split_outputs` rewrites the operator into those slices, so the
IR keeps one output per layer. `prepare` checks what TFLM's Prepare and Eval
check and returns the slices' begin/end/shrink vectors."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, OpKind, UnpackAttrs
from tinymlc.ops._common import (
    RAW_COPY_TYPES,
    OpView,
    check_raw_copy_quantization,
    constant_int32_values,
    normalize_axis,
    require,
    require_dtype,
)
from tinymlc.ops.strided_slice import MAX_DIMENSIONS

ELEMENT_TYPES = (*RAW_COPY_TYPES, DType.INT32)
"""The types TFLM's SPLIT, SPLIT_V and UNPACK copy."""


@dataclass(frozen=True)
class OutputSlice:
    begin: tuple[int, ...]
    end: tuple[int, ...]
    shrink_axis_mask: int


@dataclass(frozen=True)
class SplitParams:
    slices: tuple[OutputSlice, ...]
    """One per output, in output order."""


def _axis_value(view: OpView, index: int, rank: int) -> int:
    values = constant_int32_values(view.input(index), "axis")
    require(len(values) >= 1, "axis is empty", "", view.input(index))
    return normalize_axis(values[0], rank)


def prepare(view: OpView) -> SplitParams:
    kind = view.op.kind
    data_index = 1 if kind is OpKind.SPLIT else 0
    input_ = view.input(data_index)
    require_dtype(input_, ELEMENT_TYPES, "input")
    rank = len(input_.shape)
    require(
        rank <= MAX_DIMENSIONS,
        f"input rank {rank}: the compiler's slices support at most {MAX_DIMENSIONS} dimensions",
        "",
        input_,
    )
    count = len(view.op.outputs)
    require(count >= 1, "has no outputs", "re-export the model")
    shrink = 0
    if kind is OpKind.SPLIT:
        require(view.num_inputs == 2, f"expects 2 inputs, has {view.num_inputs}", "re-export the model")
        axis = _axis_value(view, 0, rank)
        require(
            input_.shape[axis] % count == 0,
            f"axis {axis} of size {input_.shape[axis]} does not split into {count} equal parts",
            "",
            input_,
        )
        sizes = (input_.shape[axis] // count,) * count
    elif kind is OpKind.SPLIT_V:
        require(view.num_inputs == 3, f"expects 3 inputs, has {view.num_inputs}", "re-export the model")
        axis = _axis_value(view, 2, rank)
        # TFLM sizes the outputs from their own shapes; size_splits only shaped them.
        sizes = tuple(
            view.output(i).shape[axis] if len(view.output(i).shape) == rank else -1 for i in range(count)
        )
    else:
        attrs = view.op.attrs
        require(isinstance(attrs, UnpackAttrs), "UNPACK has no options", "re-export the model")
        assert isinstance(attrs, UnpackAttrs)
        require(view.num_inputs == 1, f"expects 1 input, has {view.num_inputs}", "re-export the model")
        axis = normalize_axis(attrs.axis, rank)
        require(
            input_.shape[axis] == count,
            f"unpacks {count} outputs from an axis of size {input_.shape[axis]}",
            "",
            input_,
        )
        sizes = (1,) * count
        shrink = 1 << axis
    require(
        all(s >= 0 for s in sizes) and sum(sizes) == input_.shape[axis],
        f"output extents {list(sizes)} along axis {axis} do not add up to {input_.shape[axis]}",
        "re-export the model",
        input_,
    )
    check_raw_copy_quantization(input_)
    slices = []
    start = 0
    for index, size in enumerate(sizes):
        output = view.output(index)
        require_dtype(output, [input_.dtype], "output")
        check_raw_copy_quantization(output)
        shape = (*input_.shape[:axis], size, *input_.shape[axis + 1 :])
        expected = shape if not shrink else (*shape[:axis], *shape[axis + 1 :])
        require(
            output.shape == expected,
            f"output {index} has shape {list(output.shape)}, expected {list(expected)}",
            "re-export the model with static shapes",
            output,
        )
        begin = tuple(start if d == axis else 0 for d in range(rank))
        end = tuple(start + size if d == axis else input_.shape[d] for d in range(rank))
        slices.append(OutputSlice(begin, end, shrink))
        start += size
    return SplitParams(tuple(slices))
