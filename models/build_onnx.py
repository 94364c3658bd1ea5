"""Deterministic ONNX micro-models for the zoo: float CNN/MLP graphs written with
`onnx.helper` (NCHW, seeded weights), quantized with onnxruntime's static quantizer on
seeded calibration data in both formats (QDQ, QOperator) and both activation types
(uint8, int8; int8 per-channel weights).

    python models/build_onnx.py [--only REGEX] [--out DIR]

Writes <family>_<qdq|qop>_<u8|s8>.onnx, one float model with its calibration set for
`tinymlc --calibration` (FLOAT_MODEL.onnx and FLOAT_MODEL_calibration/NNN.npy), and
INTEGER_MODEL.onnx: ConvInteger and MatMulInteger as dynamic-quantization graphs use them
(int32 accumulator, Cast, Mul by the scale, Add the bias), written directly since no
quantizer emits them with static input quantization.
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
CALIBRATION_SAMPLES = 16


class GraphWriter:
    """Appends float nodes and seeded initializers to one NCHW graph."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, shape: tuple[int, ...], fan_in: int) -> str:
        name = self.name("w")
        data = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        self.initializers.append(numpy_helper.from_array(data, name))
        return name

    def bias(self, size: int) -> str:
        name = self.name("b")
        self.initializers.append(
            numpy_helper.from_array(self.rng.normal(0, 0.1, size).astype(np.float32), name)
        )
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(
        self,
        x: str,
        cin: int,
        cout: int,
        k: tuple[int, int],
        stride: int = 1,
        group: int = 1,
        pads: tuple[int, int, int, int] | None = None,
        act: str | None = "Relu",
    ) -> str:
        w = self.weight((cout, cin // group, *k), cin // group * k[0] * k[1])
        if pads is None:
            pads = (k[0] // 2, k[1] // 2, (k[0] - 1) // 2, (k[1] - 1) // 2)
        y = self.node(
            "Conv",
            [x, w, self.bias(cout)],
            kernel_shape=list(k),
            strides=[stride, stride],
            pads=list(pads),
            group=group,
        )
        if act == "Relu":
            return self.node("Relu", [y])
        if act == "Relu6":
            low, high = self.constant(0.0), self.constant(6.0)
            return self.node("Clip", [y, low, high])
        return y

    def constant(self, value: float) -> str:
        name = self.name("c")
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
        return name

    def gemm(self, x: str, cin: int, cout: int, act: str | None = None) -> str:
        y = self.node("Gemm", [x, self.weight((cout, cin), cin), self.bias(cout)], transB=1)
        return self.node(act, [y]) if act else y

    def classifier(self, x: str, channels: int, classes: int) -> str:
        pooled = self.node("GlobalAveragePool", [x])
        flat = self.node("Flatten", [pooled], axis=1)
        return self.node("Softmax", [self.gemm(flat, channels, classes)], axis=1)

    def model(self, name: str, input_shape: tuple[int, ...], output: str) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(input_shape))],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
            self.initializers,
        )
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rules_tinyml"
        )
        model.ir_version = 8
        return onnx.shape_inference.infer_shapes(model)


def ds_cnn() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    g = GraphWriter(1)
    x = g.conv("input", 1, 32, (10, 4), stride=2, pads=(4, 1, 5, 2))
    for _ in range(3):
        x = g.conv(x, 32, 32, (3, 3), group=32)
        x = g.conv(x, 32, 32, (1, 1))
    return g.model("ds_cnn", (1, 1, 49, 10), g.classifier(x, 32, 12)), (1, 1, 49, 10)


def mobilenet() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    g = GraphWriter(2)
    x = g.conv("input", 3, 8, (3, 3), stride=2, act="Relu6")
    channels = 8
    for cout, stride in ((16, 1), (32, 2), (32, 1), (64, 2)):
        x = g.conv(x, channels, channels, (3, 3), stride=stride, group=channels, act="Relu6")
        x = g.conv(x, channels, cout, (1, 1), act="Relu6")
        channels = cout
    return g.model("mobilenet", (1, 3, 32, 32), g.classifier(x, channels, 10)), (1, 3, 32, 32)


