"""Each ONNX operator family end to end: a small QDQ graph per family (uint8 or int8,
NCHW), compiled, run, and compared with onnxruntime (ORT_DISABLE_ALL): within one LSB,
the same argmax. Layout mistakes (axes, element order) would show as large differences."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from tests.onnx_builder import QdqGraph, conv_weights
from tinymlc import hostbuild
from tinymlc.frontend.onnx import load_onnx
from tinymlc.ir import DType, OpKind
from tinymlc.onnx_check import check_onnx

SHAPE = [1, 4, 6, 6]
Builder = Callable[[QdqGraph, str], str]


def _conv(g: QdqGraph, x: str) -> str:
    values, scales = conv_weights(np.random.default_rng(1), (6, 4, 3, 3))
    y = g.node("Conv", [x, g.weights(values, scales)], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    return g.quantize(y, 0.2, 128 if g.unsigned else 0)


def _depthwise(g: QdqGraph, x: str) -> str:
    values, scales = conv_weights(np.random.default_rng(2), (8, 1, 3, 3))
    y = g.node("Conv", [x, g.weights(values, scales)], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4)
    return g.quantize(y, 0.1, 128 if g.unsigned else 0)


def _gemm(g: QdqGraph, x: str) -> str:
    flat = g.quantize(g.node("Flatten", [x]), 0.05, 128 if g.unsigned else 0)
    values, scales = conv_weights(np.random.default_rng(3), (10, 144))
    bias = g.const(np.random.default_rng(4).normal(0, 0.5, 10).astype(np.float32))
    y = g.node("Gemm", [flat, g.weights(values, scales), bias], transB=1)
    return g.quantize(y, 0.3, 128 if g.unsigned else 0)


def _add_broadcast(g: QdqGraph, x: str) -> str:
    channel = g.quantize(
        g.const(np.linspace(-1, 1, 4, dtype=np.float32).reshape(4, 1, 1)), 0.01, 128 if g.unsigned else 0
    )
    return g.quantize(g.node("Add", [x, channel]), 0.06, 128 if g.unsigned else 0)


def _mul(g: QdqGraph, x: str) -> str:
    return g.quantize(g.node("Mul", [x, x]), 0.04, 0 if g.unsigned else -128)


def _pools(g: QdqGraph, x: str) -> str:
    pooled = g.quantize(
        g.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2]), 0.05, 128 if g.unsigned else 0
    )
    avg = g.quantize(
        g.node("AveragePool", [pooled], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        0.05,
        128 if g.unsigned else 0,
    )
    return g.quantize(g.node("GlobalAveragePool", [avg]), 0.02, 128 if g.unsigned else 0)


def _reduce_mean(g: QdqGraph, x: str) -> str:
    return g.quantize(g.node("ReduceMean", [x], axes=[1], keepdims=0), 0.03, 128 if g.unsigned else 0)


def _activations(g: QdqGraph, x: str) -> str:
    z = 128 if g.unsigned else 0
    relu6 = g.quantize(
        g.node("Clip", [x, g.const(np.float32(0)), g.const(np.float32(6))]), 0.03, 0 if g.unsigned else -128
    )
    leaky = g.quantize(g.node("LeakyRelu", [x], alpha=0.2), 0.04, z)
    hard = g.quantize(g.node("HardSwish", [leaky]), 0.04, z)
    sigmoid = g.quantize(g.node("Sigmoid", [hard]), 1 / 256, 0 if g.unsigned else -128)
    tanh = g.quantize(g.node("Tanh", [relu6]), 1 / 128, z)
    return g.quantize(g.node("Add", [sigmoid, tanh]), 0.02, z)


def _softmax(g: QdqGraph, x: str) -> str:
    return g.quantize(g.node("Softmax", [x], axis=1), 1 / 256, 0 if g.unsigned else -128)


def _softmax_scale_1_255(g: QdqGraph, x: str) -> str:
    """onnxruntime's quantizer's Softmax output: scale 1/255, not TFLM's 1/256."""
    return g.quantize(g.node("Softmax", [x], axis=1), 1 / 255, 0 if g.unsigned else -128)


