"""The IR graph an ONNX model lowers into, with the layout and quantization bookkeeping
every operator module shares.

Layout: every rank-4 activation is an ONNX NCHW value stored NHWC (the IR's and the
kernels' layout). `onnx_shape` keeps the ONNX view of each activation; `ir_axis` maps
ONNX axes onto IR axes. Operators that depend on element order beyond axes (Reshape,
Flatten, MatMul over a 4-D tensor) ask for `onnx_ordered`, which costs a TRANSPOSE only
when the two orders really differ (channels and spatial positions both > 1).

Quantization: uint8 tensors become int8 with zero point - 128 (the same real values),
so one set of int8 kernels serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from tinymlc.ir import DType, Graph, Model, NoAttrs, OpAttrs, Operator, OpKind, Quantization, Tensor

NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
UINT8_SHIFT = 128
NO_ATTRS = NoAttrs()


class UnsupportedNodeError(Exception):
    """A node the frontend cannot lower; collected and reported with every other one."""


@dataclass(frozen=True)
class QParams:
    """ONNX quantization parameters: real = scale * (q - zero_point), per tensor or per
    `axis` (ONNX axis of the quantized tensor)."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    unsigned: bool
    axis: int | None = None

    def int8_zero_points(self) -> tuple[int, ...]:
        shift = UINT8_SHIFT if self.unsigned else 0
        return tuple(z - shift for z in self.zero_points)

    def quantization(self, quantized_dimension: int = 0) -> Quantization:
        return Quantization(self.scales, self.int8_zero_points(), quantized_dimension)

    @property
    def scale(self) -> float:
        return self.scales[0]


@dataclass(frozen=True)
class Act:
    """An activation: an IR tensor (int8 quantized, or a float graph input)."""

    tensor: int


@dataclass(frozen=True)
class Const:
    """A constant in ONNX layout; `qparams` when it is a quantized integer constant."""

    data: npt.NDArray[np.generic]
    qparams: QParams | None = None


Operand = Act | Const


def signed_data(const: Const) -> npt.NDArray[np.int32]:
    """A quantized constant's values as int32 in the int8 domain (uint8 shifted by -128)."""
    values = const.data.astype(np.int32)
    if const.qparams is not None and const.qparams.unsigned:
        values = values - UINT8_SHIFT
    return values


def default_layout(rank: int) -> tuple[int, ...]:
    """The ONNX axis each IR axis holds: NHWC for rank 4, ONNX order otherwise."""
    return NCHW_TO_NHWC if rank == 4 else tuple(range(rank))


