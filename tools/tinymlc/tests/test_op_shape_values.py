"""FILL, ZEROS_LIKE, SHAPE and BROADCAST_ARGS: their parameters, their folding
into constants, and the generated code against TFLM where they run as kernels."""

from __future__ import annotations

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError, OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType, OpKind
from tinymlc.ops import prepare_operator
from tinymlc.ops._remap import RemapParams, apply_remap
from tinymlc.ops.fill import FillParams
from tinymlc.ops.shape import ShapeValueParams
from tinymlc.passes.constant_folding import fold_constants


def _int32(mb: ModelBuilder, name: str, values: object) -> int:
    data = np.array(values, dtype=np.int32)
    return mb.tensor(name, data.shape, DType.INT32, data=data)


def _prepare(mb: ModelBuilder, inputs: list[int], outputs: list[int]) -> object:
    return prepare_operator(parse_model(mb.build(inputs, outputs)).main, 0)


@pytest.mark.parametrize("dtype", [DType.INT8, DType.INT32])
def test_fill_repeats_the_value_over_the_dims(dtype: DType) -> None:
    mb = ModelBuilder()
    value = mb.tensor("value", (), dtype)
    out = mb.tensor("out", (2, 3, 1), dtype)
    mb.op("FILL", [_int32(mb, "dims", [2, 3, 1]), value], [out])
    params = _prepare(mb, [value], [out])
    assert isinstance(params, FillParams)
    assert params.data_input == 1
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    filled = apply_remap(params, np.array([-7], dtype=np_dtype))
    np.testing.assert_array_equal(filled, np.full(6, -7, dtype=np_dtype))


def test_fill_rejects_int16_as_tflm() -> None:
    mb = ModelBuilder()
    value = mb.tensor("value", (), DType.INT16, scale=0.5)
    out = mb.tensor("out", (2,), DType.INT16, scale=0.5)
    mb.op("FILL", [_int32(mb, "dims", [2]), value], [out])
    with pytest.raises(OpError, match="value"):
        _prepare(mb, [value], [out])


def test_fill_rejects_a_non_scalar_value() -> None:
    mb = ModelBuilder()
    value = mb.tensor("value", (1,), DType.INT32)
    out = mb.tensor("out", (2,), DType.INT32)
    mb.op("FILL", [_int32(mb, "dims", [2]), value], [out])
    with pytest.raises(OpError, match="not a scalar"):
        _prepare(mb, [value], [out])


@pytest.mark.parametrize("dtype", [DType.INT32, DType.INT64, DType.FLOAT32])
def test_zeros_like_writes_only_the_pad_value(dtype: DType) -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 5), dtype)
    out = mb.tensor("out", (2, 5), dtype)
    mb.op("ZEROS_LIKE", [x], [out])
    params = _prepare(mb, [x], [out])
    assert isinstance(params, RemapParams)
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    data = np.arange(1, 11).astype(np_dtype)
    zeros = apply_remap(params, data)
    np.testing.assert_array_equal(zeros, np.zeros(10, dtype=np_dtype))
    assert not np.signbit(zeros).any()  # +0.0, all bits zero, as TFLM's memset


@pytest.mark.parametrize("dtype", [DType.INT8, DType.INT16])
def test_zeros_like_takes_int32_int64_and_float32_only_as_tflm(dtype: DType) -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (4,), dtype, scale=0.1)
    out = mb.tensor("out", (4,), dtype, scale=0.1)
    mb.op("ZEROS_LIKE", [x], [out])
    with pytest.raises(OpError, match="input"):
        _prepare(mb, [x], [out])


def test_zeros_like_rejects_an_output_of_another_type() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (4,), DType.FLOAT32)
    out = mb.tensor("out", (4,), DType.INT32)
    mb.op("ZEROS_LIKE", [x], [out])
    with pytest.raises(OpError, match="output"):
        _prepare(mb, [x], [out])


