"""LSTM models: UNIDIRECTIONAL_SEQUENCE_LSTM micro-models per variant TFLM's integer
kernel runs (8x8->16 and 16x8->16, batch- and time-major, with and without cell clip)
and a keyword-spotting LSTM of realistic size.

TF 2.19's converter does not emit them from Keras 3: a Keras LSTM lowers to a WHILE
loop over resource variables (via `from_concrete_functions`, which then fails to
calibrate) or the converter segfaults (`from_keras_model`, int8 and 16x8 alike). So
the flatbuffers are written directly, quantized as TFLite's quantizer does an LSTM:
input, hidden state and output share asymmetric int8 (or symmetric int16) ranges
calibrated on the float model; weights symmetric int8 per tensor; each gate's bias
int32 (int64 for 16x8) at input scale x input-weights scale; the cell state int16 at
the power-of-two scale covering its range. Every LSTM carries the
converter's five intermediates (the four gates' Q3.12 and the hidden state's), which
TFLite requires and TFLM's kernel does not read. Weights are seeded random; the hidden and cell states
are variable tensors, carried from one inference to the next.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema

from build_models import Graph, GraphInput, ModelSpec
from build_stateful import _int8_range, _symmetric, _Writer, frame_sampler, smooth_frames
from inspect_models import ModelExpectations, OpExpectation

CALIBRATION_SEQUENCES = 6
GATES = ("input", "forget", "cell", "output")


@dataclasses.dataclass(frozen=True)
class LstmNet:
    """LSTM layers (each returning its whole sequence), then optionally the last step's
    hidden state through a FULLY_CONNECTED classifier with SOFTMAX (int8 only)."""
    batches: int
    time_steps: int
    inputs: int
    units: tuple[int, ...]
    time_major: bool = False
    int16: bool = False
    cell_clip: float = 0.0
    classes: int = 0
    float32: bool = False

    @property
    def input_shape(self) -> tuple[int, int, int]:
        if self.time_major:
            return (self.time_steps, self.batches, self.inputs)
        return (self.batches, self.time_steps, self.inputs)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _activation_quant(net: LstmNet, low: float, high: float) -> tuple[float, int]:
    if net.int16:
        return max(abs(low), abs(high), 1e-6) / 32767, 0
    return _int8_range(low, high)


def _index_tensor(writer: _Writer, name: str, values: list[int]) -> int:
    """A constant int32 operand (no quantization)."""
    tensor = writer.tensor(name, (len(values),), schema.TensorType.INT32, 1.0, data=np.array(values, np.int32))
    writer.graph.tensors[tensor].quantization = None
    return tensor


def _seeded_layers(net: LstmNet, rng: np.random.Generator) -> list[dict[str, list[np.ndarray]]]:
    layers = []
    width = net.inputs
    for units in net.units:
        layers.append({
            "input": [rng.normal(0, 1 / np.sqrt(width), (units, width)) for _ in GATES],
            "recurrent": [rng.normal(0, 1 / np.sqrt(units), (units, units)) for _ in GATES],
            # Keras initialises the forget bias to 1.
            "bias": [rng.normal(1.0 if gate == "forget" else 0.0, 0.1, units) for gate in GATES],
        })
        width = units
    return layers


def _float_tensor(writer: _Writer, name: str, shape: tuple[int, ...], data: np.ndarray | None = None,
                  variable: bool = False) -> int:
    """A FLOAT32 tensor without quantization."""
    tensor = writer.tensor(name, shape, schema.TensorType.FLOAT32, 1.0, variable=variable,
                           data=None if data is None else data.astype(np.float32))
    writer.graph.tensors[tensor].quantization = None
    return tensor


def build_float_lstm(net: LstmNet, rng: np.random.Generator) -> bytes:
    """The float32 flatbuffer of `net` (LSTM layers only) with seeded weights."""
    assert not net.classes
    writer = _Writer()
    current = _float_tensor(writer, "input", net.input_shape)
    for index, layer in enumerate(_seeded_layers(net, rng)):
        prefix, units = f"lstm{index}", len(layer["bias"][0])
        inputs = [current]
        for role in ("input", "recurrent"):
            inputs += [_float_tensor(writer, f"{prefix}/{role}_to_{gate}", weights.shape, weights)
                       for gate, weights in zip(GATES, layer[role])]
        inputs += [-1, -1, -1]  # no peephole
        inputs += [_float_tensor(writer, f"{prefix}/{gate}_bias", (units,), bias)
                   for gate, bias in zip(GATES, layer["bias"])]
        inputs += [-1, -1]  # no projection
        inputs += [_float_tensor(writer, f"{prefix}/{state}_state", (net.batches, units), variable=True)
                   for state in ("hidden", "cell")]
        inputs += [-1, -1, -1, -1]  # no layer norm
        current = _float_tensor(writer, f"{prefix}/output", (*net.input_shape[:2], units))
        writer.op(schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [current],
                  schema.BuiltinOptions.UnidirectionalSequenceLSTMOptions, _options(net))
    return writer.finish([0], [current])


def _options(net: LstmNet) -> schema.UnidirectionalSequenceLSTMOptionsT:
    options = schema.UnidirectionalSequenceLSTMOptionsT()
    options.fusedActivationFunction = schema.ActivationFunctionType.TANH
    options.cellClip = net.cell_clip
    options.timeMajor = net.time_major
    return options


def build_lstm(net: LstmNet, rng: np.random.Generator) -> bytes:
    """The quantized flatbuffer of `net` with seeded weights, calibrated on seeded sequences."""
    layers = _seeded_layers(net, rng)
    width = net.units[-1]
    head = (rng.normal(0, 1 / np.sqrt(width), (net.classes, width)), rng.normal(0, 0.1, net.classes))

    ranges: dict[str, list[float]] = {}

    def observe(name: str, value: np.ndarray) -> None:
        low, high = ranges.setdefault(name, [0.0, 0.0])
        ranges[name] = [min(low, float(value.min())), max(high, float(value.max()))]

    # The float model over consecutive inferences, its state carried along.
    states = [(np.zeros((net.batches, u)), np.zeros((net.batches, u))) for u in net.units]
    for _ in range(CALIBRATION_SEQUENCES):
        x = smooth_frames(rng, net.time_steps, (net.batches, net.inputs))  # [T, B, F]
        observe("input", x)
        for index, layer in enumerate(layers):
            hidden, cell = states[index]
            outputs = []
            for frame in x:
                gate = [frame @ wi.T + hidden @ wr.T + b
                        for wi, wr, b in zip(layer["input"], layer["recurrent"], layer["bias"])]
                cell = _sigmoid(gate[1]) * cell + _sigmoid(gate[0]) * np.tanh(gate[2])
                if net.cell_clip > 0:
                    cell = np.clip(cell, -net.cell_clip, net.cell_clip)
                hidden = _sigmoid(gate[3]) * np.tanh(cell)
                observe(f"cell{index}", cell)
                outputs.append(hidden)
            states[index] = (hidden, cell)
            x = np.stack(outputs)
            observe(f"hidden{index}", x)
        if net.classes:
            observe("logits", x[-1] @ head[0].T + head[1])

    dtype = schema.TensorType.INT16 if net.int16 else schema.TensorType.INT8
    bias_type, bias_dtype = ((schema.TensorType.INT64, np.int64) if net.int16
                             else (schema.TensorType.INT32, np.int32))
    writer = _Writer()
    scale, zero = _activation_quant(net, *ranges["input"])
    current = writer.tensor("input", net.input_shape, dtype, scale, zero)
    current_scale = scale
    width = net.inputs
    for index, (units, layer) in enumerate(zip(net.units, layers)):
        prefix = f"lstm{index}"
        inputs = [current]
        input_scales = []
        for gate, weights in zip(GATES, layer["input"]):
            w_scale, w_q = _symmetric(weights, 8)
            input_scales.append(w_scale)
            inputs.append(writer.tensor(f"{prefix}/input_to_{gate}", (units, width), schema.TensorType.INT8,
                                        w_scale, data=w_q))
        for gate, weights in zip(GATES, layer["recurrent"]):
            w_scale, w_q = _symmetric(weights, 8)
            inputs.append(writer.tensor(f"{prefix}/recurrent_to_{gate}", (units, units),
                                        schema.TensorType.INT8, w_scale, data=w_q))
        inputs += [-1, -1, -1]  # no peephole
        for gate, bias, w_scale in zip(GATES, layer["bias"], input_scales):
            bias_scale = float(np.float32(current_scale) * np.float32(w_scale))
            inputs.append(writer.tensor(f"{prefix}/{gate}_bias", (units,), bias_type, bias_scale,
                                        data=np.round(bias / bias_scale).astype(bias_dtype)))
        inputs += [-1, -1]  # no projection
        hidden_scale, hidden_zero = _activation_quant(net, *ranges[f"hidden{index}"])
        cell_bound = max(abs(v) for v in ranges[f"cell{index}"])
        cell_scale = 2.0 ** math.ceil(math.log2(max(cell_bound, 1e-3))) / 32768
        inputs.append(writer.tensor(f"{prefix}/hidden_state", (net.batches, units), dtype, hidden_scale,
                                    hidden_zero, variable=True))
        inputs.append(writer.tensor(f"{prefix}/cell_state", (net.batches, units), schema.TensorType.INT16,
                                    cell_scale, variable=True))
        inputs += [-1, -1, -1, -1]  # no layer norm
        output_shape = (*net.input_shape[:2], units)
        output = writer.tensor(f"{prefix}/output", output_shape, dtype, hidden_scale, hidden_zero)
        writer.op(schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [output],
                  schema.BuiltinOptions.UnidirectionalSequenceLSTMOptions, _options(net))
        # TFLite requires the five (TFLM's kernel reads none); empty, as TFLM allocates none.
        writer.graph.operators[-1].intermediates = [
            writer.tensor(f"{prefix}/intermediate_{gate}", (0,), schema.TensorType.INT16, 2.0**-12)
            for gate in GATES
        ] + [writer.tensor(f"{prefix}/intermediate_hidden", (0,), dtype, hidden_scale, hidden_zero)]
        current, current_scale, width = output, hidden_scale, units
    if net.classes:
        assert not net.int16 and not net.time_major and net.batches == 1
        last = writer.tensor("last_step", (1, width), dtype, current_scale, hidden_zero)
        slice_inputs = [current] + [
            _index_tensor(writer, f"slice/{name}", values)
            for name, values in (("begin", [0, net.time_steps - 1, 0]), ("end", [1, net.time_steps, width]),
                                 ("strides", [1, 1, 1]))
        ]
        slice_options = schema.StridedSliceOptionsT()
        slice_options.shrinkAxisMask = 2
        writer.op(schema.BuiltinOperator.STRIDED_SLICE, slice_inputs, [last],
                  schema.BuiltinOptions.StridedSliceOptions, slice_options)
        head_scale, head_q = _symmetric(head[0], 8)
        bias_scale = float(np.float32(current_scale) * np.float32(head_scale))
        logits_scale, logits_zero = _int8_range(*ranges["logits"])
        fc_inputs = [
            last,
            writer.tensor("classifier/weights", (net.classes, width), dtype, head_scale, data=head_q),
            writer.tensor("classifier/bias", (net.classes,), schema.TensorType.INT32, bias_scale,
                          data=np.round(head[1] / bias_scale).astype(np.int32)),
        ]
        logits = writer.tensor("logits", (1, net.classes), dtype, logits_scale, logits_zero)
        writer.op(schema.BuiltinOperator.FULLY_CONNECTED, fc_inputs, [logits],
                  schema.BuiltinOptions.FullyConnectedOptions, schema.FullyConnectedOptionsT())
        current = writer.tensor("probabilities", (1, net.classes), dtype, 1 / 256, -128)
        softmax = schema.SoftmaxOptionsT()
        softmax.beta = 1.0
        writer.op(schema.BuiltinOperator.SOFTMAX, [logits], [current], schema.BuiltinOptions.SoftmaxOptions,
                  softmax)
    return writer.finish([0], [current])


def lstm_spec(name: str, description: str, net: LstmNet) -> ModelSpec:
    required = [OpExpectation("UNIDIRECTIONAL_SEQUENCE_LSTM")]
    if net.classes:
        required += [OpExpectation(op) for op in ("STRIDED_SLICE", "FULLY_CONNECTED", "SOFTMAX")]
    shape = net.input_shape
    dtype = "FLOAT32" if net.float32 else "INT16" if net.int16 else "INT8"
    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(shape, frame_sampler(shape))])
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=tuple(required), only_required_ops=not net.classes,
                          input_dtype=dtype, output_dtype=dtype, integer_only=not net.float32),
        flatbuffer=lambda rng: (build_float_lstm if net.float32 else build_lstm)(net, rng),
        tflite_unsupported="TFLite runs no 16x8 LSTM; checked against TFLM" if net.int16 else None)


def lstm_models() -> list[ModelSpec]:
    return [
        lstm_spec("op_lstm_int8", "LSTM 8x8->16: 4 steps of 3 features, 4 units", LstmNet(1, 4, 3, (4,))),
        lstm_spec("op_lstm_int8_time_major_batch2_clip", "LSTM 8x8->16, time-major, 2 sequences of 3 steps, "
                  "5 features, 6 units, cell clip 0.5", LstmNet(2, 3, 5, (6,), time_major=True, cell_clip=0.5)),
        lstm_spec("op_lstm_int8_batch3", "LSTM 8x8->16, 3 sequences of 2 steps, then a second LSTM",
                  LstmNet(3, 2, 4, (5, 3))),
        lstm_spec("op_lstm_16x8", "LSTM 16x8->16: 5 steps of 4 features, 5 units, int64 bias",
                  LstmNet(1, 5, 4, (5,), int16=True)),
        lstm_spec("op_lstm_16x8_time_major_batch2_clip", "LSTM 16x8->16, time-major, 2 sequences of 3 steps, "
                  "cell clip 0.75", LstmNet(2, 3, 4, (4,), time_major=True, int16=True, cell_clip=0.75)),
        lstm_spec("lstm_kws", "LSTM keyword spotting: 49 frames of 10 features, two 64-unit LSTMs, "
                  "the last step through FC 12 and softmax", LstmNet(1, 49, 10, (64, 64), classes=12)),
        lstm_spec("op_lstm_float", "LSTM float32: 2 sequences of 5 steps, 3 features, 4 units, cell clip 0.5, "
                  "then a second LSTM of 3 units", LstmNet(2, 5, 3, (4, 3), cell_clip=0.5, float32=True)),
    ]