def ir_axis(axis: int, rank: int) -> int:
    """ONNX axis (negative allowed) of a rank-`rank` activation -> its IR axis."""
    if not -rank <= axis < rank:
        raise UnsupportedNodeError(f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    return NCHW_TO_NHWC.index(axis) if rank == 4 else axis


def same_element_order(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    """Whether transposing `shape` by `perm` keeps the flat element order (only size-1
    axes move), so a RESHAPE does the same."""
    moved = [a for a in perm if shape[a] != 1]
    return moved == sorted(moved)


class Builder:
    """Accumulates IR tensors and operators; tensor ids index `tensors`."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self.operators: list[Operator] = []
        self.onnx_shape: dict[int, tuple[int, ...]] = {}
        # Activation -> the ONNX axis each of its IR axes holds; `default_layout` except
        # after a Transpose, which only relabels axes (the operators normalize it away
        # where they need the default, see `standard`).
        self.layout: dict[int, tuple[int, ...]] = {}
        self._relaid: dict[tuple[int, tuple[int, ...]], int] = {}
        self._names: set[str] = set()

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self._names:
            candidate, n = f"{name}_{n}", n + 1
        self._names.add(candidate)
        return candidate

    def add_tensor(self, tensor: Tensor) -> int:
        self.tensors.append(replace(tensor, name=self._unique(tensor.name)))
        return len(self.tensors) - 1

    def activation(
        self,
        name: str,
        onnx_shape: tuple[int, ...],
        qparams: QParams | None,
        layout: tuple[int, ...] | None = None,
        unquantized: DType = DType.FLOAT32,
    ) -> int:
        """A new activation of ONNX shape `onnx_shape` stored in `layout` (default: NHWC
        when rank 4); int8 with `qparams`' quantization, or without it of type
        `unquantized` (float32, or int32 accumulators)."""
        dtype = unquantized if qparams is None else DType.INT8
        quantization = None if qparams is None else qparams.quantization()
        layout = default_layout(len(onnx_shape)) if layout is None else layout
        shape = tuple(onnx_shape[a] for a in layout)
        tensor_id = self.add_tensor(Tensor(name, shape, dtype, quantization))
        self.onnx_shape[tensor_id] = onnx_shape
        self.layout[tensor_id] = layout
        return tensor_id

    def relaid(self, source: int, layout: tuple[int, ...]) -> int:
        """Activation `source` stored in `layout` (itself when it already is)."""
        current = self.layout[source]
        if current == layout:
            return source
        if (source, layout) in self._relaid:
            return self._relaid[(source, layout)]
        name = f"{self.tensors[source].name}/relaid"
        quantization = self.tensors[source].quantization
        qparams = (
            None if quantization is None else QParams(quantization.scales, quantization.zero_points, False)
        )
        target = self.activation(name, self.onnx_shape[source], qparams, layout)
        self.permute_into(source, tuple(current.index(a) for a in layout), target)
        self._relaid[(source, layout)] = target
        return target

    def standard(self, source: int) -> int:
        """Activation `source` in the default layout the operators expect."""
        return self.relaid(source, default_layout(len(self.onnx_shape[source])))

    def onnx_ordered(self, source: int) -> int:
        """Activation `source` with its elements in ONNX order (IR shape == ONNX shape)."""
        return self.relaid(source, tuple(range(len(self.onnx_shape[source]))))

    def raw_activation(self, name: str, shape: tuple[int, ...], quantization: Quantization) -> int:
        """An int8 activation in IR layout with no ONNX view (a layout helper's result)."""
        return self.add_tensor(Tensor(name, shape, DType.INT8, quantization))

    def constant(
        self,
        name: str,
        data: npt.NDArray[np.generic],
        dtype: DType,
        quantization: Quantization | None = None,
    ) -> int:
        np_dtype = dtype.numpy_dtype
        assert np_dtype is not None
        array = np.ascontiguousarray(data).astype(np_dtype)
        return self.add_tensor(Tensor(name, tuple(array.shape), dtype, quantization, array))

    def int32_vector(self, name: str, values: list[int] | tuple[int, ...]) -> int:
        return self.constant(name, np.array(values, dtype=np.int32), DType.INT32)

    def op(self, kind: OpKind, inputs: list[int], outputs: list[int], attrs: OpAttrs = NO_ATTRS) -> None:
        self.operators.append(Operator(kind, kind.name, tuple(inputs), tuple(outputs), attrs))

    def tensor(self, tensor_id: int) -> Tensor:
        return self.tensors[tensor_id]

    def quantization(self, tensor_id: int) -> Quantization:
        quantization = self.tensors[tensor_id].quantization
        if quantization is None:
            raise UnsupportedNodeError(f"tensor {self.tensors[tensor_id].name!r} is not quantized")
        return quantization

    def set_quantization(self, tensor_id: int, quantization: Quantization) -> None:
        self.tensors[tensor_id] = replace(self.tensors[tensor_id], quantization=quantization)

    def reshape(self, source: int, shape: tuple[int, ...], name: str) -> int:
        out = self.raw_activation(name, shape, self.quantization(source))
        self.op(OpKind.RESHAPE, [source, self.int32_vector(f"{name}/shape", shape)], [out])
        return out

    def store_onnx_ordered(self, ordered: int, target: int) -> None:
        """Write `ordered` (ONNX element order, any shape of the same size) into
        activation `target` (IR layout)."""
        target_onnx, layout = self.onnx_shape[target], self.layout[target]
        name = self.tensors[target].name
        if not same_element_order(target_onnx, layout):
            if self.tensors[ordered].shape != target_onnx:
                ordered = self.reshape(ordered, target_onnx, f"{name}/onnx_order")
            self.op(OpKind.TRANSPOSE, [ordered, self.int32_vector(f"{name}/perm", layout)], [target])
        else:
            self.permute_into(ordered, None, target)

    def permute_into(self, source: int, perm: tuple[int, ...] | None, target: int) -> None:
        """`target` = `source` transposed by `perm` (None: only reshaped); a RESHAPE
        whenever the element order stays the same."""
        shape = self.tensors[source].shape
        if perm is None or same_element_order(shape, perm):
            target_shape = self.tensors[target].shape
            name = self.tensors[target].name
            self.op(OpKind.RESHAPE, [source, self.int32_vector(f"{name}/shape", target_shape)], [target])
        else:
            name = self.tensors[target].name
            self.op(OpKind.TRANSPOSE, [source, self.int32_vector(f"{name}/perm", perm)], [target])

    def qparams(self, tensor_id: int) -> QParams:
        """An int8 activation's quantization as (signed) ONNX parameters."""
        quantization = self.quantization(tensor_id)
        return QParams(quantization.scales, quantization.zero_points, unsigned=False)

    def requantize(self, source: int, quantization: Quantization, name: str) -> int:
        """`source` requantized to `quantization` (itself when they already agree)."""
        if self.quantization(source) == quantization:
            return source
        out = self.raw_activation(name, self.tensors[source].shape, quantization)
        if source in self.onnx_shape:
            self.onnx_shape[out] = self.onnx_shape[source]
            self.layout[out] = self.layout[source]
        self.op(OpKind.QUANTIZE, [source], [out])
        return out

    def model(self, inputs: list[int], outputs: list[int], name: str, source: str) -> Model:
        graph = Graph(tuple(self.tensors), tuple(self.operators), tuple(inputs), tuple(outputs), name)
        return Model(subgraphs=(graph,), source=source)


OutputOf = Callable[[tuple[int, ...], tuple[int, ...] | None], int]
"""A lowering's output activation of an ONNX shape in a layout (None: the default)."""


def quantized_output(builder: Builder, node_output: str, out: QParams) -> OutputOf:
    """The activation named `node_output`, int8 with `out`'s quantization."""
    return lambda shape, layout: builder.activation(node_output, shape, out, layout)
