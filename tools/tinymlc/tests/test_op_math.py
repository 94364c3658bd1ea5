"""Comparisons, logical ops, SELECT_V2 and INT32 arithmetic: TFLM's Prepare checks
and parameters, and the generated code against the TFLM interpreter."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc import quant
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.abs_value import AbsParams
from tinymlc.ops.add_n import AddNParams
from tinymlc.ops.cast import CastParams
from tinymlc.ops.comparisons import ComparisonParams
from tinymlc.ops.cumsum import CumsumParams
from tinymlc.ops.elu import EluParams
from tinymlc.ops.integer_binary import IntegerBinaryParams
from tinymlc.ops.l2_normalization import L2NormalizationParams
from tinymlc.ops.prelu import PreluParams
from tinymlc.ops.select_v2 import SelectV2Params

COMPARISONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "EQUAL": np.equal,
    "NOT_EQUAL": np.not_equal,
    "LESS": np.less,
    "LESS_EQUAL": np.less_equal,
    "GREATER": np.greater,
    "GREATER_EQUAL": np.greater_equal,
}

A_SHAPE, B_SHAPE, OUT_SHAPE = (2, 4, 3), (1, 4, 1), (2, 4, 3)


def _comparison_model(
    op: str, dtype: DType, scales: tuple[float, float] = (0.05, 0.02), zero_points: tuple[int, int] = (3, -7)
) -> bytes:
    mb = ModelBuilder()
    quantized = dtype is DType.INT8
    a = mb.tensor(
        "a",
        A_SHAPE,
        dtype,
        scale=scales[0] if quantized else None,
        zero_point=zero_points[0] if quantized else None,
    )
    b = mb.tensor(
        "b",
        B_SHAPE,
        dtype,
        scale=scales[1] if quantized else None,
        zero_point=zero_points[1] if quantized else None,
    )
    y = mb.tensor("y", OUT_SHAPE, DType.BOOL)
    mb.op(op, [a, b], [y])
    return mb.build([a, b], [y])


def _scaled(values: np.ndarray, offset: int, multiplier: int, shift: int) -> np.ndarray:
    """TFLM's `(value + offset) << left_shift`, then the multiplier, per element."""
    flat = [
        quant.multiply_by_quantized_multiplier((int(v) + offset) << 8, multiplier, shift)
        for v in values.reshape(-1)
    ]
    return np.array(flat, dtype=np.int64).reshape(values.shape)


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_int8_comparison_rescales_both_operands_like_tflm(op: str) -> None:
    data = _comparison_model(op, DType.INT8)
    _, params = prepared(data)
    assert isinstance(params, ComparisonParams)
    scaling = params.scaling
    assert scaling is not None
    assert (scaling.left_shift, scaling.input1_offset, scaling.input2_offset) == (8, -3, 7)
    # The flatbuffer holds the scale as float32.
    expected_multiplier = quant.quantize_multiplier_smaller_than_one_exp(float(np.float32(0.05)))
    assert (scaling.input1_multiplier, scaling.input1_shift) == (
        expected_multiplier.multiplier,
        expected_multiplier.shift,
    )
    rng = np.random.default_rng(len(op))
    a, b = random_int8(rng, A_SHAPE), random_int8(rng, B_SHAPE)
    lhs = _scaled(a, scaling.input1_offset, scaling.input1_multiplier, scaling.input1_shift)
    rhs = _scaled(b, scaling.input2_offset, scaling.input2_multiplier, scaling.input2_shift)
    np.testing.assert_array_equal(COMPARISONS[op](lhs, rhs), run_tflm(data, [a, b])[0])


def test_int32_comparison_has_no_scaling() -> None:
    _, params = prepared(_comparison_model("LESS", DType.INT32))
    assert isinstance(params, ComparisonParams)
    assert params.scaling is None
    assert params.input_dtype is DType.INT32


@pytest.mark.parametrize(
    ("op", "dtype", "reason"),
    [
        ("GREATER", DType.INT16, "INT16"),
        ("LESS", DType.BOOL, "BOOL"),
        ("EQUAL", DType.INT64, "INT64"),
    ],
)
def test_comparison_types_tflm_does_not_run_are_rejected(op: str, dtype: DType, reason: str) -> None:
    with pytest.raises(OpError, match=reason):
        prepared(_comparison_model(op, dtype))


def test_comparison_scale_of_one_or_more_is_rejected_as_tflm_aborts() -> None:
    with pytest.raises(OpError, match=r"\(0, 1\)"):
        prepared(_comparison_model("LESS", DType.INT8, scales=(1.5, 0.02)))


