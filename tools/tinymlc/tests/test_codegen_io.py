"""The generated API at its edges: wrong arguments are errors, never panics, and
float inputs and outputs are converted while copying; and layers that share memory
with their input (convolutions written over it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.codegen_support import (
    assert_bit_exact,
    build,
    conv_chain_model,
    conv_softmax_model,
    float_io_model,
)
from tinymlc import hostbuild
from tinymlc.codegen import Target, compile_model, generate_crate
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
        "Ok(Complete)",
    ]


def test_converted_float_input_takes_floats_only() -> None:
    lines = _error_cases(float_io_model())
    assert lines[1:] == [
        "Err(InputCount { expected: 1, actual: 0 })",
        "Err(OutputCount { expected: 2, actual: 1 })",
        "Err(InputLength { index: 0, expected: 48, actual: 47 })",
        "Err(InputType { index: 0, expected: Float32 })",
        "Ok(Complete)",
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


def test_convolutions_written_over_their_inputs_match_tflm() -> None:
    model = conv_chain_model(np.random.default_rng(5))
    compiled = assert_bit_exact(model, samples=20)
    assert len(compiled.plan.overlapped) == 4
    offsets = compiled.plan.tensor_offsets
    for output, source in compiled.plan.overlapped:
        # The output starts below its input and reaches into it.
        assert offsets[output] < offsets[source] < offsets[output] + compiled.graph.tensors[output].byte_size
    crate = generate_crate(compiled, "model")
    assert crate.lib_rs.count("conv::conv_2d_overlapped(") == 4
    assert crate.report["overlap_saved_bytes"] > 0
    assert [entry["layer"] for entry in crate.report["overlapped"]] == [0, 1, 2, 3]


def test_multi_core_plans_keep_outputs_apart() -> None:
    compiled = compile_model(
        parse_model(conv_chain_model(np.random.default_rng(5)), "test.tflite"), Target((1, 1))
    )
    assert not compiled.plan.overlapped
    assert "conv_2d_overlapped" not in generate_crate(compiled, "model").lib_rs