def resnet8() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    g = GraphWriter(3)
    x = g.conv("input", 3, 16, (3, 3))
    channels = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        y = g.conv(x, channels, cout, (3, 3), stride=stride)
        y = g.conv(y, cout, cout, (3, 3), act=None)
        shortcut = (
            x
            if stride == 1 and cout == channels
            else g.conv(x, channels, cout, (1, 1), stride=stride, act=None)
        )
        x = g.node("Relu", [g.node("Add", [y, shortcut])])
        channels = cout
    return g.model("resnet8", (1, 3, 32, 32), g.classifier(x, channels, 10)), (1, 3, 32, 32)


def mlp_autoencoder() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    g = GraphWriter(4)
    x = "input"
    sizes = (640, 128, 128, 8, 128, 128, 640)
    for index, (cin, cout) in enumerate(itertools.pairwise(sizes)):
        x = g.gemm(x, cin, cout, act="Relu" if index < len(sizes) - 2 else None)
    return g.model("mlp_autoencoder", (1, 640), x), (1, 640)


def transformer_block() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """One single-head self-attention block with a ReLU feed-forward, residuals, no norm."""
    g = GraphWriter(5)
    tokens, width = 16, 32

    def linear(x: str, cin: int, cout: int) -> str:
        return g.node("Add", [g.node("MatMul", [x, g.weight((cin, cout), cin)]), g.bias(cout)])

    x = "input"
    query, key, value = (linear(x, width, width) for _ in range(3))
    scores = g.node("MatMul", [query, g.node("Transpose", [key], perm=[0, 2, 1])])
    scaled = g.node("Mul", [scores, g.constant(1.0 / np.sqrt(width))])
    attention = g.node("MatMul", [g.node("Softmax", [scaled], axis=-1), value])
    hidden = g.node("Add", [x, linear(attention, width, width)])
    feed_forward = linear(g.node("Relu", [linear(hidden, width, 2 * width)]), 2 * width, width)
    output = g.node("Add", [hidden, feed_forward])
    return g.model("transformer_block", (1, tokens, width), output), (1, tokens, width)


FAMILIES: dict[str, Callable[[], tuple[onnx.ModelProto, tuple[int, ...]]]] = {
    "ds_cnn": ds_cnn,
    "mobilenet": mobilenet,
    "resnet8": resnet8,
    "mlp_autoencoder": mlp_autoencoder,
    "transformer_block": transformer_block,
}