def test_logical_ops_need_bool_operands() -> None:
    mb = ModelBuilder()
    a = mb.tensor("a", (4,), scale=0.1)
    b = mb.tensor("b", (4,), DType.BOOL)
    y = mb.tensor("y", (4,), DType.BOOL)
    mb.op("LOGICAL_AND", [a, b], [y])
    with pytest.raises(OpError, match="INT8, expected BOOL"):
        prepared(mb.build([a, b], [y]))


def _select_model(
    dtype: DType, shapes: tuple[tuple[int, ...], ...] = ((2, 1, 3), (2, 4, 3), (1, 4, 1))
) -> bytes:
    condition_shape, x_shape, y_shape = shapes
    out_shape = tuple(np.broadcast_shapes(*shapes))
    quantized = dtype in (DType.INT8, DType.INT16)
    scale, zero_point = (0.05, 0 if dtype is DType.INT16 else -3) if quantized else (None, None)
    mb = ModelBuilder()
    c = mb.tensor("c", condition_shape, DType.BOOL)
    x = mb.tensor("x", x_shape, dtype, scale=scale, zero_point=zero_point)
    y = mb.tensor("y", y_shape, dtype, scale=scale, zero_point=zero_point)
    out = mb.tensor("out", out_shape, dtype, scale=scale, zero_point=zero_point)
    mb.op("SELECT_V2", [c, x, y], [out])
    return mb.build([c, x, y], [out])


def test_select_v2_broadcasts_to_five_dimensions_only() -> None:
    _, params = prepared(_select_model(DType.INT8))
    assert isinstance(params, SelectV2Params)
    assert params.output_shape == (2, 4, 3)
    with pytest.raises(OpError, match="rank 6"):
        prepared(_select_model(DType.INT8, ((1, 1, 1, 1, 1, 2), (2, 1, 1, 1, 1, 1), (1,))))
    with pytest.raises(OpError, match="INT32"):
        prepared(_select_model(DType.INT32))


def _int32_model(op: str, activation: int = 0) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", A_SHAPE, DType.INT32)
    b = mb.tensor("b", B_SHAPE, DType.INT32)
    y = mb.tensor("y", OUT_SHAPE, DType.INT32)
    options = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}.get(op)
    if options is None:
        mb.op(op, [a, b], [y])
    else:
        mb.op(op, [a, b], [y], options, FusedActivationFunction=activation)
    return mb.build([a, b], [y])


INT32_ARITHMETIC: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "ADD": np.add,
    "SUB": np.subtract,
    "MUL": np.multiply,
    # C++ integer division: the quotient truncated toward zero.
    "DIV": lambda x, y: np.asarray(np.trunc(x / y), dtype=np.int32),
}


@pytest.mark.parametrize(
    ("op", "activation", "expected_range"),
    [
        ("ADD", 3, (-(1 << 31), (1 << 31) - 1)),  # TFLM ignores ADD's activation on INT32
        ("SUB", 3, (0, 6)),
        ("MUL", 1, (0, (1 << 31) - 1)),
        ("MUL", 2, (-1, 1)),
        ("DIV", 3, (0, 6)),
    ],
)
def test_int32_activation_ranges(op: str, activation: int, expected_range: tuple[int, int]) -> None:
    _, params = prepared(_int32_model(op, activation))
    assert isinstance(params, IntegerBinaryParams)
    assert (params.activation_min, params.activation_max) == expected_range
    rng = np.random.default_rng(activation)
    a = rng.integers(-50, 50, A_SHAPE).astype(np.int32)
    b = rng.integers(1, 50, B_SHAPE).astype(np.int32) * rng.choice([-1, 1], B_SHAPE).astype(np.int32)
    raw = INT32_ARITHMETIC[op](a, b)
    np.testing.assert_array_equal(
        np.clip(raw, *expected_range), run_tflm(_int32_model(op, activation), [a, b])[0]
    )


def _logical_model(op: str) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", A_SHAPE, DType.BOOL)
    if op == "LOGICAL_NOT":
        y = mb.tensor("y", A_SHAPE, DType.BOOL)
        mb.op(op, [a], [y])
        return mb.build([a], [y])
    b = mb.tensor("b", B_SHAPE, DType.BOOL)
    y = mb.tensor("y", OUT_SHAPE, DType.BOOL)
    mb.op(op, [a, b], [y])
    return mb.build([a, b], [y])


def _abs_model(dtype: DType, input_q: tuple[float, int] | None, output_q: tuple[float, int] | None) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", A_SHAPE, dtype, *(input_q or (None, None)))
    y = mb.tensor("y", A_SHAPE, dtype, *(output_q or (None, None)))
    mb.op("ABS", [x], [y])
    return mb.build([x], [y])


