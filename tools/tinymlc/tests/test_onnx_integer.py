"""MatMulInteger and ConvInteger (int32 accumulators: the int8 kernels' accumulator
output, or the float32 kernels for unfolded per-channel zero points) and the Cast/Mul/Add that
dynamic-quantization graphs put after them: the generated Rust bit for bit against
onnxruntime (the accumulators are integers, the float steps single roundings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.onnx_builder import run_against_onnxruntime
from tinymlc.errors import CompileError
from tinymlc.frontend.onnx import parse_onnx
from tinymlc.ir import OpKind


def _model(
    nodes: list[onnx.NodeProto],
    x: onnx.ValueInfoProto,
    outputs: list[onnx.ValueInfoProto],
    constants: dict[str, np.ndarray],
) -> onnx.ModelProto:
    initializers = [numpy_helper.from_array(value, name) for name, value in constants.items()]
    graph = helper.make_graph(nodes, "integer", [x], outputs, initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_matmul_integer_then_cast_mul_add_matches_onnxruntime(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    constants: dict[str, np.ndarray] = {
        "B": rng.integers(-127, 128, (64, 24)).astype(np.int8),
        "a_zero": np.array(131, np.uint8),
        "b_zero": rng.integers(-3, 4, 24).astype(np.int8),
        "scale": rng.uniform(1e-4, 1e-3, 24).astype(np.float32),
        "bias": rng.uniform(-1, 1, 24).astype(np.float32),
    }
    nodes = [
        helper.make_node("MatMulInteger", ["A", "B", "a_zero", "b_zero"], ["acc"]),
        helper.make_node("Cast", ["acc"], ["real"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["real", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], ["y"]),
    ]
    model = _model(
        nodes,
        helper.make_tensor_value_info("A", TensorProto.UINT8, [2, 5, 64]),
        [
            helper.make_tensor_value_info("acc", TensorProto.INT32, [2, 5, 24]),
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 24]),
        ],
        constants,
    )
    samples = [rng.integers(0, 256, (2, 5, 64)).astype(np.uint8) for _ in range(4)]
    run_against_onnxruntime(model, samples, tmp_path)


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_conv_integer_grouped_strided_padded_matches_onnxruntime(unsigned: bool, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    dtype, low, high = (np.uint8, 0, 256) if unsigned else (np.int8, -128, 128)
    constants = {
        "w": rng.integers(low, high, (6, 2, 3, 3)).astype(dtype),
        "x_zero": np.array(120 if unsigned else -7, dtype),
        "w_zero": np.array(128 if unsigned else 0, dtype),
    }
    nodes = [
        helper.make_node(
            "ConvInteger", ["x", "w", "x_zero", "w_zero"], ["y"], group=2, strides=[2, 2], pads=[1, 0, 1, 1]
        )
    ]
    elem = TensorProto.UINT8 if unsigned else TensorProto.INT8
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", elem, [1, 4, 9, 9]),
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 6, 5, 5])],
        constants,
    )
    samples = [rng.integers(low, high, (1, 4, 9, 9)).astype(dtype) for _ in range(3)]
    try:
        run_against_onnxruntime(model, samples, tmp_path)
    except Exception as exc:  # onnxruntime's ConvInteger takes uint8 only
        if unsigned or "NOT_IMPLEMENTED" not in str(exc):
            raise
        pytest.skip(f"onnxruntime has no int8 ConvInteger: {exc}")


def test_int8_kernel_accumulators_beyond_two_to_the_24(tmp_path: Path) -> None:
    """Folded or per-tensor zero points run the int8 kernels' int32 accumulator output:
    exact past 2^24 (600 * 127 * 255 here) with uint8 weights whose zero point stays
    their weights offset."""
    constants = {"B": np.full((600, 2), 255, np.uint8), "b_zero": np.array(0, np.uint8)}
    model = _model(
        [helper.make_node("MatMulInteger", ["A", "B", "", "b_zero"], ["y"])],
        helper.make_tensor_value_info("A", TensorProto.UINT8, [1, 600]),
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 2])],
        constants,
    )
    kinds = [op.kind for op in parse_onnx(model.SerializeToString()).model.main.operators]
    assert kinds == [OpKind.FULLY_CONNECTED]
    rng = np.random.default_rng(6)
    samples = [np.full((1, 600), 255, np.uint8), rng.integers(0, 256, (1, 600)).astype(np.uint8)]
    run_against_onnxruntime(model, samples, tmp_path)


def test_unfolded_per_channel_zero_points_beyond_float32_integers_are_rejected() -> None:
    """Per-column zero points that leave the weights beyond int8 take the float32
    kernels, exact below 2^24 only."""
    constants = {"B": np.full((600, 2), 127, np.int8), "b_zero": np.array([-3, 2], np.int8)}
    model = _model(
        [helper.make_node("MatMulInteger", ["A", "B", "", "b_zero"], ["y"])],
        helper.make_tensor_value_info("A", TensorProto.UINT8, [1, 600]),
        [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 2])],
        constants,
    )
    with pytest.raises(CompileError, match="2\\^24"):
        parse_onnx(model.SerializeToString(), "big.onnx")


def test_zoo_integer_model_matches_onnxruntime_bit_for_bit(tmp_path: Path) -> None:
    """models/integer_cnn_u8.onnx: ConvInteger and MatMulInteger with their Cast, Mul, Add,
    a QuantizeLinear, MaxPool and Flatten between; float logits equal to onnxruntime's."""
    model = onnx.load(Path(__file__).absolute().parents[3] / "models" / "integer_cnn_u8.onnx")
    rng = np.random.default_rng(5)
    run_against_onnxruntime(
        model, [rng.integers(0, 256, (1, 1, 12, 12)).astype(np.uint8) for _ in range(20)], tmp_path
    )
