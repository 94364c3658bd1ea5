"""Steps of the recurrent operators (UNIDIRECTIONAL_SEQUENCE_LSTM), registered into
`steps.EMITTERS`. Their kernels' types are named by path (`kernels::lstm::...`), so the
generated crate's imports stay as they are."""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen import rust
from tinymlc.codegen.steps import StepBuilder, _multiplier, _struct, _struct_block
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.lstm import (
    BIASES,
    CELL_STATE,
    HIDDEN_STATE,
    INPUT_WEIGHTS,
    RECURRENT_WEIGHTS,
    FloatLstmParams,
    LstmGateParams,
    LstmParams,
)


def _lstm_gate(b: StepBuilder, gate: int, params: LstmGateParams) -> str:
    return _struct_block(
        "kernels::lstm::LstmGate",
        input_weights=b.input(INPUT_WEIGHTS[gate]),
        recurrent_weights=b.input(RECURRENT_WEIGHTS[gate]),
        bias=b.input(BIASES[gate]),
        input_weights_offset=params.input_weights_offset,
        recurrent_weights_offset=params.recurrent_weights_offset,
        input_multiplier=_multiplier(params.input_multiplier, params.input_shift),
        recurrent_multiplier=_multiplier(params.recurrent_multiplier, params.recurrent_shift),
    )


def _lstm_dims(params: LstmParams | FloatLstmParams) -> str:
    return _struct(
        "kernels::lstm::LstmDims",
        batches=params.batches,
        time_steps=params.time_steps,
        input_size=params.input_size,
        units=params.units,
        time_major=rust.boolean(params.time_major),
    )


def _float_lstm(b: StepBuilder, params: FloatLstmParams) -> None:
    gates = [
        _struct_block(
            "kernels::float::lstm::FloatLstmGate",
            input_weights=b.input(INPUT_WEIGHTS[gate]),
            recurrent_weights=b.input(RECURRENT_WEIGHTS[gate]),
            bias=b.input(BIASES[gate]),
        )
        for gate in range(4)
    ]
    b.step.body.append(
        "let gates = "
        + _struct_block(
            "kernels::float::lstm::FloatLstmGates",
            input=gates[0],
            forget=gates[1],
            cell=gates[2],
            output=gates[3],
        )
        + ";"
    )
    hidden, cell = b.states(HIDDEN_STATE, CELL_STATE)
    b.call(
        "float::lstm::lstm",
        _lstm_dims(params),
        "&gates",
        "None" if params.cell_clip is None else f"Some({rust.f32(params.cell_clip)})",
        b.input(0),
        hidden,
        cell,
        b.output(),
        b.whole(),
    )


def _lstm(b: StepBuilder, params: PreparedParams) -> None:
    if isinstance(params, FloatLstmParams):
        _float_lstm(b, params)
        return
    assert isinstance(params, LstmParams)
    quant = _struct_block(
        "kernels::lstm::LstmQuant",
        input_offset=params.input_offset,
        hidden_zero_point=params.hidden_zero_point,
        forget_cell=_multiplier(params.forget_cell_multiplier, params.forget_cell_shift),
        input_cell=_multiplier(params.input_cell_multiplier, params.input_cell_shift),
        output_hidden=_multiplier(params.output_hidden_multiplier, params.output_hidden_shift),
        cell_clip="None" if params.cell_clip is None else f"Some({params.cell_clip})",
        cell_tanh=_struct(
            "kernels::sigmoid16::Int16SigmoidParams",
            input_multiplier=params.cell_tanh_input_multiplier,
            input_left_shift=params.cell_tanh_input_left_shift,
        ),
    )
    dims = _lstm_dims(params)
    gates = [_lstm_gate(b, gate, gate_params) for gate, gate_params in enumerate(params.gates)]
    b.step.body.append(
        "let gates = "
        + _struct_block(
            "kernels::lstm::LstmGates", input=gates[0], forget=gates[1], cell=gates[2], output=gates[3]
        )
        + ";"
    )
    hidden, cell = b.states(HIDDEN_STATE, CELL_STATE)
    b.call(
        "lstm::lstm",
        "&" + b.item("QUANT", "kernels::lstm::LstmQuant", quant, 12 * 4),
        dims,
        "&gates",
        b.input(0),
        hidden,
        cell,
        b.output(),
        b.whole(),
    )


RECURRENT_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.UNIDIRECTIONAL_SEQUENCE_LSTM: _lstm,
}
