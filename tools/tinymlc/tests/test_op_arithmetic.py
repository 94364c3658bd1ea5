"""ADD / SUB / MUL prepare, checked against the TFLM interpreter."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import add_sub, mul
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ops._binary import ArithmeticParams
from tinymlc.ops.mul import MulParams

SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((1, 3, 1), (2, 1, 4))]


def _binary_model(
    rng: np.random.Generator, op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]], activation: int
) -> bytes:
    a_shape, b_shape = shapes
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    mb = ModelBuilder()
    a = mb.tensor("a", a_shape, scale=float(rng.uniform(0.005, 0.2)), zero_point=int(rng.integers(-30, 30)))
    b = mb.tensor("b", b_shape, scale=float(rng.uniform(0.005, 0.2)), zero_point=int(rng.integers(-30, 30)))
    y = mb.tensor(
        "y", tuple(out_shape), scale=float(rng.uniform(0.01, 0.3)), zero_point=int(rng.integers(-30, 30))
    )
    options = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[op]
    mb.op(op, [a, b], [y], options, FusedActivationFunction=activation)
    return mb.build([a, b], [y])


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("activation", [0, 1, 3])
def test_matches_tflm(op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]], activation: int) -> None:
    rng = np.random.default_rng(len(op) * 1000 + activation * 10 + len(shapes[1]))
    for _ in range(3):
        data = _binary_model(rng, op, shapes, activation)
        _, params = prepared(data)
        a, b = random_int8(rng, shapes[0]), random_int8(rng, shapes[1])
        if op == "MUL":
            assert isinstance(params, MulParams)
            expected = mul(params, a, b)
        else:
            assert isinstance(params, ArithmeticParams)
            assert params.shapes.requires_broadcast == (shapes[0] != shapes[1])
            expected = add_sub(params, a, b, subtract=op == "SUB")
        np.testing.assert_array_equal(expected, run_tflm(data, [a, b])[0])


def test_sub_parameters_are_adds() -> None:
    # TFLM's CalculateOpDataSub rescales in double exactly like ADD's Prepare.
    rng = np.random.default_rng(0)
    for _ in range(200):
        s1, s2, so = (float(np.float32(v)) for v in rng.uniform(0.001, 0.5, 3))
        results = []
        for op in ("ADD", "SUB"):
            mb = ModelBuilder()
            a = mb.tensor("a", (4,), scale=s1)
            b = mb.tensor("b", (4,), scale=s2)
            y = mb.tensor("y", (4,), scale=so)
            mb.op(op, [a, b], [y], f"{op.title()}Options")
            _, params = prepared(mb.build([a, b], [y]))
            results.append(params)
        assert results[0] == results[1]


def test_sub_matches_tflm_where_float32_quotients_would_be_off_by_one() -> None:
    # The scales of models/op_sub_broadcast.tflite: float32 quotients give input1 and output
    # multipliers a few units lower, and two of 100 random inputs an output one lower.
    mb = ModelBuilder()
    a = mb.tensor("a", (1, 10, 10, 8), scale=0.034077297896146774, zero_point=6)
    b = mb.tensor("b", (1, 10, 1, 8), scale=0.06564225256443024, zero_point=-20)
    y = mb.tensor("y", (1, 10, 10, 8), scale=0.07936207205057144, zero_point=12)
    mb.op("SUB", [a, b], [y], "SubOptions")
    data = mb.build([a, b], [y])
    _, params = prepared(data)
    assert isinstance(params, ArithmeticParams)
    assert (params.input1_multiplier, params.output_multiplier) == (1114837428, 1776234672)
    rng = np.random.default_rng(0)
    for _ in range(100):
        x1, x2 = random_int8(rng, (1, 10, 10, 8)), random_int8(rng, (1, 10, 1, 8))
        np.testing.assert_array_equal(add_sub(params, x1, x2, subtract=True), run_tflm(data, [x1, x2])[0])
