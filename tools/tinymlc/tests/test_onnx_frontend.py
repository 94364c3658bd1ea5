"""ONNX frontend: the IR small QDQ and QOperator models lower to (golden), layout and
uint8 handling, and every way a model is rejected."""

from __future__ import annotations

import contextlib

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.onnx_builder import QdqGraph, conv_weights
from tinymlc.errors import CompileError
from tinymlc.frontend.onnx import Lowered, parse_onnx
from tinymlc.ir import Conv2DAttrs, DepthwiseConv2DAttrs, DType, OpKind, Padding


def lower(model: onnx.ModelProto, **shapes: tuple[int, ...]) -> Lowered:
    return parse_onnx(model.SerializeToString(), "test.onnx", shapes)


def kinds(lowered: Lowered) -> list[OpKind]:
    return [op.kind for op in lowered.model.main.operators]


def conv_model(
    group: int = 1, stride: int = 1, pads: tuple[int, ...] = (1, 1, 1, 1), unsigned: bool = True
) -> tuple[onnx.ModelProto, np.ndarray]:
    rng = np.random.default_rng(0)
    g = QdqGraph(unsigned=unsigned)
    x = g.quantize("input", 0.05, 128 if unsigned else 0)
    values, scales = conv_weights(rng, (4, 4 // group, 3, 3))
    y = g.node(
        "Conv",
        [x, g.weights(values, scales)],
        kernel_shape=[3, 3],
        pads=list(pads),
        strides=[stride] * 2,
        group=group,
    )
    out = g.quantize(y, 0.1, 100 if unsigned else -28)
    return g.model([1, 4, 6, 6], [out]), values


def test_qdq_conv_lowers_to_one_nhwc_conv_with_per_channel_weights() -> None:
    model, values = conv_model()
    lowered = lower(model)
    graph = lowered.model.main
    assert kinds(lowered) == [OpKind.QUANTIZE, OpKind.CONV_2D, OpKind.DEQUANTIZE]
    conv = graph.operators[1]
    assert isinstance(conv.attrs, Conv2DAttrs)
    assert conv.attrs.padding is Padding.SAME
    input_, filter_, bias, output = (graph.tensors[t] for t in (*conv.inputs, *conv.outputs))
    assert input_.shape == (1, 6, 6, 4)
    assert output.shape == (1, 6, 6, 4)
    assert filter_.data is not None
    np.testing.assert_array_equal(filter_.data, values.transpose(0, 2, 3, 1))
    assert filter_.quantization is not None
    assert len(filter_.quantization.scales) == 4
    assert bias.dtype is DType.INT32
    # uint8 activations become int8 with the zero point shifted by 128.
    assert input_.quantization is not None
    assert input_.quantization.zero_points == (0,)
    assert output.quantization is not None
    assert output.quantization.zero_points == (100 - 128,)
    assert graph.tensors[graph.inputs[0]].shape == (1, 6, 6, 4)
    assert lowered.layouts == {graph.inputs[0]: (0, 2, 3, 1), graph.outputs[0]: (0, 2, 3, 1)}


def test_grouped_conv_with_one_channel_per_group_is_depthwise() -> None:
    lowered = lower(conv_model(group=4)[0])
    conv = lowered.model.main.operators[1]
    assert conv.kind is OpKind.DEPTHWISE_CONV_2D
    assert isinstance(conv.attrs, DepthwiseConv2DAttrs)
    assert conv.attrs.depth_multiplier == 1
    assert lowered.model.main.tensors[conv.inputs[1]].shape == (1, 3, 3, 4)


def test_padding_tflite_cannot_express_becomes_a_pad() -> None:
    lowered = lower(conv_model(stride=2)[0])  # PyTorch pads 1 on both sides; TFLite SAME pads 0, 1
    assert kinds(lowered) == [OpKind.QUANTIZE, OpKind.PAD, OpKind.CONV_2D, OpKind.DEQUANTIZE]
    conv = lowered.model.main.operators[2]
    assert isinstance(conv.attrs, Conv2DAttrs)
    assert conv.attrs.padding is Padding.VALID
    assert lowered.model.main.tensors[conv.outputs[0]].shape == (1, 3, 3, 4)


def _flatten_model(spatial: int) -> onnx.ModelProto:
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.05, 0)
    flat = g.node("Flatten", [x], axis=1)
    return g.model([1, 3, spatial, spatial], [g.quantize(flat, 0.05, 0)])


def test_flatten_keeps_onnx_element_order() -> None:
    # Flattening NCHW with C > 1 and H * W > 1 needs the NCHW order: one TRANSPOSE.
    assert OpKind.TRANSPOSE in kinds(lower(_flatten_model(2)))
    # With H = W = 1 both orders agree: no transpose at run time.
    assert OpKind.TRANSPOSE not in kinds(lower(_flatten_model(1)))


def test_concat_axis_moves_with_the_layout() -> None:
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.05, 0)
    y = g.node("Concat", [x, x], axis=1)
    lowered = lower(g.model([1, 3, 4, 4], [g.quantize(y, 0.05, 0)]))
    concat = next(op for op in lowered.model.main.operators if op.kind is OpKind.CONCATENATION)
    assert concat.attrs.axis == 3  # type: ignore[union-attr]
    assert lowered.model.main.tensors[concat.outputs[0]].shape == (1, 4, 4, 6)


