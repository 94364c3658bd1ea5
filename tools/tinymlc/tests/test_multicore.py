"""Multi-core execution of generated models on host threads: bit-identical to one core
(and so to TFLite Micro) for the cost model's schedules, heterogeneous and branchy."""

from __future__ import annotations

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
    compiled = compile_model(load_model(MODELS_DIR / "ds_cnn_kws.tflite"))
    crate = generate_crate(compiled, "kws", Target((480, 240)))
    schedule = crate.report["schedule"]
    assert "pub const CORES: usize = 2;" in crate.lib_rs
    assert "pub const CORE_MHZ: [u32; CORES] = [480, 240];" in crate.lib_rs
    barriers = "".join("true, " if s["barrier_after"] else "false, " for s in schedule["steps"])[:-2]
    assert f"pub const BARRIER_AFTER: [bool; {len(schedule['steps'])}] = [{barriers}];" in crate.lib_rs
    # One core's arena is every core's: parts are written in place, no per-core copies.
    single = generate_crate(compiled, "kws").report
    assert single["arena_bytes"] == crate.report["arena_bytes"]
