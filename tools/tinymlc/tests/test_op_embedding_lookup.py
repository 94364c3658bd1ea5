"""EMBEDDING_LOOKUP: its checks, and the generated code against TFLM with ids read
at run time, and the error TFLM also gives for an id outside the table."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops.embedding_lookup import EmbeddingLookupParams
from tinymlc.tflm_reference import run

RNG = np.random.default_rng(11)
ROWS = 7


def _model(dtype: DType, row_shape: tuple[int, ...] = (2, 3), ids: int = 5) -> bytes:
    mb = ModelBuilder()
    scale = None if dtype in (DType.INT32, DType.FLOAT32) else 0.05
    np_dtype = dtype.numpy_dtype
    assert np_dtype is not None
    values = RNG.integers(-100, 100, (ROWS, *row_shape)).astype(np_dtype)
    lookup = mb.tensor("ids", (ids,), DType.INT32)
    table = mb.tensor("table", values.shape, dtype, scale=scale, data=values)
    out = mb.tensor("out", (ids, *row_shape), dtype, scale=scale)
    mb.op("EMBEDDING_LOOKUP", [lookup, table], [out])
    return mb.build([lookup], [out])


def test_parameters_give_the_row_length() -> None:
    params = prepare_operator(parse_model(_model(DType.INT8)).main, 0)
    assert params == EmbeddingLookupParams(row_len=6, output_elements=30)


def test_rejects_an_int32_table_as_tflm() -> None:
    with pytest.raises(OpError, match="table"):
        prepare_operator(parse_model(_model(DType.INT32)).main, 0)


def test_rejects_a_vector_table() -> None:
    mb = ModelBuilder()
    lookup = mb.tensor("ids", (2,), DType.INT32)
    table = mb.tensor("table", (4,), scale=0.1, data=np.arange(4, dtype=np.int8))
    out = mb.tensor("out", (2,), scale=0.1)
    mb.op("EMBEDDING_LOOKUP", [lookup, table], [out])
    with pytest.raises(OpError, match="at least 2 dimensions"):
        prepare_operator(parse_model(mb.build([lookup], [out])).main, 0)


@pytest.mark.parametrize(
    ("dtype", "row_shape"), [(DType.INT8, (2, 3)), (DType.INT8, (4,)), (DType.FLOAT32, (2, 3))]
)
def test_lookup_is_bit_exact_with_tflm(dtype: DType, row_shape: tuple[int, ...]) -> None:
    model = _model(dtype, row_shape)
    samples = [[RNG.integers(0, ROWS, 5).astype(np.int32)] for _ in range(6)]
    with tempfile.TemporaryDirectory() as work:
        _, binary = build(model, Path(work))
        results = hostbuild.run_harness(binary, samples)
    for sample, ours in zip(samples, results, strict=True):
        assert ours.error is None, ours.error
        expected, _ = run(model, sample, 1)
        np.testing.assert_array_equal(
            np.frombuffer(ours.outputs[0], dtype.numpy_dtype), expected[0].reshape(-1)
        )


def test_an_id_outside_the_table_is_an_error_as_in_tflm() -> None:
    model = _model(DType.INT8, ids=2)
    with tempfile.TemporaryDirectory() as work:
        _, binary = build(model, Path(work))
        (ours,) = hostbuild.run_harness(binary, [[np.array([1, ROWS], dtype=np.int32)]])
    assert ours.error is not None
    with pytest.raises(Exception, match="TFLM failed"):
        run(model, [np.array([1, ROWS], dtype=np.int32)], 1)
