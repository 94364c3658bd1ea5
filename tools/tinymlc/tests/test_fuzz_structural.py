"""The compiler never crashes: structurally mutated models of models/ (.tflite:
tests/structural_fuzz.py, .onnx: tests/onnx_structural_fuzz.py) either compile or raise
CompileError naming the file, within a time limit per case.

CI runs a fixed seed (`derandomize`) of FUZZ_CASES .tflite and ONNX_FUZZ_CASES .onnx cases.
The long run, with fresh seeds:

    cd tools/tinymlc && TINYML_FUZZ_CASES=200000 TINYML_ONNX_FUZZ_CASES=50000 TINYML_FUZZ_RANDOM=1 \\
        PYTHONPATH=src:. python -m pytest -q -p no:cacheprovider tests/test_fuzz_structural.py
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import onnx_structural_fuzz, structural_fuzz
from tinymlc import check, hostbuild
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend import parse_model
from tinymlc.frontend.onnx import UNEXPECTED_LOWERING_FAILURE, parse_onnx
from tinymlc.ir import Model

FUZZ_CASES = int(os.environ.get("TINYML_FUZZ_CASES", "10000"))
ONNX_FUZZ_CASES = int(os.environ.get("TINYML_ONNX_FUZZ_CASES", "2500"))
FIXED_SEED = not os.environ.get("TINYML_FUZZ_RANDOM")
CASE_SECONDS = 10
SOURCE = "mutated.tflite"
ONNX_SOURCE = "mutated.onnx"

# Small seeds keep a case fast; the whole-model seeds bring the operators the zoo's op models
# lack in combination (residual adds, reshapes before FC, softmax heads).
SEEDS = {
    name: (structural_fuzz.MODELS_DIR / f"{name}.tflite").read_bytes()
    for name in structural_fuzz.seed_models()
}
ONNX_SEEDS = {
    name: (structural_fuzz.MODELS_DIR / f"{name}.onnx").read_bytes()
    for name in onnx_structural_fuzz.seed_models()
}


class CaseTimeoutError(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise CaseTimeoutError(f"a case took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def parse(blob: bytes, source: str) -> Model:
    return parse_onnx(blob, source).model if source.endswith(".onnx") else parse_model(blob, source)


def compile_or_error(blob: bytes, source: str = SOURCE) -> str | None:
    """None when the model compiles; else the CompileError's message. Anything else raises."""
    with time_limit(CASE_SECONDS):
        try:
            crate = generate_crate(compile_model(parse(blob, source)), "mutated")
        except CompileError as error:
            return str(error)
    assert "pub fn predict_tensors" in crate.lib_rs
    return None


