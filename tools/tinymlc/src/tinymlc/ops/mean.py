"""MEAN (int8, and int16 of 16x8 with the same arithmetic): TFLM
PrepareMeanOrSumHelper plus the multiplier rescaling that QuantizedMeanOrSum
performs at Eval time (constant for a static shape)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import DType, ReducerAttrs
from tinymlc.ops._common import (
    OpView,
    constant_int32_values,
    flat_size,
    normalize_axis,
    per_tensor,
    require,
    require_arity,
    require_dtype,
    require_output_shape,
)


@dataclass(frozen=True)
class MeanParams:
    axes: tuple[int, ...]
    """Reduced axes, non-negative, deduplicated, ascending."""
    keep_dims: bool
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_zero_point: int
    """OpDataReduce.input_zp."""
    output_zero_point: int
    """OpDataReduce.output_zp."""
    multiplier: int
    """OpDataReduce.multiplier = QuantizeMultiplier(in_scale / out_scale) (Prepare)."""
    shift: int
    """OpDataReduce.shift, positive = left (Prepare)."""
    num_elements_in_axis: int
    """Elements averaged into each output."""
    mean_multiplier: int
    """Eval's output_multiplier after folding in 1/num_elements_in_axis."""
    mean_shift: int
    """Eval's output_shift after folding in 1/num_elements_in_axis, positive = left."""
    element: DType
    """INT8 or INT16: QuantizedMeanOrSum<T> is the same for both (int32 sums)."""


def _count_leading_zeros_u64(value: int) -> int:
    return 64 - value.bit_length()


def mean_rescale(multiplier: int, shift: int, num_elements: int) -> tuple[int, int]:
    """Fold 1/num_elements into (multiplier, shift) exactly as QuantizedMeanOrSum."""
    extra = 63 - _count_leading_zeros_u64(num_elements)
    extra = min(extra, 32, 31 + shift)
    return (multiplier << extra) // num_elements, shift - extra


def reduction_axes(view: OpView) -> tuple[ReducerAttrs, tuple[int, ...], tuple[int, ...]]:
    """A reducer's options, its axes (non-negative, deduplicated, ascending) and the
    output shape the model must declare (`keep_dims` or not)."""
    attrs = view.op.attrs
    require(
        isinstance(attrs, ReducerAttrs), f"{view.op.opcode_name} has no ReducerOptions", "re-export the model"
    )
    assert isinstance(attrs, ReducerAttrs)
    require_arity(view, (2,))
    input_ = view.input(0)
    axis_values = constant_int32_values(view.input(1), "axis")
    rank = len(input_.shape)
    axes = tuple(sorted({normalize_axis(a, rank) for a in axis_values}))
    if attrs.keep_dims:
        expected = tuple(1 if d in axes else n for d, n in enumerate(input_.shape))
    else:
        expected = tuple(n for d, n in enumerate(input_.shape) if d not in axes)
    require_output_shape(view, expected)
    return attrs, axes, expected


def prepare(view: OpView) -> MeanParams:
    attrs, axes, expected = reduction_axes(view)
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8, DType.INT16], "input")
    require_dtype(output, [input_.dtype], "output")
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    base = quant.quantize_multiplier(input_quant.scale / output_quant.scale)
    num_elements = flat_size([input_.shape[a] for a in axes])
    require(num_elements > 0, f"{view.op.opcode_name} over an empty axis", "", input_)
    mean_multiplier, mean_shift = mean_rescale(base.multiplier, base.shift, num_elements)
    return MeanParams(
        axes=axes,
        keep_dims=attrs.keep_dims,
        input_shape=input_.shape,
        output_shape=expected,
        input_zero_point=input_quant.zero_point,
        output_zero_point=output_quant.zero_point,
        multiplier=base.multiplier,
        shift=base.shift,
        num_elements_in_axis=num_elements,
        mean_multiplier=mean_multiplier,
        mean_shift=mean_shift,
        element=input_.dtype,
    )
