"""Micro-models of operators no converter emits: TFLM's CIRCULAR_BUFFER custom operator
and a float32 ZEROS_LIKE of a run-time input (the converter folds every ZEROS_LIKE).

`op_circular_buffer` is shaped like TFLM's streaming keyword models: a 1x1 CONV_2D turns
each input frame into features, a CIRCULAR_BUFFER keeps the last frames of them (its
output a variable tensor, as the frames persist across inferences) and a FULLY_CONNECTED
reads them; a second buffer keeps that layer's last outputs for the classifier. The
buffers let every second (first buffer) and every third of those (second buffer)
inference complete; TFLM ends the others early (kTfLiteAbort). The flatbuffers are
written directly, weights seeded and quantized symmetric per tensor.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema

from build_models import Graph, GraphInput, ModelSpec
from build_signal import _SignalWriter
from inspect_models import ModelExpectations, OpExpectation

FRAME = 10
"""Input values per frame."""
FEATURES = 8
"""The convolution's channels: the first buffer's frame."""
SLOTS, SECOND_SLOTS = 4, 3
HIDDEN, CLASSES = 6, 4
ACTIVATION_SCALE = 0.05


def _int8_sampler(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.integers(-128, 128, shape).astype(np.int8)


def _weights(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[float, np.ndarray]:
    scale = 1 / (127 * np.sqrt(np.prod(shape[1:])))
    return float(np.float32(scale)), rng.integers(-127, 128, shape).astype(np.int8)


def _activation(writer: _SignalWriter, name: str, shape: tuple[int, ...], zero_point: int = 0,
                variable: bool = False) -> int:
    return writer.tensor(name, shape, schema.TensorType.INT8, ACTIVATION_SCALE, zero_point, variable=variable)


def _weighted(writer: _SignalWriter, rng: np.random.Generator, code: int, source: int, name: str,
              weight_shape: tuple[int, ...], output_shape: tuple[int, ...], options_type: int,
              options: object) -> int:
    scale, weights = _weights(rng, weight_shape)
    w = writer.tensor(f"{name}_weights", weight_shape, schema.TensorType.INT8, scale, data=weights)
    bias_scale = float(np.float32(ACTIVATION_SCALE) * np.float32(scale))
    b = writer.tensor(f"{name}_bias", (weight_shape[0],), schema.TensorType.INT32, bias_scale,
                      data=rng.integers(-2000, 2000, weight_shape[0]).astype("<i4"))
    out = _activation(writer, name, output_shape, zero_point=-3)
    writer.op(code, [source, w, b], [out], options_type, options)
    return out


def _reshape(writer: _SignalWriter, source: int, name: str, shape: tuple[int, ...]) -> int:
    out = _activation(writer, name, shape, zero_point=-3)
    options = schema.ReshapeOptionsT()
    options.newShape = list(shape)
    writer.op(schema.BuiltinOperator.RESHAPE, [source], [out], schema.BuiltinOptions.ReshapeOptions, options)
    return out


def _buffer(writer: _SignalWriter, source: int, name: str, slots: int, depth: int, cycles_max: int) -> int:
    history = _activation(writer, name, (1, slots, 1, depth), zero_point=-3, variable=True)
    writer.custom("CIRCULAR_BUFFER", [source], [history], {"cycles_max": cycles_max})
    return history


def circular_buffer_model(rng: np.random.Generator) -> bytes:
    writer = _SignalWriter()
    frame = _activation(writer, "frame", (1, 1, 1, FRAME))
    conv = schema.Conv2DOptionsT()
    conv.padding, conv.strideW, conv.strideH = schema.Padding.VALID, 1, 1
    conv.fusedActivationFunction = schema.ActivationFunctionType.RELU
    features = _weighted(writer, rng, schema.BuiltinOperator.CONV_2D, frame, "features",
                         (FEATURES, 1, 1, FRAME), (1, 1, 1, FEATURES), schema.BuiltinOptions.Conv2DOptions, conv)
    history = _buffer(writer, features, "feature_history", SLOTS, FEATURES, cycles_max=2)
    flat = _reshape(writer, history, "feature_history_flat", (1, SLOTS * FEATURES))
    dense = schema.FullyConnectedOptionsT()
    dense.fusedActivationFunction = schema.ActivationFunctionType.RELU
    hidden = _weighted(writer, rng, schema.BuiltinOperator.FULLY_CONNECTED, flat, "hidden",
                       (HIDDEN, SLOTS * FEATURES), (1, HIDDEN), schema.BuiltinOptions.FullyConnectedOptions, dense)
    hidden_frame = _reshape(writer, hidden, "hidden_frame", (1, 1, 1, HIDDEN))
    hidden_history = _buffer(writer, hidden_frame, "hidden_history", SECOND_SLOTS, HIDDEN, cycles_max=3)
    hidden_flat = _reshape(writer, hidden_history, "hidden_history_flat", (1, SECOND_SLOTS * HIDDEN))
    logits = _weighted(writer, rng, schema.BuiltinOperator.FULLY_CONNECTED, hidden_flat, "logits",
                       (CLASSES, SECOND_SLOTS * HIDDEN), (1, CLASSES), schema.BuiltinOptions.FullyConnectedOptions,
                       schema.FullyConnectedOptionsT())
    return writer.finish([frame], [logits])


def float_zeros_like_model() -> bytes:
    """ZEROS_LIKE of a float32 input x as an output of its own, and added to NEG(x)."""
    writer = _SignalWriter()
    shape = (2, 3, 4)

    def tensor(name: str) -> int:
        return writer.tensor_int(name, shape, schema.TensorType.FLOAT32)

    x, zeros, folded, negated, total = (tensor(n) for n in ("x", "zeros", "folded_zeros", "negated", "total"))
    writer.op(schema.BuiltinOperator.ZEROS_LIKE, [x], [zeros])
    writer.op(schema.BuiltinOperator.ZEROS_LIKE, [x], [folded])
    writer.op(schema.BuiltinOperator.NEG, [x], [negated])
    writer.op(schema.BuiltinOperator.ADD, [folded, negated], [total], schema.BuiltinOptions.AddOptions,
              schema.AddOptionsT())
    return writer.finish([x], [zeros, total])


def circular_buffer_models() -> list[ModelSpec]:
    frame_shape = (1, 1, 1, FRAME)
    frames: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(frame_shape, _int8_sampler(frame_shape))])
    float_shape = (2, 3, 4)
    floats: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(
            float_shape, lambda rng: rng.standard_normal(float_shape).astype(np.float32))])
    return [
        ModelSpec(
            "op_circular_buffer",
            "CONV_2D features -> CIRCULAR_BUFFER (4 frames, cycles_max 2) -> FULLY_CONNECTED -> "
            "CIRCULAR_BUFFER (3 frames, cycles_max 3) -> FULLY_CONNECTED: TFLM ends 5 of every 6 "
            "inferences early",
            frames,
            ModelExpectations(
                required_ops=(OpExpectation("CUSTOM(CIRCULAR_BUFFER)"), OpExpectation("CONV_2D"),
                              OpExpectation("FULLY_CONNECTED")),
                only_required_ops=False),
            flatbuffer=circular_buffer_model, tflm_only=True),
        ModelSpec(
            "op_float_zeros_like",
            "float32 ZEROS_LIKE of a run-time input, as an output and added to NEG(x)",
            floats,
            ModelExpectations(
                required_ops=(OpExpectation("ZEROS_LIKE"), OpExpectation("NEG"), OpExpectation("ADD")),
                only_required_ops=True, input_dtype="FLOAT32", output_dtype="FLOAT32",
                output_dtypes=("FLOAT32", "FLOAT32"), integer_only=False),
            flatbuffer=lambda _rng: float_zeros_like_model(), tflm_only=True),
    ]