@settings(
    max_examples=FUZZ_CASES,
    derandomize=FIXED_SEED,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_mutated_models_compile_or_raise_compile_error(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(sorted(SEEDS)))
    blob = structural_fuzz.mutate(SEEDS[seed], data)
    if blob is None:
        return
    message = compile_or_error(blob)
    if message is not None:
        assert SOURCE in message, f"the error must name the file: {message}"


@settings(
    max_examples=ONNX_FUZZ_CASES,
    derandomize=FIXED_SEED,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_mutated_onnx_models_compile_or_raise_compile_error(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(sorted(ONNX_SEEDS)))
    blob = onnx_structural_fuzz.mutate(ONNX_SEEDS[seed], data)
    if blob is None:
        return
    message = compile_or_error(blob, ONNX_SOURCE)
    if message is not None:
        assert ONNX_SOURCE in message, f"the error must name the file: {message}"
        assert UNEXPECTED_LOWERING_FAILURE not in message, f"an unexpected exception: {message}"


# Whatever compiles must build and run on the host without panicking. Building Rust is slow, so
# the first HOST_BUILDS mutants of small seeds (.tflite and .onnx) that compile (and differ from
# their seed's code) of a fixed-seed run are built and run on random inputs.
HOST_BUILDS = 8
HOST_SEED_BYTES = 20_000
_host_built: list[str] = []
_SMALL_SEEDS = {
    **{(name, SOURCE): blob for name, blob in SEEDS.items() if len(blob) < HOST_SEED_BYTES},
    **{(name, ONNX_SOURCE): blob for name, blob in ONNX_SEEDS.items() if len(blob) < HOST_SEED_BYTES},
}


@settings(
    max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(data=st.data())
def test_what_compiles_runs_on_the_host_without_panicking(tmp_path_factory: Any, data: st.DataObject) -> None:
    seed, source = data.draw(st.sampled_from(sorted(_SMALL_SEEDS)))
    fuzz = onnx_structural_fuzz if source == ONNX_SOURCE else structural_fuzz
    blob = fuzz.mutate(_SMALL_SEEDS[seed, source], data)
    # Drawn before this check: Hypothesis replays examples, and one that stopped drawing
    # earlier than its first run (once enough mutants were built) is an error of its own.
    if len(_host_built) >= HOST_BUILDS:
        return
    if blob is None or compile_or_error(blob, source) is not None:
        return
    compiled = compile_model(parse(blob, source))
    lib_rs = generate_crate(compiled, "model").lib_rs
    if lib_rs == generate_crate(compile_model(parse(_SMALL_SEEDS[seed, source], source)), "model").lib_rs:
        return
    work = tmp_path_factory.mktemp("mutant")
    (work / "lib.rs").write_text(lib_rs)
    binary = hostbuild.build_harness(work / "lib.rs", hostbuild.default_runtime_dir(), work)
    results = hostbuild.run_harness(binary, check.random_inputs(compiled, 3, seed=0))  # exit != 0: BuildError
    assert len(results) == 3
    _host_built.append(f"{seed} ({source})")


def test_some_mutants_ran_on_the_host() -> None:
    """The run above (pytest keeps the file's order) built at least one mutant."""
    assert _host_built, "no mutant compiled: the host check above ran nothing"


def test_constant_graph_output_names_the_file() -> None:
    """Found by the fuzzer: a graph output that is a constant tensor was refused without the
    file's name."""
    model = structural_fuzz.unpack(SEEDS["ds_cnn_kws"])
    graph = model.subgraphs[0]
    constant = next(
        i for i, t in enumerate(graph.tensors) if t.buffer and model.buffers[t.buffer].data is not None
    )
    graph.outputs = [constant]
    message = compile_or_error(structural_fuzz.pack(model))
    assert message is not None
    assert message.startswith(f"{SOURCE}: ")
    assert "is a constant tensor" in message


@pytest.mark.parametrize(
    "seed", ["op_add_broadcast", "op_fully_connected_no_bias", "op_squared_difference_same_shape"]
)
@pytest.mark.parametrize("scale", [0.0, -1.0, math.inf, math.nan])
def test_unusable_scale_is_a_compile_error(seed: str, scale: float) -> None:
    """Found by the fuzzer: a zero scale reached the operators' prepare (ZeroDivisionError)."""
    model = structural_fuzz.unpack(SEEDS[seed])
    graph = model.subgraphs[0]
    graph.tensors[graph.operators[0].inputs[0]].quantization.scale = [scale]
    message = compile_or_error(structural_fuzz.pack(model))
    assert message is not None
    assert "quantization scale is zero, negative or not finite" in message


def test_constant_operator_output_is_a_compile_error() -> None:
    """Found by the fuzzer: an operator writing a tensor with buffer data crashed the planner."""
    model = structural_fuzz.unpack(SEEDS["op_mean_axes_1_2"])
    graph = model.subgraphs[0]
    constant = next(t.buffer for t in graph.tensors if t.buffer and model.buffers[t.buffer].data is not None)
    graph.tensors[graph.operators[0].outputs[0]].buffer = constant
    message = compile_or_error(structural_fuzz.pack(model))
    assert message is not None
    assert "which holds constant data" in message
    assert "MEAN" in message


def test_model_without_outputs_builds(tmp_path: Path) -> None:
    """Found by the fuzzer: a model whose layers all fold away generated an unused function,
    which the crate's `-D warnings` build refused."""
    model = structural_fuzz.unpack(SEEDS["op_squeeze_axis_2"])
    model.subgraphs[0].outputs = []
    blob = structural_fuzz.pack(model)
    assert compile_or_error(blob) is None
    (tmp_path / "lib.rs").write_text(generate_crate(compile_model(parse_model(blob, SOURCE)), "model").lib_rs)
    hostbuild.build_harness(tmp_path / "lib.rs", hostbuild.default_runtime_dir(), tmp_path)


def test_zero_dimension_is_a_compile_error() -> None:
    """Found by the fuzzer: a zero input depth reached CONV_2D's prepare (modulo by zero)."""
    model = structural_fuzz.unpack(SEEDS["op_conv_2d_1x1_valid"])
    graph = model.subgraphs[0]
    graph.tensors[graph.operators[0].inputs[0]].shape = [1, 8, 8, 0]
    message = compile_or_error(structural_fuzz.pack(model))
    assert message is not None
    assert "unknown shape [1, 8, 8, 0]" in message


def test_every_seed_round_trips() -> None:
    """Unpacking and packing a seed changes nothing the compiler sees."""
    for name, blob in SEEDS.items():
        repacked = structural_fuzz.pack(structural_fuzz.unpack(blob))
        original = compile_or_error(blob)
        assert compile_or_error(repacked) == (None if original is None else original), name


def test_initializer_data_not_fitting_its_shape_names_the_tensor() -> None:
    """Found by the fuzzer: an int32 initializer one byte too long (which the ONNX checker
    lets through) reached numpy (ValueError), reported without the tensor's name."""
    model = onnx.ModelProto.FromString(ONNX_SEEDS["ds_cnn_qdq_s8"])
    weights = next(t for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT32 and t.raw_data)
    weights.raw_data += b"\0"
    message = compile_or_error(model.SerializeToString(), ONNX_SOURCE)
    assert message is not None
    assert message.startswith(f"{ONNX_SOURCE}: ")
    assert f"tensor {weights.name!r}: its data does not match its type and shape" in message


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__, "-q"]))
