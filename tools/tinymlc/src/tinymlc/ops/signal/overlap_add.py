"""SignalOverlapAdd: frames overlap-added into a running buffer, frame_step samples out
per frame, int16 (saturating) or float32 (signal/micro/kernels/overlap_add.cc). The
buffers are a variable tensor `passes.signal_operators` adds as input 1."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_dtype
from tinymlc.ops.signal._options import option_int32, option_int32_by_key

STATE_INPUT = 1
"""The accumulation buffers: frame_size samples per row."""
FRAME_STEP = 1
"""Option 'frame_step' (after 'T' in key order)."""
_TYPES = {DType.INT16.value: DType.INT16, DType.FLOAT32.value: DType.FLOAT32}


@dataclass(frozen=True)
class SignalOverlapAddParams:
    dtype: DType
    frames: int
    """Frames per row (input.dims[-2])."""
    frame_size: int
    frame_step: int


def prepare(view: OpView) -> SignalOverlapAddParams:
    type_code = option_int32_by_key(view, "T")
    dtype = _TYPES.get(type_code if type_code is not None else -1)
    require(dtype is not None, f"SignalOverlapAdd of type {type_code}: TFLM supports int16 and float32", "")
    assert dtype is not None
    require(view.num_inputs == 2 and len(view.op.outputs) == 1, "expects 1 input and 1 output", "")
    input_, state, output = view.input(0), view.input(STATE_INPUT), view.output()
    require_dtype(input_, [dtype], "input")
    require_dtype(output, [dtype], "output")
    require(len(input_.shape) >= 2, "input must have at least 2 dimensions", "", input_)
    require(len(input_.shape) == len(output.shape) + 1, "output rank must be input rank - 1", "", output)
    frames, frame_size = input_.shape[-2], input_.shape[-1]
    step = option_int32(view, FRAME_STEP)
    # TFLM moves frame_size - frame_step samples: a step outside 1..frame_size is undefined.
    require(0 < step <= frame_size, f"frame_step {step} is outside 1..{frame_size}", "")
    rows = input_.num_elements // max(frames * frame_size, 1)
    require(
        output.num_elements == rows * frames * step,
        f"output {list(output.shape)} does not hold {frames} x {step} samples per row",
        "",
        output,
    )
    require(state.is_variable and state.num_elements == rows * frame_size, "malformed overlap-add state", "")
    return SignalOverlapAddParams(dtype=dtype, frames=frames, frame_size=frame_size, frame_step=step)
