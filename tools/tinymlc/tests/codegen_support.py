"""Compile a model with tinymlc, build it with rustc and compare with TFLM.

The runtime rlibs are cached by `hostbuild` (keyed by the runtime sources'
hash), so each test only compiles its generated crate and the harness.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tests.model_builder import ModelBuilder
from tests.tflm import tflm_sequence
from tinymlc import hostbuild
from tinymlc.check import random_inputs
from tinymlc.codegen import CompiledModel, compile_model, generate_crate
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.tflm_reference import run


def build(model_bytes: bytes, work: Path) -> tuple[CompiledModel, Path]:
    compiled = compile_model(parse_model(model_bytes, "test.tflite"))
    lib_rs = work / "lib.rs"
    lib_rs.write_text(generate_crate(compiled, "model").lib_rs)
    return compiled, hostbuild.build_harness(lib_rs, hostbuild.default_runtime_dir(), work)


def assert_bit_exact(model_bytes: bytes, samples: int = 40, seed: int = 0) -> CompiledModel:
    """Every output of every sample equals TFLM's, byte for byte."""
    compiled, _ = assert_bit_exact_on(model_bytes, lambda compiled: random_inputs(compiled, samples, seed))
    return compiled


def assert_bit_exact_on(
    model_bytes: bytes, inputs_of: Callable[[CompiledModel], list[list[np.ndarray]]]
) -> tuple[CompiledModel, list[list[np.ndarray]]]:
    """Every output equals TFLM's, byte for byte, for the samples `inputs_of` gives the
    compiled model; TFLM's outputs of each sample."""
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model_bytes, Path(work))
        inputs = inputs_of(compiled)
        results = hostbuild.run_harness(binary, inputs)
    graph = compiled.graph
    references = []
    for sample, ours in zip(inputs, results, strict=True):
        assert ours.error is None, ours.error
        reference, _ = run(model_bytes, sample, len(graph.outputs))
        for tensor_id, actual, expected in zip(graph.outputs, ours.outputs, reference, strict=True):
            dtype = graph.tensors[tensor_id].dtype.numpy_dtype
            assert dtype is not None
            np.testing.assert_array_equal(
                np.frombuffer(actual, dtype), np.asarray(expected, dtype).reshape(-1)
            )
        references.append(reference)
    return compiled, references


def conv_softmax_model() -> bytes:
    """A small CONV_2D -> RESHAPE -> SOFTMAX model, for CLI and check tests."""
    rng = np.random.default_rng(3)
    mb = ModelBuilder()
    x = mb.tensor("input", (1, 4, 4, 2), scale=0.05, zero_point=-3)
    w = mb.tensor("w", (4, 3, 3, 2), scale=0.01, data=rng.integers(-127, 128, (4, 3, 3, 2)))
    c = mb.tensor("conv", (1, 2, 2, 4), scale=0.1, zero_point=2)
    r = mb.tensor("flat", (1, 16), scale=0.1, zero_point=2)
    y = mb.tensor("probs", (1, 16), scale=1.0 / 256, zero_point=-128)
    mb.conv_2d([x, w, -1], [c], padding=1, stride=1)
    mb.op("RESHAPE", [c], [r])
    mb.op("SOFTMAX", [r], [y], "SoftmaxOptions", Beta=1.0)
    return mb.build([x], [y])


def float_io_model() -> bytes:
    """Float in and out, as converters emit with `inference_input_type=float`:
    QUANTIZE -> RELU -> DEQUANTIZE, the RELU's int8 output also a graph output."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 8), DType.FLOAT32)
    q = mb.tensor("q", (2, 3, 8), scale=0.03, zero_point=-7)
    r = mb.tensor("r", (2, 3, 8), scale=0.03, zero_point=-7)
    y = mb.tensor("y", (2, 3, 8), DType.FLOAT32)
    mb.op("QUANTIZE", [x], [q])
    mb.op("RELU", [q], [r])
    mb.op("DEQUANTIZE", [r], [y])
    return mb.build([x], [y, r])


def float_inputs_model(rng: np.random.Generator) -> bytes:
    """Two float inputs, one reshaped before its QUANTIZE, added; a float output."""
    mb = ModelBuilder()
    a = mb.tensor("a", (2, 12), DType.FLOAT32)
    a_reshaped = mb.tensor("a_reshaped", (2, 3, 4), DType.FLOAT32)
    b = mb.tensor("b", (2, 3, 4), DType.FLOAT32)
    mb.op("RESHAPE", [a], [a_reshaped])
    quantized = []
    for name, source in (("qa", a_reshaped), ("qb", b)):
        scale, zero_point = float(rng.uniform(0.01, 0.1)), int(rng.integers(-20, 20))
        quantized.append(mb.tensor(name, (2, 3, 4), scale=scale, zero_point=zero_point))
        mb.op("QUANTIZE", [source], [quantized[-1]])
    total = mb.tensor(
        "sum", (2, 3, 4), scale=float(rng.uniform(0.05, 0.2)), zero_point=int(rng.integers(-20, 20))
    )
    y = mb.tensor("y", (2, 3, 4), DType.FLOAT32)
    mb.op("ADD", quantized, [total], "AddOptions")
    mb.op("DEQUANTIZE", [total], [y])
    return mb.build([a, b], [y])


def conv_chain_model(rng: np.random.Generator) -> bytes:
    """Convolutions each reading only the previous one's output (so each may write its
    output over its input): 3 -> 16 channels, a 3x3 same, a strided and a dilated one,
    with a bias and a ReLU; two batches."""
    mb = ModelBuilder()
    shapes = [(2, 9, 9, 3), (2, 9, 9, 16), (2, 9, 9, 16), (2, 5, 5, 8), (2, 5, 5, 8)]
    same = 0  # TFLite Padding.SAME
    layers = [((3, 3), 1, 1, same), ((3, 3), 1, 1, same), ((3, 3), 2, 1, same), ((3, 3), 1, 2, same)]
    tensor = mb.tensor("x", shapes[0], scale=0.05, zero_point=-3)
    for index, ((kh, kw), stride, dilation, padding) in enumerate(layers):
        in_c, out_shape = shapes[index][3], shapes[index + 1]
        out_c = out_shape[3]
        w = mb.tensor(
            f"w{index}",
            (out_c, kh, kw, in_c),
            scale=0.01,
            data=rng.integers(-127, 128, (out_c, kh, kw, in_c)),
        )
        bias = mb.tensor(
            f"b{index}", (out_c,), DType.INT32, scale=0.05 * 0.01, data=rng.integers(-500, 500, out_c)
        )
        out = mb.tensor(f"conv{index}", out_shape, scale=0.08, zero_point=int(rng.integers(-10, 10)))
        mb.conv_2d([tensor, w, bias], [out], padding=padding, stride=stride, dilation=dilation, activation=1)
        tensor = out
    return mb.build([0], [tensor])


def assert_sequence_matches(model_bytes: bytes, samples: int = 12, reset_every: int = 0) -> None:
    """Our host build and TFLM, each running `samples` seeded inputs in sequence on one
    model instance (state carried over; reset every `reset_every`), give the same bytes."""
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model_bytes, Path(work))
        inputs = random_inputs(compiled, samples, seed=samples)
        ours = hostbuild.run_harness(binary, inputs, reset_every)
    expected = tflm_sequence(model_bytes, inputs, reset_every)
    for index, (result, reference) in enumerate(zip(ours, expected, strict=True)):
        assert result.error is None, result.error
        assert result.outputs == [reference], f"inference {index} differs"
