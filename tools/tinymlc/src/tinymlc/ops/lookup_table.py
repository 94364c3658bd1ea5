"""LOOKUP_TABLE (`--onnx_exact` only): int8 -> int8 through a 256-entry table indexed by
the input's bit pattern as uint8 (`runtime/kernels/src/lookup.rs`)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, LookupTableAttrs
from tinymlc.ops._common import OpView, require, require_arity, require_dtype, require_output_shape


@dataclass(frozen=True)
class LookupTableParams:
    table: tuple[int, ...]


def prepare(view: OpView) -> LookupTableParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(output, [DType.INT8], "output")
    require_output_shape(view, input_.shape)
    attrs = view.op.attrs
    require(isinstance(attrs, LookupTableAttrs), "LOOKUP_TABLE without its table")
    assert isinstance(attrs, LookupTableAttrs)
    require(
        len(attrs.table) == 256 and all(-128 <= v <= 127 for v in attrs.table),
        "the table must hold 256 int8 entries",
    )
    return LookupTableParams(attrs.table)
