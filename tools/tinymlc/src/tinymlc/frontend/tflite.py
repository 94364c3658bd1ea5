"""`.tflite` flatbuffer -> IR.

The generated `tflite` bindings trust the buffer completely: a corrupted
offset surfaces as IndexError/struct.error deep inside `flatbuffers`, and a
corrupted vector length can make a naive loop run for billions of
iterations.  So every vector length is checked against the file size before
it is iterated, and any exception escaping the bindings is turned into a
`CompileError` naming the file and the element being read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tflite
from flatbuffers import flexbuffers
from tflite.utils import BUILTIN_OPCODE2NAME

from tinymlc.errors import CompileError
from tinymlc.ir import (
    CUSTOM_KINDS,
    NO_TENSOR,
    Activation,
    BatchMatMulAttrs,
    CallOnceAttrs,
    ConcatenationAttrs,
    Conv2DAttrs,
    CumsumAttrs,
    CustomOptionsAttrs,
    DepthToSpaceAttrs,
    DepthwiseConv2DAttrs,
    DType,
    ElementwiseAttrs,
    FullyConnectedAttrs,
    GatherAttrs,
    GeluAttrs,
    Graph,
    IfAttrs,
    LeakyReluAttrs,
    LstmAttrs,
    MirrorPadAttrs,
    Model,
    NoAttrs,
    OpAttrs,
    Operator,
    OpKind,
    PackAttrs,
    Padding,
    Pool2DAttrs,
    Quantization,
    ReducerAttrs,
    ReshapeAttrs,
    ResizeAttrs,
    SoftmaxAttrs,
    SqueezeAttrs,
    StridedSliceAttrs,
    SvdfAttrs,
    Tensor,
    TransposeConvAttrs,
    UnpackAttrs,
    VarHandleAttrs,
    WhileAttrs,
)

FILE_IDENTIFIER = b"TFL3"
_CUSTOM_OPCODE = 32
# A flatbuffer vector element (table offset or scalar) is at least this many bytes.
_MIN_ELEMENT_BYTES = {"table": 4, "int32": 4, "float": 4, "int64": 8, "byte": 1}


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read and parse a `.tflite` file; every failure is a `CompileError`."""
    source = os.fspath(path)
    file = Path(source)
    if not file.exists():
        raise CompileError("file does not exist", source)
    if file.is_dir():
        raise CompileError("is a directory, expected a .tflite file", source)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CompileError(f"cannot read file: {exc.strerror or exc}", source) from exc
    return parse_model(data, source)


def parse_model(data: bytes, source: str = "<memory>") -> Model:
    """Parse `.tflite` bytes; every failure is a `CompileError` naming `source`."""
    if len(data) == 0:
        raise CompileError("file is empty", source)
    if len(data) < 8:
        raise CompileError(f"file is {len(data)} bytes, too small to be a TFLite flatbuffer", source)
    if data[4:8] != FILE_IDENTIFIER:
        raise CompileError(
            f"not a TFLite model: file identifier is {bytes(data[4:8])!r}, expected {FILE_IDENTIFIER!r}",
            source,
        )
    parser = _Parser(bytes(data), source)
    try:
        return parser.model()
    except CompileError as exc:
        if exc.source is None:
            raise CompileError(f"{parser.context}: {exc.message}", source) from exc
        raise
    except (Exception, RecursionError) as exc:  # corrupted offsets fail anywhere
        raise CompileError(
            f"corrupted flatbuffer while reading {parser.context}: {type(exc).__name__}: {exc}",
            source,
        ) from exc


