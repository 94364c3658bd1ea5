"""Steps of the data operators with kernels of their own (DYNAMIC_UPDATE_SLICE,
EMBEDDING_LOOKUP), and of SHAPE and BROADCAST_ARGS, which constant folding replaces
except on a graph output; registered into `steps.EMITTERS`."""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen.steps import StepBuilder, _output_range
from tinymlc.errors import CompileError
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.dynamic_update_slice import DynamicUpdateSliceParams
from tinymlc.ops.embedding_lookup import EmbeddingLookupParams


def _dynamic_update_slice(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DynamicUpdateSliceParams)
    b.call(
        "dynamic_update_slice::dynamic_update_slice",
        b.input(0),
        b.shape("operand_shape", params.operand_shape),
        b.input(1),
        b.shape("update_shape", params.update_shape),
        b.input(2),
        b.output(),
        _output_range(b, params.operand_shape),
    )


def _embedding_lookup(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, EmbeddingLookupParams)
    b.call(
        "embedding_lookup::embedding_lookup",
        b.input(0),
        b.input(1),
        str(params.row_len),
        b.output(),
        b.range(params.output_elements),
    )


def _compile_time_value(b: StepBuilder, _params: PreparedParams) -> None:
    # Constant folding replaces these everywhere except on a graph output.
    raise CompileError(
        f"{b.op.opcode_name} writes a graph output; its value is known at compile time: "
        "drop it from the model's outputs"
    )


DATA_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.SHAPE: _compile_time_value,
    OpKind.BROADCAST_ARGS: _compile_time_value,
    OpKind.DYNAMIC_UPDATE_SLICE: _dynamic_update_slice,
    OpKind.EMBEDDING_LOOKUP: _embedding_lookup,
}
