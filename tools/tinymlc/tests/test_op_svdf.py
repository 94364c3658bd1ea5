"""SVDF: parameters, rejections, and the generated code against TFLM over sequences of
inferences (the state carries over), with and without `reset`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import assert_sequence_matches, build
from tests.model_builder import ModelBuilder
from tests.tflm import prepared
from tinymlc import hostbuild
from tinymlc.check import check
from tinymlc.codegen import Target, generate_crate
from tinymlc.errors import OpError
from tinymlc.ir import DType
from tinymlc.ops.svdf import SvdfParams


def svdf_layer(
    mb: ModelBuilder,
    rng: np.random.Generator,
    source: int,
    shape: tuple[int, int],
    *,
    units: int,
    rank: int,
    memory: int,
    state_dtype: DType = DType.INT16,
    activation: int = 0,
    name: str = "svdf",
) -> int:
    """One SVDF layer reading tensor `source` (`shape` = batches x inputs, scale
    `input_scale`); returns its int8 output tensor."""
    batches, inputs = shape
    filters = units * rank
    input_scale = mb.tensors[source].scales
    assert input_scale is not None
    feature_scale = float(rng.uniform(0.002, 0.01))
    # The newest state value typically uses a good part of the state type's range.
    state_range = 8000 if state_dtype is DType.INT16 else 60
    state_scale = float(input_scale[0] * feature_scale * 64 * 64 * np.sqrt(inputs) / state_range)
    time_range = 2000 if state_dtype is DType.INT16 else 100
    time_scale = float(rng.uniform(0.5, 2.0) / time_range)
    output_scale = float(state_scale * time_scale * time_range * state_range * np.sqrt(memory * rank) / 60)
    state_zero_point = 0 if state_dtype is DType.INT16 else int(rng.integers(-5, 5))
    low, high = state_dtype.integer_range
    w_feature = mb.tensor(
        f"{name}/weights_feature",
        (filters, inputs),
        scale=feature_scale,
        data=rng.integers(-127, 128, (filters, inputs)),
    )
    w_time = mb.tensor(
        f"{name}/weights_time",
        (filters, memory),
        state_dtype,
        scale=time_scale,
        data=rng.integers(max(low, -time_range), min(high, time_range) + 1, (filters, memory)),
    )
    bias = mb.tensor(
        f"{name}/bias",
        (units,),
        DType.INT32,
        scale=float(np.float32(state_scale) * np.float32(time_scale)),
        data=rng.integers(-50_000, 50_000, units),
    )
    state = mb.tensor(
        f"{name}/state",
        (batches, memory * filters),
        state_dtype,
        scale=state_scale,
        zero_point=state_zero_point,
        variable=True,
    )
    output = mb.tensor(
        f"{name}/output", (batches, units), scale=output_scale, zero_point=int(rng.integers(-10, 10))
    )
    mb.op(
        "SVDF",
        [source, w_feature, w_time, bias, state],
        [output],
        "SVDFOptions",
        Rank=rank,
        FusedActivationFunction=activation,
    )
    return output


def svdf_model(
    seed: int, batches: int = 1, inputs: int = 12, layers: tuple[dict[str, Any], ...] = ({},)
) -> bytes:
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    x = mb.tensor("x", (batches, inputs), scale=0.05, zero_point=int(rng.integers(-20, 20)))
    current, width = x, inputs
    for index, options in enumerate(layers):
        settings = {"units": 4, "rank": 1, "memory": 5, **options}
        current = svdf_layer(mb, rng, current, (batches, width), name=f"svdf{index}", **settings)
        width = settings["units"]
    return mb.build([x], [current])


def test_prepare_mirrors_tflm() -> None:
    _, params = prepared(svdf_model(1, batches=2, layers=({"units": 3, "rank": 2, "memory": 4},)))
    assert isinstance(params, SvdfParams)
    assert (params.batches, params.input_size, params.filters, params.rank) == (2, 12, 6, 2)
    assert (params.memory_size, params.units, params.state_dtype) == (4, 3, DType.INT16)
    assert params.feature_multiplier >= 1 << 30
    assert params.output_multiplier >= 1 << 30


@pytest.mark.parametrize(
    "layers",
    [
        ({},),
        ({"rank": 2, "units": 3, "memory": 8},),
        ({"activation": 1},),  # TFLM's integer SVDF ignores the fused activation
        ({"state_dtype": DType.INT8, "memory": 3},),
        ({"units": 16, "memory": 10}, {"units": 6, "rank": 2, "memory": 4}),
    ],
)
def test_state_evolves_as_in_tflm(layers: tuple[dict[str, Any], ...]) -> None:
    assert_sequence_matches(svdf_model(5, batches=1, layers=layers))


@pytest.mark.parametrize("state_dtype", [DType.INT16, DType.INT8])
def test_batches_and_reset_match_tflm(state_dtype: DType) -> None:
    # TFLM's Reset fills an int8 state with its zero point (nonzero here), else zeros.
    model = svdf_model(9, batches=3, layers=({"rank": 2, "memory": 6, "state_dtype": state_dtype},))
    assert_sequence_matches(model, samples=14, reset_every=5)


def test_state_region_is_reported_and_reserved() -> None:
    model = svdf_model(2, layers=({}, {"units": 2}))
    with tempfile.TemporaryDirectory() as work:
        compiled, _ = build(model, Path(work))
    plan = compiled.plan
    assert len(plan.state) == 2
    assert plan.state_bytes > 0
    for tensor_id, offset in plan.offsets.items():
        if tensor_id not in plan.state:
            assert offset >= plan.state_bytes
    assert all(16 <= offset < plan.state_bytes for offset in plan.state.values())
    report = generate_crate(compiled, "model").report
    assert report["state"]["bytes"] == plan.state_bytes
    assert [entry["offset"] for entry in report["state"]["tensors"]] == list(plan.state.values())
    assert all(
        entry["reset_byte"] == 0 and not entry["initial_value"] for entry in report["state"]["tensors"]
    )
    assert [layer["macs"] for layer in report["layers"]] == [1 * 4 * (12 + 5), 1 * 2 * (4 + 5)]


def _rejected(mutate: dict[str, Any]) -> str:
    rng = np.random.default_rng(0)
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05)
    wf = mb.tensor("wf", (2, 4), scale=0.01, data=rng.integers(-5, 5, (2, 4)))
    wt = mb.tensor("wt", (2, 3), DType.INT16, scale=0.01, data=rng.integers(-5, 5, (2, 3)))
    bias_scale = mutate.get("bias_scale", float(np.float32(0.02) * np.float32(0.01)))
    b = mb.tensor("b", (2,), DType.INT32, scale=bias_scale, data=np.zeros(2))
    s = mb.tensor("s", (1, 6), DType.INT16, scale=0.02, variable=mutate.get("variable", True))
    y = mb.tensor("y", (1, mutate.get("units", 2)), scale=0.1)
    inputs = [x, wf, wt, -1 if mutate.get("no_bias") else b, s]
    mb.op("SVDF", inputs, [y], "SVDFOptions", Rank=mutate.get("rank", 1))
    with pytest.raises(OpError) as error:
        prepared(mb.build([x], [y]))
    return error.value.reason


def test_rejects_what_tflm_rejects() -> None:
    assert "variable" in _rejected({"variable": False})
    assert "bias" in _rejected({"no_bias": True})
    assert "bias scale" in _rejected({"bias_scale": 0.5})
    assert "multiple of rank" in _rejected({"rank": 3})
    assert "output shape" in _rejected({"units": 3})


def test_check_compares_sequences_and_multicore_schedules(tmp_path: Path) -> None:
    path = tmp_path / "svdf.tflite"
    path.write_bytes(svdf_model(4, batches=2, layers=({"units": 8, "rank": 2}, {"units": 3, "memory": 7})))
    result = check(
        path,
        inputs=10,
        seed=3,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target((480, 240, 240, 160), split_every_layer=True),
    )
    assert result.bit_exact, result.first_divergence
    assert "1, 2, 3, 4 workers" in result.multicore