class _Parser:
    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.source = source
        self.context = "model header"

    def fail(self, message: str) -> CompileError:
        return CompileError(f"{self.context}: {message}", self.source)

    def checked_length(self, length: int, element: str) -> int:
        """Reject vector lengths the file cannot possibly hold."""
        if length < 0 or length * _MIN_ELEMENT_BYTES[element] > len(self.data):
            raise self.fail(f"vector length {length} exceeds the file size ({len(self.data)} bytes)")
        return length

    def int_vector(self, obj: Any, name: str, element: str = "int32") -> tuple[int, ...]:
        if getattr(obj, f"{name}IsNone")():
            return ()
        n = self.checked_length(int(getattr(obj, f"{name}Length")()), element)
        array = getattr(obj, f"{name}AsNumpy")()
        if n and (not isinstance(array, np.ndarray) or array.size != n):
            raise self.fail(f"{name} vector is truncated")
        return tuple(int(v) for v in (array if n else ()))

    def model(self) -> Model:
        root = int.from_bytes(self.data[0:4], "little")
        if root + 4 > len(self.data):
            raise self.fail(f"root table offset {root} points past the end of the file")
        model = tflite.Model.GetRootAs(self.data, 0)
        self.context = "operator codes"
        opcodes = [
            self.opcode(model.OperatorCodes(i))
            for i in range(self.checked_length(model.OperatorCodesLength(), "table"))
        ]
        self.context = "buffers"
        buffers = [
            self.buffer(model.Buffers(i), i)
            for i in range(self.checked_length(model.BuffersLength(), "table"))
        ]
        subgraph_count = self.checked_length(model.SubgraphsLength(), "table")
        if subgraph_count == 0:
            raise self.fail("model has no subgraphs")
        subgraphs = tuple(
            self.subgraph(model.Subgraphs(i), i, opcodes, buffers) for i in range(subgraph_count)
        )
        description = model.Description()
        return Model(
            subgraphs=subgraphs,
            source=self.source,
            version=int(model.Version()),
            description=description.decode("utf-8", "replace") if description else "",
        )

    def opcode(self, code: Any) -> tuple[int, str]:
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        custom = code.CustomCode()
        # TFLM's compression tool writes its TFLM_DECODE operators with the builtin code
        # left at 0 and the custom code set; TFLM runs them as custom operators.
        if builtin == _CUSTOM_OPCODE or (builtin == 0 and custom):
            builtin = _CUSTOM_OPCODE
            name = custom.decode("utf-8", "replace") if custom else "<unnamed>"
            return builtin, f"CUSTOM:{name}"
        return builtin, BUILTIN_OPCODE2NAME.get(builtin, f"BUILTIN_{builtin}")

    def buffer(self, buf: Any, index: int) -> bytes:
        offset, size = int(buf.Offset()), int(buf.Size())
        if offset > 1:
            # Large-model format: payload appended after the flatbuffer, with
            # offset counted from the start of the file.
            if offset + size > len(self.data):
                raise CompileError(
                    f"buffer {index}: external data [{offset}, {offset + size}) lies outside "
                    f"the {len(self.data)}-byte file",
                    self.source,
                )
            return self.data[offset : offset + size]
        length = self.checked_length(int(buf.DataLength()), "byte")
        if length == 0:
            return b""
        array = buf.DataAsNumpy()
        if not isinstance(array, np.ndarray) or array.size != length:
            raise self.fail(f"buffer {index} is truncated")
        return array.tobytes()

    def subgraph(
        self,
        subgraph: Any,
        index: int,
        opcodes: list[tuple[int, str]],
        buffers: list[bytes],
    ) -> Graph:
        self.context = f"subgraph {index}"
        tensor_count = self.checked_length(subgraph.TensorsLength(), "table")
        tensors = tuple(self.tensor(subgraph.Tensors(i), index, i, buffers) for i in range(tensor_count))
        self.context = f"subgraph {index}"
        inputs = self.int_vector(subgraph, "Inputs")
        outputs = self.int_vector(subgraph, "Outputs")
        for t in inputs + outputs:
            if not 0 <= t < tensor_count:
                raise self.fail(f"graph input/output refers to tensor {t}, which does not exist")
        operators = tuple(
            self.operator(subgraph.Operators(i), index, i, opcodes, tensor_count)
            for i in range(self.checked_length(subgraph.OperatorsLength(), "table"))
        )
        name = subgraph.Name()
        return Graph(
            tensors=tensors,
            operators=operators,
            inputs=inputs,
            outputs=outputs,
            name=name.decode("utf-8", "replace") if name else "",
        )

    def tensor(self, tensor: Any, subgraph: int, index: int, buffers: list[bytes]) -> Tensor:
        self.context = f"subgraph {subgraph} tensor {index}"
        raw_name = tensor.Name()
        name = raw_name.decode("utf-8", "replace") if raw_name else f"tensor_{index}"
        self.context = f"subgraph {subgraph} tensor {index} ({name!r})"
        type_code = int(tensor.Type())
        try:
            dtype = DType(type_code)
        except ValueError:
            raise self.fail(f"unknown tensor type code {type_code}") from None
        shape = self.int_vector(tensor, "Shape")
        if any(d < 0 for d in shape):
            raise self.fail(f"negative dimension in shape {list(shape)}")
        signature = self.int_vector(tensor, "ShapeSignature") or None
        buffer_index = int(tensor.Buffer())
        if not 0 <= buffer_index < max(len(buffers), 1):
            raise self.fail(f"refers to buffer {buffer_index}, but the model has {len(buffers)}")
        payload = buffers[buffer_index] if buffers else b""
        return Tensor(
            name=name,
            shape=shape,
            dtype=dtype,
            quantization=self.quantization(tensor.Quantization()),
            # TFLM allocates variable tensors in the arena and resets them to zero (the
            # zero point for int8), whatever buffer the file gives them.
            data=self.constant_data(payload, dtype, shape) if payload and not tensor.IsVariable() else None,
            shape_signature=signature,
            is_variable=bool(tensor.IsVariable()),
        )

    def quantization(self, quant: Any) -> Quantization | None:
        if quant is None:
            return None
        scales = quant.ScaleAsNumpy() if not quant.ScaleIsNone() else None
        if scales is None or not isinstance(scales, np.ndarray) or scales.size == 0:
            return None
        self.checked_length(int(quant.ScaleLength()), "float")
        zero_points = self.int_vector(quant, "ZeroPoint", "int64")
        if zero_points and len(zero_points) != scales.size:
            # TFLM's allocator: weights may store one zero point for all channels.
            zero_points = zero_points[:1] * scales.size
        return Quantization(
            scales=tuple(float(s) for s in scales.astype(np.float32)),
            zero_points=zero_points,
            quantized_dimension=int(quant.QuantizedDimension()),
        )

    def constant_data(self, payload: bytes, dtype: DType, shape: tuple[int, ...]) -> np.ndarray:
        count = math.prod(shape)
        if dtype is DType.INT4:
            needed = (count + 1) // 2
            if len(payload) != needed:
                raise self.fail(f"INT4 constant has {len(payload)} bytes, shape needs {needed}")
            packed = np.frombuffer(payload, dtype=np.uint8)
            low = (packed & 0x0F).astype(np.int8)
            high = (packed >> 4).astype(np.int8)
            nibbles = np.stack([low, high], axis=1).reshape(-1)[:count]
            return np.where(nibbles > 7, nibbles - 16, nibbles).astype(np.int8).reshape(shape)
        np_dtype = dtype.numpy_dtype
        if np_dtype is None:
            raise self.fail(f"constant data of type {dtype.name} is not supported")
        needed = count * np_dtype.itemsize
        if len(payload) != needed:
            raise self.fail(
                f"constant data has {len(payload)} bytes but shape {list(shape)} of "
                f"{dtype.name} needs {needed}"
            )
        return np.frombuffer(payload, dtype=np_dtype).reshape(shape).copy()

    def operator(
        self,
        op: Any,
        subgraph: int,
        index: int,
        opcodes: list[tuple[int, str]],
        tensor_count: int,
    ) -> Operator:
        self.context = f"subgraph {subgraph} operator {index}"
        opcode_index = int(op.OpcodeIndex())
        if not 0 <= opcode_index < len(opcodes):
            raise self.fail(f"opcode index {opcode_index} out of range ({len(opcodes)} codes)")
        builtin, name = opcodes[opcode_index]
        self.context = f"subgraph {subgraph} operator {index} ({name})"
        inputs = self.int_vector(op, "Inputs")
        outputs = self.int_vector(op, "Outputs")
        intermediates = self.int_vector(op, "Intermediates")
        for t in inputs + outputs + intermediates:
            if t != NO_TENSOR and not 0 <= t < tensor_count:
                raise self.fail(f"refers to tensor {t}, but the subgraph has {tensor_count}")
        if name.startswith("CUSTOM:"):
            kind = CUSTOM_KINDS.get(name.removeprefix("CUSTOM:"), OpKind.OTHER)
        else:
            try:
                kind = OpKind(builtin)
            except ValueError:
                kind = OpKind.OTHER
        return Operator(
            kind=kind,
            opcode_name=name,
            inputs=inputs,
            outputs=outputs,
            attrs=self.custom_options(op) if kind in CUSTOM_KINDS.values() else self.attrs(op, kind),
            intermediates=intermediates,
        )

    def custom_options(self, op: Any) -> CustomOptionsAttrs:
        """The flexbuffer map of a custom operator's options, values in key order."""
        options = bytes(self.int_vector(op, "CustomOptions", "byte")) if not op.CustomOptionsIsNone() else b""
        if not options:
            return CustomOptionsAttrs(())
        root = flexbuffers.GetRoot(bytearray(options))
        if not root.IsMap:
            raise self.fail("custom options are not a flexbuffer map")
        options_map = root.AsMap
        return CustomOptionsAttrs(
            values=tuple(_flex_value(value) for value in options_map.Values),
            keys=tuple(str(key.AsKey) for key in options_map.Keys),
        )

    def attrs(self, op: Any, kind: OpKind) -> OpAttrs:
        decoder = _DECODERS.get(kind)
        if decoder is None:
            return NoAttrs()
        options_class, expected_type, decode = decoder
        table = op.BuiltinOptions()
        if table is None or int(op.BuiltinOptionsType()) != expected_type:
            # Absent options: TFLM value-initialises the params struct.
            return NoAttrs()
        options = options_class()
        options.Init(table.Bytes, table.Pos)
        if kind is OpKind.RESHAPE:
            return ReshapeAttrs(
                self.int_vector(options, "NewShape") if not options.NewShapeIsNone() else None
            )
        if kind is OpKind.SQUEEZE:
            return SqueezeAttrs(self.int_vector(options, "SqueezeDims"))
        return decode(options)


