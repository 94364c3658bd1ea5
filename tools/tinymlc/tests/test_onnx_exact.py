"""`--onnx_exact`: integer-accumulating operators requantized in float32 as onnxruntime
does, the generated Rust bit for bit against onnxruntime (ORT_DISABLE_ALL): edge values
of the requantization (ties, saturation, accumulators near 2^24, per-channel scales),
QuantizeLinear of float inputs, and every QOperator model of the zoo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.onnx_builder import QdqGraph, run_against_onnxruntime
from tests.test_onnx_check import _tinymlc
from tinymlc import hostbuild
from tinymlc.frontend.onnx import parse_onnx
from tinymlc.frontend.onnx.mlas_order import SummationOrder, conv_order
from tinymlc.frontend.onnx.spatial import Spatial
from tinymlc.ir import BlockSum, DType, OpKind
from tinymlc.onnx_check import check_onnx

MODELS = Path(__file__).absolute().parents[3] / "models"
QOPERATOR_MODELS = sorted(path.stem for path in MODELS.glob("*_qop_*.onnx"))


_MICROSOFT = (("", 13), ("com.microsoft", 1))


def _model(
    nodes: list[onnx.NodeProto],
    x: onnx.ValueInfoProto,
    y: onnx.ValueInfoProto | list[onnx.ValueInfoProto],
    constants: dict[str, np.ndarray],
    opsets: tuple[tuple[str, int], ...] = (("", 13),),
) -> onnx.ModelProto:
    initializers = [numpy_helper.from_array(value, name) for name, value in constants.items()]
    graph = helper.make_graph(nodes, "exact", [x], y if isinstance(y, list) else [y], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def _qlinear_matmul(
    constants: dict[str, np.ndarray], a_shape: list[int], y_shape: list[int]
) -> onnx.ModelProto:
    """QLinearMatMul of a uint8 input `a` by the constants' `b`, all parameters constants."""
    inputs = ["a", "a_scale", "a_zero", "b", "b_scale", "b_zero", "y_scale", "y_zero"]
    return _model(
        [helper.make_node("QLinearMatMul", inputs, ["y"])],
        helper.make_tensor_value_info("a", TensorProto.UINT8, a_shape),
        helper.make_tensor_value_info("y", TensorProto.UINT8, y_shape),
        constants,
    )


def _qgemm(constants: dict[str, np.ndarray], a_shape: list[int], y_shape: list[int]) -> onnx.ModelProto:
    """QGemm (com.microsoft) of a uint8 input `a` by the constants' `b` plus their `c`."""
    node = helper.make_node(
        "QGemm",
        ["a", "a_scale", "a_zero", "b", "b_scale", "b_zero", "c", "y_scale", "y_zero"],
        ["y"],
        domain="com.microsoft",
    )
    return _model(
        [node],
        helper.make_tensor_value_info("a", TensorProto.UINT8, a_shape),
        helper.make_tensor_value_info("y", TensorProto.UINT8, y_shape),
        constants,
        _MICROSOFT,
    )


def _qlinear_matmul_ties() -> onnx.ModelProto:
    """QLinearMatMul whose combined scale is 1/2: every odd accumulator is an exact tie
    (TFLite's fixed point rounds it away from zero, onnxruntime to even), and the output
    zero point leaves both ends to saturate."""
    constants: dict[str, np.ndarray] = {
        "a_scale": np.array(1.0, np.float32),
        "a_zero": np.array(3, np.uint8),
        "b": np.array([[1, 2, -3, 0], [0, 1, 1, -1]], np.int8),
        "b_scale": np.array(0.5, np.float32),
        "b_zero": np.array(0, np.int8),
        "y_scale": np.array(1.0, np.float32),
        "y_zero": np.array(100, np.uint8),
    }
    return _qlinear_matmul(constants, [256, 2], [256, 4])


def test_ties_round_to_even_and_saturate_as_onnxruntime(tmp_path: Path) -> None:
    every = np.arange(256, dtype=np.uint8)
    samples = [np.stack([every, every[::-1]], axis=1), np.stack([every[::-1], every], axis=1)]
    run_against_onnxruntime(_qlinear_matmul_ties(), samples, tmp_path, onnx_exact=True)


