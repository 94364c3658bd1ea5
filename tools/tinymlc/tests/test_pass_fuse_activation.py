import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tests.tflm import random_int8, run_tflm
from tinymlc.frontend import parse_model
from tinymlc.ir import Activation, ElementwiseAttrs, OpKind
from tinymlc.passes import fuse_activations


def _add_then(activation: str, out_zp: int = -20, relu_zp: int = -20) -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (16,), scale=0.05, zero_point=3)
    b = mb.tensor("b", (16,), scale=0.07, zero_point=-4)
    s = mb.tensor("s", (16,), scale=0.04, zero_point=out_zp)
    r = mb.tensor("r", (16,), scale=0.04, zero_point=relu_zp)
    mb.op("ADD", [a, b], [s], "AddOptions")
    mb.op(activation, [s], [r])
    return mb.build([a, b], [r])


@pytest.mark.parametrize("activation", ["RELU", "RELU6"])
def test_fuses_and_stays_bit_exact_in_tflm(activation: str) -> None:
    data = _add_then(activation)
    graph = fuse_activations(parse_model(data).main)
    assert [op.kind for op in graph.operators] == [OpKind.ADD]
    attrs = graph.operators[0].attrs
    assert isinstance(attrs, ElementwiseAttrs)
    assert attrs.activation is Activation[activation]
    assert graph.operators[0].outputs == (3,)
    # The fused model (same tensors, ADD with fused activation) gives TFLM's
    # output of the unfused model.
    mb = ModelBuilder()
    a = mb.tensor("a", (16,), scale=0.05, zero_point=3)
    b = mb.tensor("b", (16,), scale=0.07, zero_point=-4)
    r = mb.tensor("r", (16,), scale=0.04, zero_point=-20)
    mb.op("ADD", [a, b], [r], "AddOptions", FusedActivationFunction=1 if activation == "RELU" else 3)
    fused = mb.build([a, b], [r])
    rng = np.random.default_rng(0)
    inputs = [random_int8(rng, (16,)), random_int8(rng, (16,))]
    np.testing.assert_array_equal(run_tflm(data, inputs)[0], run_tflm(fused, inputs)[0])


def test_does_not_fuse_across_requantization() -> None:
    graph = fuse_activations(parse_model(_add_then("RELU", relu_zp=-10)).main)
    assert [op.kind for op in graph.operators] == [OpKind.ADD, OpKind.RELU]
