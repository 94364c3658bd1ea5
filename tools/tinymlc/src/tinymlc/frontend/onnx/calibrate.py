"""Float ONNX models plus a calibration set -> a QDQ model the frontend lowers.

The float model runs (onnxruntime, optimizations disabled) on every calibration sample
with every float tensor exposed; each activation gets one int8 range, from its minimum
and maximum or from percentiles of its values, widened to contain 0 so that 0 is exact.
Weights (Conv, Gemm, MatMul) are quantized symmetric int8 per output channel, other
float constants of arithmetic operators per tensor; biases stay float (the frontend
quantizes them at input scale x weight scale). Each activation T becomes
producer -> T/float -> QuantizeLinear -> DequantizeLinear -> T, so every reader and graph
output keeps its name: the result is an ordinary QDQ model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

from tinymlc.errors import CompileError

METHODS = ("minmax", "percentile")
PERCENTILE = 99.99
# Probabilities: TFLM's fixed SOFTMAX/LOGISTIC output quantization, exact in its kernels.
_PROBABILITY_OUTPUTS = frozenset({"Softmax", "Sigmoid"})
_PROBABILITY_QUANTIZATION = (1.0 / 256, -128)
# Operators whose float constant inputs are data (quantized per tensor).
_CONSTANT_DATA = frozenset({"Add", "Sub", "Mul", "Concat"})


@dataclass(frozen=True)
class Calibrated:
    model: onnx.ModelProto
    ranges: dict[str, tuple[float, float]]
    """Activation -> the real range its int8 quantization covers."""
    method: str


def load_samples(calibration: str | os.PathLike[str], model: onnx.ModelProto) -> list[dict[str, np.ndarray]]:
    """`calibration`: a directory, whose `.npy` files (sorted by name) are one sample of the
    model's only input each, or those files comma-separated (as Bazel passes them)."""
    source = os.fspath(calibration)
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise CompileError(f"calibration supports models with one input, not {len(inputs)}", source)
    if Path(source).is_dir():
        files = sorted(Path(source).glob("*.npy"))
    else:
        files = [Path(f) for f in source.split(",") if f]
    if not files or any(f.suffix != ".npy" for f in files):
        raise CompileError("calibration needs a directory of .npy files, or .npy files", source)
    samples = []
    for file in files:
        try:
            data = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CompileError(f"cannot read calibration sample: {exc}", str(file)) from exc
        samples.append({inputs[0].name: np.asarray(data, dtype=np.float32)})
    return samples


def _int8_range(low: float, high: float) -> tuple[float, int]:
    """(scale, zero point) of an int8 tensor covering [low, high] (0 included)."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = (high - low) / 255 or 1.0
    zero_point = int(np.clip(np.rint(-128 - low / scale), -128, 127))
    return float(np.float32(scale)), zero_point


def _observed_ranges(
    model: onnx.ModelProto, samples: list[dict[str, np.ndarray]], method: str
) -> dict[str, tuple[float, float]]:
    import onnxruntime  # type: ignore[import-untyped]  # noqa: PLC0415 -- optional dependency

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    declared = {o.name for o in probe.graph.output}
    for node in probe.graph.node:
        for name in node.output:
            if name and name not in declared:
                probe.graph.output.append(helper.make_empty_tensor_value_info(name))
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        session = onnxruntime.InferenceSession(
            probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        names = [o.name for o in session.get_outputs()]
        values: dict[str, list[np.ndarray]] = {}
        for sample in samples:
            for name, value in {**sample, **dict(zip(names, session.run(None, sample), strict=True))}.items():
                if np.asarray(value).dtype == np.float32:
                    values.setdefault(name, []).append(np.asarray(value).reshape(-1))
    except Exception as exc:  # onnxruntime raises its own exception types
        raise CompileError(f"onnxruntime cannot run the float model on the calibration set: {exc}") from exc
    ranges = {}
    for name, arrays in values.items():
        joined = np.concatenate(arrays)
        if method == "percentile":
            low, high = np.percentile(joined, [100 - PERCENTILE, PERCENTILE])
        else:
            low, high = joined.min(initial=0.0), joined.max(initial=0.0)
        ranges[name] = (float(low), float(high))
    return ranges


def _weight_axis(node: onnx.NodeProto, weight: np.ndarray) -> int:
    """The output-channel axis of a Conv, Gemm or MatMul weight."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return weight.ndim - 1