def test_qlinear_matmul_is_a_fully_connected_over_transposed_weights() -> None:
    g = QdqGraph()
    b = np.arange(12, dtype=np.int8).reshape(4, 3)
    inputs = [
        "input",
        g.const(np.float32(0.1)),
        g.zero_point(128),
        g.const(b),
        g.const(np.float32(0.02)),
        g.const(np.int8(0)),
        g.const(np.float32(0.3)),
        g.zero_point(120),
    ]
    y = g.node("QLinearMatMul", inputs)
    lowered = lower(g.model([2, 4], [y], input_type=TensorProto.UINT8, output_type=TensorProto.UINT8))
    graph = lowered.model.main
    assert kinds(lowered) == [OpKind.FULLY_CONNECTED]
    filter_ = graph.tensors[graph.operators[0].inputs[1]]
    assert filter_.data is not None
    np.testing.assert_array_equal(filter_.data, b.T)
    assert lowered.uint8 == {graph.inputs[0], graph.outputs[0]}
    # The generated API keeps the model's uint8; the arena holds int8.
    assert lowered.model.caller_dtypes == {graph.inputs[0]: DType.UINT8, graph.outputs[0]: DType.UINT8}
    assert graph.tensors[graph.inputs[0]].dtype is DType.INT8


def test_every_unsupported_node_is_listed_at_once() -> None:
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.05, 0)
    cubic = g.node("Resize", [x, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="cubic")
    hard = g.node("Hardmax", [x])
    erf = g.node("Erf", [x])
    model = g.model([1, 3, 4, 4], [cubic, hard, erf])
    with pytest.raises(CompileError) as error:
        lower(model)
    message = str(error.value)
    assert "3 unsupported nodes" in message
    for name, op in ((cubic, "Resize"), (hard, "Hardmax"), (erf, "Erf")):
        assert f"{name!r} ({op}, domain ai.onnx, opset 13)" in message


def test_dynamic_input_shape_names_the_flag_that_pins_it() -> None:
    g = QdqGraph(unsigned=False)
    model = g.model(["batch", 3, 8, 8], [g.quantize("input", 0.05, 0)])
    with pytest.raises(CompileError, match=r"--input_shape=input:1,3,8,8"):
        lower(model)
    assert lower(model, input=(1, 3, 8, 8)).model.main.tensors[0].shape == (1, 8, 8, 3)
    with pytest.raises(CompileError, match="--input_shape names"):
        lower(model, other=(1,))


@pytest.mark.parametrize("opset", [9, 99])
def test_opsets_outside_the_supported_range_are_rejected(opset: int) -> None:
    model, _ = conv_model()
    model.opset_import[0].version = opset
    with pytest.raises(CompileError, match="opset"):
        lower(model)


def test_float_model_asks_for_quantization() -> None:
    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("Relu", ["input"], ["y"], name="relu")],
            "float",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        ),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    with pytest.raises(CompileError, match="quantize the model"):
        lower(model)


def test_empty_random_truncated_and_mutated_files_give_compile_errors() -> None:
    data = conv_model()[0].SerializeToString()
    with pytest.raises(CompileError, match="empty"):
        parse_onnx(b"", "x.onnx")
    with pytest.raises(CompileError):
        parse_onnx(b"\xff" * 64, "x.onnx")
    for cut in range(1, len(data), max(1, len(data) // 40)):
        with pytest.raises(CompileError):
            parse_onnx(data[:cut], "x.onnx")
    rng = np.random.default_rng(7)
    for _ in range(150):
        mutated = bytearray(data)
        for position in rng.integers(0, len(data), size=3):
            mutated[position] = int(rng.integers(0, 256))
        with contextlib.suppress(CompileError):
            parse_onnx(bytes(mutated), "x.onnx")
