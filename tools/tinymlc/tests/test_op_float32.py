"""FLOAT32 layers (ops/float32.py, codegen/steps_float.py): their parameters, the
rejections, and generated code against TFLM for what no converter emits (L2_POOL_2D,
grouped CONV_2D, FULLY_CONNECTED with batches and keep_num_dims, in-place chains). The
converter-made float models of models/build_float.py cover the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.check import NAN_ULPS, check, float_ulps
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import Activation, DType
from tinymlc.ops import prepare_operator
from tinymlc.ops.float32 import (
    FLOAT_MAX,
    FloatActivationRange,
    FloatConv2DParams,
    FloatFullyConnectedParams,
    FloatPoolKind,
    FloatPoolParams,
    activation_range,
)

RNG = np.random.default_rng(5)
F32 = DType.FLOAT32

SAME, VALID = 0, 1
RELU, RELU6 = 1, 3


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _grouped_conv() -> bytes:
    """Two groups: 4 input channels, filters of depth 2; dilation 2, SAME, RELU6."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7, 6, 4), F32)
    w = mb.tensor("w", (6, 3, 3, 2), F32, data=_weights((6, 3, 3, 2)))
    b = mb.tensor("b", (6,), F32, data=_weights((6,)))
    y = mb.tensor("y", (1, 7, 6, 6), F32)
    mb.conv_2d([x, w, b], [y], padding=SAME, stride=1, dilation=2, activation=RELU6)
    return mb.build([x], [y])


def _fully_connected(keep_num_dims: bool) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 10), F32)
    w = mb.tensor("w", (5, 10), F32, data=_weights((5, 10)))
    y = mb.tensor("y", (2, 3, 5) if keep_num_dims else (6, 5), F32)
    mb.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions", KeepNumDims=keep_num_dims)
    return mb.build([x], [y])


def _fully_connected_of_two_inputs() -> bytes:
    """Weights and bias computed at run time (graph inputs), which TFLM's float kernel takes."""
    mb = ModelBuilder()
    x = mb.tensor("x", (3, 6), F32)
    w = mb.tensor("w", (4, 6), F32)
    b = mb.tensor("b", (4,), F32)
    y = mb.tensor("y", (3, 4), F32)
    mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions", FusedActivationFunction=RELU)
    return mb.build([x, w, b], [y])


def _batch_matmul(adj_x: bool, adj_y: bool) -> bytes:
    """Two run-time operands, the RHS's batch broadcast against the LHS's two."""
    mb = ModelBuilder()
    lhs = mb.tensor("lhs", (2, 3, 5, 4) if adj_x else (2, 3, 4, 5), F32)
    rhs = mb.tensor("rhs", (1, 3, 6, 5) if adj_y else (1, 3, 5, 6), F32)
    y = mb.tensor("y", (2, 3, 4, 6), F32)
    mb.op("BATCH_MATMUL", [lhs, rhs], [y], "BatchMatMulOptions", AdjX=adj_x, AdjY=adj_y)
    return mb.build([lhs, rhs], [y])


def _l2_pool(padding: int, activation: int) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 7, 7, 3), F32)
    out = 4 if padding == SAME else 3
    y = mb.tensor("y", (2, out, out, 3), F32)
    mb.op(
        "L2_POOL_2D",
        [x],
        [y],
        "Pool2DOptions",
        Padding=padding,
        StrideW=2,
        StrideH=2,
        FilterWidth=3,
        FilterHeight=2,
        FusedActivationFunction=activation,
    )
    return mb.build([x], [y])


