"""ADD / SUB / MUL prepare, checked against the TFLM interpreter."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import add_sub, mul
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ops._binary import AddSubParams
from tinymlc.ops.mul import MulParams
from tinymlc.quant import quantize_multiplier

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
            assert isinstance(params, AddSubParams)
            assert params.shapes.requires_broadcast == (shapes[0] != shapes[1])
            expected = add_sub(params, a, b, subtract=op == "SUB")
        np.testing.assert_array_equal(expected, run_tflm(data, [a, b])[0])


def test_sub_multipliers_are_formed_in_float() -> None:
    # Hand-derived: TFLM's SUB divides float32 scales before widening, ADD divides
    # doubles.  For these scales the output multipliers differ in the last bits.
    rng = np.random.default_rng(0)
    differing = 0
    for _ in range(200):
        s1, s2, so = (float(np.float32(v)) for v in rng.uniform(0.001, 0.5, 3))
        mb_add, mb_sub = ModelBuilder(), ModelBuilder()
        results = []
        for mb, op in ((mb_add, "ADD"), (mb_sub, "SUB")):
            a = mb.tensor("a", (4,), scale=s1)
            b = mb.tensor("b", (4,), scale=s2)
            y = mb.tensor("y", (4,), scale=so)
            mb.op(op, [a, b], [y], f"{op.title()}Options")
            _, params = prepared(mb.build([a, b], [y]))
            assert isinstance(params, AddSubParams)
            results.append((params.input1_multiplier, params.input2_multiplier, params.output_multiplier))
        differing += results[0] != results[1]
        twice = np.float32(2) * max(np.float32(s1), np.float32(s2))
        expected_in1 = float(np.float32(s1) / twice)
        assert results[1][0] == quantize_multiplier(expected_in1).multiplier
    assert differing > 0
