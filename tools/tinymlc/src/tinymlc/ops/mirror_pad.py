"""MIRROR_PAD (int8 or float32), REFLECT (the edge is not repeated) or SYMMETRIC (it is):
each output index maps to one input index per axis, as TFLM's GetInputDimension."""

from __future__ import annotations

from tinymlc.ir import MirrorPadAttrs
from tinymlc.ops._common import OpView, constant_int32_values, require
from tinymlc.ops._remap import AxisTerms, RemapParams, checked_output, copy_operands, remap_params, unit


def _input_index(index: int, left: int, size: int, offset: int) -> int:
    if index < left:
        original = left + offset - 1
        return original - min(index, original - offset)
    index -= left
    if index >= size:
        index -= size
        original = size - (1 + offset)
        return original - min(index, original)
    return index


def prepare(view: OpView) -> RemapParams:
    input_, _ = copy_operands(view, (2,))
    attrs = view.op.attrs
    # Absent options: TFLM's zeroed params, mode REFLECT.
    offset = 0 if isinstance(attrs, MirrorPadAttrs) and attrs.symmetric else 1
    rank = len(input_.shape)
    paddings = constant_int32_values(view.input(1), "paddings")
    require(len(paddings) == 2 * rank, f"paddings must be [{rank}, 2]", "", view.input(1))
    lefts, rights = paddings[0::2], paddings[1::2]
    for size, left, right in zip(input_.shape, lefts, rights, strict=True):
        # tf.pad's own limit; beyond it TFLM's index arithmetic leaves the input.
        require(
            0 <= left <= size - offset and 0 <= right <= size - offset,
            f"mirror paddings {list(paddings)} exceed the input extents {list(input_.shape)}",
            "",
            view.input(1),
        )
    output_shape = tuple(d + lo + hi for d, lo, hi in zip(input_.shape, lefts, rights, strict=True))
    checked_output(view, output_shape)

    def axis_terms(axis: int) -> AxisTerms:
        return lambda i: unit(rank, axis, _input_index(i, lefts[axis], input_.shape[axis], offset))

    return remap_params(input_.shape, output_shape, [axis_terms(a) for a in range(rank)])
