"""16x8 BATCH_MATMUL: int16 operands (zero points 0), TFLM's 64-bit accumulator and
64-bit requantization, compared with TFLM."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.batch_matmul import BatchMatMulParams


def batch_matmul_16x8(
    lhs_shape: tuple[int, ...],
    rhs_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    *,
    adj_x: bool = False,
    adj_y: bool = False,
    constant_rhs: bool = False,
    output_scale: float = 0.004,
    zero_point: int = 0,
) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", lhs_shape, DType.INT16, scale=1 / 4096, zero_point=zero_point)
    rng = np.random.default_rng(5)
    data = rng.integers(-32768, 32768, rhs_shape) if constant_rhs else None
    b = mb.tensor("b", rhs_shape, DType.INT16, scale=1 / 2048, zero_point=0, data=data)
    y = mb.tensor("y", output_shape, DType.INT16, scale=output_scale, zero_point=0)
    mb.op("BATCH_MATMUL", [a, b], [y], "BatchMatMulOptions", AdjX=adj_x, AdjY=adj_y)
    return mb.build([a] if constant_rhs else [a, b], [y])


def test_prepare_keeps_the_int16_range_and_needs_no_scratch() -> None:
    _, params = prepared(batch_matmul_16x8((2, 3, 5), (2, 5, 4), (2, 3, 4)))
    assert isinstance(params, BatchMatMulParams)
    assert (params.output_activation_min, params.output_activation_max) == (-32768, 32767)
    assert params.scratch_bytes == 0


def test_nonzero_zero_point_is_rejected_as_tflm_does() -> None:
    with pytest.raises(OpError, match="zero point 0"):
        prepared(batch_matmul_16x8((2, 3), (3, 2), (2, 2), zero_point=1))


@pytest.mark.parametrize(
    ("shapes", "options"),
    [
        (((2, 3, 5), (2, 5, 4), (2, 3, 4)), {}),
        (((1, 4, 6), (2, 1, 6, 3), (2, 1, 4, 3)), {}),
        (((3, 5, 2), (3, 4, 5), (3, 2, 4)), {"adj_x": True, "adj_y": True}),
        (((4, 8), (8, 6), (4, 6)), {"constant_rhs": True, "output_scale": 0.0001}),
    ],
    ids=["batched", "broadcast", "adjoint", "constant_rhs_saturating"],
)
def test_generated_code_matches_tflm(
    shapes: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]], options: dict[str, object]
) -> None:
    assert_bit_exact(batch_matmul_16x8(*shapes, **options), samples=8)  # type: ignore[arg-type]
