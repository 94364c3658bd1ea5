"""FLOAT32 forms of the data-movement operators, ARG_MAX / ARG_MIN, ADD_N, CUMSUM,
TRANSPOSE_CONV, RESIZE_BILINEAR and L2_NORMALIZATION (ops/float32_ops.py and the
operators' own modules): parameters, rejections, and generated code against TFLM for
what the converter-made models of models/build_float_ops.py do not cover (weights at
run time, FILL of a run-time value, int32 SPLIT and PACK)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact, assert_sequence_matches
from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import Activation, DType
from tinymlc.ops import prepare_operator
from tinymlc.ops.float32 import activation_range
from tinymlc.ops.float32_ops import FloatSample, FloatTransposeConvParams, float_samples
from tinymlc.ops.svdf import FloatSvdfParams, SvdfDims

F32 = DType.FLOAT32
SAME, VALID = 0, 1
RELU_N1_TO_1, RELU6 = 2, 3


def _transpose_conv(filter_dtype: DType = F32, weights_at_run_time: bool = True) -> bytes:
    """Filter and bias as graph inputs (TFLM's float kernel reads them whatever made
    them), strides 2 x 3, SAME, RELU6."""
    mb = ModelBuilder()
    shape = mb.tensor("shape", (4,), DType.INT32, data=np.array([1, 6, 9, 4]))
    x = mb.tensor("x", (1, 3, 3, 5), F32)
    data = None if weights_at_run_time else np.ones((4, 3, 4, 5), np.float32)
    w = mb.tensor(
        "w", (4, 3, 4, 5), filter_dtype, data=data, scale=0.1 if filter_dtype is DType.INT8 else None
    )
    b = mb.tensor("b", (4,), F32)
    y = mb.tensor("y", (1, 6, 9, 4), F32)
    mb.op(
        "TRANSPOSE_CONV",
        [shape, w, x, b],
        [y],
        "TransposeConvOptions",
        Padding=SAME,
        StrideH=2,
        StrideW=3,
        FusedActivationFunction=RELU6,
    )
    inputs = [x, w, b] if weights_at_run_time else [x, b]
    return mb.build(inputs, [y])


def _fill_of_a_run_time_value() -> bytes:
    mb = ModelBuilder()
    value = mb.tensor("value", (), F32)
    dims = mb.tensor("dims", (3,), DType.INT32, data=np.array([2, 3, 4]))
    y = mb.tensor("y", (2, 3, 4), F32)
    mb.op("FILL", [dims, value], [y])
    return mb.build([value], [y])


def _int32_split_and_pack() -> bytes:
    """SPLIT of an int32 tensor, its halves stacked back by PACK on a new axis, then
    SLICE."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 6), DType.INT32)
    axis = mb.tensor("axis", (), DType.INT32, data=np.array(1))
    left = mb.tensor("left", (2, 3), DType.INT32)
    right = mb.tensor("right", (2, 3), DType.INT32)
    packed = mb.tensor("packed", (2, 2, 3), DType.INT32)
    begin = mb.tensor("begin", (3,), DType.INT32, data=np.array([1, 0, 1]))
    size = mb.tensor("size", (3,), DType.INT32, data=np.array([1, -1, 2]))
    y = mb.tensor("y", (1, 2, 2), DType.INT32)
    mb.op("SPLIT", [axis, x], [left, right], "SplitOptions", NumSplits=2)
    mb.op("PACK", [left, right], [packed], "PackOptions", ValuesCount=2, Axis=1)
    mb.op("SLICE", [packed, begin, size], [y])
    return mb.build([x], [y])


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(_transpose_conv, id="transpose_conv_weights_at_run_time"),
        pytest.param(_fill_of_a_run_time_value, id="fill"),
        pytest.param(_int32_split_and_pack, id="int32_split_pack_slice"),
    ],
)
def test_generated_code_is_bit_exact_with_tflm(model: object) -> None:
    assert callable(model)
    model_bytes = model()
    assert isinstance(model_bytes, bytes)
    assert_bit_exact(model_bytes, samples=10)


