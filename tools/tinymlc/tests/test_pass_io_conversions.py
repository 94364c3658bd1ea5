import numpy as np

from tests.codegen_support import float_inputs_model, float_io_model
from tests.model_builder import ModelBuilder
from tinymlc.codegen import compile_model
from tinymlc.frontend import parse_model
from tinymlc.ir import DType, Graph, OpKind
from tinymlc.passes import alias_reshapes, fold_io_conversions


def _graph(model: bytes) -> Graph:
    return alias_reshapes(parse_model(model, "test.tflite").main)


def test_boundary_quantize_and_dequantize_fold_into_the_copies() -> None:
    graph, io = fold_io_conversions(_graph(float_io_model()))
    assert [op.kind for op in graph.operators] == [OpKind.RELU]
    # The caller's tensors stay the graph's inputs and outputs.
    assert graph.inputs == (0,)
    assert graph.outputs == (3, 2)
    (conversion,) = io.inputs.values()
    assert (conversion.caller, conversion.arena, conversion.zero_point) == (0, 1, -7)
    assert abs(conversion.scale - 0.03) < 1e-8
    assert io.outputs[3].arena == 2
    assert 2 not in io.outputs
    assert io.arena_view(graph).inputs == (1,)
    assert io.arena_view(graph).outputs == (2, 2)


def test_floats_leave_the_arena() -> None:
    compiled = compile_model(parse_model(float_io_model(), "test.tflite"))
    assert set(compiled.plan.tensor_offsets) == {1, 2}
    # The int8 input dies at the RELU, which overwrites it: one 48-byte tensor.
    assert compiled.plan.arena_bytes == 48


def test_reshaped_float_input_and_its_alias_leave_the_arena() -> None:
    compiled = compile_model(parse_model(float_inputs_model(np.random.default_rng(0)), "test.tflite"))
    assert [op.kind for op in compiled.graph.operators] == [OpKind.ADD]
    assert not compiled.graph.aliases
    floats = {i for i, t in enumerate(compiled.graph.tensors) if t.dtype is DType.FLOAT32}
    assert floats
    assert not floats & set(compiled.plan.tensor_offsets)


def test_float_read_by_another_layer_is_kept() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (8,), scale=0.1)
    f = mb.tensor("f", (8,), DType.FLOAT32)
    q = mb.tensor("q", (8,), scale=0.2, zero_point=3)
    mb.op("DEQUANTIZE", [x], [f])
    mb.op("QUANTIZE", [f], [q])
    graph, io = fold_io_conversions(_graph(mb.build([x], [f, q])))
    assert len(graph.operators) == 2
    assert not io.inputs
    assert not io.outputs


def test_float_input_that_is_also_an_output_is_kept() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (8,), DType.FLOAT32)
    q = mb.tensor("q", (8,), scale=0.2, zero_point=3)
    y = mb.tensor("y", (8,), scale=0.2, zero_point=3)
    mb.op("QUANTIZE", [x], [q])
    mb.op("RELU", [q], [y])
    graph, io = fold_io_conversions(_graph(mb.build([x], [y, x])))
    assert len(graph.operators) == 2
    assert not io.inputs


def test_a_model_of_conversions_only_keeps_its_layers() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (8,), DType.FLOAT32)
    q = mb.tensor("q", (8,), scale=0.2, zero_point=3)
    y = mb.tensor("y", (8,), DType.FLOAT32)
    mb.op("QUANTIZE", [x], [q])
    mb.op("DEQUANTIZE", [q], [y])
    graph, io = fold_io_conversions(_graph(mb.build([x], [y])))
    assert [op.kind for op in graph.operators] == [OpKind.QUANTIZE, OpKind.DEQUANTIZE]
    assert not io.inputs
    assert not io.outputs