def test_default_mode_rounds_those_ties_away_from_zero() -> None:
    """The same ties are where TFLite's fixed point and onnxruntime part: the default
    lowering keeps FULLY_CONNECTED's integer requantization, exact mode replaces it."""
    data = _qlinear_matmul_ties().SerializeToString()
    default = {op.kind for op in parse_onnx(data).model.main.operators}
    exact = {op.kind for op in parse_onnx(data, onnx_exact=True).model.main.operators}
    assert OpKind.REQUANTIZE_FLOAT not in default
    assert OpKind.REQUANTIZE_FLOAT in exact


def test_accumulators_near_two_to_the_24_with_per_column_scales(tmp_path: Path) -> None:
    """QGemm (com.microsoft) over K = 512 with every weight 127 or -127 and a bias: the
    largest accumulator is 16 771 120, just below 2^24; per-column weight scales."""
    rng = np.random.default_rng(11)
    signs = np.where(rng.integers(0, 2, (512, 6)) == 1, 127, -127).astype(np.int8)
    constants: dict[str, np.ndarray] = {
        "a_scale": np.array(0.0123, np.float32),
        "a_zero": np.array(0, np.uint8),
        "b": signs,
        "b_scale": rng.uniform(0.002, 0.004, 6).astype(np.float32),
        "b_zero": np.zeros(6, np.int8),
        "c": np.array([190000, -190000, 7, 0, -5, 1], np.int32),
        "y_scale": np.array(163.7, np.float32),
        "y_zero": np.array(3, np.uint8),
    }
    model = _qgemm(constants, [2, 512], [2, 6])
    samples = [
        np.full((2, 512), 255, np.uint8),
        *(rng.integers(0, 256, (2, 512)).astype(np.uint8) for _ in range(4)),
    ]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