def _layout(g: QdqGraph, x: str) -> str:
    z = 128 if g.unsigned else 0
    t = g.quantize(g.node("Transpose", [x], perm=[0, 2, 3, 1]), 0.05, z)
    r = g.quantize(g.node("Reshape", [t, g.const(np.array([1, 36, 4], np.int64))]), 0.05, z)
    u = g.quantize(g.node("Unsqueeze", [r, g.const(np.array([1], np.int64))]), 0.05, z)
    return g.quantize(g.node("Squeeze", [u, g.const(np.array([1], np.int64))]), 0.05, z)


def _slices(g: QdqGraph, x: str) -> str:
    z = 128 if g.unsigned else 0

    def ints(*values: int) -> str:
        return g.const(np.array(values, np.int64))

    # Channels 1..3 and every other column from the right: [1, 3, 6, 3].
    sliced = g.quantize(g.node("Slice", [x, ints(1, 5), ints(4, 0), ints(1, 3), ints(1, -2)]), 0.05, z)
    g.node("Split", [x, ints(1, 3)], axis=1, outputs=2)
    first, rest = (g.quantize(name, 0.05, z) for name in g.nodes[-1].output)
    # One channel padded by two more and one row on top: [1, 3, 7, 6] -> rows 1.. : [1, 3, 6, 6].
    padded = g.quantize(g.node("Pad", [first, ints(0, 0, 1, 0, 0, 2, 0, 0)]), 0.05, z)
    cropped = g.quantize(g.node("Slice", [padded, ints(1), ints(7), ints(2)]), 0.05, z)
    channels = g.quantize(g.node("Concat", [cropped, rest], axis=1), 0.05, z)
    return g.quantize(
        g.node("Concat", [channels, g.node("Concat", [sliced, sliced], axis=1)], axis=3), 0.05, z
    )


def _shape_computed_reshape(g: QdqGraph, x: str) -> str:
    """PyTorch's `x.view(x.size(0), -1)`: the target shape computed from Shape at run time."""
    batch = g.node("Gather", [g.node("Shape", [x]), g.const(np.array(0, np.int64))], axis=0)
    batch_1d = g.node("Unsqueeze", [batch, g.const(np.array([0], np.int64))])
    shape = g.node("Concat", [batch_1d, g.const(np.array([-1], np.int64))], axis=0)
    return g.quantize(g.node("Reshape", [x, shape]), 0.03, 128 if g.unsigned else 0)


def _attention_scores(g: QdqGraph, x: str) -> str:
    """Softmax over the last axis of a 4-D tensor (attention scores), then scores x values."""
    z = 128 if g.unsigned else 0
    scores = g.quantize(g.node("MatMul", [x, g.node("Transpose", [x], perm=[0, 1, 3, 2])]), 0.05, z)
    probabilities = g.quantize(g.node("Softmax", [scores], axis=-1), 1 / 256, 0 if g.unsigned else -128)
    return g.quantize(g.node("MatMul", [probabilities, x]), 0.02, z)


def _gather_channels(g: QdqGraph, x: str) -> str:
    """1-D indices (one negative) along the channel axis: the NHWC layout is kept."""
    picked = g.node("Gather", [x, g.const(np.array([-1, 0, 2], np.int64))], axis=1)
    return g.quantize(picked, 0.03, 128 if g.unsigned else 0)


def _gather_2d_indices(g: QdqGraph, x: str) -> str:
    """2-D indices along the last axis (rank 5 out), then a scalar index (rank 4 out)."""
    z = 128 if g.unsigned else 0
    pairs = g.quantize(g.node("Gather", [x, g.const(np.array([[1, 0], [5, 5]], np.int64))], axis=3), 0.03, z)
    return g.quantize(g.node("Gather", [pairs, g.const(np.int64(1))], axis=2), 0.03, z)


