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
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.dequantize import DequantizeParams
from tinymlc.ops.pad import PadParams
from tinymlc.ops.quantize import QuantizeParams
from tinymlc.ops.strided_slice import StridedSliceParams
from tinymlc.ops.transpose import TransposeParams
from tinymlc.passes._rewrite import without_operators

_Array = np.ndarray
_Folder = Callable[[PreparedParams, list[_Array], Tensor], _Array]


def _reshape(params: PreparedParams, inputs: list[_Array], output: Tensor) -> _Array:
    return inputs[0].reshape(output.shape)


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
    OpKind.MAXIMUM: _maximum,
    OpKind.MINIMUM: _minimum,
    OpKind.QUANTIZE: _quantize,
    OpKind.DEQUANTIZE: _dequantize,
}


def fold_constants(graph: Graph) -> Graph:
    """Fold every foldable operator whose inputs are constant (transitively)."""
    tensors = list(graph.tensors)
    folded: set[int] = set()
    for index, op in enumerate(graph.operators):
        folder = FOLDERS.get(op.kind)
        inputs = [t for t in op.inputs if t != NO_TENSOR]
        if (
            folder is None
            or len(op.outputs) != 1
            or op.outputs[0] in graph.outputs
            or not all(tensors[t].is_constant for t in inputs)
        ):
            continue
        current = replace(graph, tensors=tuple(tensors))
        try:
            params = prepare_operator(current, index)
            output = tensors[op.outputs[0]]
            data_inputs = op.inputs[: _data_inputs(op.kind, len(inputs))]
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


def _data_inputs(kind: OpKind, count: int) -> int:
    """How many leading inputs carry data (the rest are shape/index operands)."""
    if kind in (OpKind.CONCATENATION, OpKind.MAXIMUM, OpKind.MINIMUM):
        return count
    return 1
