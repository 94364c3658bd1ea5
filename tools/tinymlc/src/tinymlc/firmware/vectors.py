"""Firmware that checks a model on the board against the host build, bit for bit.

The host harness (the same generated crate, built for the host) runs seeded random inputs;
the inputs and its outputs are embedded in a firmware main that runs the model on the board
and compares. Floats are compared by their bits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tinymlc import hostbuild
from tinymlc.check import random_inputs
from tinymlc.codegen import compile_model, rust
from tinymlc.codegen.generate import template_environment
from tinymlc.errors import CompileError
from tinymlc.firmware.embed import as_module
from tinymlc.frontend import load_model
from tinymlc.ir import DType


def _literals(dtype: DType, values: np.ndarray) -> list[str]:
    if dtype is DType.FLOAT32:
        return [f"f32::from_bits({bits:#010x})" for bits in values.astype("<f4").view("<u4").ravel()]
    return [rust.api_literal(dtype, int(v)) for v in values.ravel()]


def _as_caller_values(dtype: DType, values: np.ndarray) -> np.ndarray:
    """`values` (drawn in the arena's type) as the caller's type sees the same bytes, which is
    what the host harness received: an int8 tensor that the API takes as uint8 (ONNX uint8
    models) gets each byte with its sign bit read as a value bit."""
    numpy_dtype = dtype.numpy_dtype
    assert numpy_dtype is not None
    return np.ascontiguousarray(values).view(numpy_dtype)


def _input(dtype: DType, values: np.ndarray) -> dict[str, Any]:
    return {
        "element": rust.api_element_type(dtype),
        "variant": rust.dtype_variant(dtype),
        "literals": _literals(dtype, _as_caller_values(dtype, values)),
    }


def _integer_zero(dtype: DType) -> str:
    return "false" if dtype is DType.BOOL else f"0_{rust.element_type(dtype)}"


def _output_buffer(dtype: DType, length: int) -> dict[str, Any]:
    """The caller's buffer of an output (of the caller's type `dtype`): every sample passes
    one, compared or not."""
    is_float = dtype is DType.FLOAT32
    return {
        "variant": rust.dtype_variant(dtype),
        "zero": "0.0_f32" if is_float else _integer_zero(dtype),
        "len": length,
    }


def _output(dtype: DType, data: bytes) -> dict[str, Any]:
    """An output as the harness wrote it: in the caller's type `dtype`."""
    numpy_dtype = dtype.numpy_dtype
    assert numpy_dtype is not None
    values = np.frombuffer(data, dtype=numpy_dtype)
    is_float = dtype is DType.FLOAT32
    return {
        # Floats are compared as bit patterns: NaN == NaN, and -0.0 != 0.0.
        "compared": "u32" if is_float else rust.api_element_type(dtype),
        "as_compared": ".map(|value| value.to_bits())" if is_float else ".copied()",
        "literals": [f"{int(v):#010x}" for v in values.view("<u4")]
        if is_float
        else [rust.api_literal(dtype, int(v)) for v in values],
    }


def render(
    model_path: Path,
    harness: Path,
    crate: str,
    crate_source: str,
    name: str,
    count: int,
    seed: int,
    multicore: bool = False,
) -> str:
    """The firmware module checking the generated crate `crate` (its lib.rs `crate_source`,
    compiled in as a module of that name; printed as `name`) on `count` inputs drawn with
    `seed`; with `multicore`, the model runs on every core of the board
    (`predict_tensors_on`, through the firmware's `EXECUTOR`). Its `run` is called by the
    firmware's main (see model_test.bzl)."""
    compiled = compile_model(load_model(model_path))
    graph = compiled.graph
    samples = random_inputs(compiled, count, seed)
    samples_rendered = []
    for sample, result in zip(samples, hostbuild.run_harness(harness, samples), strict=True):
        if result.error is not None:
            raise CompileError(f"the host build failed on a test input: {result.error}", str(model_path))
        # An inference the model ended early (Invocation::Aborted) has no outputs to compare.
        ended_early = result.aborted_at is not None
        samples_rendered.append(
            {
                "inputs": [
                    _input(compiled.model.caller_dtype(t), v)
                    for t, v in zip(graph.inputs, sample, strict=True)
                ],
                "outputs": []
                if ended_early
                else [
                    _output(compiled.model.caller_dtype(t), d)
                    for t, d in zip(graph.outputs, result.outputs, strict=True)
                ],
                "invocation": f"Aborted {{ layer: {result.aborted_at} }}" if ended_early else "Complete",
            }
        )
    return (
        template_environment()
        .get_template("firmware_model_check.rs.j2")
        .render(
            source=model_path.name,
            crate=crate,
            crate_module=as_module(crate_source),
            name=name,
            samples=samples_rendered,
            output_buffers=[
                _output_buffer(compiled.model.caller_dtype(t), graph.tensors[t].num_elements)
                for t in graph.outputs
            ],
            multicore=multicore,
        )
    )
