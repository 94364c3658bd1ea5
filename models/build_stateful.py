"""Models with state: SVDF micro-models, an SVDF keyword-spotting model, and resource
variables (a `tf.Variable` assigned and read in a `tf.function`).

No converter emits SVDF from Keras, so these flatbuffers are written directly with
TensorFlow's TFLite schema (object API), quantized the way TFLite's full-integer SVDF
expects: int8 input, weights_feature and output; int16 weights_time and activation
state (a variable tensor, zero point 0); int32 bias with scale state * weights_time.
Scales are calibrated by running the float model over seeded input sequences, so the
integer model's state and outputs use their types' ranges as a trained one would.
SVDF layers carry a fused RELU, the only activation TFLite's integer SVDF accepts; its
output range then starts at 0 (zero point -128), so TFLM's kernel, which ignores the
activation and clamps to int8, computes the same.
The weights are seeded random (the numbers mean nothing; their statistics are what
the kernels see in a real model).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from build_models import Graph, GraphInput, ModelSpec, Sampler
from inspect_models import ModelExpectations, OpExpectation

CALIBRATION_SEQUENCES = 8
CALIBRATION_STEPS = 40


@dataclasses.dataclass(frozen=True)
class SvdfLayer:
    units: int
    rank: int
    memory: int


@dataclasses.dataclass(frozen=True)
class StatefulNet:
    """SVDF layers, then optionally a FULLY_CONNECTED classifier with SOFTMAX."""
    batches: int
    inputs: int
    layers: tuple[SvdfLayer, ...]
    classes: int = 0


def smooth_frames(rng: np.random.Generator, steps: int, shape: tuple[int, ...]) -> np.ndarray:
    """Feature frames that drift over time, like consecutive audio features."""
    frames = np.empty((steps, *shape), np.float32)
    current = rng.uniform(-1, 1, shape)
    for step in range(steps):
        current = 0.8 * current + 0.2 * rng.uniform(-1, 1, shape)
        frames[step] = current
    return frames


def frame_sampler(shape: tuple[int, ...]) -> Sampler:
    return lambda rng: smooth_frames(rng, 1, shape)[0]


class _Writer:
    """A TFLite flatbuffer being written: tensors, buffers, operators of one subgraph."""

    def __init__(self) -> None:
        self.model = schema.ModelT()
        self.model.version = 3
        self.model.description = "rules_tinyml stateful model (build_stateful.py)"
        self.model.buffers = [schema.BufferT()]
        self.model.operatorCodes = []
        self.graph = schema.SubGraphT()
        self.graph.name = "main"
        self.graph.tensors, self.graph.operators = [], []

    def tensor(self, name: str, shape: tuple[int, ...], dtype: int, scale: float, zero_point: int = 0,
               data: np.ndarray | None = None, variable: bool = False) -> int:
        tensor = schema.TensorT()
        tensor.name, tensor.shape, tensor.type = name, list(shape), dtype
        tensor.quantization = schema.QuantizationParametersT()
        tensor.quantization.scale = [float(np.float32(scale))]
        tensor.quantization.zeroPoint = [int(zero_point)]
        tensor.isVariable = variable
        tensor.buffer = 0
        if data is not None:
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            self.model.buffers.append(buffer)
            tensor.buffer = len(self.model.buffers) - 1
        self.graph.tensors.append(tensor)
        return len(self.graph.tensors) - 1

    def op(self, code: int, inputs: list[int], outputs: list[int], options_type: int = 0,
           options: object = None) -> None:
        codes = [c.builtinCode for c in self.model.operatorCodes]
        if code not in codes:
            opcode = schema.OperatorCodeT()
            opcode.builtinCode, opcode.deprecatedBuiltinCode, opcode.version = code, min(code, 127), 1
            self.model.operatorCodes.append(opcode)
            codes.append(code)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = codes.index(code), inputs, outputs
        op.builtinOptionsType, op.builtinOptions = options_type, options
        self.graph.operators.append(op)

    def finish(self, inputs: list[int], outputs: list[int]) -> bytes:
        self.graph.inputs, self.graph.outputs = inputs, outputs
        self.model.subgraphs = [self.graph]
        builder = flatbuffers.Builder(1 << 16)
        builder.Finish(self.model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def _int8_range(low: float, high: float) -> tuple[float, int]:
    """TFLite's asymmetric int8 (scale, zero point) covering [low, high] (and 0)."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = max(high - low, 1e-6) / 255.0
    return scale, int(np.clip(round(-128 - low / scale), -128, 127))


