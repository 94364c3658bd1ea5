import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.reference_kernels import fully_connected
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ir import DType
from tinymlc.ops.fully_connected import FullyConnectedParams


def _model(
    rng: np.random.Generator, per_channel: bool, activation: int
) -> tuple[bytes, np.ndarray, np.ndarray]:
    mb = ModelBuilder()
    in_scale, out_scale = float(rng.uniform(0.01, 0.2)), float(rng.uniform(0.05, 0.5))
    w_scales = (
        tuple(float(s) for s in rng.uniform(0.001, 0.02, size=6))
        if per_channel
        else float(rng.uniform(0.001, 0.02))
    )
    weights = random_int8(rng, (6, 10))
    bias = rng.integers(-2000, 2000, size=6).astype(np.int32)
    x = mb.tensor("x", (2, 10), scale=in_scale, zero_point=int(rng.integers(-20, 20)))
    w = mb.tensor("w", (6, 10), scale=w_scales, data=weights)
    first_w = w_scales[0] if isinstance(w_scales, tuple) else w_scales
    b = mb.tensor("b", (6,), DType.INT32, scale=float(np.float32(in_scale) * np.float32(first_w)), data=bias)
    y = mb.tensor("y", (2, 6), scale=out_scale, zero_point=int(rng.integers(-20, 20)))
    mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions", FusedActivationFunction=activation)
    return mb.build([x], [y]), weights, bias


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("activation", [0, 1, 3])
def test_matches_tflm_on_random_models(per_channel: bool, activation: int) -> None:
    rng = np.random.default_rng(7 + activation + 10 * per_channel)
    for _ in range(5):
        data, weights, bias = _model(rng, per_channel, activation)
        _, params = prepared(data)
        assert isinstance(params, FullyConnectedParams)
        assert (params.per_channel_output_multiplier is not None) == per_channel
        x = random_int8(rng, (2, 10))
        np.testing.assert_array_equal(fully_connected(params, x, weights, bias), run_tflm(data, [x])[0])


def test_per_tensor_multiplier_uses_double_scale_product() -> None:
    # Input scale 0.0173 x filter scale 0.012416 into 2^-12: the float32 product gives
    # multiplier 1889372672, the double one 1889372610. With zero weights the output is
    # the bias alone, -104, which the first requantizes to -92 and the second to -91:
    # TFLM gives -91 (its source reads a float32 product; the wheel computes in double).
    in_scale, w_scale, out_scale = 0.0173, 0.012416, 2.0**-12
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 2), scale=in_scale)
    w = mb.tensor("w", (1, 2), scale=w_scale, data=np.zeros((1, 2)))
    bias_scale = float(np.float32(in_scale) * np.float32(w_scale))
    b = mb.tensor("b", (1,), DType.INT32, scale=bias_scale, data=np.array([-104]))
    y = mb.tensor("y", (1, 1), scale=out_scale)
    mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions")
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, FullyConnectedParams)
    assert (params.output_multiplier, params.output_shift) == (1889372610, 0)
    assert run_tflm(data, [np.zeros((1, 2), np.int8)])[0].reshape(-1).tolist() == [-91]
