"""UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's integer LSTM, int8 activations with int32 bias
(8x8->16) or int16 activations with int64 bias (16x8->16); int8 weights, int16 cell;
and its float LSTM, everything FLOAT32 (`FloatLstmParams`: nothing to derive but the
sizes and the cell clip).

TFLM's micro kernel (`UnidirectionalSequenceLstmPrepare`, lstm_eval_common.cc) supports
the plain LSTM only: all four gates (no CIFG), no peephole, no projection, no layer
norm. Its Prepare derives every scale from the tensors themselves: each gate's two
fully-connected products land in Q3.12 (scale 2^-12), the gates in Q0.15 after the
sigmoid/tanh, the cell in its own scale (rounded to a power of two for the tanh) and
the new hidden state in the hidden state tensor's scale and zero point. It reads none
of the operator's `intermediates` (the converter's per-gate scales), and neither do we.
The output is a copy of each step's hidden state: its own quantization is not read.

The hidden state (input 18) and the cell state (input 19) are variable tensors the
kernel updates every inference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinymlc import quant
from tinymlc.ir import Activation, DType, LstmAttrs, Tensor
from tinymlc.ops._common import OpView, per_tensor, require, require_dtype

INPUT = 0
INPUT_WEIGHTS = (1, 2, 3, 4)
"""input-to-{input, forget, cell, output} weights."""
RECURRENT_WEIGHTS = (5, 6, 7, 8)
"""recurrent-to-{input, forget, cell, output} weights."""
PEEPHOLE_WEIGHTS = (9, 10, 11)
BIASES = (12, 13, 14, 15)
"""{input, forget, cell, output} gate biases."""
PROJECTION = (16, 17)
HIDDEN_STATE = 18
CELL_STATE = 19
LAYER_NORM_COEFFICIENTS = (20, 21, 22, 23)
INPUTS = 24

GATE_INPUT_SCALE = 2.0**-12
"""The gates' fully-connected outputs: Q3.12."""
GATE_OUTPUT_SCALE = 2.0**-15
"""The gates after their activation: Q0.15."""
MAX_TANH_SHIFT = 29
"""TFLM rescales the cell into its TANH by `3 << shift`: past this it overflows."""


@dataclass(frozen=True)
class LstmGateParams:
    """One gate's fully-connected products (`GateParameters`)."""

    input_weights_offset: int
    recurrent_weights_offset: int
    input_multiplier: int
    input_shift: int
    recurrent_multiplier: int
    recurrent_shift: int


@dataclass(frozen=True)
class LstmParams:
    batches: int
    time_steps: int
    input_size: int
    units: int
    """`state_dimension`: hidden and cell values per sequence."""
    time_major: bool
    activation_dtype: DType
    """INT8 (int32 bias) or INT16 (int64 bias)."""
    input_offset: int
    hidden_zero_point: int
    gates: tuple[LstmGateParams, LstmGateParams, LstmGateParams, LstmGateParams]
    """Input, forget, cell and output gate."""
    forget_cell_multiplier: int
    forget_cell_shift: int
    input_cell_multiplier: int
    input_cell_shift: int
    output_hidden_multiplier: int
    output_hidden_shift: int
    cell_clip: int | None
    """`quantized_cell_clip` when `cell_clip > 0`, else None (no clipping)."""
    cell_tanh_input_multiplier: int
    """The int16 TANH's `input_multiplier` for the cell: 0 (power-of-two case) or 3."""
    cell_tanh_input_left_shift: int
    """Its `input_left_shift`: `3 << shift` (multiplier 0) or a rounding right shift."""


