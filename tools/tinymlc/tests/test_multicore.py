"""Multi-core execution of generated models on host threads: bit-identical to one core
(and so to TFLite Micro) for the cost model's schedules, heterogeneous and branchy."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tinymlc import hostbuild
from tinymlc.check import check
from tinymlc.codegen import Target, compile_model, generate_crate
from tinymlc.frontend import load_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"


@pytest.mark.parametrize(
    ("model", "core_mhz"),
    [
        # STM32H747-like: the M7 twice as fast as the M4, so a 2:1 split of every large layer.
        ("ds_cnn_kws", (480, 240)),
        # Residual branches: whole layers of different branches share barrier intervals.
        ("resnet8_cifar10", (100, 100, 100, 100)),
    ],
)
def test_schedules_are_bit_exact_on_every_thread_count(model: str, core_mhz: tuple[int, ...]) -> None:
    result = check(
        MODELS_DIR / f"{model}.tflite",
        inputs=8,
        seed=1,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target(core_mhz),
    )
    assert result.bit_exact
    assert "1, 2, 3, 4 workers x 1 run(s) each bit-identical to one core" in result.multicore
    assert f"{list(core_mhz)} MHz" in result.multicore


def test_the_generated_constants_match_the_report() -> None:
    model = load_model(MODELS_DIR / "ds_cnn_kws.tflite")
    crate = generate_crate(compile_model(model, Target((480, 240))), "kws")
    schedule = crate.report["schedule"]
    assert "pub const CORES: usize = 2;" in crate.lib_rs
    assert "pub const CORE_MHZ: [u32; CORES] = [480, 240];" in crate.lib_rs
    barriers = "".join("true, " if s["barrier_after"] else "false, " for s in schedule["steps"])[:-2]
    assert f"pub const BARRIER_AFTER: [bool; {len(schedule['steps'])}] = [{barriers}];" in crate.lib_rs
    # Parts are written in place, no per-core copies: the arena grows by at most the
    # second core's scratch.
    single = generate_crate(compile_model(model), "kws").report
    scratch = crate.report["scratch"]
    assert {entry["core"] for entry in scratch} == {0, 1}
    largest = max(entry["bytes"] for entry in scratch)
    assert single["arena_bytes"] <= crate.report["arena_bytes"] <= single["arena_bytes"] + largest
    # Each core's scratch for a layer is its own.
    for layer in {entry["layer"] for entry in scratch}:
        regions = sorted((e["offset"], e["offset"] + e["bytes"]) for e in scratch if e["layer"] == layer)
        assert regions[0][1] <= regions[1][0]


@pytest.mark.parametrize("cores", [1, 2, 4])
def test_every_core_has_its_own_scratch_apart_from_the_layer_tensors(cores: int) -> None:
    compiled = compile_model(load_model(MODELS_DIR / "resnet8_cifar10.tflite"), Target((100,) * cores))
    graph, plan = compiled.graph, compiled.plan
    convs = [i for i, op in enumerate(graph.operators) if op.opcode_name == "CONV_2D"]
    assert {layer for layer, _ in compiled.scratch} == set(convs)
    for layer in convs:
        op = graph.operators[layer]
        tensors = [t for t in (*op.inputs, *op.outputs) if t >= 0 and not graph.tensors[t].is_constant]
        regions = [
            (plan.tensor_offsets[t], plan.tensor_offsets[t] + graph.tensors[t].byte_size) for t in tensors
        ]
        if op.outputs[0] in dict(plan.overlapped):
            # One core writes this output over its input: the two are one region.
            regions = [(min(r[0] for r in regions), max(r[1] for r in regions))]
        for core in range(cores):
            offset, size = compiled.scratch[(layer, core)]
            assert 0 < size <= 1024
            assert offset + size <= plan.arena_bytes
            regions.append((offset, offset + size))
        regions.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(regions)), (layer, regions)
