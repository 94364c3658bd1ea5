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


def _int8_step(step: int, low: int = -128, high: int = 127) -> Binning:
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
        dtype = {schema.TensorType.INT8: np.int8, schema.TensorType.INT32: np.int32,
                 schema.TensorType.FLOAT32: np.float32}[tensor.type]
        if binning is not None:
            values = binning(np.frombuffer(bytes(buffer.data), dtype))
            buffer.data = np.frombuffer(values.tobytes(), np.uint8)
        mode = spec.PerTensor() if axis is None else spec.PerChannel(axis=axis)
        specs.append(spec.Tensor(subgraph=0, tensor=tensor_id,
                                 compression=[spec.LookUpTableCompression(index_bitwidth=bit_width, mode=mode)]))
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(compress(bytes(builder.Output()), specs))


def compressed_spec(name: str, description: str, base: str, op: str, input_shape: tuple[int, ...],
                    tensors: dict[int, tuple[Binning | None, int, int | None]], float_io: bool = False) -> ModelSpec:
    def sample(rng: np.random.Generator) -> np.ndarray:
        if float_io:
            return rng.uniform(-1, 1, input_shape).astype(np.float32)
        return rng.integers(-128, 128, input_shape).astype(np.int8)

    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(input_shape, sample)])
    io = "FLOAT32" if float_io else "INT8"
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=(OpExpectation("CUSTOM(TFLM_DECODE)"), OpExpectation(op)),
                          only_required_ops=True, input_dtype=io, output_dtype=io, integer_only=False),
        flatbuffer=lambda _rng: compressed_model(base, tensors), tflm_only=True)


def compressed_models() -> list[ModelSpec]:
    return [
        compressed_spec("op_decode_lut_conv_2d_per_channel", "TFLM_DECODE of op_conv_2d_3x3_same_relu's "
                        "weights (per output channel, 4-bit indices: TFLM's 16-at-a-time path) and bias "
                        "(per channel, 3-bit)", "op_conv_2d_3x3_same_relu", "CONV_2D", (1, 10, 10, 4),
                        {2: (_int8_step(32), 4, 0), 1: (None, 3, 0)}),
        compressed_spec("op_decode_lut_depthwise_last_axis", "TFLM_DECODE of "
                        "op_depthwise_conv_2d_3x3_same_relu's weights (per channel along the last "
                        "dimension, 3-bit) and bias (2-bit, per channel)",
                        "op_depthwise_conv_2d_3x3_same_relu", "DEPTHWISE_CONV_2D", (1, 10, 10, 8),
                        {2: (_int8_step(40), 3, 3), 1: (lambda b: (b // 4096 * 4096) % 16384, 2, 0)}),
        compressed_spec("op_decode_lut_conv_2d_per_tensor", "TFLM_DECODE of op_conv_2d_3x3_per_tensor_relu's "
                        "weights (one 32-entry table, 5-bit) and bias (3-bit)",
                        "op_conv_2d_3x3_per_tensor_relu", "CONV_2D", (1, 10, 10, 4),
                        {2: (_int8_step(8, -128, 120), 5, None), 1: (None, 3, None)}),
        compressed_spec("op_decode_lut_float_fully_connected", "TFLM_DECODE of "
                        "op_float_fully_connected_relu's float weights (quarters in [-1, 0.75], 3-bit) "
                        "and bias (4-bit)", "op_float_fully_connected_relu", "FULLY_CONNECTED", (1, 48),
                        {2: (_float_quarters, 3, None), 1: (None, 4, None)}, float_io=True),
    ]
