"""Mutated real models: the whole compiler either compiles them or raises CompileError.

Seeds are models of the zoo in models/ (as a user would bring them). Mutations overwrite,
truncate and splice bytes; whatever comes out, the compiler must never fail with anything
but its own error type (which the CLI turns into a message), and what compiles must yield
Rust source and a report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend import parse_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"
SEED_MODELS = [
    "sine",
    "micro_speech",
    "ds_cnn_kws",
    "op_concatenation_axis1_three_inputs",
    "op_batch_matmul_adj_y",
]


def _seed_bytes(name: str) -> bytes:
    path = MODELS_DIR / f"{name}.tflite"
    if not path.is_file():
        pytest.fail(f"seed model {path} is missing")
    return path.read_bytes()


@st.composite
def mutated_models(draw: st.DrawFn) -> bytes:
    blob = bytearray(_seed_bytes(draw(st.sampled_from(SEED_MODELS))))
    mutation = draw(st.sampled_from(["overwrite", "truncate", "splice"]))
    if mutation == "truncate":
        return bytes(blob[: draw(st.integers(0, len(blob) - 1))])
    if mutation == "splice":
        start = draw(st.integers(0, len(blob) - 1))
        length = draw(st.integers(1, 64))
        source = draw(st.integers(0, len(blob) - 1))
        blob[start : start + length] = blob[source : source + length]
        return bytes(blob)
    for _ in range(draw(st.integers(1, 16))):
        blob[draw(st.integers(0, len(blob) - 1))] = draw(st.integers(0, 255))
    return bytes(blob)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_models())
def test_mutated_model_compiles_or_raises_compile_error(blob: bytes) -> None:
    try:
        crate = generate_crate(compile_model(parse_model(blob, "mutated.tflite")), "mutated")
    except CompileError as error:
        message = str(error)
    else:
        message = ""
    if message:
        assert "mutated.tflite" in message, f"the error must name the file: {message}"
        return
    assert "pub fn predict_tensors" in crate.lib_rs
    assert crate.report["arena_bytes"] >= 0


def test_seed_models_exist_and_compile() -> None:
    for name in SEED_MODELS:
        crate = generate_crate(compile_model(parse_model(_seed_bytes(name), f"{name}.tflite")), name)
        assert "pub fn predict_tensors" in crate.lib_rs
