"""Evaluate operators whose inputs are all constant, where bit-exactness is
guaranteed: data movement (RESHAPE, SQUEEZE, TRANSPOSE, PAD/PADV2,
CONCATENATION, STRIDED_SLICE), raw-integer MAXIMUM/MINIMUM, and QUANTIZE /
DEQUANTIZE via reference implementations of TFLM's integer/float math.

Arithmetic with fixed-point rounding (ADD, MUL, CONV...) is left to the
kernels.  Operators writing a graph output are never folded, so every graph
output stays a computed tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from tinymlc import quant
from tinymlc.errors import OpError
from tinymlc.ir import NO_TENSOR, Graph, OpKind, Tensor
from tinymlc.ops import PreparedParams, prepare_operator
from tinymlc.ops._remap import RemapParams, apply_remap
from tinymlc.ops.arg_min_max import ArgMinMaxParams
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.dequantize import DequantizeParams
from tinymlc.ops.pad import PadParams
from tinymlc.ops.quantize import QuantizeParams
from tinymlc.ops.reduce_extreme import ReduceExtremeParams
from tinymlc.ops.shape import ShapeValueParams
from tinymlc.ops.strided_slice import StridedSliceParams
from tinymlc.ops.transpose import TransposeParams
from tinymlc.passes._rewrite import without_operators

_Array = np.ndarray
_Folder = Callable[[PreparedParams, list[_Array], Tensor], _Array]


def _reshape(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    return inputs[0].reshape(output.shape)


def _remap(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, RemapParams)
    return apply_remap(params, inputs[0])


def _shape_value(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, ShapeValueParams)
    return np.array(params.values, dtype=np.int32)


def _zeros(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    return np.zeros(output.shape, dtype=output.dtype.numpy_dtype)


def _reduce_extreme(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, ReduceExtremeParams)
    reduce = np.max if params.maximum else np.min
    return np.asarray(reduce(inputs[0], axis=params.axes))


def _arg_min_max(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, ArgMinMaxParams)
    arg = np.argmax if params.maximum else np.argmin  # both take the first extreme
    return np.asarray(arg(inputs[0], axis=params.axis))


def _transpose(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, TransposeParams)
    return np.transpose(inputs[0], params.perm)


def _pad(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, PadParams)
    widths = list(zip(params.left_padding, params.right_padding, strict=True))
    return np.pad(inputs[0], widths, constant_values=params.pad_value)


def _concatenate(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, ConcatenationParams)
    return np.concatenate(inputs, axis=params.axis)


def _pack(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, ConcatenationParams)
    return np.stack(inputs, axis=params.axis)


def _strided_slice(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, StridedSliceParams)
    data = inputs[0].reshape(params.input_shape_5d)
    index = tuple(
        slice(start, None if stop < 0 else stop, stride)
        for start, stop, stride in zip(params.starts, params.stops, params.strides, strict=True)
    )
    return data[index].reshape(output.shape)


def _maximum(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    return np.asarray(np.maximum(inputs[0], inputs[1]))


def _minimum(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    return np.asarray(np.minimum(inputs[0], inputs[1]))


def _quantize(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, QuantizeParams)
    if params.from_float:
        if not np.all(np.isfinite(inputs[0])):
            raise OpError("cannot fold non-finite values")
        return quant.affine_quantize(inputs[0], params.output_scale, params.output_zero_point, output.dtype)
    multiplier = quant.QuantizedMultiplier(
        params.requantize_output_multiplier, params.requantize_output_shift
    )
    return quant.requantize(
        inputs[0], multiplier, params.input_zero_point, params.output_zero_point, output.dtype
    )


def _dequantize(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    assert isinstance(params, DequantizeParams)
    # static_cast<float>(double scale * (int)(x - zero_point))
    shifted = inputs[0].astype(np.int64) - params.zero_point
    return (params.scale * shifted.astype(np.float64)).astype(np.float32)


FOLDERS: dict[OpKind, _Folder] = {
    OpKind.RESHAPE: _reshape,
    OpKind.SQUEEZE: _reshape,
    OpKind.TRANSPOSE: _transpose,
    OpKind.PAD: _pad,
    OpKind.PADV2: _pad,
    OpKind.CONCATENATION: _concatenate,
    OpKind.STRIDED_SLICE: _strided_slice,
    OpKind.SLICE: _strided_slice,
    OpKind.EXPAND_DIMS: _reshape,
    OpKind.DEPTH_TO_SPACE: _remap,
    OpKind.SPACE_TO_DEPTH: _remap,
    OpKind.SPACE_TO_BATCH_ND: _remap,
    OpKind.BATCH_TO_SPACE_ND: _remap,
    OpKind.MIRROR_PAD: _remap,
    OpKind.RESIZE_NEAREST_NEIGHBOR: _remap,
    OpKind.BROADCAST_TO: _remap,
    OpKind.FILL: _remap,
    OpKind.REVERSE_V2: _remap,
    OpKind.BROADCAST_ARGS: _shape_value,
    OpKind.GATHER: _remap,
    OpKind.GATHER_ND: _remap,
    OpKind.PACK: _pack,
    OpKind.REDUCE_MAX: _reduce_extreme,
    OpKind.REDUCE_MIN: _reduce_extreme,
    OpKind.ARG_MAX: _arg_min_max,
    OpKind.ARG_MIN: _arg_min_max,
    OpKind.MAXIMUM: _maximum,
    OpKind.MINIMUM: _minimum,
    OpKind.QUANTIZE: _quantize,
    OpKind.DEQUANTIZE: _dequantize,
}

# Operators whose output depends only on input shapes: folded even when their
# inputs are computed at run time.
SHAPE_FOLDERS: dict[OpKind, _Folder] = {
    OpKind.SHAPE: _shape_value,
    OpKind.ZEROS_LIKE: _zeros,
}


def fold_constants(graph: Graph) -> Graph:
    """Fold every foldable operator whose inputs are constant (transitively)."""
    tensors = list(graph.tensors)
    folded: set[int] = set()
    for index, op in enumerate(graph.operators):
        shape_folder = SHAPE_FOLDERS.get(op.kind)
        folder = shape_folder or FOLDERS.get(op.kind)
        inputs = [t for t in op.inputs if t != NO_TENSOR]
        if (
            folder is None
            or len(op.outputs) != 1
            or op.outputs[0] in graph.outputs
            or (shape_folder is None and not all(tensors[t].is_constant for t in inputs))
        ):
            continue
        current = replace(graph, tensors=tuple(tensors))
        try:
            params = prepare_operator(current, index)
            output = tensors[op.outputs[0]]
            data_inputs = [] if shape_folder else _data_inputs(op.kind, op.inputs, params)
            values = folder(params, [_data(tensors[t]) for t in data_inputs], output)
        except OpError:
            continue  # leave it for the validator to report
        np_dtype = output.dtype.numpy_dtype
        assert np_dtype is not None
        tensors[op.outputs[0]] = replace(output, data=values.astype(np_dtype).reshape(output.shape))
        folded.add(index)
    return without_operators(graph, folded, tensors=tuple(tensors))


def _data(tensor: Tensor) -> _Array:
    assert tensor.data is not None
    return tensor.data


def _data_inputs(kind: OpKind, inputs: tuple[int, ...], params: PreparedParams) -> tuple[int, ...]:
    """The inputs carrying data (the rest are shape/index operands)."""
    if kind in (OpKind.CONCATENATION, OpKind.MAXIMUM, OpKind.MINIMUM, OpKind.PACK):
        return tuple(t for t in inputs if t != NO_TENSOR)
    if isinstance(params, RemapParams):
        return (inputs[params.data_input],)
    return inputs[:1]