def test_batched_constant_weights(tmp_path: Path) -> None:
    """QLinearMatMul with 3-D constant weights and a non-zero weight zero point."""
    rng = np.random.default_rng(12)
    constants: dict[str, np.ndarray] = {
        "a_scale": np.array(0.037, np.float32),
        "a_zero": np.array(131, np.uint8),
        "b": rng.integers(0, 256, (2, 16, 3)).astype(np.uint8),
        "b_scale": np.array(0.0061, np.float32),
        "b_zero": np.array(120, np.uint8),
        "y_scale": np.array(0.05, np.float32),
        "y_zero": np.array(128, np.uint8),
    }
    model = _qlinear_matmul(constants, [2, 5, 16], [2, 5, 3])
    samples = [rng.integers(0, 256, (2, 5, 16)).astype(np.uint8) for _ in range(4)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


# (operator, attributes, output scale, output zero point as int8): every unary operator
# --onnx_exact tabulates, QOperator (com.microsoft) and QDQ.
_TABULATED: tuple[tuple[str, dict[str, Any], float, int], ...] = (
    ("QLinearSigmoid", {}, 1 / 256, -128),
    ("QLinearLeakyRelu", {"alpha": 0.1}, 0.043, -40),
    ("Sigmoid", {}, 1 / 255, -128),
    ("Tanh", {}, 2 / 255, 0),
    ("LeakyRelu", {"alpha": 0.2}, 0.037, -20),
    ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}, 1 / 255, -128),
    ("HardSwish", {}, 0.031, -100),
)


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_unary_operators_take_onnxruntimes_table(unsigned: bool, tmp_path: Path) -> None:
    """One input, every tabulated operator on it, each its own output; all 256 inputs."""
    storage, element = (np.uint8, TensorProto.UINT8) if unsigned else (np.int8, TensorProto.INT8)
    shift = 128 if unsigned else 0
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(0.047, np.float32),
        "x_zero": np.array(-9 + shift, storage),
    }
    nodes, outputs = [], []
    for index, (op_type, attributes, scale, zero_point) in enumerate(_TABULATED):
        y_scale, y_zero, y = f"y{index}_scale", f"y{index}_zero", f"y{index}"
        constants[y_scale] = np.array(scale, np.float32)
        constants[y_zero] = np.array(zero_point + shift, storage)
        if op_type.startswith("QLinear"):
            inputs = ["x", "x_scale", "x_zero", y_scale, y_zero]
            nodes.append(helper.make_node(op_type, inputs, [y], domain="com.microsoft", **attributes))
        else:
            nodes += [
                helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero"], [f"real{index}"]),
                helper.make_node(op_type, [f"real{index}"], [f"result{index}"], **attributes),
                helper.make_node("QuantizeLinear", [f"result{index}", y_scale, y_zero], [y]),
            ]
        outputs.append(helper.make_tensor_value_info(y, element, [2, 128]))
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", element, [2, 128]),
        outputs,
        constants,
        (("", 14), ("com.microsoft", 1)),
    )
    every = np.arange(-128, 128).astype(np.int16) + shift
    samples = [every.astype(storage).reshape(2, 128)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


def test_requantizations_take_onnxruntimes_dequantize_quantize(tmp_path: Path) -> None:
    """QLinearConcat of inputs at other scales than its output's (onnxruntime requantizes
    each through a DequantizeLinear -> QuantizeLinear table) and a QDQ requantization."""
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(0.047, np.float32),
        "x_zero": np.array(119, np.uint8),
        "s_scale": np.array(1 / 256, np.float32),
        "s_zero": np.array(0, np.uint8),
        "c_scale": np.array(0.0213, np.float32),
        "c_zero": np.array(77, np.uint8),
        "r_scale": np.array(0.1, np.float32),
        "r_zero": np.array(128, np.uint8),
    }
    nodes = [
        helper.make_node(
            "QLinearSigmoid", ["x", "x_scale", "x_zero", "s_scale", "s_zero"], ["s"], domain="com.microsoft"
        ),
        helper.make_node(
            "QLinearConcat",
            ["c_scale", "c_zero", "x", "x_scale", "x_zero", "s", "s_scale", "s_zero"],
            ["c"],
            domain="com.microsoft",
            axis=1,
        ),
        helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero"], ["real"]),
        helper.make_node("QuantizeLinear", ["real", "r_scale", "r_zero"], ["r"]),
    ]
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", TensorProto.UINT8, [2, 128]),
        [
            helper.make_tensor_value_info("c", TensorProto.UINT8, [2, 256]),
            helper.make_tensor_value_info("r", TensorProto.UINT8, [2, 128]),
        ],
        constants,
        _MICROSOFT,
    )
    samples = [np.arange(256, dtype=np.uint8).reshape(2, 128)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_qlinear_mul_adds_its_zero_point_before_rounding(unsigned: bool, tmp_path: Path) -> None:
    """QLinearMul of an activation by itself and by a per-channel constant (odd integers):
    a combined scale of 1/2 makes every odd product a tie, and the odd output zero point added in
    float32 before rounding (MLAS) moves it to the other even neighbour."""
    storage, element = (np.uint8, TensorProto.UINT8) if unsigned else (np.int8, TensorProto.INT8)
    shift = 128 if unsigned else 0
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(1.0, np.float32),
        "x_zero": np.array(5 + shift, storage),
        "c": (np.array([-2, 0, 2, 8]) + shift).astype(storage).reshape(1, 4, 1, 1),
        "c_scale": np.array(0.5, np.float32),
        "c_zero": np.array(-3 + shift, storage),
        "y_scale": np.array(1.0, np.float32),
        "y_zero": np.array(-27 + shift, storage),
        "z_scale": np.array(32.0, np.float32),
        "z_zero": np.array(1 + shift, storage),
    }
    nodes = [
        helper.make_node(
            "QLinearMul",
            ["x", "x_scale", "x_zero", "c", "c_scale", "c_zero", "y_scale", "y_zero"],
            ["y"],
            domain="com.microsoft",
        ),
        helper.make_node(
            "QLinearMul",
            ["x", "x_scale", "x_zero", "x", "x_scale", "x_zero", "z_scale", "z_zero"],
            ["z"],
            domain="com.microsoft",
        ),
    ]
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", element, [1, 4, 8, 8]),
        [
            helper.make_tensor_value_info("y", element, [1, 4, 8, 8]),
            helper.make_tensor_value_info("z", element, [1, 4, 8, 8]),
        ],
        constants,
        _MICROSOFT,
    )
    every = (np.arange(256) - 128 + shift).astype(storage)
    samples = [every.reshape(1, 4, 8, 8), every[::-1].copy().reshape(1, 4, 8, 8)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_qlinear_average_pool_averages_the_dequantized_floats(unsigned: bool, tmp_path: Path) -> None:
    """QLinearAveragePool over SAME-padded 3x3 windows (edge windows count fewer inputs)
    and over VALID 2x2 windows, into output scales unlike the input's."""
    storage, element = (np.uint8, TensorProto.UINT8) if unsigned else (np.int8, TensorProto.INT8)
    shift = 128 if unsigned else 0
    rng = np.random.default_rng(14)
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(0.031, np.float32),
        "x_zero": np.array(-7 + shift, storage),
        "y_scale": np.array(0.0173, np.float32),
        "y_zero": np.array(3 + shift, storage),
        "z_scale": np.array(0.05, np.float32),
        "z_zero": np.array(-1 + shift, storage),
    }
    pool_inputs = ["x", "x_scale", "x_zero"]
    nodes = [
        helper.make_node(
            "QLinearAveragePool",
            [*pool_inputs, "y_scale", "y_zero"],
            ["y"],
            domain="com.microsoft",
            kernel_shape=[3, 3],
            strides=[2, 2],
            auto_pad="SAME_UPPER",
        ),
        helper.make_node(
            "QLinearAveragePool",
            [*pool_inputs, "z_scale", "z_zero"],
            ["z"],
            domain="com.microsoft",
            kernel_shape=[2, 2],
            strides=[2, 2],
        ),
    ]
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", element, [1, 3, 9, 9]),
        [
            helper.make_tensor_value_info("y", element, [1, 3, 5, 5]),
            helper.make_tensor_value_info("z", element, [1, 3, 4, 4]),
        ],
        constants,
        _MICROSOFT,
    )
    low, high = (0, 256) if unsigned else (-128, 128)
    samples = [rng.integers(low, high, (1, 3, 9, 9)).astype(storage) for _ in range(4)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul"])
def test_qdq_binary_operators_compute_in_float(op_type: str, tmp_path: Path) -> None:
    """QDQ Add, Sub, Mul of an activation and a per-channel quantized constant, and of the
    activation with itself: DequantizeLinear, the float32 operator, QuantizeLinear."""
    rng = np.random.default_rng(15)
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(0.0371, np.float32),
        "x_zero": np.array(131, np.uint8),
        "c": rng.integers(0, 256, (1, 4, 1, 1)).astype(np.uint8),
        "c_scale": np.array(0.0219, np.float32),
        "c_zero": np.array(117, np.uint8),
        "y_scale": np.array(0.043, np.float32),
        "y_zero": np.array(125, np.uint8),
    }
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zero"], ["real"]),
        helper.make_node("DequantizeLinear", ["c", "c_scale", "c_zero"], ["constant"]),
        helper.make_node(op_type, ["real", "constant"], ["mixed"]),
        helper.make_node(op_type, ["real", "real"], ["own"]),
        helper.make_node("QuantizeLinear", ["mixed", "y_scale", "y_zero"], ["y"]),
        helper.make_node("QuantizeLinear", ["own", "y_scale", "y_zero"], ["z"]),
    ]
    outputs = [helper.make_tensor_value_info(name, TensorProto.UINT8, [1, 4, 8, 8]) for name in "yz"]
    model = _model(
        nodes, helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 4, 8, 8]), outputs, constants
    )
    samples = [
        np.arange(256, dtype=np.uint8).reshape(1, 4, 8, 8),
        rng.integers(0, 256, (1, 4, 8, 8)).astype(np.uint8),
    ]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("seed", [5, 16])