def _cell_state_scale_power(scale: float) -> int:
    """`CheckedLog2` as TFLM's Prepare uses it: log2 in float32, rounded (TFLM does not
    check that the scale is a power of two)."""
    log2 = np.float32(np.log(np.float32(scale))) * (np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    return int(np.round(log2))


def _mul_multiplier(scale_1: float, scale_2: float, output_scale: float) -> quant.QuantizedMultiplier:
    """`CreateInterGateMulParams`: the float32 scales multiplied and divided in double."""
    return quant.quantize_multiplier(
        float(quant.f32(scale_1)) * float(quant.f32(scale_2)) / float(quant.f32(output_scale))
    )


def _gate_tensor(view: OpView, position: int, shape: tuple[int, ...], dtype: DType, role: str) -> Tensor:
    """A gate's weights or bias, of `dtype` and `shape`."""
    tensor = view.input(position)
    require_dtype(tensor, [dtype], role)
    require(
        tensor.shape == shape,
        f"{role} shape {list(tensor.shape)} is not {list(shape)}",
        "re-export the model",
        tensor,
    )
    return tensor


def _fc_multiplier(input_scale: float, weights: Tensor, role: str) -> quant.QuantizedMultiplier:
    """`CreateGateParams`: a per-tensor FULLY_CONNECTED into Q3.12 (its scale product in
    double: with the float32 product, near-tie products moved by one LSB and, over many
    steps, the carried-over state drifted from TFLM's)."""
    weights_quant = weights.quantization
    require(
        weights_quant is not None and not weights_quant.is_per_channel,
        f"{role} must be quantized per tensor (TFLM's LSTM reads one multiplier per product)",
        "quantize the LSTM weights per tensor",
        weights,
    )
    return quant.quantize_multiplier(
        quant.product_multiplier(input_scale, per_tensor(weights).scale, GATE_INPUT_SCALE)
    )


def _gate_weights(
    view: OpView, gate: int, sizes: tuple[int, int], weights_dtype: DType, bias_dtype: DType
) -> tuple[Tensor, Tensor]:
    """A gate's input and recurrent weights, its bias checked alongside (`sizes`: units
    and input size)."""
    units, input_size = sizes
    name = ("input", "forget", "cell", "output")[gate]
    _gate_tensor(view, BIASES[gate], (units,), bias_dtype, f"{name} gate bias")
    return (
        _gate_tensor(
            view, INPUT_WEIGHTS[gate], (units, input_size), weights_dtype, f"input-to-{name} weights"
        ),
        _gate_tensor(
            view, RECURRENT_WEIGHTS[gate], (units, units), weights_dtype, f"recurrent-to-{name} weights"
        ),
    )


@dataclass(frozen=True)
class FloatLstmParams:
    """TFLM's float LSTM (`EvalLstm<float, ...>`): no quantization, the cell clip as is."""

    batches: int
    time_steps: int
    input_size: int
    units: int
    time_major: bool
    cell_clip: float | None
    """`cell_clip` when it is positive, else None (no clipping)."""


def prepare(view: OpView) -> LstmParams | FloatLstmParams:
    attrs = view.op.attrs
    require(
        isinstance(attrs, LstmAttrs), "LSTM has no UnidirectionalSequenceLSTMOptions", "re-export the model"
    )
    assert isinstance(attrs, LstmAttrs)
    require(view.num_inputs == INPUTS, f"{view.num_inputs} inputs, TFLM's LSTM takes {INPUTS}", "re-export")
    require(len(view.op.outputs) == 1, "TFLM's LSTM has one output", "re-export the model")
    input_, hidden, cell, output = (
        view.input(INPUT),
        view.input(HIDDEN_STATE),
        view.input(CELL_STATE),
        view.output(),
    )
    require_dtype(input_, [DType.INT8, DType.INT16, DType.FLOAT32], "input")
    for position, role in (
        *((p, "the peephole (cell-to-gate) weights") for p in PEEPHOLE_WEIGHTS),
        *((p, "a projection") for p in PROJECTION),
        *((p, "layer normalization") for p in LAYER_NORM_COEFFICIENTS),
    ):
        require(
            view.optional_input(position) is None,
            f"TFLM's LSTM kernel does not support {role} (input {position})",
            "export a plain LSTM (no peephole, projection or layer norm)",
        )
    require(
        view.optional_input(INPUT_WEIGHTS[0]) is not None and view.optional_input(BIASES[0]) is not None,
        "TFLM's LSTM kernel needs the input gate (CIFG, the coupled input-forget gate, is not supported)",
        "export an LSTM with an input gate",
    )
    require(
        attrs.activation is Activation.TANH,
        f"TFLM's LSTM computes the cell gate with TANH (or sigmoid), not {attrs.activation.name}",
        "use activation='tanh' for the LSTM",
    )
    float32 = input_.dtype is DType.FLOAT32
    cell_dtype = DType.FLOAT32 if float32 else DType.INT16
    require(
        cell.dtype is cell_dtype,
        f"cell state has type {cell.dtype.name}, TFLM's {input_.dtype.name} LSTM needs {cell_dtype.name}",
    )
    require(
        hidden.is_variable and cell.is_variable, "the hidden and cell states must be variable tensors", ""
    )
    require(hidden.dtype is input_.dtype, "the hidden state's type differs from the input's", "", hidden)
    require(output.dtype is input_.dtype, "the output's type differs from the input's", "", output)
    require(len(input_.shape) == 3, f"input must be 3-D, is {list(input_.shape)}", "", input_)
    require(len(hidden.shape) >= 2, "the hidden state must be at least 2-D", "", hidden)
    time_steps, batches = input_.shape[:2] if attrs.time_major else input_.shape[1::-1]
    input_size, units = input_.shape[2], hidden.shape[1]
    require(
        hidden.num_elements == batches * units and cell.num_elements == batches * units,
        f"hidden and cell states must hold {batches} x {units} values",
        "re-export the model",
    )
    require(
        output.shape == (*input_.shape[:2], units),
        f"output shape {list(output.shape)} is not {[*input_.shape[:2], units]}",
        "re-export the model",
        output,
    )
    if float32:
        # TFLM's float LSTM reads float32 weights and biases only (no hybrid int8 weights).
        for gate in range(4):
            _gate_weights(view, gate, (units, input_size), DType.FLOAT32, DType.FLOAT32)
        clip = float(quant.f32(attrs.cell_clip))
        return FloatLstmParams(
            batches=batches,
            time_steps=time_steps,
            input_size=input_size,
            units=units,
            time_major=attrs.time_major,
            cell_clip=clip if clip > 0 else None,
        )
    int16 = input_.dtype is DType.INT16
    input_quant, hidden_quant, cell_quant = per_tensor(input_), per_tensor(hidden), per_tensor(cell)
    bias_dtype = DType.INT64 if int16 else DType.INT32
    gates = []
    for gate, name in enumerate(("input", "forget", "cell", "output")):
        input_weights, recurrent_weights = _gate_weights(
            view, gate, (units, input_size), DType.INT8, bias_dtype
        )
        from_input = _fc_multiplier(input_quant.scale, input_weights, f"input-to-{name} weights")
        from_hidden = _fc_multiplier(hidden_quant.scale, recurrent_weights, f"recurrent-to-{name} weights")
        gates.append(
            LstmGateParams(
                input_weights_offset=-per_tensor(input_weights).zero_point,
                recurrent_weights_offset=-per_tensor(recurrent_weights).zero_point,
                input_multiplier=from_input.multiplier,
                input_shift=from_input.shift,
                recurrent_multiplier=from_hidden.multiplier,
                recurrent_shift=from_hidden.shift,
            )
        )
    if int16:
        # The 64-bit MultiplyByQuantizedMultiplier is defined for shifts -31..7.
        shifts = [s for g in gates for s in (g.input_shift, g.recurrent_shift)]
        require(
            all(-31 <= s <= 7 for s in shifts),
            "a gate's input x weights scale is out of the range TFLM's 16x8 arithmetic handles",
            "re-quantize the LSTM",
        )
    power = _cell_state_scale_power(cell_quant.scale)
    tanh_shift = 15 + power - 3
    require(
        -30 <= tanh_shift <= MAX_TANH_SHIFT,
        f"cell state scale {cell_quant.scale} (2^{power}) is out of the range TFLM's tanh rescales",
        "calibrate the cell state to a scale near 2^-11",
        cell,
    )
    cell_clip = None
    if quant.f32(attrs.cell_clip) > 0:
        clip = float(quant.f32(attrs.cell_clip)) / float(quant.f32(cell_quant.scale))
        cell_clip = math.trunc(min(max(clip, -32768.0), 32767.0))
    forget_cell = _mul_multiplier(GATE_OUTPUT_SCALE, cell_quant.scale, cell_quant.scale)
    input_cell = _mul_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cell_quant.scale)
    output_hidden = _mul_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, hidden_quant.scale)
    return LstmParams(
        batches=batches,
        time_steps=time_steps,
        input_size=input_size,
        units=units,
        time_major=attrs.time_major,
        activation_dtype=input_.dtype,
        input_offset=-input_quant.zero_point,
        hidden_zero_point=hidden_quant.zero_point,
        gates=(gates[0], gates[1], gates[2], gates[3]),
        forget_cell_multiplier=forget_cell.multiplier,
        forget_cell_shift=forget_cell.shift,
        input_cell_multiplier=input_cell.multiplier,
        input_cell_shift=input_cell.shift,
        output_hidden_multiplier=output_hidden.multiplier,
        output_hidden_shift=output_hidden.shift,
        cell_clip=cell_clip,
        cell_tanh_input_multiplier=0 if tanh_shift >= 0 else 3,
        cell_tanh_input_left_shift=abs(tanh_shift),
    )