def test_abs_rescales_only_between_different_scales() -> None:
    _, same = prepared(_abs_model(DType.INT8, (0.05, 3), (0.05, -128)))
    assert isinstance(same, AbsParams)
    assert not same.needs_rescale
    assert (same.input_offset, same.output_offset) == (3, -128)
    _, rescaled = prepared(_abs_model(DType.INT8, (0.05, 3), (0.03, -128)))
    assert isinstance(rescaled, AbsParams)
    ratio = float(np.float32(np.float32(0.05) / np.float32(0.03)))
    assert (rescaled.multiplier, rescaled.shift) == (
        quant.quantize_multiplier(ratio).multiplier,
        quant.quantize_multiplier(ratio).shift,
    )
    with pytest.raises(OpError, match="zero points of 0"):
        prepared(_abs_model(DType.INT16, (0.05, 3), (0.05, 0)))


def _cast_model(source: DType, target: DType, output_shape: tuple[int, ...] = A_SHAPE) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", A_SHAPE, source)
    y = mb.tensor("y", output_shape, target)
    mb.op("CAST", [x], [y])
    return mb.build([x], [y])


def test_cast_checks_types_and_element_counts_only() -> None:
    _, params = prepared(_cast_model(DType.INT32, DType.INT8, (4, 6)))
    assert isinstance(params, CastParams)
    assert params.elements == 24
    _, unsigned = prepared(_cast_model(DType.UINT32, DType.INT8))
    assert unsigned == CastParams(DType.UINT32, DType.INT8, 24)
    with pytest.raises(OpError, match="BOOL"):
        prepared(_cast_model(DType.INT8, DType.BOOL))
    with pytest.raises(OpError, match="MatchingFlatSize"):
        prepared(_cast_model(DType.INT8, DType.INT32, (2, 4)))


def _prelu_model(dtype: DType, alpha_dtype: DType = DType.INT8) -> bytes:
    mb = ModelBuilder()
    zero_point = 0 if dtype is DType.INT16 else -5
    x = mb.tensor("x", (1, 3, 4, 5), dtype, scale=0.04, zero_point=zero_point)
    alpha_values = np.arange(-60, 60, 24, dtype=np.int64).reshape(1, 1, 5)
    alpha = mb.tensor("alpha", (1, 1, 5), alpha_dtype, scale=0.01, zero_point=7, data=alpha_values)
    y = mb.tensor("y", (1, 3, 4, 5), dtype, scale=0.03, zero_point=zero_point + 2)
    mb.op("PRELU", [x, alpha], [y])
    return mb.build([x], [y])


def test_prelu_multipliers_are_double_products() -> None:
    _, params = prepared(_prelu_model(DType.INT8))
    assert isinstance(params, PreluParams)
    s_in, s_alpha, s_out = (float(np.float32(v)) for v in (0.04, 0.01, 0.03))
    identity = quant.quantize_multiplier(s_in / s_out)
    scaled = quant.quantize_multiplier(s_in * s_alpha / s_out)
    assert (params.output_multiplier_1, params.output_shift_1) == (identity.multiplier, identity.shift)
    assert (params.output_multiplier_2, params.output_shift_2) == (scaled.multiplier, scaled.shift)
    assert (params.input_offset, params.alpha_offset, params.output_offset) == (5, -7, -3)
    with pytest.raises(OpError, match="alpha has type INT16"):
        prepared(_prelu_model(DType.INT16, DType.INT16))


def _elu_model() -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", A_SHAPE, scale=0.04, zero_point=10)
    y = mb.tensor("y", A_SHAPE, scale=0.03, zero_point=-90)
    mb.op("ELU", [x], [y])
    return mb.build([x], [y])


def test_elu_lut_matches_tflm_on_every_input() -> None:
    data = _elu_model()
    _, params = prepared(data)
    assert isinstance(params, EluParams)
    for start in range(-128, 128, 24):
        values = np.resize(np.arange(start, start + 24), A_SHAPE).clip(-128, 127).astype(np.int8)
        expected = np.array([params.lut[int(v) & 0xFF] for v in values.reshape(-1)], np.int8)
        np.testing.assert_array_equal(expected.reshape(A_SHAPE), run_tflm(data, [values])[0])


def _add_n_model(zero_points: tuple[int, int, int] = (-7, -7, -7)) -> bytes:
    mb = ModelBuilder()
    inputs = [mb.tensor(f"x{i}", A_SHAPE, scale=0.05, zero_point=zp) for i, zp in enumerate(zero_points)]
    y = mb.tensor("y", A_SHAPE, scale=0.12, zero_point=4)
    mb.op("ADD_N", inputs, [y])
    return mb.build(inputs, [y])


def test_add_n_requires_one_quantization() -> None:
    _, params = prepared(_add_n_model())
    assert isinstance(params, AddNParams)
    assert params.sum is not None
    assert (params.inputs, params.sum.input_offset, params.sum.output_offset) == (3, 7, 4)
    with pytest.raises(OpError, match="quantized unlike input 0"):
        prepared(_add_n_model((-7, -7, 3)))


