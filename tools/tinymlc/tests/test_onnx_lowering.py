"""Golden IR per ONNX operator family: the operators and NHWC shapes a small QDQ graph
lowers to (the numbers are checked against onnxruntime in test_onnx_ops.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.onnx_builder import QdqGraph, conv_weights
from tests.test_onnx_ops import FAMILIES, SHAPE
from tinymlc.frontend.onnx import parse_onnx
from tinymlc.ir import ConcatenationAttrs, OpKind, ReducerAttrs

Q, DQ = OpKind.QUANTIZE, OpKind.DEQUANTIZE


def lowered_ops(family: str) -> list[tuple[OpKind, tuple[int, ...]]]:
    g = QdqGraph(unsigned=True, opset=14)
    x = g.quantize("input", 0.03, 128)
    model = g.model(SHAPE, [FAMILIES[family](g, x)])
    graph = parse_onnx(model.SerializeToString(), "golden.onnx").model.main
    return [(op.kind, graph.tensors[op.outputs[0]].shape) for op in graph.operators]


GOLDEN: dict[str, list[tuple[OpKind, tuple[int, ...]]]] = {
    # PyTorch's symmetric pads on a strided convolution: PAD, then VALID.
    "conv_strided_pytorch_pads": [
        (Q, (1, 6, 6, 4)),
        (OpKind.PAD, (1, 8, 8, 4)),
        (OpKind.CONV_2D, (1, 3, 3, 6)),
        (DQ, (1, 3, 3, 6)),
    ],
    "depthwise_multiplier_2": [
        (Q, (1, 6, 6, 4)),
        (OpKind.DEPTHWISE_CONV_2D, (1, 6, 6, 8)),
        (DQ, (1, 6, 6, 8)),
    ],
    # Flattening C=4 x 6 x 6 needs NCHW order: one TRANSPOSE, then a RESHAPE.
    "flatten_gemm": [
        (Q, (1, 6, 6, 4)),
        (OpKind.TRANSPOSE, (1, 4, 6, 6)),
        (OpKind.RESHAPE, (1, 144)),
        (OpKind.QUANTIZE, (1, 144)),
        (OpKind.FULLY_CONNECTED, (1, 10)),
        (DQ, (1, 10)),
    ],
    "add_channel_broadcast": [(Q, (1, 6, 6, 4)), (OpKind.ADD, (1, 6, 6, 4)), (DQ, (1, 6, 6, 4))],
    "mul": [(Q, (1, 6, 6, 4)), (OpKind.MUL, (1, 6, 6, 4)), (DQ, (1, 6, 6, 4))],
    # SAME windows map directly; GlobalAveragePool is a MEAN over H and W.
    "max_average_global_pools": [
        (Q, (1, 6, 6, 4)),
        (OpKind.MAX_POOL_2D, (1, 3, 3, 4)),
        (OpKind.QUANTIZE, (1, 3, 3, 4)),
        (OpKind.AVERAGE_POOL_2D, (1, 3, 3, 4)),
        (OpKind.MEAN, (1, 1, 1, 4)),
        (DQ, (1, 1, 1, 4)),
    ],
    "reduce_mean_channels": [(Q, (1, 6, 6, 4)), (OpKind.MEAN, (1, 6, 6)), (DQ, (1, 6, 6))],
    "softmax_channels": [(Q, (1, 6, 6, 4)), (OpKind.SOFTMAX, (1, 6, 6, 4)), (DQ, (1, 6, 6, 4))],
    # The Shape -> Gather -> Unsqueeze -> Concat chain folds to a constant at compile time.
    "shape_computed_reshape": [
        (Q, (1, 6, 6, 4)),
        (OpKind.TRANSPOSE, (1, 4, 6, 6)),
        (OpKind.RESHAPE, (1, 144)),
        (DQ, (1, 144)),
    ],
    # An input only a Transpose reads keeps the model's NCHW order at the API; the
    # Transpose to NHWC relabels axes only (a RESHAPE the alias pass removes); the
    # Reshape of its NHWC element order then needs one real TRANSPOSE.
    "transpose_reshape_squeeze": [
        (Q, (1, 4, 6, 6)),
        (OpKind.RESHAPE, (1, 4, 6, 6)),
        (OpKind.QUANTIZE, (1, 4, 6, 6)),
        (OpKind.TRANSPOSE, (1, 6, 6, 4)),
        (OpKind.RESHAPE, (1, 36, 4)),
        (OpKind.RESHAPE, (1, 36, 4, 1)),
        (OpKind.RESHAPE, (1, 1, 36, 4)),
        (OpKind.RESHAPE, (1, 36, 4)),
        (DQ, (1, 36, 4)),
    ],
    # Products stay in ONNX order, so the softmax over their last axis needs no transpose;
    # the NHWC input is put in ONNX order once and the output back to NHWC at the API.
    "attention_scores": [
        (Q, (1, 6, 6, 4)),
        (OpKind.RESHAPE, (1, 6, 6, 4)),
        (OpKind.TRANSPOSE, (1, 4, 6, 6)),
        (OpKind.TRANSPOSE, (1, 4, 6, 6)),
        (OpKind.BATCH_MATMUL, (1, 4, 6, 6)),
        (OpKind.SOFTMAX, (1, 4, 6, 6)),
        (OpKind.BATCH_MATMUL, (1, 4, 6, 6)),
        (OpKind.TRANSPOSE, (1, 6, 6, 4)),
        (DQ, (1, 6, 6, 4)),
    ],
}


@pytest.mark.parametrize("family", sorted(GOLDEN))
def test_family_lowers_to_golden_ir(family: str) -> None:
    assert lowered_ops(family) == GOLDEN[family]


def test_reduce_mean_over_channels_reduces_the_last_nhwc_axis() -> None:
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.03, 0)
    y = g.quantize(g.node("ReduceMean", [x], axes=[1], keepdims=1), 0.03, 0)
    graph = parse_onnx(g.model(SHAPE, [y]).SerializeToString(), "m.onnx").model.main
    mean = next(op for op in graph.operators if op.kind is OpKind.MEAN)
    assert isinstance(mean.attrs, ReducerAttrs)
    assert mean.attrs.keep_dims
    axes = graph.tensors[mean.inputs[1]].data
    assert axes is not None
    assert axes.tolist() == [3]


def test_slice_split_and_concat_axes_follow_the_layout() -> None:
    ops = lowered_ops("slice_split_pad_concat")
    assert [k for k, _ in ops].count(OpKind.STRIDED_SLICE) == 4  # two slices, two split parts
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.03, 0)
    y = g.quantize(g.node("Concat", [x, x], axis=-1), 0.03, 0)
    graph = parse_onnx(g.model(SHAPE, [y]).SerializeToString(), "m.onnx").model.main
    concat = next(op for op in graph.operators if op.kind is OpKind.CONCATENATION)
    assert isinstance(concat.attrs, ConcatenationAttrs)
    assert concat.attrs.axis == 2


def test_sigmoid_requantizes_from_tflms_fixed_output_scale() -> None:
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.03, 0)
    y = g.quantize(g.node("Sigmoid", [x]), 1 / 255, -128)
    graph = parse_onnx(g.model(SHAPE, [y]).SerializeToString(), "m.onnx").model.main
    assert [op.kind for op in graph.operators] == [Q, OpKind.LOGISTIC, OpKind.QUANTIZE, DQ]


def test_uint8_weights_fold_their_zero_point_when_it_fits() -> None:
    g = QdqGraph(unsigned=True)
    x = g.quantize("input", 0.03, 128)
    values, scales = conv_weights(np.random.default_rng(0), (3, 4, 1, 1))
    weights = g.const((values // 2 + 128).astype(np.uint8))
    w = g.node("DequantizeLinear", [weights, g.const(np.float32(scales[0])), g.const(np.uint8(128))])
    y = g.quantize(g.node("Conv", [x, w], kernel_shape=[1, 1]), 0.1, 128)
    graph = parse_onnx(g.model(SHAPE, [y]).SerializeToString(), "m.onnx").model.main
    conv = next(op for op in graph.operators if op.kind is OpKind.CONV_2D)
    filter_ = graph.tensors[conv.inputs[1]]
    assert filter_.data is not None
    assert filter_.quantization is not None
    np.testing.assert_array_equal(filter_.data, (values // 2).transpose(0, 2, 3, 1))
    assert set(filter_.quantization.zero_points) == {0}
