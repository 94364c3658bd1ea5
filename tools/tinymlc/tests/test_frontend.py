import contextlib
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
import tflite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.model_builder import ModelBuilder
from tinymlc.errors import CompileError
from tinymlc.frontend import load_model, parse_model
from tinymlc.ir import Activation, Conv2DAttrs, DType, OpKind, Padding


def _conv_model() -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("input", (1, 4, 4, 2), scale=0.5, zero_point=-3)
    w = mb.tensor("w", (3, 1, 1, 2), scale=(0.1, 0.2, 0.3), data=np.arange(6).reshape(3, 1, 1, 2))
    b = mb.tensor("b", (3,), DType.INT32, scale=(0.05, 0.1, 0.15), data=np.array([1, -2, 3]))
    y = mb.tensor("out", (1, 2, 2, 3), scale=0.25, zero_point=7, shape_signature=(1, 2, 2, 3))
    mb.conv_2d([x, w, b], [y], padding=1, stride=2, activation=3)
    return mb.build([x], [y])


def test_parses_tensors_quantization_and_options() -> None:
    model = parse_model(_conv_model(), "conv.tflite")
    graph = model.main
    assert [t.name for t in graph.tensors] == ["input", "w", "b", "out"]
    weights = graph.tensors[1]
    assert weights.quantization is not None
    assert weights.quantization.scales == tuple(float(np.float32(s)) for s in (0.1, 0.2, 0.3))
    assert weights.data is not None
    assert weights.data.tolist() == np.arange(6).reshape(3, 1, 1, 2).tolist()
    assert graph.tensors[2].data is not None
    assert graph.tensors[2].data.tolist() == [1, -2, 3]
    assert graph.tensors[0].quantization is not None
    assert graph.tensors[0].quantization.zero_point == -3
    op = graph.operators[0]
    assert op.kind is OpKind.CONV_2D
    assert op.attrs == Conv2DAttrs(Padding.VALID, 2, 2, 1, 1, Activation.RELU6)
    assert graph.inputs == (0,)
    assert graph.outputs == (3,)


def test_external_buffer_offsets_are_read(tmp_path: Path) -> None:
    # Hand-build a model whose only constant lives after the flatbuffer.
    payload = np.array([5, -6, 7, -8], dtype=np.int8).tobytes()
    b = flatbuffers.Builder(256)
    tflite.BufferStart(b)
    empty = tflite.BufferEnd(b)
    tflite.BufferStart(b)
    tflite.BufferAddOffset(b, _PLACEHOLDER)  # patched once the flatbuffer size is known
    tflite.BufferAddSize(b, len(payload))
    external = tflite.BufferEnd(b)
    name = b.CreateString("c")
    b.StartVector(4, 1, 4)
    b.PrependInt32(4)
    shape = b.EndVector()
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, DType.INT8.value)
    tflite.TensorAddBuffer(b, 1)
    tflite.TensorAddName(b, name)
    tensor = tflite.TensorEnd(b)
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(tensor)
    tensors = b.EndVector()
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors)
    subgraph = tflite.SubGraphEnd(b)
    b.StartVector(4, 1, 4)
    b.PrependUOffsetTRelative(subgraph)
    subgraphs = b.EndVector()
    b.StartVector(4, 2, 4)
    b.PrependUOffsetTRelative(external)
    b.PrependUOffsetTRelative(empty)
    buffers = b.EndVector()
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddBuffers(b, buffers)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    blob = bytes(b.Output())
    placeholder = _PLACEHOLDER.to_bytes(8, "little")
    assert blob.count(placeholder) == 1
    blob = blob.replace(placeholder, len(blob).to_bytes(8, "little"))
    path = tmp_path / "big.tflite"
    path.write_bytes(bytes(blob) + payload)
    tensor_ir = load_model(path).main.tensors[0]
    assert tensor_ir.data is not None
    assert tensor_ir.data.tolist() == [5, -6, 7, -8]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01", "too small"),
        (b"\x10\x00\x00\x00ABCD" + b"\x00" * 32, "file identifier"),
    ],
)
def test_malformed_bytes_raise_compile_error(data: bytes, message: str) -> None:
    with pytest.raises(CompileError, match=message) as info:
        parse_model(data, "bad.tflite")
    assert "bad.tflite" in str(info.value)


def test_truncated_model_raises_compile_error() -> None:
    data = _conv_model()
    for cut in (12, len(data) // 2, len(data) - 40):
        with pytest.raises(CompileError, match=r"trunc\.tflite"):
            parse_model(data[:cut], "trunc.tflite")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="does not exist"):
        load_model(tmp_path / "nope.tflite")
    with pytest.raises(CompileError, match="directory"):
        load_model(tmp_path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_model_parses_or_raises_compile_error(data: st.DataObject) -> None:
    blob = bytearray(_CONV_MODEL)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(blob) - 1))
        blob[position] = data.draw(st.integers(0, 255))
    with contextlib.suppress(CompileError):
        parse_model(bytes(blob), "fuzz.tflite")


_CONV_MODEL = _conv_model()
_PLACEHOLDER = 0x1122334455667788