def _l2_normalization_model(activation: int = 0, shape: tuple[int, ...] = A_SHAPE) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", shape, scale=0.05, zero_point=-12)
    y = mb.tensor("y", shape, scale=1.0 / 128, zero_point=0)
    mb.op("L2_NORMALIZATION", [x], [y], "L2NormOptions", FusedActivationFunction=activation)
    return mb.build([x], [y])


def test_l2_normalization_rows_and_rejections() -> None:
    _, params = prepared(_l2_normalization_model())
    assert isinstance(params, L2NormalizationParams)
    assert (params.input_zero_point, params.depth, params.outer_size) == (-12, 3, 8)
    with pytest.raises(OpError, match="RELU"):
        prepared(_l2_normalization_model(activation=1))
    with pytest.raises(OpError, match="rank 5"):
        prepared(_l2_normalization_model(shape=(1, 2, 2, 2, 3)))


def _cumsum_model(axis: int, exclusive: bool, reverse: bool) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", A_SHAPE, scale=0.05, zero_point=-9)
    axis_tensor = mb.tensor("axis", (), DType.INT32, data=np.array(axis))
    y = mb.tensor("y", A_SHAPE, scale=0.2, zero_point=3)
    mb.op("CUMSUM", [x, axis_tensor], [y], "CumsumOptions", Exclusive=exclusive, Reverse=reverse)
    return mb.build([x], [y])


def test_cumsum_layout_around_the_axis() -> None:
    _, params = prepared(_cumsum_model(-2, True, False))
    assert isinstance(params, CumsumParams)
    assert (params.before, params.depth, params.after, params.exclusive, params.reverse) == (
        2,
        4,
        3,
        True,
        False,
    )


GENERATED: dict[str, Callable[[], bytes]] = {
    "cumsum_last_axis": lambda: _cumsum_model(2, False, False),
    "cumsum_axis0_exclusive": lambda: _cumsum_model(0, True, False),
    "cumsum_axis1_reverse": lambda: _cumsum_model(1, False, True),
    "cumsum_axis1_exclusive_reverse": lambda: _cumsum_model(-2, True, True),
    "l2_normalization_int8": _l2_normalization_model,
    "add_n_int8": _add_n_model,
    "elu_int8": _elu_model,
    "prelu_int8": lambda: _prelu_model(DType.INT8),
    "prelu_int16": lambda: _prelu_model(DType.INT16),
    "cast_float32_to_int8": lambda: _cast_model(DType.FLOAT32, DType.INT8),
    "cast_int8_to_float32": lambda: _cast_model(DType.INT8, DType.FLOAT32),
    "cast_bool_to_int16": lambda: _cast_model(DType.BOOL, DType.INT16),
    "cast_int16_to_int32": lambda: _cast_model(DType.INT16, DType.INT32),
    "cast_int32_to_float32": lambda: _cast_model(DType.INT32, DType.FLOAT32),
    "abs_int8_same_scale": lambda: _abs_model(DType.INT8, (0.05, 3), (0.05, -100)),
    "abs_int8_rescaled": lambda: _abs_model(DType.INT8, (0.05, 3), (0.03, -128)),
    "abs_int16_quantized": lambda: _abs_model(DType.INT16, (0.001, 0), (0.0007, 0)),
    "abs_int16_unquantized": lambda: _abs_model(DType.INT16, None, None),
    "abs_float32": lambda: _abs_model(DType.FLOAT32, None, None),
    **{f"{op.lower()}_int8": functools.partial(_comparison_model, op, DType.INT8) for op in COMPARISONS},
    "less_equal_int32": lambda: _comparison_model("LESS_EQUAL", DType.INT32),
    "not_equal_bool": lambda: _comparison_model("NOT_EQUAL", DType.BOOL),
    "greater_float32": lambda: _comparison_model("GREATER", DType.FLOAT32),
    "logical_and": lambda: _logical_model("LOGICAL_AND"),
    "logical_or": lambda: _logical_model("LOGICAL_OR"),
    "logical_not": lambda: _logical_model("LOGICAL_NOT"),
    "select_v2_int8": lambda: _select_model(DType.INT8),
    "select_v2_int16": lambda: _select_model(DType.INT16),
    "select_v2_float32": lambda: _select_model(DType.FLOAT32),
    "add_int32": lambda: _int32_model("ADD", 1),
    "sub_int32_relu6": lambda: _int32_model("SUB", 3),
    "mul_int32": lambda: _int32_model("MUL"),
    "div_int32": lambda: _int32_model("DIV"),
    "maximum_int32": lambda: _int32_model("MAXIMUM"),
    "minimum_int32": lambda: _int32_model("MINIMUM"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_code_matches_tflm(name: str) -> None:
    assert_bit_exact(GENERATED[name](), samples=12)
