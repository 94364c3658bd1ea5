"""Build small `.tflite` flatbuffers directly, for tests (no TensorFlow needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np
import tflite
from flatbuffers import flexbuffers

from tinymlc.ir import DType


@dataclass
class _Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: DType
    scales: tuple[float, ...] | None
    zero_points: tuple[int, ...] | None
    quantized_dimension: int
    buffer: int
    shape_signature: tuple[int, ...] | None
    variable: bool = False


@dataclass
class _Op:
    opcode: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options_name: str | None
    options: dict[str, Any]
    custom_options: bytes | None = None


@dataclass
class ModelBuilder:
    tensors: list[_Tensor] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=lambda: [b""])
    ops: list[_Op] = field(default_factory=list)
    opcodes: list[tuple[int, str | None]] = field(default_factory=list)

    def tensor(
        self,
        name: str,
        shape: tuple[int, ...],
        dtype: DType = DType.INT8,
        scale: float | tuple[float, ...] | None = None,
        zero_point: int | tuple[int, ...] | None = None,
        data: np.ndarray | None = None,
        quantized_dimension: int = 0,
        shape_signature: tuple[int, ...] | None = None,
        variable: bool = False,
    ) -> int:
        buffer = 0
        if data is not None:
            self.buffers.append(_int4_packed(data) if dtype is DType.INT4 else _raw(data, dtype))
            buffer = len(self.buffers) - 1
        scales = (scale,) if isinstance(scale, float) else scale
        if zero_point is None and scales is not None:
            zero_point = (0,) * len(scales)
        zero_points = (zero_point,) if isinstance(zero_point, int) else zero_point
        self.tensors.append(
            _Tensor(
                name,
                tuple(shape),
                dtype,
                scales,
                zero_points,
                quantized_dimension,
                buffer,
                shape_signature,
                variable,
            )
        )
        return len(self.tensors) - 1

    def op(
        self,
        builtin: str,
        inputs: list[int],
        outputs: list[int],
        options_name: str | None = None,
        custom_code: str | None = None,
        **options: Any,
    ) -> None:
        code = getattr(tflite.BuiltinOperator, builtin)
        key = (code, custom_code)
        if key not in self.opcodes:
            self.opcodes.append(key)
        self.ops.append(_Op(self.opcodes.index(key), tuple(inputs), tuple(outputs), options_name, options))

    def custom(self, name: str, inputs: list[int], outputs: list[int], options: dict[str, Any]) -> None:
        """A custom operator whose options are the flexbuffer map TFLM's Init reads."""
        self.op("CUSTOM", inputs, outputs, custom_code=name)
        self.ops[-1].custom_options = bytes(flexbuffers.Dumps(options))

    def conv_2d(
        self,
        inputs: list[int],
        outputs: list[int],
        *,
        padding: int,
        stride: int,
        dilation: int = 1,
        activation: int = 0,
    ) -> None:
        """CONV_2D with the same stride and dilation along both axes."""
        self.op(
            "CONV_2D",
            inputs,
            outputs,
            "Conv2DOptions",
            Padding=padding,
            StrideW=stride,
            StrideH=stride,
            DilationWFactor=dilation,
            DilationHFactor=dilation,
            FusedActivationFunction=activation,
        )

    def depthwise_conv_2d(
        self,
        inputs: list[int],
        outputs: list[int],
        *,
        padding: int,
        stride: int,
        depth_multiplier: int,
        dilation: int = 1,
        activation: int = 0,
    ) -> None:
        """DEPTHWISE_CONV_2D with the same stride and dilation along both axes."""
        self.op(
            "DEPTHWISE_CONV_2D",
            inputs,
            outputs,
            "DepthwiseConv2DOptions",
            Padding=padding,
            StrideW=stride,
            StrideH=stride,
            DepthMultiplier=depth_multiplier,
            DilationWFactor=dilation,
            DilationHFactor=dilation,
            FusedActivationFunction=activation,
        )

    def take_ops(self, count: int) -> list[_Op]:
        """Removes the last `count` operators added, for a called subgraph of `build`."""
        taken, self.ops = self.ops[len(self.ops) - count :], self.ops[: len(self.ops) - count]
        return taken

    def build(
        self, inputs: list[int], outputs: list[int], subgraphs: int = 1, called: tuple[list[_Op], ...] = ()
    ) -> bytes:
        """The model: `subgraphs` copies of the graph, then a subgraph of each operator
        list in `called` (sharing the tensors, without inputs or outputs)."""
        b = flatbuffers.Builder(1024)
        buffer_offsets = []
        for payload in self.buffers:
            data = b.CreateByteVector(payload) if payload else None
            tflite.BufferStart(b)
            if data is not None:
                tflite.BufferAddData(b, data)
            buffer_offsets.append(tflite.BufferEnd(b))
        subgraph_offsets = [self._subgraph(b, inputs, outputs, self.ops) for _ in range(subgraphs)]
        subgraph_offsets += [self._subgraph(b, [], [], ops) for ops in called]
        opcode_offsets = []
        for code, custom in self.opcodes:
            custom_offset = b.CreateString(custom) if custom else None
            tflite.OperatorCodeStart(b)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            if custom_offset is not None:
                tflite.OperatorCodeAddCustomCode(b, custom_offset)
            tflite.OperatorCodeAddVersion(b, 1)
            opcode_offsets.append(tflite.OperatorCodeEnd(b))
        codes = _table_vector(b, opcode_offsets)
        subs = _table_vector(b, subgraph_offsets)
        bufs = _table_vector(b, buffer_offsets)
        description = b.CreateString("tinymlc test model")
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes)
        tflite.ModelAddSubgraphs(b, subs)
        tflite.ModelAddDescription(b, description)
        tflite.ModelAddBuffers(b, bufs)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    def _subgraph(
        self, b: flatbuffers.Builder, inputs: list[int], outputs: list[int], operators: list[_Op]
    ) -> int:
        tensor_offsets = [self._tensor(b, t) for t in self.tensors]
        op_offsets = [self._op(b, op) for op in operators]
        tensors = _table_vector(b, tensor_offsets)
        ops = _table_vector(b, op_offsets)
        ins = _int_vector(b, inputs)
        outs = _int_vector(b, outputs)
        name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors)
        tflite.SubGraphAddInputs(b, ins)
        tflite.SubGraphAddOutputs(b, outs)
        tflite.SubGraphAddOperators(b, ops)
        tflite.SubGraphAddName(b, name)
        return int(tflite.SubGraphEnd(b))

    def _tensor(self, b: flatbuffers.Builder, t: _Tensor) -> int:
        name = b.CreateString(t.name)
        shape = _int_vector(b, list(t.shape))
        signature = _int_vector(b, list(t.shape_signature)) if t.shape_signature else None
        quant = None
        if t.scales is not None:
            scales = _vector(b, [float(s) for s in t.scales], 4, b.PrependFloat32)
            zps = _vector(b, list(t.zero_points or ()), 8, b.PrependInt64)
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scales)
            tflite.QuantizationParametersAddZeroPoint(b, zps)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.quantized_dimension)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, t.dtype.value)
        tflite.TensorAddBuffer(b, t.buffer)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if signature is not None:
            tflite.TensorAddShapeSignature(b, signature)
        if t.variable:
            tflite.TensorAddIsVariable(b, True)
        return int(tflite.TensorEnd(b))

    def _op(self, b: flatbuffers.Builder, op: _Op) -> int:
        options = None
        if op.options_name is not None:
            vectors = {
                k: _int_vector(b, list(v)) for k, v in op.options.items() if isinstance(v, (list, tuple))
            }
            vectors.update({k: b.CreateString(v) for k, v in op.options.items() if isinstance(v, str)})
            getattr(tflite, f"{op.options_name}Start")(b)
            for key, value in op.options.items():
                getattr(tflite, f"{op.options_name}Add{key}")(b, vectors.get(key, value))
            options = getattr(tflite, f"{op.options_name}End")(b)
        ins = _int_vector(b, list(op.inputs))
        outs = _int_vector(b, list(op.outputs))
        custom = None if op.custom_options is None else b.CreateByteVector(op.custom_options)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, op.opcode)
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if options is not None and op.options_name is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options_name))
            tflite.OperatorAddBuiltinOptions(b, options)
        if custom is not None:
            tflite.OperatorAddCustomOptions(b, custom)
        return int(tflite.OperatorEnd(b))


def _vector(b: flatbuffers.Builder, values: list[Any], size: int, prepend: Any) -> int:
    b.StartVector(size, len(values), size)
    for value in reversed(values):
        prepend(value)
    return int(b.EndVector())


def _int_vector(b: flatbuffers.Builder, values: list[int]) -> int:
    return _vector(b, values, 4, b.PrependInt32)


def _table_vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    return _vector(b, offsets, 4, b.PrependUOffsetTRelative)


def _raw(data: np.ndarray, dtype: DType) -> bytes:
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    return np.asarray(data, dtype=np_dtype).tobytes()


def _int4_packed(data: np.ndarray) -> bytes:
    """Two signed 4-bit values per byte, the first in the low nibble (TFLite's packing)."""
    nibbles = (np.asarray(data, dtype=np.int8).reshape(-1) & 0x0F).astype(np.uint8)
    if nibbles.size % 2:
        nibbles = np.append(nibbles, np.uint8(0))
    return (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()