def _symmetric(values: np.ndarray, bits: int) -> tuple[float, np.ndarray]:
    limit = (1 << (bits - 1)) - 1
    scale = float(np.max(np.abs(values))) / limit
    dtype = np.int8 if bits == 8 else np.int16
    return scale, np.clip(np.round(values / scale), -limit, limit).astype(dtype)


def build_stateful(net: StatefulNet, rng: np.random.Generator) -> bytes:
    """The quantized flatbuffer of `net` with seeded weights, calibrated on seeded sequences."""
    weights = []
    width = net.inputs
    for layer in net.layers:
        filters = layer.units * layer.rank
        weights.append((
            rng.normal(0, 1 / np.sqrt(width), (filters, width)),
            rng.normal(0, 1 / np.sqrt(layer.memory * layer.rank), (filters, layer.memory)),
            rng.normal(0, 0.1, layer.units),
        ))
        width = layer.units
    head = (rng.normal(0, 1 / np.sqrt(width), (net.classes, width)), rng.normal(0, 0.1, net.classes))

    # Float calibration: every tensor's range over seeded sequences, state carried along.
    ranges: dict[str, list[float]] = {}

    def observe(name: str, value: np.ndarray) -> None:
        low, high = ranges.setdefault(name, [0.0, 0.0])
        ranges[name] = [min(low, float(value.min())), max(high, float(value.max()))]

    for _ in range(CALIBRATION_SEQUENCES):
        frames = smooth_frames(rng, CALIBRATION_STEPS, (net.batches, net.inputs))
        states = [np.zeros((net.batches, l.units * l.rank, l.memory)) for l in net.layers]
        for frame in frames:
            observe("input", frame)
            x = frame
            for index, (layer, (w_feature, w_time, bias), state) in enumerate(zip(net.layers, weights, states)):
                state[:, :, :-1] = state[:, :, 1:]
                state[:, :, -1] = x @ w_feature.T
                observe(f"state{index}", state[:, :, -1])
                x = (state * w_time).sum(-1).reshape(net.batches, layer.units, layer.rank).sum(-1) + bias
                x = np.maximum(x, 0.0)
                observe(f"svdf{index}", x)
            if net.classes:
                observe("logits", x @ head[0].T + head[1])

    writer = _Writer()
    in_scale, in_zero = _int8_range(*ranges["input"])
    current = writer.tensor("input", (net.batches, net.inputs), schema.TensorType.INT8, in_scale, in_zero)
    width = net.inputs
    for index, (layer, (w_feature, w_time, bias)) in enumerate(zip(net.layers, weights)):
        filters = layer.units * layer.rank
        feature_scale, feature_q = _symmetric(w_feature, 8)
        time_scale, time_q = _symmetric(w_time, 16)
        state_scale = max(abs(v) for v in ranges[f"state{index}"]) / 32767
        bias_scale = float(np.float32(state_scale) * np.float32(time_scale))
        out_scale, out_zero = _int8_range(*ranges[f"svdf{index}"])
        prefix = f"svdf{index}"
        inputs = [
            current,
            writer.tensor(f"{prefix}/weights_feature", (filters, width), schema.TensorType.INT8,
                          feature_scale, data=feature_q),
            writer.tensor(f"{prefix}/weights_time", (filters, layer.memory), schema.TensorType.INT16,
                          time_scale, data=time_q),
            writer.tensor(f"{prefix}/bias", (layer.units,), schema.TensorType.INT32, bias_scale,
                          data=np.round(bias / bias_scale).astype(np.int32)),
            writer.tensor(f"{prefix}/state", (net.batches, layer.memory * filters), schema.TensorType.INT16,
                          state_scale, variable=True),
        ]
        current_scale, current_zero = out_scale, out_zero
        output = writer.tensor(f"{prefix}/output", (net.batches, layer.units), schema.TensorType.INT8,
                               out_scale, out_zero)
        options = schema.SVDFOptionsT()
        options.rank = layer.rank
        options.fusedActivationFunction = schema.ActivationFunctionType.RELU
        writer.op(schema.BuiltinOperator.SVDF, inputs, [output], schema.BuiltinOptions.SVDFOptions, options)
        current, width = output, layer.units
    if net.classes:
        head_scale, head_q = _symmetric(head[0], 8)
        bias_scale = float(np.float32(current_scale) * np.float32(head_scale))
        logits_scale, logits_zero = _int8_range(*ranges["logits"])
        fc_inputs = [
            current,
            writer.tensor("classifier/weights", (net.classes, width), schema.TensorType.INT8, head_scale,
                          data=head_q),
            writer.tensor("classifier/bias", (net.classes,), schema.TensorType.INT32, bias_scale,
                          data=np.round(head[1] / bias_scale).astype(np.int32)),
        ]
        logits = writer.tensor("logits", (net.batches, net.classes), schema.TensorType.INT8,
                               logits_scale, logits_zero)
        writer.op(schema.BuiltinOperator.FULLY_CONNECTED, fc_inputs, [logits],
                  schema.BuiltinOptions.FullyConnectedOptions, schema.FullyConnectedOptionsT())
        probs = writer.tensor("probabilities", (net.batches, net.classes), schema.TensorType.INT8,
                              1 / 256, -128)
        softmax = schema.SoftmaxOptionsT()
        softmax.beta = 1.0
        writer.op(schema.BuiltinOperator.SOFTMAX, [logits], [probs], schema.BuiltinOptions.SoftmaxOptions,
                  softmax)
        current = probs
    return writer.finish([0], [current])