def _elementwise_chain() -> bytes:
    """ADD (broadcast) -> RELU -> MUL -> PRELU (broadcast slopes) -> EXP: the memory
    planner writes the RELU and the MUL over their inputs (the in-place kernels)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 5), F32)
    c = mb.tensor("c", (1, 1, 5), F32, data=_weights((1, 1, 5)))
    s = mb.tensor("s", (1, 4, 5), F32)
    r = mb.tensor("r", (1, 4, 5), F32)
    m = mb.tensor("m", (1, 4, 5), F32)
    y = mb.tensor("y", (1, 4, 5), F32)
    mb.op("ADD", [x, c], [s], "AddOptions")
    mb.op("RELU", [s], [r])
    p = mb.tensor("p", (1, 4, 5), F32)
    slopes = mb.tensor("slopes", (1, 1, 5), F32, data=_weights((1, 1, 5)))
    mb.op("MUL", [r, x], [m], "MulOptions")
    mb.op("PRELU", [m, slopes], [p])
    mb.op("EXP", [p], [y])
    return mb.build([x], [y])


def test_activation_ranges_are_tflms() -> None:
    assert activation_range(Activation.NONE) == FloatActivationRange(-FLOAT_MAX, FLOAT_MAX)
    assert activation_range(Activation.RELU) == FloatActivationRange(0.0, FLOAT_MAX)
    assert activation_range(Activation.RELU6) == FloatActivationRange(0.0, 6.0)
    assert activation_range(Activation.RELU_N1_TO_1) == FloatActivationRange(-1.0, 1.0)
    # TFLM's CalculateActivationRange leaves any other activation unclamped.
    assert activation_range(Activation.TANH) == FloatActivationRange(-FLOAT_MAX, FLOAT_MAX)


def test_grouped_conv_parameters() -> None:
    params = prepare_operator(parse_model(_grouped_conv()).main, 0)
    assert isinstance(params, FloatConv2DParams)
    assert params.depth_multiplier is None
    assert params.filter_shape == (6, 3, 3, 2)
    assert (params.padding.height, params.padding.width) == (2, 2)
    assert params.activation == FloatActivationRange(0.0, 6.0)


def test_fully_connected_parameters_flatten_the_batches() -> None:
    params = prepare_operator(parse_model(_fully_connected(keep_num_dims=True)).main, 0)
    assert isinstance(params, FloatFullyConnectedParams)
    assert (params.batches, params.input_depth, params.output_depth) == (6, 10, 5)
    assert not params.has_bias


def test_l2_pool_parameters() -> None:
    params = prepare_operator(parse_model(_l2_pool(SAME, RELU)).main, 0)
    assert isinstance(params, FloatPoolParams)
    assert params.kind is FloatPoolKind.L2
    assert params.output_shape == (2, 4, 4, 3)


def test_float_only_operator_on_int8_is_rejected() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.1)
    y = mb.tensor("y", (1, 4), scale=0.1)
    mb.op("FLOOR", [x], [y])
    with pytest.raises(OpError, match="FLOOR runs only on FLOAT32"):
        prepare_operator(parse_model(mb.build([x], [y])).main, 0)


def test_hybrid_layer_is_rejected_as_tflm_does() -> None:
    """Float activations with int8 weights (dynamic-range quantization): TFLM refuses them."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), F32)
    w = mb.tensor("w", (2, 4), scale=0.1, data=np.ones((2, 4)))
    y = mb.tensor("y", (1, 2), F32)
    mb.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions")
    with pytest.raises(OpError, match=r"hybrid .* int8 weights, which TFLite Micro does not run"):
        prepare_operator(parse_model(mb.build([x], [y])).main, 0)


def test_float_operands_must_all_be_float() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), F32)
    w = mb.tensor("w", (2, 4), F32, data=np.ones((2, 4)))
    y = mb.tensor("y", (1, 2), F32)
    a = mb.tensor("a", (1, 2), scale=0.1)
    mb.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions")
    mb.op("ADD", [y, a], [y], "AddOptions")
    with pytest.raises(OpError, match="has type INT8, expected FLOAT32"):
        prepare_operator(parse_model(mb.build([x, a], [y])).main, 1)


def test_ulps_count_representable_floats() -> None:
    one = np.array([1.0], np.float32)
    assert float_ulps(one, one) == 0
    assert float_ulps(np.nextafter(one, np.float32(2)), one) == 1
    assert float_ulps(np.array([0.0], np.float32), np.array([-0.0], np.float32)) == 1
    assert float_ulps(np.array([np.nan], np.float32), np.array([np.nan], np.float32)) == 0
    assert float_ulps(np.array([np.nan], np.float32), one) == NAN_ULPS


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(_grouped_conv, id="grouped_conv_dilated_relu6"),
        pytest.param(lambda: _fully_connected(keep_num_dims=True), id="fully_connected_keep_num_dims"),
        pytest.param(lambda: _fully_connected(keep_num_dims=False), id="fully_connected_batches"),
        pytest.param(_fully_connected_of_two_inputs, id="fully_connected_weights_at_run_time"),
        pytest.param(lambda: _batch_matmul(adj_x=False, adj_y=False), id="batch_matmul"),
        pytest.param(lambda: _batch_matmul(adj_x=True, adj_y=True), id="batch_matmul_adjoints"),
        pytest.param(lambda: _l2_pool(SAME, RELU), id="l2_pool_same_relu"),
        pytest.param(lambda: _l2_pool(VALID, 0), id="l2_pool_valid"),
        pytest.param(_elementwise_chain, id="elementwise_chain_in_place"),
    ],
)
def test_generated_code_is_bit_exact_with_tflm(model: object) -> None:
    assert callable(model)
    model_bytes = model()
    assert isinstance(model_bytes, bytes)
    assert_bit_exact(model_bytes, samples=10)


