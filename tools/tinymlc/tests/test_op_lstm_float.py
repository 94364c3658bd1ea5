"""FLOAT32 UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's float LSTM, prepared, rejected where TFLM's
float kernel cannot run it, and run by the generated code over consecutive inferences
against the tflite-micro wheel.

Our `tanh` and `exp` are correctly rounded, glibc's `tanhf` (which TFLM calls on the
host) is not: a gate or hidden value one ULP apart is carried through the state, and
where a hidden value nears zero (a small tanh of a cell that cancels) the difference is
many of its ULPs. So the sequences are compared within `MAX_ULP` (measured: 131 here;
models/models.bzl documents the zoo's `op_lstm_float` and its bound).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tests.tflm import prepared, tflm_sequence
from tinymlc import hostbuild
from tinymlc.check import float_ulps, random_inputs
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.lstm import FloatLstmParams

TANH = 4
MAX_ULP = 256


def float_lstm_model(
    seed: int,
    shape: tuple[int, int, int] = (1, 4, 3),
    layers: tuple[dict[str, Any], ...] = ({},),
    weights_dtype: DType = DType.FLOAT32,
    cell_dtype: DType = DType.FLOAT32,
) -> bytes:
    """Float LSTM layers, each option dict: units, time_major, cell_clip, variable."""
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    x = mb.tensor("x", shape, DType.FLOAT32)
    current, current_shape = x, shape
    for index, options in enumerate(layers):
        units, time_major = options.get("units", 4), options.get("time_major", False)
        width = current_shape[2]
        batches = current_shape[1] if time_major else current_shape[0]
        inputs = [current]
        for position in range(1, 9):
            columns = width if position <= 4 else units
            data = rng.normal(0, 1 / np.sqrt(columns), (units, columns))
            if weights_dtype is DType.INT8:
                inputs.append(
                    mb.tensor(
                        f"l{index}/w{position}",
                        (units, columns),
                        DType.INT8,
                        0.01,
                        0,
                        data=np.round(data * 100),
                    )
                )
            else:
                inputs.append(
                    mb.tensor(
                        f"l{index}/w{position}", (units, columns), DType.FLOAT32, data=data.astype(np.float32)
                    )
                )
        inputs += [-1, -1, -1]
        for gate in range(4):
            bias = rng.normal(1.0 if gate == 1 else 0.0, 0.3, units).astype(np.float32)
            inputs.append(mb.tensor(f"l{index}/b{gate}", (units,), DType.FLOAT32, data=bias))
        inputs += [-1, -1]
        variable = options.get("variable", True)
        inputs.append(mb.tensor(f"l{index}/hidden", (batches, units), DType.FLOAT32, variable=variable))
        inputs.append(mb.tensor(f"l{index}/cell", (batches, units), cell_dtype, variable=True))
        inputs += [-1, -1, -1, -1]
        current_shape = (*current_shape[:2], units)
        output = mb.tensor(f"l{index}/output", current_shape, DType.FLOAT32)
        mb.op(
            "UNIDIRECTIONAL_SEQUENCE_LSTM",
            inputs,
            [output],
            "UnidirectionalSequenceLSTMOptions",
            FusedActivationFunction=options.get("activation", TANH),
            CellClip=options.get("cell_clip", 0.0),
            TimeMajor=time_major,
        )
        current = output
    return mb.build([x], [current])


def test_prepare_keeps_the_sizes_and_the_positive_cell_clip() -> None:
    _, params = prepared(float_lstm_model(1, (2, 5, 3), ({"units": 6, "cell_clip": 0.5},)))
    assert params == FloatLstmParams(
        batches=2, time_steps=5, input_size=3, units=6, time_major=False, cell_clip=0.5
    )
    _, params = prepared(float_lstm_model(1, (3, 2, 4), ({"time_major": True, "cell_clip": -1.0},)))
    assert isinstance(params, FloatLstmParams)
    assert (params.batches, params.time_steps, params.cell_clip) == (2, 3, None)


def _rejected(**options: Any) -> str:
    with pytest.raises(OpError) as error:
        prepared(float_lstm_model(0, **options))
    return error.value.reason


def test_rejects_what_tflm_float_kernel_does_not_run() -> None:
    assert "FLOAT32" in _rejected(weights_dtype=DType.INT8)
    assert "cell state has type INT16" in _rejected(cell_dtype=DType.INT16)
    assert "variable" in _rejected(layers=({"variable": False},))
    assert "TANH" in _rejected(layers=({"activation": 1},))


@pytest.mark.parametrize(
    ("shape", "layers"),
    [
        ((1, 4, 3), ({},)),
        ((2, 3, 5), ({"units": 6, "cell_clip": 0.4},)),
        ((3, 2, 4), ({"time_major": True, "units": 5},)),
        ((1, 6, 4), ({"units": 8}, {"units": 3, "cell_clip": 0.3})),
    ],
    ids=["plain", "batches_clip", "time_major", "two_layers"],
)
def test_state_evolves_as_in_tflm(shape: tuple[int, int, int], layers: tuple[dict[str, Any], ...]) -> None:
    model = float_lstm_model(7, shape, layers)
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model, Path(work))
        inputs = random_inputs(compiled, 8, seed=8)
        ours = hostbuild.run_harness(binary, inputs, 0)
    expected = tflm_sequence(model, inputs)
    for index, (result, reference) in enumerate(zip(ours, expected, strict=True)):
        assert result.error is None, result.error
        ulps = float_ulps(np.frombuffer(result.outputs[0], "<f4"), np.frombuffer(reference, "<f4"))
        assert ulps <= MAX_ULP, f"inference {index} differs by {ulps} ULP"