class _Calibration:
    """Seeded calibration inputs (onnxruntime's CalibrationDataReader protocol)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        rng = np.random.default_rng(1234)
        self.samples: Iterator[dict[str, np.ndarray]] = iter(
            [{"input": rng.normal(0, 1, size=shape).astype(np.float32)} for _ in range(CALIBRATION_SAMPLES)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.samples, None)


def quantized_variants(family: str) -> Iterator[tuple[str, onnx.ModelProto]]:
    from onnxruntime.quantization import (  # type: ignore[import-untyped]  # noqa: PLC0415
        QuantFormat,
        QuantType,
        quantize_static,
    )

    model, shape = FAMILIES[family]()
    with tempfile.TemporaryDirectory() as work:
        float_path = Path(work) / "float.onnx"
        onnx.save(model, float_path)
        for fmt_name, fmt in (("qdq", QuantFormat.QDQ), ("qop", QuantFormat.QOperator)):
            for act_name, act in (("u8", QuantType.QUInt8), ("s8", QuantType.QInt8)):
                out = Path(work) / f"{fmt_name}_{act_name}.onnx"
                quantize_static(
                    str(float_path),
                    str(out),
                    _Calibration(shape),
                    quant_format=fmt,
                    activation_type=act,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
                )
                yield f"{family}_{fmt_name}_{act_name}", onnx.load(out)


# The float model kept for tinymlc's own quantization, with its calibration samples.
FLOAT_MODEL = ("ds_cnn", "ds_cnn_float")
FLOAT_CALIBRATION_SAMPLES = 8


def write_float_model(out: Path) -> None:
    family, name = FLOAT_MODEL
    model, shape = FAMILIES[family]()
    onnx.save(model, out / f"{name}.onnx")
    calibration = out / f"{name}_calibration"
    calibration.mkdir(exist_ok=True)
    rng = np.random.default_rng(4321)
    for index in range(FLOAT_CALIBRATION_SAMPLES):
        np.save(calibration / f"{index:03d}.npy", rng.normal(0, 1, size=shape).astype(np.float32))
    print(f"wrote {name}.onnx and {FLOAT_CALIBRATION_SAMPLES} calibration samples")


INTEGER_MODEL = "integer_cnn_u8"


def integer_cnn() -> onnx.ModelProto:
    """uint8 [1, 1, 12, 12] -> ConvInteger (uint8 weights) -> Cast
    -> Mul -> Add -> QuantizeLinear -> MaxPool -> Flatten -> MatMulInteger (int8 weights)
    -> Cast -> Mul -> Add: float logits [1, 10]."""
    rng = np.random.default_rng(77)
    channels, classes = 8, 10
    constants = {
        "conv_w": rng.integers(90, 166, (channels, 1, 3, 3)).astype(np.uint8),
        # onnxruntime's ConvInteger takes a per-tensor weight zero point only.
        "conv_w_zero": np.array(127, np.uint8),
        "x_zero": np.array(128, np.uint8),
        "conv_scale": rng.uniform(2e-4, 4e-4, (channels, 1, 1)).astype(np.float32),
        "conv_bias": rng.normal(0, 0.1, (channels, 1, 1)).astype(np.float32),
        "hidden_scale": np.array(0.02, np.float32),
        "hidden_zero": np.array(0, np.uint8),
        "fc_w": rng.integers(-127, 128, (channels * 36, classes)).astype(np.int8),
        "fc_scale": rng.uniform(1e-4, 2e-4, classes).astype(np.float32),
        "fc_bias": rng.normal(0, 0.1, classes).astype(np.float32),
    }
    nodes = [
        helper.make_node(
            "ConvInteger", ["input", "conv_w", "x_zero", "conv_w_zero"], ["conv"], pads=[1, 1, 1, 1]
        ),
        helper.make_node("Cast", ["conv"], ["conv_real"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["conv_real", "conv_scale"], ["conv_scaled"]),
        helper.make_node("Add", ["conv_scaled", "conv_bias"], ["conv_out"]),
        helper.make_node("QuantizeLinear", ["conv_out", "hidden_scale", "hidden_zero"], ["hidden"]),
        helper.make_node("MaxPool", ["hidden"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMulInteger", ["flat", "fc_w", "hidden_zero"], ["fc"]),
        helper.make_node("Cast", ["fc"], ["fc_real"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["fc_real", "fc_scale"], ["fc_scaled"]),
        helper.make_node("Add", ["fc_scaled", "fc_bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        INTEGER_MODEL,
        [helper.make_tensor_value_info("input", TensorProto.UINT8, [1, 1, 12, 12])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="regex over model names")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args()
    for family in FAMILIES:
        for name, model in quantized_variants(family):
            if re.search(args.only, name):
                onnx.save(model, Path(args.out) / f"{name}.onnx")
                print(f"wrote {name}.onnx")
    if re.search(args.only, FLOAT_MODEL[1]):
        write_float_model(Path(args.out))
    if re.search(args.only, INTEGER_MODEL):
        onnx.save(integer_cnn(), Path(args.out) / f"{INTEGER_MODEL}.onnx")
        print(f"wrote {INTEGER_MODEL}.onnx")


if __name__ == "__main__":
    main()