@pytest.mark.parametrize("dtype", [DType.INT64, DType.FLOAT32])
def test_zeros_like_folds_a_run_time_or_constant_input_of_any_type(dtype: DType) -> None:
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    mb = ModelBuilder()
    run_time = mb.tensor("run_time", (3, 2), DType.FLOAT32)
    constant = mb.tensor("constant", (3, 2), dtype, data=np.arange(6).reshape(3, 2).astype(np_dtype))
    zeros_of_run_time = mb.tensor("zeros_of_run_time", (3, 2), DType.FLOAT32)
    zeros_of_constant = mb.tensor("zeros_of_constant", (3, 2), dtype)
    mb.op("ZEROS_LIKE", [run_time], [zeros_of_run_time])
    mb.op("ZEROS_LIKE", [constant], [zeros_of_constant])
    out = mb.tensor("out", (3, 2), DType.FLOAT32)
    mb.op("ADD", [zeros_of_run_time, run_time], [out], "AddOptions")
    graph = fold_constants(parse_model(mb.build([run_time], [out])).main)
    assert [op.kind for op in graph.operators] == [OpKind.ADD]
    for tensor, folded_dtype in ((zeros_of_run_time, np.float32), (zeros_of_constant, np_dtype)):
        folded = graph.tensors[tensor].data
        assert folded is not None
        assert folded.dtype == folded_dtype
        np.testing.assert_array_equal(folded, np.zeros((3, 2)))


def _float_zeros_like() -> bytes:
    """Float32 ZEROS_LIKE of a run-time input: as a graph output (its kernel) and folded
    into a float ADD (`-0.0 + 0.0` shows a zero of the wrong sign)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 4), DType.FLOAT32)
    zeros = mb.tensor("zeros", (2, 3, 4), DType.FLOAT32)
    mb.op("ZEROS_LIKE", [x], [zeros])
    folded = mb.tensor("folded_zeros", (2, 3, 4), DType.FLOAT32)
    mb.op("ZEROS_LIKE", [x], [folded])
    negated = mb.tensor("negated", (2, 3, 4), DType.FLOAT32)
    mb.op("NEG", [x], [negated])
    total = mb.tensor("total", (2, 3, 4), DType.FLOAT32)
    mb.op("ADD", [folded, negated], [total], "AddOptions")
    return mb.build([x], [zeros, total])


def test_float_zeros_like_is_bit_exact() -> None:
    assert_bit_exact(_float_zeros_like(), samples=10)


def test_shape_gives_the_input_dims() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 6, 2), scale=0.1)
    out = mb.tensor("out", (4,), DType.INT32)
    mb.op("SHAPE", [x], [out], "ShapeOptions", OutType=2)
    assert _prepare(mb, [x], [out]) == ShapeValueParams((1, 4, 6, 2))


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [([2, 1, 3], [4, 1], [2, 4, 3]), ([5], [1, 1, 5], [1, 1, 5]), ([3, 1], [3, 2], [3, 2])],
)
def test_broadcast_args_broadcasts_the_shapes(left: list[int], right: list[int], expected: list[int]) -> None:
    mb = ModelBuilder()
    out = mb.tensor("out", (len(expected),), DType.INT32)
    mb.op("BROADCAST_ARGS", [_int32(mb, "left", left), _int32(mb, "right", right)], [out])
    assert _prepare(mb, [], [out]) == ShapeValueParams(tuple(expected))


def test_broadcast_args_rejects_incompatible_shapes() -> None:
    mb = ModelBuilder()
    out = mb.tensor("out", (1,), DType.INT32)
    mb.op("BROADCAST_ARGS", [_int32(mb, "left", [2]), _int32(mb, "right", [3])], [out])
    with pytest.raises(OpError, match="do not broadcast"):
        _prepare(mb, [], [out])


def _shape_chain() -> bytes:
    """FILL with a constant value (folded) and with run-time values, ZEROS_LIKE as
    a graph output (its kernel), SHAPE -> BROADCAST_ARGS and BROADCAST_ARGS of
    constants folded into ADDs."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3), DType.INT32)
    value = mb.tensor("value", (), DType.INT32)
    value8 = mb.tensor("value8", (), scale=0.5)
    x8 = mb.tensor("x8", (2, 3), scale=0.1)
    filled = mb.tensor("filled", (4, 2, 3), DType.INT32)
    mb.op("FILL", [_int32(mb, "dims", [4, 2, 3]), value], [filled])
    zeros = mb.tensor("zeros", (2, 3), DType.INT32)
    mb.op("ZEROS_LIKE", [x], [zeros])
    filled8 = mb.tensor("filled8", (3, 1), scale=0.5)
    mb.op("FILL", [_int32(mb, "dims_run_time", [3, 1]), value8], [filled8])
    five = mb.tensor("five", (), data=np.array(5, dtype=np.int8), scale=0.1)
    constant8 = mb.tensor("constant8", (2, 3), scale=0.1)
    mb.op("FILL", [_int32(mb, "dims8", [2, 3]), five], [constant8])
    floor8 = mb.tensor("floor8", (2, 3), scale=0.1)
    mb.op("MAXIMUM", [x8, constant8], [floor8])
    shape = mb.tensor("shape", (2,), DType.INT32)
    mb.op("SHAPE", [x8], [shape], "ShapeOptions", OutType=2)
    dims = mb.tensor("broadcast_dims", (3,), DType.INT32)
    mb.op("BROADCAST_ARGS", [_int32(mb, "left", [4, 1, 1]), shape], [dims])
    offsets = mb.tensor("offsets", (3,), DType.INT32)
    shape_sum = mb.tensor("shape_sum", (3,), DType.INT32)
    mb.op("ADD", [dims, offsets], [shape_sum], "AddOptions")
    shape_plus = mb.tensor("shape_plus", (2,), DType.INT32)
    mb.op("ADD", [shape, _int32(mb, "one", [1, 1])], [shape_plus], "AddOptions")
    constant_dims = mb.tensor("constant_dims", (3,), DType.INT32)
    mb.op("BROADCAST_ARGS", [_int32(mb, "lhs", [2, 1, 3]), _int32(mb, "rhs", [4, 1])], [constant_dims])
    constant_sum = mb.tensor("constant_sum", (3,), DType.INT32)
    mb.op("ADD", [constant_dims, offsets], [constant_sum], "AddOptions")
    outputs = [filled, zeros, filled8, floor8, shape_sum, shape_plus, constant_sum]
    return mb.build([x, value, value8, x8, offsets], outputs)