def _resize(
    mode: str, transform: str, scales: list[float] | None, sizes: list[int] | None, **attrs: Any
) -> Builder:
    def build(g: QdqGraph, x: str) -> str:
        inputs = [x, ""]
        inputs.append(g.const(np.array(scales, np.float32)) if scales is not None else "")
        if sizes is not None:
            inputs.append(g.const(np.array(sizes, np.int64)))
        y = g.node("Resize", inputs, mode=mode, coordinate_transformation_mode=transform, **attrs)
        return g.quantize(y, 0.03, 128 if g.unsigned else 0)

    return build


def _hard_sigmoid(g: QdqGraph, x: str) -> str:
    """onnxruntime's quantizer's output range [0, 1]: the int8 range itself clips."""
    return g.quantize(g.node("HardSigmoid", [x], alpha=0.3, beta=0.4), 1 / 255, 0 if g.unsigned else -128)


def _hard_sigmoid_wide_output(g: QdqGraph, x: str) -> str:
    """An output range [0, 1.275]: the clip at 1 is the fused RELU_N1_TO_1; alpha < 0."""
    return g.quantize(g.node("HardSigmoid", [x], alpha=-0.25), 0.005, 0 if g.unsigned else -128)


FAMILIES: dict[str, Builder] = {
    "conv_strided_pytorch_pads": _conv,
    "depthwise_multiplier_2": _depthwise,
    "flatten_gemm": _gemm,
    "add_channel_broadcast": _add_broadcast,
    "mul": _mul,
    "max_average_global_pools": _pools,
    "reduce_mean_channels": _reduce_mean,
    "activations": _activations,
    "softmax_channels": _softmax,
    "softmax_scale_1_255": _softmax_scale_1_255,
    "transpose_reshape_squeeze": _layout,
    "slice_split_pad_concat": _slices,
    "shape_computed_reshape": _shape_computed_reshape,
    "attention_scores": _attention_scores,
    "hard_sigmoid": _hard_sigmoid,
    "hard_sigmoid_wide_output": _hard_sigmoid_wide_output,
    "gather_channels": _gather_channels,
    "gather_2d_indices": _gather_2d_indices,
    "resize_nearest_pytorch": _resize("nearest", "asymmetric", [1, 1, 2, 2], None, nearest_mode="floor"),
    "resize_nearest_half_pixel": _resize("nearest", "half_pixel", None, [1, 4, 12, 12]),
    "resize_nearest_align_corners": _resize(
        "nearest", "align_corners", None, [1, 4, 11, 9], nearest_mode="round_prefer_ceil"
    ),
    "resize_linear_half_pixel": _resize("linear", "half_pixel", [1, 1, 2, 2], None),
    "resize_linear_align_corners": _resize("linear", "align_corners", None, [1, 4, 11, 9]),
}


def _model(family: str, unsigned: bool) -> onnx.ModelProto:
    g = QdqGraph(unsigned=unsigned, opset=14)  # HardSwish: opset 14
    x = g.quantize("input", 0.03, 128 if unsigned else 0)
    return g.model(SHAPE, [FAMILIES[family](g, x)])


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_matches_onnxruntime(family: str, unsigned: bool, tmp_path: Path) -> None:
    path = tmp_path / f"{family}.onnx"
    onnx.save(_model(family, unsigned), path)
    result = check_onnx(path, 6, 0, hostbuild.default_runtime_dir())
    assert result.passed, result


def _qoperator_model(unsigned: bool) -> onnx.ModelProto:
    """uint8/int8 in and out, through the com.microsoft QLinear* operators not in the zoo."""
    g = QdqGraph(unsigned=unsigned, opset=14)
    z = 128 if unsigned else 0

    def q(scale: float, zero_point: int) -> list[str]:
        return [g.const(np.float32(scale)), g.zero_point(zero_point)]

    ms = "com.microsoft"
    x = ["input", *q(0.05, z)]
    leaky = g.node("QLinearLeakyRelu", [*x, *q(0.04, z)], domain=ms, alpha=0.1)
    probability = q(1 / 256, 0 if unsigned else -128)
    sigmoid = g.node("QLinearSigmoid", [leaky, *q(0.04, z), *probability], domain=ms)
    product = g.node("QLinearMul", [*x, sigmoid, *probability, *q(0.03, z)], domain=ms)
    joined = g.node("QLinearConcat", [*q(0.05, z), *x, product, *q(0.03, z)], domain=ms, axis=1)
    window: dict[str, Any] = {"kernel_shape": [2, 2], "strides": [2, 2]}
    pooled = g.node("QLinearAveragePool", [joined, *q(0.05, z), *q(0.04, z)], domain=ms, **window)
    element = onnx.TensorProto.UINT8 if unsigned else onnx.TensorProto.INT8
    return g.model(SHAPE, [pooled], input_type=element, output_type=element)


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_qoperator_contrib_operators_match_onnxruntime(unsigned: bool, tmp_path: Path) -> None:
    path = tmp_path / "qoperator.onnx"
    onnx.save(_qoperator_model(unsigned), path)
    result = check_onnx(path, 6, 0, hostbuild.default_runtime_dir())
    assert result.passed, result