@pytest.mark.parametrize("unsigned", [True, False], ids=["u8", "s8"])
def test_qlinear_add_on_every_pair_of_values(unsigned: bool, seed: int, tmp_path: Path) -> None:
    """QLinearAdd over all 65536 value pairs: element by element, and with either operand
    one value per row (onnxruntime folds it into the constant part first)."""
    storage, element = (np.uint8, TensorProto.UINT8) if unsigned else (np.int8, TensorProto.INT8)
    rng = np.random.default_rng(seed)
    every = np.arange(256).astype(np.int16) + (0 if unsigned else -128)
    constants: dict[str, np.ndarray] = {
        "pairs": np.tile(every, (256, 1)).T.astype(storage).copy(),
        "rows": every.reshape(256, 1).astype(storage),
    }
    for name in ("x", "c", "y"):
        constants[f"{name}_scale"] = np.array(rng.uniform(0.002, 0.2), np.float32)
        constants[f"{name}_zero"] = np.array(rng.integers(0, 256), np.int16).astype(storage)

    def add(first: str, second: str, output: str) -> onnx.NodeProto:
        def quantized(name: str) -> list[str]:
            prefix = "x" if name == "x" else "c"
            return [name, f"{prefix}_scale", f"{prefix}_zero"]

        inputs = [*quantized(first), *quantized(second), "y_scale", "y_zero"]
        return helper.make_node("QLinearAdd", inputs, [output], domain="com.microsoft")

    nodes = [add("x", "pairs", "elementwise"), add("x", "rows", "second"), add("rows", "x", "first")]
    outputs = [
        helper.make_tensor_value_info(name, element, [256, 256])
        for name in ("elementwise", "second", "first")
    ]
    model = _model(
        nodes, helper.make_tensor_value_info("x", element, [256, 256]), outputs, constants, _MICROSOFT
    )
    samples = [np.tile(every, (256, 1)).astype(storage)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


def test_quantize_linear_of_a_float_input_rounds_half_to_even(tmp_path: Path) -> None:
    constants: dict[str, np.ndarray] = {"scale": np.array(0.5, np.float32), "zero": np.array(-1, np.int8)}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"]),
    ]
    model = _model(
        nodes,
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10]),
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10]),
        constants,
    )
    ties = np.array([[0.25, 0.75, 1.25, -0.25, -0.75, -1.25, 63.75, 64.25, 100.0, -100.0]], np.float32)
    run_against_onnxruntime(model, [ties, -ties], tmp_path, onnx_exact=True)