def test_transpose_conv_parameters() -> None:
    params = prepare_operator(parse_model(_transpose_conv(weights_at_run_time=False)).main, 0)
    assert isinstance(params, FloatTransposeConvParams)
    assert (params.stride_h, params.stride_w) == (2, 3)
    assert params.activation == activation_range(Activation.RELU6)
    assert params.filter_shape == (4, 3, 4, 5)
    assert params.has_bias


def test_hybrid_transpose_conv_is_rejected() -> None:
    with pytest.raises(OpError, match="hybrid"):
        prepare_operator(parse_model(_transpose_conv(DType.INT8, weights_at_run_time=False)).main, 0)


def test_float_samples_extrapolate_with_half_pixel_centers() -> None:
    # 3 -> 5 half-pixel: row 0 sits at (0.5 * 0.6) - 0.5 = -0.2: lower 0, fraction -0.2.
    rows = float_samples(3, 5, align_corners=False, half_pixel_centers=True)
    assert rows[0] == FloatSample(
        0, 0, float(np.float32(np.float32(0.5) * np.float32(0.6)) - np.float32(0.5))
    )
    assert (rows[-1].lower, rows[-1].upper) == (2, 2)
    # Legacy 2 -> 4: positions 0, 0.5, 1, 1.5; an exact position has lower == upper.
    legacy = float_samples(2, 4, align_corners=False, half_pixel_centers=False)
    assert legacy == (
        FloatSample(0, 0, 0.0),
        FloatSample(0, 1, 0.5),
        FloatSample(1, 1, 0.0),
        FloatSample(1, 1, 0.5),
    )
    # align_corners 3 -> 5: scale (3 - 1) / (5 - 1), the last row exactly on the last input.
    assert float_samples(3, 5, align_corners=True, half_pixel_centers=False)[-1] == FloatSample(2, 2, 0.0)


def _float_svdf(batches: int, rank: int, activation: int, with_bias: bool = True) -> bytes:
    """A float SVDF: 6 inputs, 3 units, memory 4; the state carries over."""
    rng = np.random.default_rng(rank)
    units, memory, inputs = 3, 4, 6
    filters = units * rank
    mb = ModelBuilder()
    x = mb.tensor("x", (batches, inputs), F32)
    feature = mb.tensor("feature", (filters, inputs), F32, data=rng.standard_normal((filters, inputs)))
    time = mb.tensor("time", (filters, memory), F32, data=rng.standard_normal((filters, memory)))
    bias = mb.tensor("bias", (units,), F32, data=rng.standard_normal(units)) if with_bias else -1
    state = mb.tensor("state", (batches, memory * filters), F32, variable=True)
    y = mb.tensor("y", (batches, units), F32)
    mb.op(
        "SVDF",
        [x, feature, time, bias, state],
        [y],
        "SVDFOptions",
        Rank=rank,
        FusedActivationFunction=activation,
    )
    return mb.build([x], [y])


@pytest.mark.parametrize(
    ("batches", "rank", "activation"),
    # TANH is left out: `tanhf` of glibc differs from the correctly rounded one by an ULP.
    [(1, 1, 0), (2, 2, RELU6), (1, 2, RELU_N1_TO_1)],
    ids=["rank1", "rank2_batch2_relu6", "rank2_relu_n1_to_1"],
)
def test_float_svdf_state_evolves_as_in_tflm(batches: int, rank: int, activation: int) -> None:
    assert_sequence_matches(_float_svdf(batches, rank, activation), samples=8, reset_every=5)


def test_float_svdf_parameters() -> None:
    params = prepare_operator(parse_model(_float_svdf(2, 2, RELU6, with_bias=False)).main, 0)
    assert params == FloatSvdfParams(SvdfDims(2, 6, 6, 2, 4), Activation.RELU6, has_bias=False)