def _flex_value(value: flexbuffers.Ref) -> int | float | bool | tuple[int, ...]:
    if value.IsBool:
        return bool(value.AsBool)
    if value.IsFloat:
        return float(value.AsFloat)
    # Not `IsAnyVector`: flatbuffers' own implementation of it calls a property.
    if value.IsVector or value.IsTypedVector or value.IsFixedTypedVector:
        # A typed vector's `Value` is already a list of numbers, an untyped one's of refs.
        return tuple(
            int(element.AsInt) if isinstance(element, flexbuffers.Ref) else int(element)
            for element in value.Value
        )
    return int(value.AsInt)


def _activation(code: int) -> Activation:
    try:
        return Activation(code)
    except ValueError:
        raise CompileError(f"unknown fused activation code {code}") from None


def _padding(code: int) -> Padding:
    try:
        return Padding(code)
    except ValueError:
        raise CompileError(f"unknown padding code {code}") from None


def _transpose_conv(o: Any) -> OpAttrs:
    return TransposeConvAttrs(
        padding=_padding(o.Padding()),
        stride_h=int(o.StrideH()),
        stride_w=int(o.StrideW()),
        activation=_activation(o.FusedActivationFunction()),
    )


def _conv(o: Any) -> OpAttrs:
    return Conv2DAttrs(
        padding=_padding(o.Padding()),
        stride_h=int(o.StrideH()),
        stride_w=int(o.StrideW()),
        dilation_h=int(o.DilationHFactor()),
        dilation_w=int(o.DilationWFactor()),
        activation=_activation(o.FusedActivationFunction()),
        quantized_bias_type=_quantized_bias_type(o.QuantizedBiasType()),
    )


