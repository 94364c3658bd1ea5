"""`.onnx` -> IR: QDQ and QOperator models, int8 and uint8, NCHW lowered to NHWC.

The frontend only translates: each ONNX operator family has its own module that
validates the node and lowers it into the IR operators the `.tflite` path uses; the
existing passes, validator and code generator do the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tinymlc.errors import CompileError
from tinymlc.frontend.onnx.graph import Lowered, Lowerer
from tinymlc.frontend.onnx.reader import read_model

__all__ = ["UNEXPECTED_LOWERING_FAILURE", "Lowered", "is_onnx", "load_onnx", "parse_onnx"]

# How a lowering bug (an exception no check anticipated) is reported; the fuzz tests look for it.
UNEXPECTED_LOWERING_FAILURE = "cannot lower the model"


def is_onnx(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).lower().endswith(".onnx")


def parse_onnx(
    data: bytes,
    source: str = "<memory>",
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    onnx_exact: bool = False,
) -> Lowered:
    """Parse and lower `.onnx` bytes; every failure is a `CompileError` naming `source`.
    `onnx_exact`: requantize as onnxruntime does (`frontend/onnx/exact.py`)."""
    model = read_model(data, source, input_shapes or {})
    try:
        return Lowerer(model, source, onnx_exact).run()
    except CompileError:
        raise
    except (Exception, RecursionError) as exc:  # a mutated model can break any assumption
        raise CompileError(f"{UNEXPECTED_LOWERING_FAILURE}: {type(exc).__name__}: {exc}", source) from exc


def load_onnx(
    path: str | os.PathLike[str],
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    onnx_exact: bool = False,
) -> Lowered:
    source = os.fspath(path)
    file = Path(source)
    if not file.is_file():
        raise CompileError("file does not exist" if not file.exists() else "is not a file", source)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CompileError(f"cannot read file: {exc.strerror or exc}", source) from exc
    return parse_onnx(data, source, input_shapes, onnx_exact)