def test_shape_and_zeros_like_fold_without_constant_inputs() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3), DType.INT32)
    shape = mb.tensor("shape", (2,), DType.INT32)
    mb.op("SHAPE", [x], [shape], "ShapeOptions", OutType=2)
    zeros = mb.tensor("zeros", (2, 3), DType.INT32)
    mb.op("ZEROS_LIKE", [x], [zeros])
    out = mb.tensor("out", (2, 3), DType.INT32)
    mb.op("ADD", [zeros, x], [out], "AddOptions")
    graph = fold_constants(parse_model(mb.build([x], [out, shape])).main)
    assert [op.kind for op in graph.operators] == [OpKind.SHAPE, OpKind.ADD]  # SHAPE writes an output
    folded = graph.tensors[zeros].data
    assert folded is not None
    np.testing.assert_array_equal(folded, np.zeros((2, 3), dtype=np.int32))


def test_constant_fill_shape_and_broadcast_args_fold() -> None:
    graph = fold_constants(parse_model(_shape_chain()).main)
    assert [op.kind for op in graph.operators] == [
        OpKind.FILL,
        OpKind.ZEROS_LIKE,
        OpKind.FILL,
        OpKind.MAXIMUM,
        OpKind.ADD,
        OpKind.ADD,
        OpKind.ADD,
    ]


def test_shape_chain_is_bit_exact() -> None:
    assert_bit_exact(_shape_chain(), samples=10)


def test_broadcast_args_of_run_time_values_is_a_named_limitation() -> None:
    mb = ModelBuilder()
    left = mb.tensor("left", (2,), DType.INT32)
    out = mb.tensor("out", (2,), DType.INT32)
    mb.op("BROADCAST_ARGS", [left, _int32(mb, "right", [1, 3])], [out])
    with pytest.raises(OpError, match="computed from tensor values"):
        _prepare(mb, [left], [out])


def test_shape_writing_a_graph_output_is_a_named_limitation() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3), DType.INT32)
    shape = mb.tensor("shape", (2,), DType.INT32)
    mb.op("SHAPE", [x], [shape], "ShapeOptions", OutType=2)
    with pytest.raises(CompileError, match="known at compile time"):
        generate_crate(compile_model(parse_model(mb.build([x], [shape]))), "model")
