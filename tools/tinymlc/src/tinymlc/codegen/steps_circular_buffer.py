"""The CIRCULAR_BUFFER step (`kernels::circular_buffer`): it shifts the history (its
output, a variable tensor) and updates its `[cycles left, ended]` state, lent as the
layer's state; the generated executor reads `ended` after it (`ops.abort_flag`)."""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen.steps import StepBuilder
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.circular_buffer import STATE_INPUT, CircularBufferParams


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


CIRCULAR_BUFFER_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.CIRCULAR_BUFFER: _circular_buffer,
}