def stateful_spec(name: str, description: str, net: StatefulNet, micro: bool) -> ModelSpec:
    required = [OpExpectation("SVDF")]
    if net.classes:
        required += [OpExpectation("FULLY_CONNECTED"), OpExpectation("SOFTMAX")]
    shape = (net.batches, net.inputs)
    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(shape, frame_sampler(shape))])
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=tuple(required), only_required_ops=micro),
        flatbuffer=lambda rng: build_stateful(net, rng))


class RunningMeanFeatures(tf.Module):
    """Subtracts a running mean of its input frames (kept in a `tf.Variable`, updated
    every call), then a dense layer: the converter emits VAR_HANDLE, READ_VARIABLE and
    ASSIGN_VARIABLE, and CALL_ONCE with an init subgraph assigning the initial mean."""

    def __init__(self, rng: np.random.Generator, width: int, units: int) -> None:
        super().__init__()
        self.mean = tf.Variable(rng.uniform(-0.2, 0.2, (1, width)).astype(np.float32))
        self.weights = tf.constant(rng.normal(0, 1 / np.sqrt(width), (width, units)).astype(np.float32))
        self.bias = tf.constant(rng.normal(0, 0.1, units).astype(np.float32))

    def __call__(self, frame: tf.Tensor) -> tf.Tensor:
        self.mean.assign(self.mean * 0.875 + frame * 0.125)
        return tf.nn.relu(tf.matmul(frame - self.mean.read_value(), self.weights) + self.bias)


def convert_with_variables(module: RunningMeanFeatures, shape: tuple[int, ...],
                           rng: np.random.Generator) -> bytes:
    """Full-integer conversion keeping the variables (convert() freezes them into
    constants); the converter keeps a variable in float, with QUANTIZE/DEQUANTIZE around."""
    function = tf.function(module.__call__, input_signature=[tf.TensorSpec(shape, tf.float32)],
                           autograph=False)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], module)
    calibration = [[sample] for sample in smooth_frames(rng, 64, shape)]
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter(calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def variable_spec() -> ModelSpec:
    shape = (1, 16)
    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(shape, frame_sampler(shape))])
    required = tuple(OpExpectation(op) for op in
                     ("CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "FULLY_CONNECTED"))
    return ModelSpec(
        "resource_variable_running_mean",
        "tf.Variable running mean of 16 features (CALL_ONCE init, READ/ASSIGN_VARIABLE), "
        "subtracted before a dense 16 -> 8 ReLU",
        build,
        # The converter keeps the variable in float32 between QUANTIZE and DEQUANTIZE.
        ModelExpectations(required_ops=required, integer_only=False, subgraphs=2),
        flatbuffer=lambda rng: convert_with_variables(RunningMeanFeatures(rng, 16, 8), shape, rng))


def stateful_models() -> list[ModelSpec]:
    return [
        stateful_spec("op_svdf_rank1", "SVDF rank 1, 8 units, memory 10, int16 state",
                      StatefulNet(1, 16, (SvdfLayer(8, 1, 10),)), micro=True),
        stateful_spec("op_svdf_rank2_batch2", "SVDF rank 2, 2 batches, then a rank-1 SVDF",
                      StatefulNet(2, 12, (SvdfLayer(6, 2, 5), SvdfLayer(4, 1, 3))), micro=True),
        stateful_spec("svdf_kws", "SVDF keyword spotting (TFLM's SVDF-era streaming KWS): "
                      "40 features/frame, SVDF 128 units mem 32, SVDF 64 units rank 2 mem 16, FC 12, softmax",
                      StatefulNet(1, 40, (SvdfLayer(128, 1, 32), SvdfLayer(64, 2, 16)), classes=12),
                      micro=False),
        variable_spec(),
    ]