def _quantized_bias_type(code: int) -> DType:
    """The option's tensor type; TFLM only tests it for INT32, so an unknown code
    means the same as the default FLOAT32."""
    return DType(code) if code in {t.value for t in DType} else DType.FLOAT32


def _depthwise(o: Any) -> OpAttrs:
    return DepthwiseConv2DAttrs(
        padding=_padding(o.Padding()),
        stride_h=int(o.StrideH()),
        stride_w=int(o.StrideW()),
        dilation_h=int(o.DilationHFactor()),
        dilation_w=int(o.DilationWFactor()),
        depth_multiplier=int(o.DepthMultiplier()),
        activation=_activation(o.FusedActivationFunction()),
    )


def _fully_connected(o: Any) -> OpAttrs:
    return FullyConnectedAttrs(
        activation=_activation(o.FusedActivationFunction()),
        weights_format=int(o.WeightsFormat()),
        keep_num_dims=bool(o.KeepNumDims()),
        asymmetric_quantize_inputs=bool(o.AsymmetricQuantizeInputs()),
        quantized_bias_type=_quantized_bias_type(o.QuantizedBiasType()),
    )


def _pool(o: Any) -> OpAttrs:
    return Pool2DAttrs(
        padding=_padding(o.Padding()),
        stride_h=int(o.StrideH()),
        stride_w=int(o.StrideW()),
        filter_h=int(o.FilterHeight()),
        filter_w=int(o.FilterWidth()),
        activation=_activation(o.FusedActivationFunction()),
    )