def test_accumulators_beyond_two_to_the_24_stay_exact(tmp_path: Path) -> None:
    """The int8 kernels' int32 accumulators are exact past 2^24 (up to 600 * 127 * 255 =
    19 431 000 here), where onnxruntime's int32 -> float32 conversion rounds before the
    multiply: REQUANTIZE_FLOAT converts as it does. Per-column scales, a bias."""
    rng = np.random.default_rng(13)
    signs = np.where(rng.integers(0, 2, (600, 4)) == 1, 127, -127).astype(np.int8)
    signs[:, 0] = 127
    constants: dict[str, np.ndarray] = {
        "a_scale": np.array(0.01, np.float32),
        "a_zero": np.array(0, np.uint8),
        "b": signs,
        "b_scale": np.array([0.01, 0.013, 0.007, 0.011], np.float32),
        "b_zero": np.zeros(4, np.int8),
        "c": np.array([16_777_215, -3, 5_000_001, 0], np.int32),
        "y_scale": np.array(17.3, np.float32),
        "y_zero": np.array(1, np.uint8),
    }
    model = _qgemm(constants, [2, 600], [2, 4])
    operators = parse_onnx(model.SerializeToString(), onnx_exact=True).model.main.operators
    assert [op.kind for op in operators] == [OpKind.FULLY_CONNECTED, OpKind.REQUANTIZE_FLOAT]
    samples = [
        np.full((2, 600), 255, np.uint8),
        *(rng.integers(0, 256, (2, 600)).astype(np.uint8) for _ in range(6)),
    ]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("depthwise", [False, True], ids=["conv", "depthwise"])
