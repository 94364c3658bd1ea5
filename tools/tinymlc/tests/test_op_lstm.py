"""UNIDIRECTIONAL_SEQUENCE_LSTM: parameters, rejections, and the generated code against
TFLM over sequences of inferences (hidden and cell state carry over), 8x8->16 and
16x8->16, batch- and time-major, with and without cell clip and `reset`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import assert_sequence_matches, build
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc import hostbuild, quant
from tinymlc.check import check
from tinymlc.codegen import Target
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops import lstm
from tinymlc.ops.lstm import LstmParams

TANH = 4


def lstm_layer(
    mb: ModelBuilder,
    rng: np.random.Generator,
    source: int,
    shape: tuple[int, int, int],
    *,
    units: int = 4,
    time_major: bool = False,
    cell_clip: float = 0.0,
    cell_scale: float = 2.0**-11,
    omit: tuple[int, ...] = (),
    extra: dict[int, int] | None = None,
    activation: int = TANH,
    variable: bool = True,
    name: str = "lstm",
    hidden_scale: float | None = None,
    weight_scale: float | None = None,
) -> int:
    """One LSTM reading tensor `source` of `shape` (its dtype sets 8x8 or 16x8); returns
    its output tensor."""
    dtype = mb.tensors[source].dtype
    int16 = dtype is DType.INT16
    input_scale = mb.tensors[source].scales
    assert input_scale is not None
    width = shape[2]
    batches = shape[1] if time_major else shape[0]
    default_scale, hidden_zero = (1 / 32768, 0) if int16 else (1 / 128, int(rng.integers(-5, 5)))
    hidden_scale = hidden_scale or default_scale
    inputs: list[int] = [source]
    weight_scales = []
    for position in range(1, 9):
        columns = width if position <= 4 else units
        scale = weight_scale or float(rng.uniform(0.5, 1.5) / 127 / np.sqrt(columns) * 4)
        weight_scales.append(scale)
        inputs.append(
            mb.tensor(
                f"{name}/w{position}",
                (units, columns),
                scale=scale,
                data=rng.integers(-127, 128, (units, columns)),
            )
        )
    inputs += [-1, -1, -1]
    bias_dtype = DType.INT64 if int16 else DType.INT32
    for gate in range(4):
        bias_scale = float(np.float32(input_scale[0]) * np.float32(weight_scales[gate]))
        forget = 1.0 if gate == 1 else 0.0
        values = np.round(rng.normal(forget, 0.3, units) / bias_scale)
        inputs.append(mb.tensor(f"{name}/b{gate}", (units,), bias_dtype, scale=bias_scale, data=values))
    inputs += [-1, -1]
    inputs.append(
        mb.tensor(
            f"{name}/hidden",
            (batches, units),
            dtype,
            scale=hidden_scale,
            zero_point=hidden_zero,
            variable=variable,
        )
    )
    inputs.append(mb.tensor(f"{name}/cell", (batches, units), DType.INT16, scale=cell_scale, variable=True))
    inputs += [-1, -1, -1, -1]
    for position in omit:
        inputs[position] = -1
    for position, tensor in (extra or {}).items():
        inputs[position] = tensor
    output = mb.tensor(
        f"{name}/output", (*shape[:2], units), dtype, scale=hidden_scale, zero_point=hidden_zero
    )
    mb.op(
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        inputs,
        [output],
        "UnidirectionalSequenceLSTMOptions",
        FusedActivationFunction=activation,
        CellClip=cell_clip,
        TimeMajor=time_major,
    )
    return output


def lstm_model(
    seed: int,
    shape: tuple[int, int, int] = (1, 4, 3),
    int16: bool = False,
    layers: tuple[dict[str, Any], ...] = ({},),
    input_scale: float = 1 / 100,
) -> bytes:
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    if int16:
        x = mb.tensor("x", shape, DType.INT16, scale=1 / 16384)
    else:
        x = mb.tensor("x", shape, scale=input_scale, zero_point=int(rng.integers(-20, 20)))
    current, current_shape = x, shape
    for index, options in enumerate(layers):
        current = lstm_layer(mb, rng, current, current_shape, name=f"lstm{index}", **options)
        current_shape = (*current_shape[:2], options.get("units", 4))
    return mb.build([x], [current])


def test_prepare_mirrors_tflm() -> None:
    _, params = prepared(lstm_model(1, (2, 5, 3), layers=({"units": 6, "cell_clip": 0.5},)))
    assert isinstance(params, LstmParams)
    assert (params.batches, params.time_steps, params.input_size, params.units) == (2, 5, 3, 6)
    assert not params.time_major
    assert params.activation_dtype is DType.INT8
    # Q0.15 x cell (2^-11) -> cell: 2^-15 = 2^30 * 2^-14 / 2^31.
    assert (params.forget_cell_multiplier, params.forget_cell_shift) == (1 << 30, -14)
    # 2^-30 / 2^-11 = 2^-19.
    assert (params.input_cell_multiplier, params.input_cell_shift) == (1 << 30, -18)
    # 0.5 / 2^-11.
    assert params.cell_clip == 1024
    # Cell scale 2^-11: TFLM's tanh takes the cell times 3 << 1 (the power-of-two case).
    assert (params.cell_tanh_input_multiplier, params.cell_tanh_input_left_shift) == (0, 1)
    _, params = prepared(lstm_model(1, (3, 2, 4), layers=({"time_major": True, "cell_scale": 2.0**-14},)))
    assert isinstance(params, LstmParams)
    assert (params.batches, params.time_steps, params.cell_clip) == (2, 3, None)
    assert (params.cell_tanh_input_multiplier, params.cell_tanh_input_left_shift) == (3, 2)


@pytest.mark.parametrize("int16", [False, True], ids=["8x8", "16x8"])
@pytest.mark.parametrize(
    ("shape", "layers"),
    [
        ((1, 4, 3), ({},)),
        ((2, 3, 5), ({"units": 6, "cell_clip": 0.4},)),
        ((3, 2, 4), ({"time_major": True, "units": 5},)),
        ((1, 6, 4), ({"cell_scale": 2.0**-13}, {"units": 3, "cell_scale": 2.0**-9})),
    ],
    ids=["plain", "batches_clip", "time_major", "two_layers_cell_scales"],
)
def test_state_evolves_as_in_tflm(
    int16: bool, shape: tuple[int, int, int], layers: tuple[dict[str, Any], ...]
) -> None:
    assert_sequence_matches(lstm_model(7, shape, int16, layers), samples=8)


# A gate product that rounds differently with the float32 and the double product of its
# scales: input scale 0.0173 x weight scale 0.012416 into Q3.12. With the input-to-cell
# weights zero, the cell gate's input product is its bias alone, 104 -> 92 (float32
# product, multiplier 1889372672) or 91 (double, 1889372610, what TFLM computes) at every
# step; a fine cell and hidden scale carry the difference into the output.
TIE_INPUT_SCALE = 0.0173
TIE_WEIGHT_SCALE = 0.012416
TIE_BIAS = 104


def tie_model(units: int = 3) -> bytes:
    rng = np.random.default_rng(11)
    mb = ModelBuilder()
    shape = (1, 8, 2)
    x = mb.tensor("x", shape, scale=TIE_INPUT_SCALE, zero_point=0)
    no_input = mb.tensor("w_cell", (units, 2), scale=TIE_WEIGHT_SCALE, data=np.zeros((units, 2)))
    bias_scale = float(np.float32(TIE_INPUT_SCALE) * np.float32(TIE_WEIGHT_SCALE))
    bias = mb.tensor("b_cell", (units,), DType.INT32, scale=bias_scale, data=np.full(units, TIE_BIAS))
    y = lstm_layer(
        mb,
        rng,
        x,
        shape,
        units=units,
        weight_scale=TIE_WEIGHT_SCALE,
        hidden_scale=2.0**-11,
        cell_scale=2.0**-15,
        extra={3: no_input, 14: bias},
    )
    return mb.build([x], [y])


def test_gate_products_take_the_scale_product_in_double() -> None:
    _, params = prepared(tie_model())
    assert isinstance(params, LstmParams)
    gate = params.gates[2]
    assert (gate.input_multiplier, gate.input_shift) == (1889372610, 0)
    assert quant.multiply_by_quantized_multiplier(TIE_BIAS, gate.input_multiplier, gate.input_shift) == 91
    float_product = quant.quantize_multiplier(
        float(np.float32(TIE_INPUT_SCALE) * np.float32(TIE_WEIGHT_SCALE)) / lstm.GATE_INPUT_SCALE
    )
    assert quant.multiply_by_quantized_multiplier(TIE_BIAS, float_product.multiplier, 0) == 92


def test_near_tie_gate_products_match_tflm() -> None:
    # lstm_kws drifted from TFLM after ~20 inferences through such products; here every
    # step has one.
    assert_sequence_matches(tie_model(), samples=6)


def test_reset_matches_tflm() -> None:
    assert_sequence_matches(lstm_model(3, (2, 3, 4), layers=({"units": 5},)), samples=10, reset_every=4)


def test_state_pair_is_one_region_lent_to_one_core() -> None:
    with tempfile.TemporaryDirectory() as work:
        compiled, _ = build(lstm_model(2, (1, 3, 4), int16=True), Path(work))
    plan = compiled.plan
    hidden, cell = (compiled.graph.operators[0].inputs[p] for p in (lstm.HIDDEN_STATE, lstm.CELL_STATE))
    assert set(plan.state) == {hidden, cell}
    assert plan.state[hidden] < plan.state[cell] < plan.state_bytes


def _rejected(**options: Any) -> str:
    int16 = options.pop("int16", False)
    with pytest.raises(OpError) as error:
        prepared(lstm_model(0, int16=int16, layers=(options,)))
    return error.value.reason


def test_rejects_what_tflm_does_not_run() -> None:
    assert "CIFG" in _rejected(omit=(1, 5, 12))
    assert "variable" in _rejected(variable=False)
    assert "TANH" in _rejected(activation=1)


def test_rejects_peephole_projection_and_layer_norm() -> None:
    rng = np.random.default_rng(0)
    for position, role in ((9, "peephole"), (16, "projection"), (20, "layer normalization")):
        mb = ModelBuilder()
        x = mb.tensor("x", (1, 2, 3), scale=0.01)
        extra = mb.tensor("extra", (4,), DType.INT16, scale=0.01, data=np.ones(4))
        y = lstm_layer(mb, rng, x, (1, 2, 3), extra={position: extra})
        with pytest.raises(OpError) as error:
            prepared(mb.build([x], [y]))
        assert role in error.value.reason


def test_check_compares_sequences_and_multicore_schedules(tmp_path: Path) -> None:
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(4, (1, 5, 6), layers=({"units": 8}, {"units": 4})))
    result = check(
        path,
        inputs=6,
        seed=3,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target((480, 240, 240, 160), split_every_layer=True),
    )
    assert result.bit_exact, result.first_divergence
    assert "1, 2, 3, 4 workers" in result.multicore