def _data_movement() -> bytes:
    """TRANSPOSE, STRIDED_SLICE and CONCATENATION of float32 tensors (raw copies)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 4), F32)
    perm = mb.tensor("perm", (3,), DType.INT32, data=np.array([2, 0, 1]))
    t = mb.tensor("t", (4, 2, 3), F32)
    begin = mb.tensor("begin", (3,), DType.INT32, data=np.array([1, 0, 0]))
    end = mb.tensor("end", (3,), DType.INT32, data=np.array([4, 2, 3]))
    strides = mb.tensor("strides", (3,), DType.INT32, data=np.array([2, 1, 2]))
    s = mb.tensor("s", (2, 2, 2), F32)
    y = mb.tensor("y", (4, 2, 2), F32)
    mb.op("TRANSPOSE", [x, perm], [t])
    mb.op("STRIDED_SLICE", [t, begin, end, strides], [s], "StridedSliceOptions")
    mb.op("CONCATENATION", [s, s], [y], "ConcatenationOptions", Axis=0)
    return mb.build([x], [y])


def test_data_movement_is_bit_exact_with_tflm() -> None:
    assert_bit_exact(_data_movement(), samples=5)


def _reducers() -> bytes:
    """MEAN over H and W (a global average pool), SUM, REDUCE_MAX and REDUCE_MIN."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 5, 4, 3), F32)
    hw = mb.tensor("hw", (2,), DType.INT32, data=np.array([1, 2]))
    last = mb.tensor("last", (2,), DType.INT32, data=np.array([-1, 0]))
    mean = mb.tensor("mean", (2, 1, 1, 3), F32)
    total = mb.tensor("sum", (5, 4), F32)
    high = mb.tensor("max", (2, 3), F32)
    low = mb.tensor("min", (2, 1, 1, 3), F32)
    mb.op("MEAN", [x, hw], [mean], "ReducerOptions", KeepDims=True)
    mb.op("SUM", [x, last], [total], "ReducerOptions", KeepDims=False)
    mb.op("REDUCE_MAX", [x, hw], [high], "ReducerOptions", KeepDims=False)
    mb.op("REDUCE_MIN", [x, hw], [low], "ReducerOptions", KeepDims=True)
    return mb.build([x], [mean, total, high, low])


def test_reducers_are_bit_exact_with_tflm() -> None:
    assert_bit_exact(_reducers(), samples=10)


def _pads() -> bytes:
    """PAD (zeros) and PADV2 (a float constant) of float32 tensors."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 3, 4, 2), F32)
    paddings = mb.tensor("paddings", (4, 2), DType.INT32, data=np.array([[0, 0], [1, 2], [2, 0], [0, 1]]))
    value = mb.tensor("value", (), F32, data=np.array(-1.5))
    padded = mb.tensor("padded", (1, 6, 6, 3), F32)
    y = mb.tensor("y", (1, 9, 8, 4), F32)
    mb.op("PAD", [x, paddings], [padded])
    mb.op("PADV2", [padded, paddings, value], [y])
    return mb.build([x], [y])


def test_pads_are_bit_exact_with_tflm() -> None:
    assert_bit_exact(_pads(), samples=5)


def test_check_passes_float_outputs_within_the_allowed_ulps(tmp_path: Path) -> None:
    # TANH: the C library's tanhf need not be correctly rounded (glibc's is off by up
    # to 2 ULPs), ours is; either way `passed` follows `max_ulp` against the allowance.
    mb = ModelBuilder()
    x = mb.tensor("x", (4, 64), F32)
    y = mb.tensor("y", (4, 64), F32)
    mb.op("TANH", [x], [y])
    model = tmp_path / "tanh.tflite"
    model.write_bytes(mb.build([x], [y]))
    strict = check(model, 4, 0, hostbuild.default_runtime_dir(), measure_tflm_arena=False)
    assert strict.max_ulp is not None
    assert strict.passed == strict.bit_exact == (strict.max_ulp == 0)
    if not strict.bit_exact:
        assert strict.first_divergence is not None
        assert strict.first_divergence.op == "TANH"
    lenient = check(
        model, 4, 0, hostbuild.default_runtime_dir(), measure_tflm_arena=False, max_ulp_allowed=strict.max_ulp
    )
    assert lenient.passed
    assert lenient.max_ulp == strict.max_ulp
