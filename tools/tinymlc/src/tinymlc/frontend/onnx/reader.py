"""ONNX bytes -> a checked `onnx.ModelProto` with every graph input's shape pinned.

Every failure is a `CompileError` naming the file: protobuf that does not parse
(truncated or mutated files), models the ONNX checker rejects, opsets outside
10..`onnx.defs.onnx_opset_version()`, external data, and dynamic input shapes (with
the `--input_shape` that pins them).
"""

from __future__ import annotations

from collections.abc import Mapping

import onnx

from tinymlc.errors import CompileError

MIN_OPSET = 10
MICROSOFT_DOMAIN = "com.microsoft"
_MISSING_SHAPE = "Field 'shape' of 'type' is required but missing"


def max_opset() -> int:
    return int(onnx.defs.onnx_opset_version())


def parse_input_shapes(specs: list[str]) -> dict[str, tuple[int, ...]]:
    """`name:1,3,32,32` strings -> {name: shape}."""
    shapes: dict[str, tuple[int, ...]] = {}
    for spec in specs:
        name, sep, dims = spec.rpartition(":")
        try:
            shape = tuple(int(d) for d in dims.split(","))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or any(d <= 0 for d in shape):
            raise CompileError(f"--input_shape {spec!r} must be NAME:D1,D2,... with positive dimensions")
        shapes[name] = shape
    return shapes


def default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    return 0


def _pin_inputs(model: onnx.ModelProto, input_shapes: Mapping[str, tuple[int, ...]], source: str) -> None:
    initializers = {i.name for i in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in initializers]
    unknown = sorted(set(input_shapes) - {v.name for v in inputs})
    if unknown:
        names = ", ".join(repr(v.name) for v in inputs)
        raise CompileError(f"--input_shape names {unknown}, but the model's inputs are {names}", source)
    dynamic = []
    for value in inputs:
        if not value.type.HasField("tensor_type"):
            raise CompileError(f"input {value.name!r} is not a tensor", source)
        dims = value.type.tensor_type.shape.dim
        pinned = input_shapes.get(value.name)
        if pinned is not None:
            if value.type.tensor_type.HasField("shape") and len(dims) != len(pinned):
                raise CompileError(
                    f"--input_shape gives {value.name!r} rank {len(pinned)}, the model rank {len(dims)}",
                    source,
                )
            del dims[:]
            for d in pinned:
                dims.add().dim_value = d
            continue
        static = value.type.tensor_type.HasField("shape") and all(
            d.HasField("dim_value") and d.dim_value > 0 for d in dims
        )
        if not static:
            shown = ",".join(
                str(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else (d.dim_param or "?")
                for d in dims
            )
            example = ",".join(
                str(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else "1" for d in dims
            )
            dynamic.append(
                f"{value.name!r} has shape [{shown}]: pin it with --input_shape={value.name}:{example}"
            )
    if dynamic:
        raise CompileError(
            "dynamic input shapes (a microcontroller's arena is planned for fixed shapes):\n  "
            + "\n  ".join(dynamic),
            source,
        )


def read_model(data: bytes, source: str, input_shapes: Mapping[str, tuple[int, ...]]) -> onnx.ModelProto:
    if len(data) == 0:
        raise CompileError("file is empty", source)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends on truncated or mutated bytes
        raise CompileError(f"not a valid ONNX model (protobuf does not parse: {exc})", source) from exc
    if not model.HasField("graph") or not model.graph.output:
        raise CompileError("not a valid ONNX model: it has no graph outputs", source)
    opset = default_opset(model)
    if not MIN_OPSET <= opset <= max_opset():
        raise CompileError(
            f"default-domain opset {opset or 'missing'} is outside the supported {MIN_OPSET}..{max_opset()}",
            source,
        )
    # Exporters import domains they do not use (tf2onnx: ai.onnx.ml and more); a node of an
    # unsupported domain is reported with the other unsupported nodes.
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise CompileError(
                f"initializer {tensor.name!r} keeps its data in an external file",
                f"{source} (save the model with all tensors inside: onnx.save(model, path))",
            )
    _pin_inputs(model, input_shapes, source)
    # Inference first: it fills in output types and shapes the checker wants declared.
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception as exc:  # onnx raises InferenceError, ValidationError, RuntimeError
        raise CompileError(f"ONNX shape inference fails: {_first_line(exc)}", source) from exc
    try:
        onnx.checker.check_model(inferred)
    except Exception as inferred_error:  # ValidationError, or ValueError on malformed fields
        reason = _first_line(inferred_error)
        # The model as written usually says more (an operator its opset lacks) than what
        # inference left of it (a shape it could not infer).
        try:
            onnx.checker.check_model(model)
        except Exception as original_error:
            reason = _first_line(original_error)
        # Outputs of operators ONNX cannot infer (com.microsoft QLinear*) may lack a
        # declared shape; the frontend computes every shape itself.
        if not reason.startswith(_MISSING_SHAPE):
            raise CompileError(f"the ONNX checker rejects the model: {reason}", source) from inferred_error
    return inferred


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
