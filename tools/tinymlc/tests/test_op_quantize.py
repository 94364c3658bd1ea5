import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import quantize
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ir import DType
from tinymlc.ops.quantize import QuantizeMode, QuantizeParams


def test_float_to_int8_matches_tflm_including_ties() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (64,), DType.FLOAT32)
    y = mb.tensor("y", (64,), scale=0.5, zero_point=-1)
    mb.op("QUANTIZE", [x], [y])
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, QuantizeParams)
    assert params.mode is QuantizeMode.FLOAT_TO_INT8
    # Exact ties (k + 0.5 after dividing by the scale) must round away from zero.
    values = (np.arange(64, dtype=np.float32) - 32) * np.float32(0.25)
    np.testing.assert_array_equal(quantize(params, values), run_tflm(data, [values])[0])


@pytest.mark.parametrize("seed", range(4))
def test_requantize_matches_tflm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    x = mb.tensor("x", (50,), scale=float(rng.uniform(0.01, 0.5)), zero_point=int(rng.integers(-50, 50)))
    y = mb.tensor("y", (50,), scale=float(rng.uniform(0.01, 0.5)), zero_point=int(rng.integers(-50, 50)))
    mb.op("QUANTIZE", [x], [y])
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, QuantizeParams)
    assert params.mode is QuantizeMode.REQUANTIZE
    values = random_int8(rng, (50,))
    np.testing.assert_array_equal(quantize(params, values), run_tflm(data, [values])[0])


def test_identity_requantize_is_detected() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (4,), scale=0.25, zero_point=3)
    y = mb.tensor("y", (4,), scale=0.25, zero_point=3)
    mb.op("QUANTIZE", [x], [y])
    _, params = prepared(mb.build([x], [y]))
    assert isinstance(params, QuantizeParams)
    assert params.is_identity
    assert (params.requantize_output_multiplier, params.requantize_output_shift) == (1 << 30, 1)
