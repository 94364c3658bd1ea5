"""Structural mutations of real .onnx models, for the fuzz tests: the ONNX counterpart of
tests/structural_fuzz.py.

A model of models/ is parsed into its `onnx.ModelProto`, one to three of its fields are
changed the way a broken exporter or a hand-edited model would change them (node op types,
domains, inputs, outputs and attributes; initializer shapes, types and data; graph input and
output shapes and types; opset imports), and the proto is serialized again. Every draw goes
through hypothesis, so a failing case shrinks and replays from the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import onnx
from hypothesis import strategies as st

from tests.structural_fuzz import _FLOATS, _INTS, BYTE_MUTATIONS, MODELS_DIR, _int_list, _pick, mutated_bytes

# The zoo's operators and their neighbours, so that a changed op type often names one the
# frontend lowers (with the wrong inputs or attributes) rather than only unknown ones.
_OP_TYPES = [
    "Add", "AveragePool", "Concat", "Conv", "DequantizeLinear", "Flatten", "Gemm", "GlobalAveragePool",
    "MatMul", "MaxPool", "Mul", "QGemm", "QLinearAdd", "QLinearConv", "QLinearGlobalAveragePool",
    "QLinearMatMul", "QLinearMul", "QLinearSoftmax", "QuantizeLinear", "Relu", "Reshape", "Sigmoid",
    "Softmax", "Transpose", "NoSuchOp", "",
]  # fmt: skip
_DOMAINS = ["", "ai.onnx", "com.microsoft", "ai.onnx.ml", "org.example"]
_ATTRIBUTE_NAMES = ["axis", "perm", "group", "kernel_shape", "pads", "strides", "dilations", "transA",
                    "transB", "alpha", "auto_pad", "bogus"]  # fmt: skip
_AUTO_PADS = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", ""]


# Float models that need a calibration set to compile are no seeds: every mutant of theirs
# fails the same way, before the frontend's lowering.
CALIBRATION_ONLY = {"ds_cnn_float"}


def seed_models() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.onnx") if p.stem not in CALIBRATION_ONLY)


def _names(model: onnx.ModelProto) -> list[str]:
    """Every tensor name of the graph, and the empty (omitted optional input) one."""
    graph = model.graph
    names = {""} | {i.name for i in graph.initializer} | {v.name for v in graph.input}
    names |= {name for node in graph.node for name in [*node.input, *node.output]}
    return sorted(names)


def _node(model: onnx.ModelProto, data: st.DataObject) -> Any:
    return _pick(data, list(model.graph.node))


def _op_type(model: onnx.ModelProto, data: st.DataObject) -> None:
    node = _node(model, data)
    if node is not None:
        node.op_type = data.draw(st.sampled_from(_OP_TYPES))


def _domain(model: onnx.ModelProto, data: st.DataObject) -> None:
    node = _node(model, data)
    if node is not None:
        node.domain = data.draw(st.sampled_from(_DOMAINS))


def _node_io(model: onnx.ModelProto, data: st.DataObject) -> None:
    node = _node(model, data)
    if node is None:
        return
    names = node.input if data.draw(st.booleans()) else node.output
    kind = data.draw(st.sampled_from(["rename", "drop", "add"]))
    if kind == "rename" and names:
        names[data.draw(st.integers(0, len(names) - 1))] = data.draw(st.sampled_from(_names(model)))
    elif kind == "drop" and names:
        del names[data.draw(st.integers(0, len(names) - 1))]
    elif kind == "add":
        names.append(data.draw(st.sampled_from([*_names(model), "no_such_tensor"])))


def _attribute(model: onnx.ModelProto, data: st.DataObject) -> None:
    node = _node(model, data)
    if node is None:
        return
    attribute = _pick(data, list(node.attribute))
    if attribute is None or data.draw(st.integers(0, 4)) == 0:
        name = data.draw(st.sampled_from(_ATTRIBUTE_NAMES))
        kind = data.draw(st.sampled_from(["int", "ints", "float", "string"]))
        value: Any = {"int": _INTS, "ints": st.lists(_INTS, max_size=5), "float": _FLOATS,
                      "string": st.sampled_from(_AUTO_PADS)}[kind]  # fmt: skip
        node.attribute.append(onnx.helper.make_attribute(name, data.draw(value)))
        return
    if data.draw(st.integers(0, 4)) == 0:
        node.attribute.remove(attribute)
    elif attribute.type == onnx.AttributeProto.INT:
        attribute.i = data.draw(_INTS)
    elif attribute.type == onnx.AttributeProto.INTS:
        attribute.ints[:] = _int_list(data, list(attribute.ints))
    elif attribute.type == onnx.AttributeProto.FLOAT:
        attribute.f = data.draw(_FLOATS)
    elif attribute.type == onnx.AttributeProto.FLOATS:
        attribute.floats[:] = data.draw(st.lists(_FLOATS, max_size=4))
    elif attribute.type == onnx.AttributeProto.STRING:
        attribute.s = data.draw(st.sampled_from(_AUTO_PADS)).encode()
    else:
        attribute.type = data.draw(st.integers(0, 14))


def _initializer(model: onnx.ModelProto, data: st.DataObject) -> Any:
    return _pick(data, list(model.graph.initializer))


def _initializer_dims(model: onnx.ModelProto, data: st.DataObject) -> None:
    tensor = _initializer(model, data)
    if tensor is not None:
        tensor.dims[:] = _int_list(data, list(tensor.dims))


def _initializer_type(model: onnx.ModelProto, data: st.DataObject) -> None:
    tensor = _initializer(model, data)
    if tensor is not None:
        tensor.data_type = data.draw(st.integers(0, 22))


def _initializer_data(model: onnx.ModelProto, data: st.DataObject) -> None:
    tensor = _initializer(model, data)
    if tensor is None:
        return
    if not tensor.HasField("raw_data"):
        tensor.raw_data = onnx.numpy_helper.to_array(tensor).tobytes()
        del tensor.int32_data[:], tensor.int64_data[:], tensor.float_data[:]
    tensor.raw_data = mutated_bytes(tensor.raw_data, data, (*BYTE_MUTATIONS, "extreme"))


def _value_info(model: onnx.ModelProto, data: st.DataObject) -> Any:
    graph = model.graph
    return _pick(data, [*graph.input, *graph.output, *graph.value_info])


def _value_shape(model: onnx.ModelProto, data: st.DataObject) -> None:
    value = _value_info(model, data)
    if value is None or not value.type.HasField("tensor_type"):
        return
    shape = value.type.tensor_type.shape
    kind = data.draw(st.sampled_from(["set", "symbolic", "drop", "add", "unknown"]))
    if kind == "set" and shape.dim:
        shape.dim[data.draw(st.integers(0, len(shape.dim) - 1))].dim_value = data.draw(_INTS)
    elif kind == "symbolic" and shape.dim:
        shape.dim[data.draw(st.integers(0, len(shape.dim) - 1))].dim_param = "N"
    elif kind == "drop" and shape.dim:
        del shape.dim[data.draw(st.integers(0, len(shape.dim) - 1))]
    elif kind == "add":
        shape.dim.add().dim_value = data.draw(_INTS)
    else:
        value.type.tensor_type.ClearField("shape")


def _value_type(model: onnx.ModelProto, data: st.DataObject) -> None:
    value = _value_info(model, data)
    if value is not None and value.type.HasField("tensor_type"):
        value.type.tensor_type.elem_type = data.draw(st.integers(0, 22))


def _graph_io(model: onnx.ModelProto, data: st.DataObject) -> None:
    graph = model.graph
    values = graph.input if data.draw(st.booleans()) else graph.output
    if values and data.draw(st.booleans()):
        del values[data.draw(st.integers(0, len(values) - 1))]
    else:
        name = data.draw(st.sampled_from(_names(model)))
        values.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.INT8, [1, 4]))


def _opset(model: onnx.ModelProto, data: st.DataObject) -> None:
    entry = _pick(data, list(model.opset_import))
    if entry is None or data.draw(st.integers(0, 3)) == 0:
        model.opset_import.add(
            domain=data.draw(st.sampled_from(_DOMAINS)), version=data.draw(st.integers(-1, 30))
        )
    elif data.draw(st.booleans()):
        entry.version = data.draw(st.one_of(st.integers(-1, 30), _INTS))
    else:
        entry.domain = data.draw(st.sampled_from(_DOMAINS))


MUTATIONS: dict[str, Callable[[onnx.ModelProto, st.DataObject], None]] = {
    "op_type": _op_type,
    "domain": _domain,
    "node_io": _node_io,
    "attribute": _attribute,
    "initializer_dims": _initializer_dims,
    "initializer_type": _initializer_type,
    "initializer_data": _initializer_data,
    "value_shape": _value_shape,
    "value_type": _value_type,
    "graph_io": _graph_io,
    "opset": _opset,
}


def mutate(blob: bytes, data: st.DataObject) -> bytes | None:
    """One to three structural mutations of `blob`; None when a drawn value does not fit its
    protobuf field (no file could hold it)."""
    model = onnx.ModelProto.FromString(blob)
    try:
        for _ in range(data.draw(st.integers(1, 3))):
            MUTATIONS[data.draw(st.sampled_from(sorted(MUTATIONS)))](model, data)
        mutated: bytes = model.SerializeToString()
    except (ValueError, TypeError):
        return None
    return mutated