def test_qlinear_conv_runs_the_int8_kernels_into_int32_accumulators(depthwise: bool, tmp_path: Path) -> None:
    """QLinearConv is the int8 CONV_2D / DEPTHWISE_CONV_2D (a PAD first for ONNX's
    asymmetric pads) writing int32 accumulators, then REQUANTIZE_FLOAT: no float operand.
    uint8 weights with zero point 0 do not fold into int8: their zero point stays the
    kernels' weights offset."""
    rng = np.random.default_rng(14)
    channels, group = (4, 4) if depthwise else (3, 1)
    out_channels = 8 if depthwise else 5
    constants: dict[str, np.ndarray] = {
        "x_scale": np.array(0.02, np.float32),
        "x_zero": np.array(117, np.uint8),
        "w": rng.integers(0, 256, (out_channels, channels // group, 3, 3)).astype(np.uint8),
        "w_scale": np.array(0.0031, np.float32),
        "w_zero": np.array(0, np.uint8),
        "y_scale": np.array(0.9, np.float32),
        "y_zero": np.array(131, np.uint8),
        "b": rng.integers(-40_000, 40_000, out_channels).astype(np.int32),
    }
    node = helper.make_node(
        "QLinearConv",
        ["x", "x_scale", "x_zero", "w", "w_scale", "w_zero", "y_scale", "y_zero", "b"],
        ["y"],
        group=group,
        pads=[2, 0, 1, 1],
        strides=[2, 1],
    )
    model = _model(
        [node],
        helper.make_tensor_value_info("x", TensorProto.UINT8, [1, channels, 9, 8]),
        helper.make_tensor_value_info("y", TensorProto.UINT8, [1, out_channels, 5, 7]),
        constants,
    )
    main = parse_onnx(model.SerializeToString(), onnx_exact=True).model.main
    kernel = OpKind.DEPTHWISE_CONV_2D if depthwise else OpKind.CONV_2D
    assert [op.kind for op in main.operators] == [OpKind.PAD, kernel, OpKind.REQUANTIZE_FLOAT]
    accumulator = main.tensors[main.operators[1].outputs[0]]
    assert accumulator.dtype is DType.INT32
    assert all(t.dtype is not DType.FLOAT32 for t in main.tensors)
    samples = [np.full((1, channels, 9, 8), 255, np.uint8)]
    samples += [rng.integers(0, 256, (1, channels, 9, 8)).astype(np.uint8) for _ in range(4)]
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize("name", QOPERATOR_MODELS)
def test_zoo_qoperator_model_bit_exact_with_onnxruntime(name: str) -> None:
    result = check_onnx(MODELS / f"{name}.onnx", 20, 0, hostbuild.default_runtime_dir(), onnx_exact=True)
    assert result.bit_exact, result
    assert result.passed


def test_every_qoperator_model_of_the_zoo_is_checked() -> None:
    assert len(QOPERATOR_MODELS) == 10, QOPERATOR_MODELS


def test_cli_onnx_exact_check_and_tflite_refusal() -> None:
    model = MODELS / "mlp_autoencoder_qop_u8.onnx"
    exact = _tinymlc("check", f"--model={model}", "--inputs=3", "--onnx_exact")
    assert exact.returncode == 0, exact.stderr
    assert exact.stdout.startswith(f"{model}: bit-exact"), exact.stdout
    refused = _tinymlc("check", f"--model={MODELS / 'ds_cnn_kws.tflite'}", "--onnx_exact")
    assert refused.returncode == 2, refused.stderr
    assert "--onnx_exact applies to .onnx models only" in refused.stderr
    assert "Traceback" not in refused.stderr


_X_SCALE = 2 / 255
_BIG = 127


def _cancelling_weights(
    rng: np.random.Generator, shape: tuple[int, ...], out_axis: int, k_axis: int
) -> np.ndarray:
    """Small weights (|w| <= 3) but for +-127 on the first and the opposite on the last term
    of each sum (the first and last input channel of a convolution's group, the first and
    last window tap of a depthwise one): with `_cancelling_samples` the large terms cancel
    exactly, so the result is small while the running float sum is large and rounds."""
    weights = rng.integers(-3, 4, shape)
    view = np.moveaxis(weights, (out_axis, k_axis), (0, 1))
    big = np.where(rng.integers(0, 2, view.shape[0]) == 1, _BIG, -_BIG)
    if view.shape[1] > 1:
        big_shape = (-1,) + (1,) * (view.ndim - 2)
        view[:, 0], view[:, -1] = big.reshape(big_shape), -big.reshape(big_shape)
    else:
        view[:, 0, 0, 0], view[:, 0, -1, -1] = big, -big
        view[:, 0, 0, -1], view[:, 0, -1, 0] = -big, big
    return weights


def _cancelling_samples(
    rng: np.random.Generator, shape: tuple[int, ...], groups: int, count: int
) -> list[np.ndarray]:
    """Inputs of small quantized values (|q - zp| <= 4) but for +-1 in the first and last
    channel of each group (equal, for the large weights to cancel); one channel per group:
    one value +-1 per channel on the even rows and columns, which a window's corners all
    read when its first row and column are even."""
    samples = []
    for _ in range(count):
        q = rng.integers(-4, 5, shape)
        if len(shape) == 2 or len(shape) == 3:
            q[..., 0] = rng.choice([-127, 127], shape[:-1])
            q[..., -1] = q[..., 0]
        elif shape[1] // groups > 1:
            per_group = shape[1] // groups
            for group in range(groups):
                first = group * per_group
                q[:, first] = rng.choice([-127, 127], q[:, first].shape)
                q[:, first + per_group - 1] = q[:, first]
        else:
            q[:, :, ::2, ::2] = rng.choice([-127, 127], (shape[0], shape[1], 1, 1))
        samples.append((q * np.float32(_X_SCALE)).astype(np.float32))
    return samples


def _qdq_product(
    op_type: str,
    input_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    unsigned: bool,
    bias: bool = True,
    weight_axis: int = 0,
    **attributes: Any,
) -> onnx.ModelProto:
    """float input -> QuantizeLinear -> DequantizeLinear -> `op_type` with per-channel int8
    weights (`_cancelling_weights`, and an int32 bias) -> QuantizeLinear -> DequantizeLinear;
    the output scale resolves the small results."""
    rng = np.random.default_rng(sum(input_shape) * 31 + sum(weight_shape))
    graph = QdqGraph(unsigned=unsigned)
    x = graph.quantize("input", _X_SCALE, 128 if unsigned else 0)
    channels = weight_shape[weight_axis]
    w_scales = rng.uniform(0.004, 0.008, channels).astype(np.float32)
    k_axis = 1 if op_type == "Conv" or weight_axis == 0 else 0
    values = _cancelling_weights(rng, weight_shape, weight_axis, k_axis)
    weights = graph.weights(values, w_scales, axis=weight_axis)
    inputs = [x, weights]
    if bias:
        b_scales = (np.float32(_X_SCALE) * w_scales).astype(np.float32)
        integers = graph.const(rng.integers(-100, 100, channels).astype(np.int32))
        zeros = graph.const(np.zeros(channels, np.int32))
        inputs.append(graph.node("DequantizeLinear", [integers, graph.const(b_scales), zeros], axis=0))
    result = graph.node(op_type, inputs, **attributes)
    depth = int(np.prod(weight_shape)) // channels
    y = graph.quantize(result, 4e-6 * float(np.sqrt(depth)), 131 if unsigned else 3)
    return graph.model(input_shape, [y])


# (name, input NCHW, weights, Conv attributes): one case per blocking MLAS chooses.
_QDQ_CONVS: tuple[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]], ...] = (
    ("k144_blocks_of_128", (1, 16, 16, 16), (12, 16, 3, 3), {"pads": [1, 1, 1, 1]}),
    ("k576_blocks_of_256", (1, 64, 8, 8), (16, 64, 3, 3), {"pads": [1, 1, 1, 1]}),
    ("k288_stride2_one_block", (1, 32, 8, 8), (24, 32, 3, 3), {"pads": [1, 1, 1, 1], "strides": [2, 2]}),
    ("pointwise_gemm_k144", (1, 144, 16, 16), (4, 144, 1, 1), {}),
    ("more_filters_than_pixels", (1, 16, 3, 3), (32, 16, 3, 3), {"pads": [1, 1, 1, 1]}),
    ("dilated_asymmetric_pads", (1, 4, 10, 10), (6, 4, 3, 3), {"dilations": [2, 2], "pads": [0, 1, 2, 1]}),
    ("two_groups", (1, 8, 9, 9), (6, 4, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    (
        "depthwise_strided",
        (1, 8, 12, 12),
        (8, 1, 3, 3),
        {"group": 8, "strides": [2, 2], "pads": [2, 0, 1, 1]},
    ),
    ("depthwise_k169_blocks", (1, 2, 16, 16), (2, 1, 13, 13), {"group": 2, "pads": [6, 6, 6, 6]}),
    ("depthwise_multiplier_2", (1, 3, 7, 7), (6, 1, 5, 5), {"group": 3, "pads": [2, 2, 2, 2]}),
    ("one_pixel_eight_lanes", (1, 16, 3, 3), (7, 16, 3, 3), {}),
)


@pytest.mark.parametrize(
    ("input_shape", "weight_shape", "attributes", "unsigned"),
    [(*case[1:], index % 2 == 0) for index, case in enumerate(_QDQ_CONVS)],
    ids=[f"{case[0]}-{'u8' if index % 2 == 0 else 's8'}" for index, case in enumerate(_QDQ_CONVS)],
)
def test_qdq_conv_sums_in_mlas_order(
    input_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    attributes: dict[str, Any],
    unsigned: bool,
    tmp_path: Path,
) -> None:
    """QDQ Conv is onnxruntime's float convolution: MLAS_CONV, bit for bit, in every
    blocking of K and both of MLAS's kernels (fused multiply-adds; unfused groups of four
    for a single filter per group); uint8 and int8 models alternate."""
    without_bias = "dilations" in attributes  # one case without a bias
    model = _qdq_product("Conv", input_shape, weight_shape, unsigned, not without_bias, **attributes)
    exact = parse_onnx(model.SerializeToString(), onnx_exact=True).model.main.operators
    assert OpKind.MLAS_CONV in {op.kind for op in exact}
    samples = _cancelling_samples(np.random.default_rng(7), input_shape, attributes.get("group", 1), 3)
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


@pytest.mark.parametrize(
    ("op_type", "input_shape", "weight_shape", "bias", "attributes"),
    [
        ("Gemm", (8, 300), (64, 300), True, {"transB": 1}),
        ("Gemm", (1, 200), (200, 256), True, {}),
        ("Gemm", (1, 300), (7, 300), True, {"transB": 1}),
        ("MatMul", (2, 8, 300), (300, 32), False, {}),
    ],
    ids=["gemm_k300_transposed", "gemm_one_row_unfused", "gemm_one_row_eight_lanes", "matmul_3d_k300"],
)
def test_qdq_products_sum_like_sgemm(
    op_type: str,
    input_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    bias: bool,
    attributes: dict[str, Any],
    tmp_path: Path,
) -> None:
    """QDQ Gemm and MatMul (weights DequantizeLinear's output, unpacked to MLAS): K blocks
    by the column count, a single row through the unfused kernel (by transposed weights:
    eight lanes, runs of 4, 2 and 1 columns), Gemm's bias first."""
    axis = 0 if attributes.get("transB") else 1
    model = _qdq_product(op_type, input_shape, weight_shape, True, bias, weight_axis=axis, **attributes)
    samples = _cancelling_samples(np.random.default_rng(8), input_shape, 1, 3)
    run_against_onnxruntime(model, samples, tmp_path, onnx_exact=True)


def test_conv_orders_where_mlas_leaves_its_main_kernels() -> None:
    """A single filter over an input-wide window runs MLAS's transposed-weights kernel in
    runs of pixels: no MLAS_CONV order. One output pixel runs it in runs of filters."""
    one_pixel = _spatial_of(kernel=(3, 3), size=(3, 3))
    assert conv_order(4, 2, (3, 3), (3, 3), one_pixel) == SummationOrder(18, BlockSum.EIGHT_LANES)
    wide = _spatial_of(kernel=(3, 5), size=(6, 5))
    assert conv_order(1, 1, (6, 5), (3, 5), wide) is None
    # 4 pixels: the K stride doubles 3 times; 64 pixels over K = 9: it halves to 16.
    assert conv_order(2, 1, (6, 5), (3, 5), wide) == SummationOrder(1024, BlockSum.FUSED)
    depthwise = _spatial_of(kernel=(3, 3), size=(8, 8), pads=(1, 1, 1, 1))
    assert conv_order(1, 1, (8, 8), (3, 3), depthwise) == SummationOrder(16, BlockSum.UNFUSED_GROUPS)


def _spatial_of(
    kernel: tuple[int, int], size: tuple[int, int], pads: tuple[int, int, int, int] = (0, 0, 0, 0)
) -> Spatial:
    output = tuple(n + p0 + p1 - k + 1 for n, k, p0, p1 in zip(size, kernel, pads[:2], pads[2:], strict=True))
    return Spatial((1, 1), (1, 1), pads, (output[0], output[1]))


@pytest.mark.parametrize("name", ["resnet8_qdq_s8", "resnet8_qdq_u8"])
def test_zoo_resnet8_qdq_bit_exact_with_onnxruntime(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ResNet-8's QDQ convolutions (K up to 576, blocks of 128 and 256) over 100 inputs."""
    # Optimized: running 100 inferences of its emulated fused multiply-adds at opt-level 0
    # takes minutes, far longer than compiling it with -O.
    monkeypatch.setenv("TINYMLC_HOST_OPT_LEVEL", "2")
    result = check_onnx(MODELS / f"{name}.onnx", 100, 0, hostbuild.default_runtime_dir(), onnx_exact=True)
    assert result.bit_exact, result
