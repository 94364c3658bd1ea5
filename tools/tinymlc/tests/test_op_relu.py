import numpy as np

from tests.model_builder import ModelBuilder
from tests.reference_kernels import leaky_relu, relu
from tests.tflm import prepared, random_int8, run_tflm
from tinymlc.ops.leaky_relu import LeakyReluParams
from tinymlc.ops.relu import ReluParams
from tinymlc.ops.relu6 import Relu6Params


def test_relu_matches_tflm_with_rescale() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (100,), scale=0.11, zero_point=-9)
    y = mb.tensor("y", (100,), scale=0.07, zero_point=-20)
    mb.op("RELU", [x], [y])
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, ReluParams)
    assert params.quantized_activation_min == -20
    values = random_int8(np.random.default_rng(1), (100,))
    np.testing.assert_array_equal(relu(params, values), run_tflm(data, [values])[0])


def test_relu6_six_hand_derived() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (8,), scale=0.05, zero_point=-100)
    y = mb.tensor("y", (8,), scale=0.05, zero_point=-100)
    mb.op("RELU6", [x], [y])
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert params == Relu6Params(zero=-100, six=20)  # round(6 / 0.05) - 100
    values = np.array([-128, -101, -100, -99, 19, 20, 21, 127], dtype=np.int8)
    np.testing.assert_array_equal(run_tflm(data, [values])[0], np.clip(values, -100, 20))


def test_leaky_relu_matches_tflm() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (120,), scale=0.09, zero_point=4)
    y = mb.tensor("y", (120,), scale=0.06, zero_point=-30)
    mb.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", Alpha=0.2)
    data = mb.build([x], [y])
    _, params = prepared(data)
    assert isinstance(params, LeakyReluParams)
    values = random_int8(np.random.default_rng(2), (120,))
    np.testing.assert_array_equal(leaky_relu(params, values), run_tflm(data, [values])[0])
