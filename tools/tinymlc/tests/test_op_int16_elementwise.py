"""16x8 quantization (int16 activations) of the elementwise, shape and activation
operators: TFLM's Prepare for each int16 mode, the combinations TFLM rejects, and
generated code compared with TFLM byte for byte on int16 micro-models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact, build
from tests.model_builder import ModelBuilder
from tests.tflm import prepared, run_tflm
from tinymlc import hostbuild
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops._binary import ArithmeticParams
from tinymlc.ops._sigmoid16 import Int16SigmoidParams
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.mul import MulParams
from tinymlc.ops.pad import PadParams
from tinymlc.ops.quantize import QuantizeMode, QuantizeParams
from tinymlc.ops.relu import ReluParams
from tinymlc.ops.relu6 import Relu6Params
from tinymlc.validate import validate

I16 = DType.INT16
Q15 = 2.0**-15


def _unary(
    op: str,
    in_scale: float,
    out_scale: float,
    *,
    in_zp: int = 0,
    out_zp: int = 0,
    shape: tuple[int, ...] = (1, 64),
    alpha: float | None = None,
) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", shape, I16, scale=in_scale, zero_point=in_zp)
    y = mb.tensor("y", shape, I16, scale=out_scale, zero_point=out_zp)
    if alpha is None:
        mb.op(op, [x], [y])
    else:
        mb.op(op, [x], [y], "LeakyReluOptions", Alpha=alpha)
    return mb.build([x], [y])


def _binary(
    op: str,
    scales: tuple[float, float, float],
    shape2: tuple[int, ...] = (2, 3, 4),
    zero_points: tuple[int, int, int] = (0, 0, 0),
    activation: int = 0,
) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (2, 3, 4), I16, scale=scales[0], zero_point=zero_points[0])
    b = mb.tensor("b", shape2, I16, scale=scales[1], zero_point=zero_points[1])
    y = mb.tensor("y", (2, 3, 4), I16, scale=scales[2], zero_point=zero_points[2])
    options = {"AddOptions": "ADD", "SubOptions": "SUB", "MulOptions": "MUL"}
    name = next((k for k, v in options.items() if v == op), None)
    if name is None:
        mb.op(op, [a, b], [y])
    else:
        mb.op(op, [a, b], [y], name, FusedActivationFunction=activation)
    return mb.build([a, b], [y])


def _prepare_error(model: bytes, index: int = 0) -> str:
    with pytest.raises(OpError) as failure:
        prepare_operator(parse_model(model, "m.tflite").main, index)
    return failure.value.reason


# --- Prepare: parameters per mode ----------------------------------------------------


@pytest.mark.parametrize("op", ["ADD", "SUB"])
def test_add_sub_int16_use_left_shift_15(op: str) -> None:
    _, params = prepared(_binary(op, (0.002, 0.0005, 0.003)))
    assert isinstance(params, ArithmeticParams)
    assert params.left_shift == 15
    assert (params.output_activation_min, params.output_activation_max) == (-32768, 32767)


def test_add_int16_power_of_two_scales_still_take_the_general_path() -> None:
    # TFLite's pot_scale path is never taken by TFLM: same parameters as any scale.
    _, params = prepared(_binary("ADD", (2.0**-10, 2.0**-12, 2.0**-9)))
    assert isinstance(params, ArithmeticParams)
    assert params.left_shift == 15
    assert params.input1_multiplier == 1 << 30
    assert params.input1_shift == 0


def test_add_int16_relu_clamps_at_zero_point() -> None:
    _, params = prepared(_binary("ADD", (0.002, 0.001, 0.003), activation=1))
    assert isinstance(params, ArithmeticParams)
    assert (params.output_activation_min, params.output_activation_max) == (0, 32767)


def test_squared_difference_int16_has_no_left_shift() -> None:
    _, params = prepared(_binary("SQUARED_DIFFERENCE", (0.001, 0.0015, 0.004)))
    assert isinstance(params, ArithmeticParams)
    assert params.left_shift == 0
    assert (params.output_activation_min, params.output_activation_max) == (-32768, 32767)
    assert "zero point 0" in _prepare_error(
        _binary("SQUARED_DIFFERENCE", (0.001,) * 3, zero_points=(1, 0, 0))
    )


def test_mul_int16_needs_zero_points_zero() -> None:
    _, params = prepared(_binary("MUL", (0.002, 0.001, 0.003)))
    assert isinstance(params, MulParams)
    reason = _prepare_error(_binary("MUL", (0.002, 0.001, 0.003), zero_points=(0, 3, 0)))
    assert "zero point 0" in reason


def test_mixed_int8_int16_binary_is_rejected() -> None:
    mb = ModelBuilder()
    a = mb.tensor("a", (4,), I16, scale=0.01)
    b = mb.tensor("b", (4,), DType.INT8, scale=0.01)
    y = mb.tensor("y", (4,), I16, scale=0.01)
    mb.op("ADD", [a, b], [y], "AddOptions")
    assert "input 2 has type INT8, expected INT16" in _prepare_error(mb.build([a, b], [y]))


def test_relu_int16_full_range_and_symmetry() -> None:
    _, params = prepared(_unary("RELU", 0.001, 0.0005))
    assert isinstance(params, ReluParams)
    assert (params.quantized_activation_min, params.quantized_activation_max) == (0, 32767)
    assert "zero point 0" in _prepare_error(_unary("RELU", 0.001, 0.001, in_zp=5))


def test_relu6_int16_six_clamped_to_int16() -> None:
    _, params = prepared(_unary("RELU6", 1e-4, 1e-4))
    assert params == Relu6Params(zero=0, six=32767)  # round(6 / 1e-4) = 60000
    _, params = prepared(_unary("RELU6", 0.001, 0.001))
    assert params == Relu6Params(zero=0, six=6000)


@pytest.mark.parametrize(
    ("op", "scale", "expected"),
    [
        # Power-of-two scales that TFLM's lookup takes as is: multiplier 0.
        ("LOGISTIC", 2.0**-12, Int16SigmoidParams(0, 0)),
        ("TANH", 2.0**-12, Int16SigmoidParams(0, 0)),
        ("TANH", 2.0**-11, Int16SigmoidParams(0, 1)),
        # 2^-11 is no special case for LOGISTIC: 6 doubled 12 times past 32767 / 2.
        ("LOGISTIC", 2.0**-11, Int16SigmoidParams(24576, 12)),
        # 1/6144: 2.0 doubled 13 times to 16384.
        ("TANH", 1.0 / 6144, Int16SigmoidParams(16384, 13)),
        # 3e-4 * 12288 = 3.6864, doubled 13 times: 30198.98... truncated.
        ("LOGISTIC", 3e-4, Int16SigmoidParams(30198, 13)),
    ],
)
def test_sigmoid_like_int16_input_rescaling(op: str, scale: float, expected: Int16SigmoidParams) -> None:
    _, params = prepared(_unary(op, scale, Q15))
    assert params == expected


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_sigmoid_like_int16_q15_output_is_no_warning(op: str) -> None:
    # int8's fixed output quantizations (1/256, 1/128) do not apply to int16.
    assert validate(parse_model(_unary(op, 0.001, Q15), "m.tflite")) == []


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_sigmoid_like_int16_output_must_be_q15(op: str) -> None:
    assert "output scale must be 2^-15" in _prepare_error(_unary(op, 0.001, 2.0**-14))
    assert "zero point 0" in _prepare_error(_unary(op, 0.001, Q15, in_zp=1))


def test_hard_swish_int16_is_rejected_with_reason() -> None:
    assert "no int16 kernel" in _prepare_error(_unary("HARD_SWISH", 0.001, 0.001))


def _pad(constant: int | None, zero_point: int = 0) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 3, 4), I16, scale=0.01, zero_point=zero_point)
    paddings = mb.tensor("p", (3, 2), DType.INT32, data=np.array([[0, 0], [1, 2], [0, 1]]))
    y = mb.tensor("y", (1, 6, 5), I16, scale=0.01, zero_point=zero_point)
    inputs = [x, paddings]
    if constant is not None:
        # Quantized differently from the output: TFLM's int16 PADV2 does not care.
        inputs.append(mb.tensor("c", (1,), I16, scale=0.5, zero_point=0, data=np.array([constant])))
    mb.op("PAD" if constant is None else "PADV2", inputs, [y])
    return mb.build([x], [y])


def test_pad_int16_pads_with_zero_or_the_stored_constant() -> None:
    # TFLM's int16 PAD writes 0, not the zero point, and PADV2's constant as stored.
    for model, pad_value in ((_pad(None, zero_point=7), 0), (_pad(-1234), -1234)):
        _, params = prepared(model)
        assert isinstance(params, PadParams)
        assert params.pad_value == pad_value


def _concatenation(scales: tuple[float, float], zero_point: int = 0) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (1, 2, 3), I16, scale=scales[0], zero_point=zero_point)
    b = mb.tensor("b", (1, 2, 5), I16, scale=scales[1])
    y = mb.tensor("y", (1, 2, 8), I16, scale=scales[0])
    mb.op("CONCATENATION", [a, b], [y], "ConcatenationOptions", Axis=2)
    return mb.build([a, b], [y])


def test_concatenation_int16_copies_other_scales_but_needs_zero_points_zero() -> None:
    _, params = prepared(_concatenation((0.01, 0.02)))
    assert isinstance(params, ConcatenationParams)
    assert "zero point 0" in _prepare_error(_concatenation((0.01, 0.01), zero_point=2))


def _conversion_chain() -> bytes:
    """int8 -> int16 -> int16 -> int8 QUANTIZEs and an int16 DEQUANTIZE."""
    mb = ModelBuilder()
    x8 = mb.tensor("x8", (3, 50), DType.INT8, scale=0.05, zero_point=-7)
    x16 = mb.tensor("x16", (3, 50), I16, scale=0.05 / 200)
    y16 = mb.tensor("y16", (3, 50), I16, scale=0.05 / 300)
    y8 = mb.tensor("y8", (3, 50), DType.INT8, scale=0.03, zero_point=4)
    f = mb.tensor("f", (3, 50), DType.FLOAT32)
    mb.op("QUANTIZE", [x8], [x16])
    mb.op("QUANTIZE", [x16], [y16])
    mb.op("QUANTIZE", [y16], [y8])
    mb.op("DEQUANTIZE", [y16], [f])
    return mb.build([x8], [y8, f])


def test_quantize_modes_between_int8_and_int16() -> None:
    graph = parse_model(_conversion_chain(), "m.tflite").main
    modes = []
    for index in range(3):
        params = prepare_operator(graph, index)
        assert isinstance(params, QuantizeParams)
        modes.append(params.mode)
    assert modes == [QuantizeMode.REQUANTIZE] * 3


# --- Generated code against TFLM -------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "scales", "shape2", "activation"),
    [
        ("ADD", (0.002, 0.0005, 0.003), (2, 3, 4), 0),
        ("ADD", (2.0**-10, 2.0**-12, 2.0**-9), (1, 1, 4), 1),
        ("SUB", (0.0007, 0.002, 0.0025), (2, 1, 4), 3),
        ("MUL", (0.002, 0.001, 0.0004), (1, 3, 1), 0),
        ("MAXIMUM", (0.001, 0.001, 0.001), (1, 3, 4), 0),
        ("MINIMUM", (0.001, 0.001, 0.001), (2, 3, 4), 0),
        ("SQUARED_DIFFERENCE", (0.001, 0.0015, 0.004), (1, 3, 4), 0),
    ],
)
def test_binary_int16_codegen_matches_tflm(
    op: str, scales: tuple[float, float, float], shape2: tuple[int, ...], activation: int
) -> None:
    assert_bit_exact(_binary(op, scales, shape2, activation=activation), samples=10)


@pytest.mark.parametrize(
    ("op", "in_scale", "out_scale", "alpha"),
    [
        ("RELU", 0.0011, 0.0007, None),
        ("RELU6", 0.0003, 0.0003, None),
        ("LEAKY_RELU", 0.0011, 0.0009, -0.3),
        ("LOGISTIC", 2.0**-12, Q15, None),
        ("LOGISTIC", 3e-4, Q15, None),
        ("LOGISTIC", 0.01, Q15, None),
        ("TANH", 2.0**-12, Q15, None),
        ("TANH", 2.0**-11, Q15, None),
        ("TANH", 1.0 / 6144, Q15, None),
        ("TANH", 5e-5, Q15, None),
    ],
)
def test_unary_int16_codegen_matches_tflm(
    op: str, in_scale: float, out_scale: float, alpha: float | None
) -> None:
    assert_bit_exact(_unary(op, in_scale, out_scale, shape=(4, 256), alpha=alpha), samples=10)


def test_tanh_int16_reads_every_table_entry_like_tflm(tmp_path: Path) -> None:
    # Input scale 1/6144 rescales x to 2x: input 128 * i reads table entry i alone
    # (TANH returns entry - 32768), and 128 * 254 + 127 interpolates towards the last.
    model = _unary("TANH", 1.0 / 6144, Q15, shape=(1, 512))
    probes = [128 * i for i in range(256)] + [128 * 254 + 127]
    entries = np.array([(probes * 2)[:512]], dtype=np.int16)
    entries[0, 257:] *= -1
    _, binary = build(model, tmp_path)
    (ours,) = hostbuild.run_harness(binary, [[entries]])
    assert ours.error is None, ours.error
    tflm = run_tflm(model, [entries])[0].reshape(-1)
    np.testing.assert_array_equal(np.frombuffer(ours.outputs[0], np.int16), tflm)
    assert tflm[1] == 33451 - 32768  # sigmoid(1/24) in Q0.16, minus one half


def test_pad_and_concatenation_int16_codegen_match_tflm() -> None:
    assert_bit_exact(_pad(None, zero_point=0), samples=5)
    assert_bit_exact(_pad(-1234), samples=5)
    assert_bit_exact(_concatenation((0.01, 0.02)), samples=5)


def test_strided_slice_int16_codegen_matches_tflm() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 6, 5), I16, scale=0.01)
    begin = mb.tensor("b", (3,), DType.INT32, data=np.array([0, 5, 1]))
    end = mb.tensor("e", (3,), DType.INT32, data=np.array([1, 0, 5]))
    strides = mb.tensor("s", (3,), DType.INT32, data=np.array([1, -2, 2]))
    y = mb.tensor("y", (1, 3, 2), I16, scale=0.01)
    mb.op("STRIDED_SLICE", [x, begin, end, strides], [y], "StridedSliceOptions")
    assert_bit_exact(mb.build([x], [y]), samples=5)


def test_transpose_int16_codegen_matches_tflm() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 5), I16, scale=0.01)
    perm = mb.tensor("p", (3,), DType.INT32, data=np.array([2, 0, 1]))
    y = mb.tensor("y", (5, 2, 3), I16, scale=0.01)
    mb.op("TRANSPOSE", [x, perm], [y])
    assert_bit_exact(mb.build([x], [y]), samples=5)


def test_int8_int16_conversions_codegen_match_tflm() -> None:
    assert_bit_exact(_conversion_chain(), samples=10)


def test_float_int16_boundary_conversions_stay_layers_and_match_tflm() -> None:
    mb = ModelBuilder()
    f = mb.tensor("f", (2, 40), DType.FLOAT32)
    x = mb.tensor("x", (2, 40), I16, scale=0.0004)
    y = mb.tensor("y", (2, 40), I16, scale=0.0003)
    g = mb.tensor("g", (2, 40), DType.FLOAT32)
    mb.op("QUANTIZE", [f], [x])
    mb.op("RELU", [x], [y])
    mb.op("DEQUANTIZE", [y], [g])
    compiled = assert_bit_exact(mb.build([f], [g]), samples=10)
    # The generated input/output copies convert int8 only: these stay layers.
    assert [op.opcode_name for op in compiled.graph.operators] == ["QUANTIZE", "RELU", "DEQUANTIZE"]


def _int32_conversions() -> bytes:
    """int16 -> int32 and int8 -> int32 QUANTIZEs, and int32 -> int16 back."""
    mb = ModelBuilder()
    x16 = mb.tensor("x16", (2, 30), I16, scale=0.001)
    x8 = mb.tensor("x8", (2, 30), DType.INT8, scale=0.02, zero_point=3)
    w16 = mb.tensor("w16", (2, 30), DType.INT32, scale=0.001 / 100, zero_point=-5)
    w8 = mb.tensor("w8", (2, 30), DType.INT32, scale=0.02 / 3000)
    y16 = mb.tensor("y16", (2, 30), I16, scale=0.0015)
    mb.op("QUANTIZE", [x16], [w16])
    mb.op("QUANTIZE", [x8], [w8])
    mb.op("QUANTIZE", [w16], [y16])
    return mb.build([x16, x8], [w8, y16])


def test_int32_quantize_modes_match_tflm() -> None:
    assert_bit_exact(_int32_conversions(), samples=10)


def test_float_to_int32_quantize_is_rejected_like_tflm() -> None:
    mb = ModelBuilder()
    f = mb.tensor("f", (4,), DType.FLOAT32)
    y = mb.tensor("y", (4,), DType.INT32, scale=0.01)
    mb.op("QUANTIZE", [f], [y])
    assert "output has type INT32, expected INT8/INT16" in _prepare_error(mb.build([f], [y]))