def test_softmax_at_another_scale_is_the_float_softmax(tmp_path: Path) -> None:
    """DEQUANTIZE, float32 SOFTMAX, QUANTIZE: probabilities round as onnxruntime's."""
    path = tmp_path / "softmax.onnx"
    onnx.save(_model("softmax_scale_1_255", unsigned=True), path)
    graph = load_onnx(path).model.main
    kinds = [op.kind for op in graph.operators]
    at = kinds.index(OpKind.SOFTMAX)
    assert kinds[at - 1 : at + 2] == [OpKind.DEQUANTIZE, OpKind.SOFTMAX, OpKind.QUANTIZE]
    assert graph.tensors[graph.operators[at].outputs[0]].dtype is DType.FLOAT32
    result = check_onnx(path, 20, 0, hostbuild.default_runtime_dir())
    # Through TFLM's int16 SOFTMAX and a requantize, about one element in 500 differed.
    assert result.bit_exact, result


def test_nhwc_input_transposed_by_the_model_costs_no_transpose(tmp_path: Path) -> None:
    """tf2onnx's pattern: an NHWC image input, then Transpose to NCHW before the convolution."""
    g = QdqGraph(unsigned=False)
    x = g.quantize("input", 0.03, 0)
    nchw = g.node("Transpose", [x], perm=[0, 3, 1, 2])
    values, scales = conv_weights(np.random.default_rng(5), (5, 4, 3, 3))
    y = g.node("Conv", [nchw, g.weights(values, scales)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    path = tmp_path / "nhwc_input.onnx"
    onnx.save(g.model([1, 6, 6, 4], [g.quantize(y, 0.1, 0)]), path)
    lowered = load_onnx(path)
    assert OpKind.TRANSPOSE not in [op.kind for op in lowered.model.main.operators]
    assert lowered.layouts[lowered.model.main.inputs[0]] == (0, 1, 2, 3)  # the model's own NHWC
    result = check_onnx(path, 6, 0, hostbuild.default_runtime_dir())
    assert result.passed, result


def test_tf2onnx_patterns_match_onnxruntime(tmp_path: Path) -> None:
    """tf2onnx's export of a TFLite model: an unused ai.onnx.ml import, an int8 input
    reshaped before its DequantizeLinear, a fused ReLU as its own node before the
    QuantizeLinear."""
    g = QdqGraph(unsigned=False)
    scale, zero_point = g.const(np.float32(0.05)), g.zero_point(3)
    image = g.node("Reshape", ["input", g.const(np.array([1, 4, 6, 6], np.int64))])
    x = g.node("DequantizeLinear", [image, scale, zero_point])
    values, scales = conv_weights(np.random.default_rng(6), (5, 4, 3, 3))
    y = g.node("Conv", [x, g.weights(values, scales)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = g.model([1, 144], [g.quantize(g.node("Relu", [y]), 0.1, -128)], input_type=onnx.TensorProto.INT8)
    model.opset_import.append(onnx.helper.make_opsetid("ai.onnx.ml", 2))
    path = tmp_path / "tf2onnx.onnx"
    onnx.save(model, path)
    result = check_onnx(path, 6, 0, hostbuild.default_runtime_dir())
    assert result.passed, result
