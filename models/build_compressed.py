"""Micro-models compressed by TFLM's own compression tool (look-up tables + TFLM_DECODE).

Each starts from a zoo model built by this directory, bins its weights and biases to a
few values (so a small look-up table holds them), and lets
`tflite_micro...compression.compress` store them as packed indices plus value tables,
with TFLM_DECODE operators expanding them before use. TFLM's decoder takes its
channels from each tensor's quantization, so per-channel quantized tensors are
compressed per channel along their quantized dimension and the rest per tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import flatbuffers
import numpy as np
from tensorflow.lite.python import schema_py_generated as schema
from tflite_micro.tensorflow.lite.micro.compression import compress, spec

from build_models import Graph, GraphInput, ModelSpec
from inspect_models import ModelExpectations, OpExpectation

MODELS = Path(__file__).absolute().parent

Binning = Callable[[np.ndarray], np.ndarray]

_NUMPY_TYPES = {schema.TensorType.INT8: np.int8, schema.TensorType.INT16: np.int16,
                schema.TensorType.INT32: np.int32, schema.TensorType.FLOAT32: np.float32}


def binned_to_step(step: int, low: int = -128, high: int = 127) -> Binning:
    """Values rounded to multiples of `step`, clipped to [low, high] (int8 by default)."""
    return lambda values: np.clip(np.round(values / step) * step, low, high).astype(values.dtype)


def _float_quarters(values: np.ndarray) -> np.ndarray:
    return np.clip(np.round(values * 4) / 4, -1.0, 0.75).astype(values.dtype)


def compressed_model(base: str, tensors: dict[int, tuple[Binning | None, int, int | None]]) -> bytes:
    """`base`'s zoo flatbuffer with tensor id -> (binning, index bit width, per-channel
    axis or None) applied and compressed."""
    data = (MODELS / f"{base}.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph = model.subgraphs[0]
    specs = []
    for tensor_id, (binning, bit_width, axis) in tensors.items():
        tensor = graph.tensors[tensor_id]
        buffer = model.buffers[tensor.buffer]
        dtype = _NUMPY_TYPES[tensor.type]
        if binning is not None:
            values = binning(np.frombuffer(bytes(buffer.data), dtype))
            buffer.data = np.frombuffer(values.tobytes(), np.uint8)
        mode = spec.PerTensor() if axis is None else spec.PerChannel(axis=axis)
        specs.append(spec.Tensor(subgraph=0, tensor=tensor_id,
                                 compression=[spec.LookUpTableCompression(index_bitwidth=bit_width, mode=mode)]))
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(compress(bytes(builder.Output()), specs))


Encoding = Callable[[np.ndarray], tuple[bytes, bytes]]
"""A tensor's values -> (encoded tensor, ancillary tensor) for TFLM_DECODE."""


