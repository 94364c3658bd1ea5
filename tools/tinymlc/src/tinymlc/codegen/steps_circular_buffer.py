"""The CIRCULAR_BUFFER step (`kernels::circular_buffer`): it shifts the history (its
output, a variable tensor) and updates its `[cycles left, ended]` state, lent as the
layer's state; the generated executor reads `ended` after it (`ops.abort_flag`) in the
one-output form, a CIRCULAR_BUFFER_VALID step writes 'valid' from it in the other."""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen.steps import StepBuilder
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.circular_buffer import STATE_INPUT, VALID_STATE_INPUT, CircularBufferParams


def _circular_buffer(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, CircularBufferParams)
    b.call(
        "circular_buffer::circular_buffer",
        b.input(0),
        str(params.depth),
        b.output(),
        str(params.num_slots),
        b.state(STATE_INPUT),
        str(params.cycles_max),
        b.whole(),
    )


def _circular_buffer_valid(b: StepBuilder, _params: PreparedParams) -> None:
    b.call("circular_buffer::circular_buffer_valid", b.input(VALID_STATE_INPUT), b.output(), b.whole())


CIRCULAR_BUFFER_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.CIRCULAR_BUFFER: _circular_buffer,
    OpKind.CIRCULAR_BUFFER_VALID: _circular_buffer_valid,
}
