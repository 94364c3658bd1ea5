"""Structural mutations of real .tflite models, for the fuzz tests.

A model of models/ is unpacked into the TFLite schema's object tree (the object API of the
schema module the `tflite-micro` wheel ships; the `tflite` package has readers only), one to
three of its fields are changed the way a broken converter or a hand-edited model would change
them (tensor shapes, types, quantization, buffers and their data, operator codes, operator
inputs and outputs, builtin options, graph inputs and outputs), and the tree is packed again.
Every draw goes through hypothesis, so a failing case shrinks and replays from the seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
from hypothesis import strategies as st
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# Values that break assumptions: zero, negative, one past a small limit, huge.
_INTS = st.one_of(
    st.sampled_from([0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 65535, 65536, INT32_MAX, INT32_MIN]),
    st.integers(-16, 300),
    st.integers(INT32_MIN, INT32_MAX),
)
_FLOATS = st.one_of(
    st.sampled_from([0.0, -0.0, -1.0, 1e-30, 1e30, math.inf, -math.inf, math.nan, 3.4e38]),
    st.floats(width=32, allow_nan=True, allow_infinity=True),
)


BYTE_MUTATIONS = ("truncate", "extend", "empty", "flip")


def seed_models() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.tflite"))


def unpack(blob: bytes) -> Any:
    return schema.ModelT.InitFromPackedBuf(bytearray(blob), 0)


def pack(model: Any) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _pick(data: st.DataObject, items: list[Any] | None) -> Any:
    if not items:
        return None
    return items[data.draw(st.integers(0, len(items) - 1))]


def _int_list(data: st.DataObject, current: Any) -> list[int]:
    values = [int(v) for v in (current if current is not None else [])]
    kind = data.draw(st.sampled_from(["set", "drop", "add", "empty", "none"]))
    if kind == "set" and values:
        values[data.draw(st.integers(0, len(values) - 1))] = data.draw(_INTS)
    elif kind == "drop" and values:
        values.pop(data.draw(st.integers(0, len(values) - 1)))
    elif kind == "add":
        values.insert(data.draw(st.integers(0, len(values))), data.draw(_INTS))
    elif kind == "empty":
        values = []
    return values


def _tensor(model: Any, data: st.DataObject) -> Any:
    return _pick(data, model.subgraphs[0].tensors)


def _shape(model: Any, data: st.DataObject) -> None:
    tensor = _tensor(model, data)
    if tensor is not None:
        tensor.shape = _int_list(data, tensor.shape)


def _shape_signature(model: Any, data: st.DataObject) -> None:
    tensor = _tensor(model, data)
    if tensor is not None:
        signature = tensor.shapeSignature if tensor.shapeSignature is not None else tensor.shape
        tensor.shapeSignature = _int_list(data, signature)


def _type(model: Any, data: st.DataObject) -> None:
    tensor = _tensor(model, data)
    if tensor is not None:
        tensor.type = data.draw(st.integers(0, 20))


def _quantization(model: Any, data: st.DataObject) -> None:
    tensor = _tensor(model, data)
    if tensor is None:
        return
    if tensor.quantization is None or (data.draw(st.booleans()) and data.draw(st.booleans())):
        tensor.quantization = None if data.draw(st.booleans()) else schema.QuantizationParametersT()
        return
    q = tensor.quantization
    field = data.draw(st.sampled_from(["scale", "zeroPoint", "quantizedDimension", "min", "max"]))
    if field == "scale":
        scales: list[float] = [float(s) for s in (q.scale if q.scale is not None else [])]
        keep = data.draw(st.booleans())
        if scales and keep:
            scales[data.draw(st.integers(0, len(scales) - 1))] = data.draw(_FLOATS)
        else:
            scales = data.draw(st.lists(_FLOATS, max_size=3))
        q.scale = scales
    elif field == "zeroPoint":
        q.zeroPoint = [max(-(2**63), min(2**63 - 1, v)) for v in _int_list(data, q.zeroPoint)]
    elif field == "quantizedDimension":
        q.quantizedDimension = data.draw(_INTS)
    else:
        setattr(q, field, data.draw(st.lists(_FLOATS, max_size=2)))


def _buffer_index(model: Any, data: st.DataObject) -> None:
    tensor = _tensor(model, data)
    if tensor is not None:
        tensor.buffer = data.draw(
            st.one_of(st.integers(0, len(model.buffers) + 2), st.integers(0, 2**32 - 1))
        )


def mutated_bytes(content: bytes, data: st.DataObject, kinds: tuple[str, ...] = BYTE_MUTATIONS) -> bytes:
    """`content` truncated, extended with zeros, emptied, one byte changed (`flip`) or, with
    `extreme` among `kinds`, up to 8 bytes set to 0xff (NaN scales, -1 zero points, huge
    indices)."""
    kind = data.draw(st.sampled_from(kinds))
    if kind == "truncate" and content:
        return content[: data.draw(st.integers(0, len(content) - 1))]
    if kind == "extend":
        return content + bytes(data.draw(st.integers(1, 64)))
    if kind == "empty" or not content:
        return b"" if kind == "empty" else content
    at = data.draw(st.integers(0, len(content) - 1))
    width = 1 if kind == "flip" else min(8, len(content) - at)
    value = bytes([data.draw(st.integers(0, 255))]) if kind == "flip" else b"\xff" * width
    return content[:at] + value + content[at + width :]


def _buffer_data(model: Any, data: st.DataObject) -> None:
    buffer = _pick(data, model.buffers)
    if buffer is None:
        return
    content = bytes(np.asarray(buffer.data, dtype=np.uint8).tobytes()) if buffer.data is not None else b""
    content = mutated_bytes(content, data)
    buffer.data = np.frombuffer(content, dtype=np.uint8) if content else None


def _operator_code(model: Any, data: st.DataObject) -> None:
    code = _pick(data, model.operatorCodes)
    if code is not None:
        value = data.draw(st.integers(-2, 210))
        code.builtinCode = value
        code.deprecatedBuiltinCode = max(-128, min(127, value))
        code.version = data.draw(st.integers(-1, 10))


def _operator(model: Any, data: st.DataObject) -> Any:
    return _pick(data, model.subgraphs[0].operators)


def _operator_index(model: Any, data: st.DataObject) -> None:
    op = _operator(model, data)
    if op is not None:
        op.opcodeIndex = data.draw(
            st.one_of(st.integers(0, len(model.operatorCodes) + 1), st.integers(0, 2**32 - 1))
        )


def _operator_io(model: Any, data: st.DataObject) -> None:
    op = _operator(model, data)
    if op is None:
        return
    if data.draw(st.booleans()):
        op.inputs = _int_list(data, op.inputs)
    else:
        op.outputs = _int_list(data, op.outputs)


def _graph_io(model: Any, data: st.DataObject) -> None:
    graph = model.subgraphs[0]
    if data.draw(st.booleans()):
        graph.inputs = _int_list(data, graph.inputs)
    else:
        graph.outputs = _int_list(data, graph.outputs)


def _options(model: Any, data: st.DataObject) -> None:
    op = _operator(model, data)
    if op is None:
        return
    if op.builtinOptions is None or data.draw(st.integers(0, 9)) == 0:
        op.builtinOptionsType = data.draw(st.integers(0, 130))
        op.builtinOptions = None
        return
    fields = sorted(vars(op.builtinOptions))
    if not fields:
        return
    field = data.draw(st.sampled_from(fields))
    current = getattr(op.builtinOptions, field)
    if isinstance(current, bool):
        setattr(op.builtinOptions, field, not current)
    elif isinstance(current, float):
        setattr(op.builtinOptions, field, data.draw(_FLOATS))
    elif isinstance(current, int):
        # Enum fields are int8 (activation, padding), dimensions int32.
        small = data.draw(st.booleans())
        setattr(op.builtinOptions, field, data.draw(st.integers(-128, 127) if small else _INTS))
    elif current is None or isinstance(current, (list, np.ndarray)):
        setattr(op.builtinOptions, field, _int_list(data, current))


MUTATIONS: dict[str, Callable[[Any, st.DataObject], None]] = {
    "shape": _shape,
    "shape_signature": _shape_signature,
    "type": _type,
    "quantization": _quantization,
    "buffer_index": _buffer_index,
    "buffer_data": _buffer_data,
    "operator_code": _operator_code,
    "operator_index": _operator_index,
    "operator_io": _operator_io,
    "graph_io": _graph_io,
    "options": _options,
}


def mutate(blob: bytes, data: st.DataObject) -> bytes | None:
    """One to three structural mutations of `blob`; None when the result cannot be packed
    (a value outside its flatbuffers field's range: no file could hold it)."""
    model = unpack(blob)
    for _ in range(data.draw(st.integers(1, 3))):
        MUTATIONS[data.draw(st.sampled_from(sorted(MUTATIONS)))](model, data)
    try:
        return pack(model)
    except (OverflowError, ValueError, TypeError, AttributeError, AssertionError):
        return None