def decoded_model(base: str, encodings: dict[int, Encoding], encoded_suffix: str) -> bytes:
    """`base` with its constants `encodings` names stored as their encoding's pair of
    uint8 tensors, expanded by one TFLM_DECODE operator in front of the graph."""
    data = (MODELS / f"{base}.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph = model.subgraphs[0]
    opcode = schema.OperatorCodeT()
    opcode.builtinCode = opcode.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
    opcode.customCode, opcode.version = "TFLM_DECODE", 1
    model.operatorCodes.append(opcode)
    decode = schema.OperatorT()
    decode.opcodeIndex, decode.inputs, decode.outputs = len(model.operatorCodes) - 1, [], []

    def uint8_tensor(name: str, payload: bytes) -> int:
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(payload, np.uint8)
        model.buffers.append(buffer)
        tensor = schema.TensorT()
        tensor.name, tensor.shape, tensor.type = name, [len(payload)], schema.TensorType.UINT8
        tensor.buffer = len(model.buffers) - 1
        graph.tensors.append(tensor)
        return len(graph.tensors) - 1

    for tensor_id, encoding in encodings.items():
        tensor = graph.tensors[tensor_id]
        dtype = _NUMPY_TYPES[tensor.type]
        encoded, ancillary = encoding(np.frombuffer(bytes(model.buffers[tensor.buffer].data), dtype).copy())
        decode.inputs += [uint8_tensor(f"{tensor.name}_{encoded_suffix}", encoded),
                          uint8_tensor(f"{tensor.name}_ancillary", ancillary)]
        # The tensor itself becomes the decoded output, its data gone from the model.
        model.buffers[tensor.buffer].data = None
        tensor.buffer = 0
        decode.outputs.append(tensor_id)
    graph.operators.insert(0, decode)
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def pruned_model(base: str, tensor_ids: tuple[int, ...], threshold: float) -> bytes:
    """`base` with its int8/int32/float32 constants `tensor_ids` pruned (values within
    `threshold` of zero set to zero) and stored in TFLM's pruning format, which TFLM's
    tool cannot write yet: a bitmap of the values kept (most significant bit first) as
    the encoded tensor and, after the 16-byte header, those values as the ancillary
    tensor."""

    def prune(values: np.ndarray) -> tuple[bytes, bytes]:
        values[np.abs(values.astype(np.float64)) <= threshold] = 0
        kept = values != 0
        header = bytes([2, 1, 0, 0, 1]) + bytes(11)  # Prune, version 1; pruning version 1
        return np.packbits(kept).tobytes(), header + values[kept].tobytes()

    return decoded_model(base, dict.fromkeys(tensor_ids, prune), "bitmap")


def compressed_spec(name: str, description: str, op: str, input_shape: tuple[int, ...],
                    flatbuffer: Callable[[], bytes], float_io: bool = False, io: str = "INT8") -> ModelSpec:
    """`io` is the input and output type (FLOAT32 also by `float_io`)."""
    io = "FLOAT32" if float_io else io

    def sample(rng: np.random.Generator) -> np.ndarray:
        if io == "FLOAT32":
            return rng.uniform(-1, 1, input_shape).astype(np.float32)
        limits = np.iinfo(np.int16 if io == "INT16" else np.int8)
        return rng.integers(limits.min, limits.max, input_shape, endpoint=True).astype(limits.dtype)

    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(input_shape, sample)])
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=(OpExpectation("CUSTOM(TFLM_DECODE)"), OpExpectation(op)),
                          only_required_ops=True, input_dtype=io, output_dtype=io, integer_only=False),
        flatbuffer=lambda _rng: flatbuffer(), tflm_only=True)


def compressed_models() -> list[ModelSpec]:
    conv, depthwise = "op_conv_2d_3x3_same_relu", "op_depthwise_conv_2d_3x3_same_relu"
    conv_per_tensor, float_fc = "op_conv_2d_3x3_per_tensor_relu", "op_float_fully_connected_relu"
    return [
        compressed_spec("op_decode_lut_conv_2d_per_channel", f"TFLM_DECODE of {conv}'s weights (per "
                        "output channel, 4-bit indices: TFLM's 16-at-a-time path) and bias (per channel, "
                        "3-bit)", "CONV_2D", (1, 10, 10, 4),
                        lambda: compressed_model(conv, {2: (binned_to_step(32), 4, 0), 1: (None, 3, 0)})),
        compressed_spec("op_decode_lut_depthwise_last_axis", f"TFLM_DECODE of {depthwise}'s weights (per "
                        "channel along the last dimension, 3-bit) and bias (2-bit, per channel)",
                        "DEPTHWISE_CONV_2D", (1, 10, 10, 8),
                        lambda: compressed_model(depthwise, {2: (binned_to_step(40), 3, 3),
                                                             1: (lambda b: (b // 4096 * 4096) % 16384, 2, 0)})),
        compressed_spec("op_decode_lut_conv_2d_per_tensor", f"TFLM_DECODE of {conv_per_tensor}'s weights "
                        "(one 32-entry table, 5-bit) and bias (3-bit)", "CONV_2D", (1, 10, 10, 4),
                        lambda: compressed_model(conv_per_tensor, {2: (binned_to_step(8, -128, 120), 5, None),
                                                                   1: (None, 3, None)})),
        compressed_spec("op_decode_lut_float_fully_connected", f"TFLM_DECODE of {float_fc}'s float weights "
                        "(quarters in [-1, 0.75], 3-bit) and bias (4-bit)", "FULLY_CONNECTED", (1, 48),
                        lambda: compressed_model(float_fc, {2: (_float_quarters, 3, None), 1: (None, 4, None)}),
                        float_io=True),
        compressed_spec("op_decode_prune_conv_2d", f"TFLM_DECODE (pruning) of {conv}'s weights and bias, "
                        "values within 20 of zero pruned", "CONV_2D", (1, 10, 10, 4),
                        lambda: pruned_model(conv, (2, 1), 20)),
        compressed_spec("op_decode_prune_float_fully_connected", f"TFLM_DECODE (pruning) of {float_fc}'s "
                        "float weights, values within 0.1 of zero pruned", "FULLY_CONNECTED", (1, 48),
                        lambda: pruned_model(float_fc, (2,), 0.1), float_io=True),
    ]
