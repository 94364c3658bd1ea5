"""EMBEDDING_LOOKUP (int8 or float32 table, as TFLM; int32 ids read at run time): rows
of the table copied raw, as TFLM's copying path does (its float-output hybrid path is not
supported: the output must have the table's type)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype, require_output_shape


@dataclass(frozen=True)
class EmbeddingLookupParams:
    row_len: int
    """Elements per table row (the product of the table's dimensions after the first)."""
    output_elements: int


def prepare(view: OpView) -> EmbeddingLookupParams:
    require_arity(view, (2,))
    ids, table, output = view.input(0), view.input(1), view.output()
    require_dtype(ids, [DType.INT32], "ids")
    require(len(ids.shape) == 1, "ids must be a vector", "", ids)
    require_dtype(table, [DType.INT8, DType.FLOAT32], "table")
    require(output.dtype == table.dtype, "output type differs from the table's", "", output)
    require(len(table.shape) >= 2, "table needs at least 2 dimensions", "", table)
    require_output_shape(view, (ids.shape[0], *table.shape[1:]))
    row_len = math.prod(table.shape[1:])
    require(row_len > 0, "table rows are empty", "", table)
    return EmbeddingLookupParams(row_len, output.num_elements)
