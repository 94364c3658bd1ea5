"""Model importers: each turns a serialized model into `tinymlc.ir.Model`.

`load_model` picks the importer by content: a TFLite flatbuffer carries the `TFL3`
identifier; `.onnx` files, and files without it that are not named `.tflite`, are ONNX.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tinymlc.errors import CompileError
from tinymlc.frontend import onnx as onnx_frontend
from tinymlc.frontend import tflite as tflite_frontend
from tinymlc.frontend.tflite import FILE_IDENTIFIER, parse_model
from tinymlc.ir import Model

__all__ = ["is_onnx_model", "load_model", "parse_model"]


def is_onnx_model(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is read by the ONNX frontend."""
    source = os.fspath(path)
    if onnx_frontend.is_onnx(source):
        return True
    if source.lower().endswith(".tflite"):
        return False
    try:
        with Path(source).open("rb") as file:
            header = file.read(8)
    except OSError:
        return False
    return len(header) == 8 and header[4:8] != FILE_IDENTIFIER


def load_model(
    path: str | os.PathLike[str],
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    onnx_exact: bool = False,
) -> Model:
    """Read and parse a `.tflite` or `.onnx` model; every failure is a `CompileError`.

    `input_shapes` pins dynamic ONNX input dimensions (`--input_shape`); `onnx_exact`
    requantizes ONNX models as onnxruntime does (`--onnx_exact`)."""
    if is_onnx_model(path):
        return onnx_frontend.load_onnx(path, input_shapes, onnx_exact).model
    if onnx_exact:
        raise CompileError("--onnx_exact applies to .onnx models only", os.fspath(path))
    return tflite_frontend.load_model(path)