def _add_sub(o: Any) -> OpAttrs:
    return ElementwiseAttrs(
        activation=_activation(o.FusedActivationFunction()),
        pot_scale_int16=bool(o.PotScaleInt16()),
    )


def _mul(o: Any) -> OpAttrs:
    return ElementwiseAttrs(activation=_activation(o.FusedActivationFunction()))


def _strided_slice(o: Any) -> OpAttrs:
    return StridedSliceAttrs(
        begin_mask=int(o.BeginMask()),
        end_mask=int(o.EndMask()),
        ellipsis_mask=int(o.EllipsisMask()),
        new_axis_mask=int(o.NewAxisMask()),
        shrink_axis_mask=int(o.ShrinkAxisMask()),
        offset=bool(o.Offset()),
    )


def _unused(_options: Any) -> OpAttrs:
    raise AssertionError("decoded by _Parser.attrs")


_Decoder = tuple[type[Any], int, Callable[[Any], OpAttrs]]
_OPTIONS = tflite.BuiltinOptions
_DECODERS: dict[OpKind, _Decoder] = {
    OpKind.CONV_2D: (tflite.Conv2DOptions, _OPTIONS.Conv2DOptions, _conv),
    OpKind.DEPTHWISE_CONV_2D: (
        tflite.DepthwiseConv2DOptions,
        _OPTIONS.DepthwiseConv2DOptions,
        _depthwise,
    ),
    OpKind.FULLY_CONNECTED: (
        tflite.FullyConnectedOptions,
        _OPTIONS.FullyConnectedOptions,
        _fully_connected,
    ),
    OpKind.AVERAGE_POOL_2D: (tflite.Pool2DOptions, _OPTIONS.Pool2DOptions, _pool),
    OpKind.MAX_POOL_2D: (tflite.Pool2DOptions, _OPTIONS.Pool2DOptions, _pool),
    OpKind.L2_POOL_2D: (tflite.Pool2DOptions, _OPTIONS.Pool2DOptions, _pool),
    OpKind.SOFTMAX: (
        tflite.SoftmaxOptions,
        _OPTIONS.SoftmaxOptions,
        lambda o: SoftmaxAttrs(beta=float(o.Beta())),
    ),
    OpKind.ADD: (tflite.AddOptions, _OPTIONS.AddOptions, _add_sub),
    OpKind.SUB: (tflite.SubOptions, _OPTIONS.SubOptions, _add_sub),
    OpKind.MUL: (tflite.MulOptions, _OPTIONS.MulOptions, _mul),
    # Only the fused activation, as MUL's options.
    OpKind.L2_NORMALIZATION: (tflite.L2NormOptions, _OPTIONS.L2NormOptions, _mul),
    OpKind.DIV: (tflite.DivOptions, _OPTIONS.DivOptions, _mul),
    OpKind.CUMSUM: (
        tflite.CumsumOptions,
        _OPTIONS.CumsumOptions,
        lambda o: CumsumAttrs(exclusive=bool(o.Exclusive()), reverse=bool(o.Reverse())),
    ),
    OpKind.RESHAPE: (tflite.ReshapeOptions, _OPTIONS.ReshapeOptions, _unused),
    OpKind.SQUEEZE: (tflite.SqueezeOptions, _OPTIONS.SqueezeOptions, _unused),
    OpKind.CONCATENATION: (
        tflite.ConcatenationOptions,
        _OPTIONS.ConcatenationOptions,
        lambda o: ConcatenationAttrs(axis=int(o.Axis()), activation=_activation(o.FusedActivationFunction())),
    ),
    OpKind.MEAN: (
        tflite.ReducerOptions,
        _OPTIONS.ReducerOptions,
        lambda o: ReducerAttrs(keep_dims=bool(o.KeepDims())),
    ),
    OpKind.SUM: (
        tflite.ReducerOptions,
        _OPTIONS.ReducerOptions,
        lambda o: ReducerAttrs(keep_dims=bool(o.KeepDims())),
    ),
    OpKind.REDUCE_MAX: (
        tflite.ReducerOptions,
        _OPTIONS.ReducerOptions,
        lambda o: ReducerAttrs(keep_dims=bool(o.KeepDims())),
    ),
    OpKind.REDUCE_MIN: (
        tflite.ReducerOptions,
        _OPTIONS.ReducerOptions,
        lambda o: ReducerAttrs(keep_dims=bool(o.KeepDims())),
    ),
    OpKind.REDUCE_ALL: (
        tflite.ReducerOptions,
        _OPTIONS.ReducerOptions,
        lambda o: ReducerAttrs(keep_dims=bool(o.KeepDims())),
    ),
    OpKind.STRIDED_SLICE: (
        tflite.StridedSliceOptions,
        _OPTIONS.StridedSliceOptions,
        _strided_slice,
    ),
    OpKind.BATCH_MATMUL: (
        tflite.BatchMatMulOptions,
        _OPTIONS.BatchMatMulOptions,
        lambda o: BatchMatMulAttrs(
            adj_x=bool(o.AdjX()),
            adj_y=bool(o.AdjY()),
            asymmetric_quantize_inputs=bool(o.AsymmetricQuantizeInputs()),
        ),
    ),
    OpKind.LEAKY_RELU: (
        tflite.LeakyReluOptions,
        _OPTIONS.LeakyReluOptions,
        lambda o: LeakyReluAttrs(alpha=float(o.Alpha())),
    ),
    OpKind.TRANSPOSE_CONV: (
        tflite.TransposeConvOptions,
        _OPTIONS.TransposeConvOptions,
        _transpose_conv,
    ),
    OpKind.PACK: (
        tflite.PackOptions,
        _OPTIONS.PackOptions,
        lambda o: PackAttrs(values_count=int(o.ValuesCount()), axis=int(o.Axis())),
    ),
    OpKind.DEPTH_TO_SPACE: (
        tflite.DepthToSpaceOptions,
        _OPTIONS.DepthToSpaceOptions,
        lambda o: DepthToSpaceAttrs(block_size=int(o.BlockSize())),
    ),
    OpKind.SPACE_TO_DEPTH: (
        tflite.SpaceToDepthOptions,
        _OPTIONS.SpaceToDepthOptions,
        lambda o: DepthToSpaceAttrs(block_size=int(o.BlockSize())),
    ),
    OpKind.MIRROR_PAD: (
        tflite.MirrorPadOptions,
        _OPTIONS.MirrorPadOptions,
        lambda o: MirrorPadAttrs(symmetric=int(o.Mode()) == 1),
    ),
    OpKind.RESIZE_NEAREST_NEIGHBOR: (
        tflite.ResizeNearestNeighborOptions,
        _OPTIONS.ResizeNearestNeighborOptions,
        lambda o: ResizeAttrs(
            align_corners=bool(o.AlignCorners()), half_pixel_centers=bool(o.HalfPixelCenters())
        ),
    ),
    OpKind.RESIZE_BILINEAR: (
        tflite.ResizeBilinearOptions,
        _OPTIONS.ResizeBilinearOptions,
        lambda o: ResizeAttrs(
            align_corners=bool(o.AlignCorners()), half_pixel_centers=bool(o.HalfPixelCenters())
        ),
    ),
    OpKind.GATHER: (
        tflite.GatherOptions,
        _OPTIONS.GatherOptions,
        lambda o: GatherAttrs(axis=int(o.Axis()), batch_dims=int(o.BatchDims())),
    ),
    OpKind.UNPACK: (
        tflite.UnpackOptions,
        _OPTIONS.UnpackOptions,
        lambda o: UnpackAttrs(num=int(o.Num()), axis=int(o.Axis())),
    ),
    OpKind.GELU: (
        tflite.GeluOptions,
        _OPTIONS.GeluOptions,
        lambda o: GeluAttrs(approximate=bool(o.Approximate())),
    ),
    OpKind.VAR_HANDLE: (
        tflite.VarHandleOptions,
        _OPTIONS.VarHandleOptions,
        lambda o: VarHandleAttrs(
            container=(o.Container() or b"").decode("utf-8", "replace"),
            shared_name=(o.SharedName() or b"").decode("utf-8", "replace"),
        ),
    ),
    OpKind.CALL_ONCE: (
        tflite.CallOnceOptions,
        _OPTIONS.CallOnceOptions,
        lambda o: CallOnceAttrs(init_subgraph_index=int(o.InitSubgraphIndex())),
    ),
    OpKind.IF: (
        tflite.IfOptions,
        _OPTIONS.IfOptions,
        lambda o: IfAttrs(int(o.ThenSubgraphIndex()), int(o.ElseSubgraphIndex())),
    ),
    OpKind.WHILE: (
        tflite.WhileOptions,
        _OPTIONS.WhileOptions,
        lambda o: WhileAttrs(int(o.CondSubgraphIndex()), int(o.BodySubgraphIndex())),
    ),
    OpKind.SVDF: (
        tflite.SVDFOptions,
        _OPTIONS.SVDFOptions,
        lambda o: SvdfAttrs(
            rank=int(o.Rank()),
            activation=_activation(o.FusedActivationFunction()),
            asymmetric_quantize_inputs=bool(o.AsymmetricQuantizeInputs()),
        ),
    ),
    OpKind.UNIDIRECTIONAL_SEQUENCE_LSTM: (
        tflite.UnidirectionalSequenceLSTMOptions,
        _OPTIONS.UnidirectionalSequenceLSTMOptions,
        lambda o: LstmAttrs(
            activation=_activation(o.FusedActivationFunction()),
            cell_clip=float(o.CellClip()),
            proj_clip=float(o.ProjClip()),
            time_major=bool(o.TimeMajor()),
            asymmetric_quantize_inputs=bool(o.AsymmetricQuantizeInputs()),
            diagonal_recurrent_tensors=bool(o.DiagonalRecurrentTensors()),
        ),
    ),
}
