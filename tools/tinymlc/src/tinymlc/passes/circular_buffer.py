"""CIRCULAR_BUFFER's state in the state region (`ops.circular_buffer`).

Each CIRCULAR_BUFFER of the main graph gets a new variable int32 pair as input 1 (the
cycles left until it lets an inference complete, starting at `cycles_max`, and whether
it ended the current inference; `reset` restores it, as TFLM's Reset of the operator
does), its output is held in the state region (TFLM keeps the frames in the output
tensor from one inference to the next; its Reset sets a variable output to the zero
point and leaves a plain one, `passes.state`), and its options hold `cycles_max` as
TFLM's Prepare resolves it and whether the buffer ends inferences (the one-output
form). The
two-output form becomes the buffer's layer, writing the frames, and after it a
CIRCULAR_BUFFER_VALID layer reading the pair into 'valid', so the count advances once
per inference. Operators of other shapes are left for prepare to reject; a
CIRCULAR_BUFFER in a subgraph run by IF or WHILE is left as it is, and prepare names
it (state is the main graph's only). New tensors are appended, so tensor ids keep
their meaning.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinymlc.ir import CustomOptionsAttrs, DType, Model, NoAttrs, Operator, OpKind, Tensor
from tinymlc.ops.circular_buffer import STATE_ELEMENTS, has_tflm_outputs, resolved_cycles_max
from tinymlc.passes.state import hold_in_state, with_state


def lower_circular_buffers(model: Model) -> Model:
    main = model.main
    cycles_max = resolved_cycles_max(main)
    lowerable = {
        i for i in cycles_max if len(main.operators[i].inputs) == 1 and has_tflm_outputs(main.operators[i])
    }
    if not lowerable:
        return model
    tensors = list(main.tensors)
    state_initial = dict(main.state_initial)
    state_reset = dict(main.state_reset)
    operators: list[Operator] = []
    for index, op in enumerate(main.operators):
        if index not in lowerable:
            operators.append(op)
            continue
        assert op.kind is OpKind.CIRCULAR_BUFFER
        history = op.outputs[0]
        if not tensors[history].is_variable:
            # A plain output starts as TFLM's arena left it: zeros, in a fresh interpreter
            # (its ResetVariableTensors would write the zero point into a variable one).
            state_initial[history] = bytes(tensors[history].byte_size)
            hold_in_state(tensors, state_reset, history)
        tensors.append(
            Tensor(
                f"{tensors[history].name} (cycles left, ended)",
                (STATE_ELEMENTS,),
                DType.INT32,
                is_variable=True,
            )
        )
        state = len(tensors) - 1
        state_initial[state] = np.array([cycles_max[index], 0], dtype="<i4").tobytes()
        ends_inference = len(op.outputs) == 1
        attrs = CustomOptionsAttrs(
            values=(cycles_max[index], int(ends_inference)), keys=("cycles_max", "ends_inference")
        )
        operators.append(replace(op, inputs=(op.inputs[0], state), outputs=(history,), attrs=attrs))
        if not ends_inference:
            operators.append(
                replace(
                    op,
                    kind=OpKind.CIRCULAR_BUFFER_VALID,
                    inputs=(state,),
                    outputs=op.outputs[1:],
                    attrs=NoAttrs(),
                )
            )
    lowered = with_state(main, tensors, operators, state_initial, state_reset)
    return replace(model, subgraphs=(lowered, *model.subgraphs[1:]))
