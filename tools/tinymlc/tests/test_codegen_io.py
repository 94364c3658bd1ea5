"""The generated API at its edges: wrong arguments are errors, never panics, and
float inputs and outputs are converted while copying."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.codegen_support import build, conv_softmax_model, float_io_model
from tinymlc import hostbuild
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.frontend import parse_model


def _error_cases(model: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as work:
        _, binary = build(model, Path(work))
        return hostbuild.run_error_cases(binary)


def test_wrong_arguments_are_errors() -> None:
    lines = _error_cases(conv_softmax_model())
    assert lines[0].startswith("Err(ArenaTooSmall {"), lines[0]
    assert lines[1:] == [
        "Err(InputCount { expected: 1, actual: 0 })",
        "Err(OutputCount { expected: 1, actual: 0 })",
        "Err(InputLength { index: 0, expected: 32, actual: 31 })",
        "Err(InputType { index: 0, expected: Int8 })",
        "Ok(())",
    ]


def test_converted_float_input_takes_floats_only() -> None:
    lines = _error_cases(float_io_model())
    assert lines[1:] == [
        "Err(InputCount { expected: 1, actual: 0 })",
        "Err(OutputCount { expected: 2, actual: 1 })",
        "Err(InputLength { index: 0, expected: 48, actual: 47 })",
        "Err(InputType { index: 0, expected: Float32 })",
        "Ok(())",
    ]


def test_report_names_the_caller_and_arena_tensors() -> None:
    report = generate_crate(compile_model(parse_model(float_io_model(), "test.tflite")), "model").report
    (model_input,) = report["inputs"]
    assert model_input["storage"] == "caller"
    assert model_input["bytes"] == 192
    assert model_input["converted"] == {
        "tensor": 1,
        "name": "q",
        "bytes": 48,
        "storage": "arena",
        "offset": 0,
    }
    assert [entry["storage"] for entry in report["outputs"]] == ["caller", "arena"]
    assert [layer["op"] for layer in report["layers"]] == ["RELU"]
