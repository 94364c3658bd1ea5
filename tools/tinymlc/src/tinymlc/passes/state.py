"""Plain tensors held in the state region.

Some operators leave an output unwritten in some inferences (SignalFramer and
SignalStacker while not valid, TFLite_Detection_PostProcess past its detections) or
keep their history in it (a CIRCULAR_BUFFER whose output is no variable tensor): TFLM's
arena keeps its last value from one inference to the next, so tinymlc holds such a
tensor in the state region. It is no variable tensor to TFLM, whose Reset therefore
leaves it as it was; a fresh arena's first inference starts it as a fresh TFLM arena has
it (zeros, or its `Graph.state_initial`).
"""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import Graph, Operator, Tensor


def hold_in_state(tensors: list[Tensor], state_reset: dict[int, bytes | None], tensor_id: int) -> None:
    """Makes `tensors[tensor_id]` a variable tensor, one the generated `reset` leaves
    alone unless the model declares it variable (TFLM's ResetVariableTensors resets those)."""
    if tensors[tensor_id].is_variable:
        return
    tensors[tensor_id] = replace(tensors[tensor_id], is_variable=True)
    state_reset[tensor_id] = None


def with_state(
    graph: Graph,
    tensors: list[Tensor],
    operators: list[Operator],
    state_initial: dict[int, bytes],
    state_reset: dict[int, bytes | None],
) -> Graph:
    """`graph` as a pass adding state left it: its tensors, operators, and the state's
    initial bytes and reset."""
    return replace(
        graph,
        tensors=tuple(tensors),
        operators=tuple(operators),
        state_initial=state_initial,
        state_reset=state_reset,
    )