def _symmetric_per_channel(weight: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    reduce_axes = tuple(a for a in range(weight.ndim) if a != axis)
    scales = np.abs(weight).max(axis=reduce_axes) / 127
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    shape = [1] * weight.ndim
    shape[axis] = -1
    values = np.clip(np.rint(weight / scales.reshape(shape)), -127, 127).astype(np.int8)
    return values, scales


def calibrate(model: onnx.ModelProto, samples: list[dict[str, np.ndarray]], method: str) -> Calibrated:
    if method not in METHODS:
        raise CompileError(f"calibration method {method!r} is not one of {', '.join(METHODS)}")
    observed = _observed_ranges(model, samples, method)
    graph = model.graph
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    new_initializers: list[onnx.TensorProto] = [
        i for i in graph.initializer if initializers[i.name].dtype != np.float32
    ]
    quantized_constants: set[str] = set()
    nodes: list[onnx.NodeProto] = []
    ranges: dict[str, tuple[float, float]] = {}

    def constant(name: str, value: npt.ArrayLike) -> str:
        new_initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def quantize_activation(name: str, source: str, target: str, quantization: tuple[float, int]) -> None:
        """Activation `name`: QuantizeLinear -> DequantizeLinear from `source` to `target`."""
        scale, zero_point = quantization
        ranges[name] = (scale * (-128 - zero_point), scale * (127 - zero_point))
        s = constant(f"{target}/scale", np.float32(scale))
        z = constant(f"{target}/zero_point", np.int8(zero_point))
        nodes.append(helper.make_node("QuantizeLinear", [source, s, z], [f"{target}/quantized"]))
        nodes.append(helper.make_node("DequantizeLinear", [f"{target}/quantized", s, z], [target]))

    def weight_input(node: onnx.NodeProto, index: int, name: str) -> str:
        value = initializers[name]
        if (node.op_type in ("Conv", "Gemm", "MatMul") and index == 1) and value.ndim >= 2:
            values, scales = _symmetric_per_channel(value, _weight_axis(node, value))
            key = f"{name}/per_channel/{_weight_axis(node, value)}"
            if key not in quantized_constants:
                q = constant(f"{key}/values", values)
                s = constant(f"{key}/scales", scales)
                z = constant(f"{key}/zero_points", np.zeros(scales.shape, np.int8))
                axis = _weight_axis(node, value)
                nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [key], axis=axis))
                quantized_constants.add(key)
            return key
        if node.op_type in _CONSTANT_DATA or (node.op_type in ("Gemm", "MatMul") and index == 0):
            key = f"{name}/per_tensor"
            if key not in quantized_constants:
                scale, zero_point = _int8_range(float(value.min(initial=0.0)), float(value.max(initial=0.0)))
                values = np.clip(np.rint(value / scale) + zero_point, -128, 127).astype(np.int8)
                q = constant(f"{key}/values", values)
                s = constant(f"{key}/scale", np.float32(scale))
                z = constant(f"{key}/zero_point", np.int8(zero_point))
                nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [key]))
                quantized_constants.add(key)
            return key
        if name not in {i.name for i in new_initializers}:
            new_initializers.append(numpy_helper.from_array(value, name))
        return name

    renamed: dict[str, str] = {}
    for value in graph.input:
        if value.name in initializers or value.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            continue
        if value.name not in observed:
            raise CompileError(f"input {value.name!r} has no calibration values")
        quantize_activation(value.name, value.name, f"{value.name}/dq", _int8_range(*observed[value.name]))
        renamed[value.name] = f"{value.name}/dq"
    for node in graph.node:
        rewritten = onnx.NodeProto()
        rewritten.CopyFrom(node)
        del rewritten.input[:]
        for index, name in enumerate(node.input):
            if name in initializers and initializers[name].dtype == np.float32:
                rewritten.input.append(weight_input(node, index, name))
            else:
                rewritten.input.append(renamed.get(name, name))
        pending = []
        for position, name in enumerate(node.output):
            if name in observed:
                quantization = (
                    _PROBABILITY_QUANTIZATION
                    if node.op_type in _PROBABILITY_OUTPUTS
                    else _int8_range(*observed[name])
                )
                rewritten.output[position] = f"{name}/float"
                pending.append((name, quantization))
        nodes.append(rewritten)
        for name, quantization in pending:
            quantize_activation(name, f"{name}/float", name, quantization)
    quantized = helper.make_graph(nodes, graph.name, list(graph.input), list(graph.output), new_initializers)
    result = helper.make_model(quantized, opset_imports=list(model.opset_import))
    result.ir_version = model.ir_version
    return Calibrated(result, ranges, method)


def calibrate_file(
    path: str | os.PathLike[str], calibration: str | os.PathLike[str], method: str
) -> Calibrated:
    source = os.fspath(path)
    try:
        model = onnx.load(source)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise CompileError(f"not a valid ONNX model: {exc}", source) from exc
    return calibrate(model, load_samples(calibration, model), method)
