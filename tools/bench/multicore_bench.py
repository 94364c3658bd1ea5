"""Benchmark of multi-core execution on host threads, per model.

Each model is compiled three times with rustc -O: for one core, for two and for four
equal cores (the partition pass's cost-model schedule). Printed per model: the predicted
speedup of the 2- and 4-core schedules (report.json), the measured wall-time speedup of
running them on 2 and 4 host threads against one core's `predict_tensors`, and the arena
bytes of one core and of the multi-core builds: parts are written in place, so an arena
grows by no more than the scratch of the extra cores and what one core saves by writing
convolutions over their inputs (checked against report.json). Goals
(for conv models on MCUs): 1.8x on 2 cores, 3.2x on 4. Host threads are no MCU cores (the
OS schedules them, and this machine may have fewer CPUs than threads), so ratios are
printed, never asserted.

    ./bazelw run -c opt //tools/bench:multicore [-- MODEL.tflite ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from absl import app

from tinymlc import hostbuild
from tinymlc.check import random_inputs
from tinymlc.codegen import CompiledModel, Target, compile_model, generate_crate
from tinymlc.frontend import load_model
from tinymlc.passes.memory_planner import align

# Each timed round lasts about this long, so short models are not all timer resolution.
ROUND_NS = 50_000_000
CORE_COUNTS = (2, 4)


@dataclass(frozen=True)
class Row:
    name: str
    macs: int
    arena: int
    multicore_arena: int
    overlap_saved: int
    """What one core saves writing convolutions over their inputs, which cores splitting
    them cannot (report.json `overlap_saved_bytes`)."""
    extra_scratch: int
    """The most scratch cores other than core 0 hold at one layer, over the multi-core builds."""
    single_ns: int
    predicted: dict[int, float]
    measured_ns: dict[int, int]

    def speedup(self, cores: int) -> float:
        return self.single_ns / self.measured_ns[cores]


def _build(compiled: CompiledModel, work: Path) -> tuple[Path, dict[str, object]]:
    crate = generate_crate(compiled, "model")
    work.mkdir(parents=True)
    lib_rs = work / "lib.rs"
    lib_rs.write_text(crate.lib_rs)
    return hostbuild.build_harness(lib_rs, hostbuild.default_runtime_dir(), work), crate.report


def _extra_scratch(report: dict[str, object]) -> int:
    """Per layer, the planned (aligned) scratch bytes of cores 1.. together; the largest."""
    entries = report["scratch"]
    assert isinstance(entries, list)
    per_layer: dict[int, int] = {}
    for entry in entries:
        if entry["core"] > 0:
            per_layer[entry["layer"]] = per_layer.get(entry["layer"], 0) + align(entry["bytes"])
    return max(per_layer.values(), default=0)


def measure(model_path: Path, work: Path) -> Row:
    model = load_model(model_path)
    compiled = compile_model(model)
    sample = random_inputs(compiled, 1, seed=0)[0]
    single, report = _build(compiled, work / "single")
    start = time.perf_counter_ns()
    hostbuild.bench_harness(single, sample, 1)
    iterations = max(1, ROUND_NS // 5 // max(1, time.perf_counter_ns() - start))
    single_ns = hostbuild.bench_harness(single, sample, iterations)
    predicted: dict[int, float] = {}
    measured: dict[int, int] = {}
    multicore_arena = 0
    extra_scratch = 0
    for cores in CORE_COUNTS:
        binary, multi_report = _build(compile_model(model, Target((1,) * cores)), work / f"cores{cores}")
        schedule = multi_report["schedule"]
        assert isinstance(schedule, dict)
        predicted[cores] = float(schedule["predicted_speedup"])
        measured[cores] = hostbuild.bench_harness(binary, sample, iterations, workers=cores)
        multicore_arena = max(multicore_arena, int(str(multi_report["arena_bytes"])))
        extra_scratch = max(extra_scratch, _extra_scratch(multi_report))
    return Row(
        name=model_path.stem,
        macs=int(str(report["total_macs"])),
        arena=int(str(report["arena_bytes"])),
        multicore_arena=multicore_arena,
        overlap_saved=int(str(report["overlap_saved_bytes"])),
        extra_scratch=extra_scratch,
        single_ns=single_ns,
        predicted=predicted,
        measured_ns=measured,
    )


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'model':<44} {'MMACs':>7} {'1-core us':>10} {'pred 2':>7} {'host 2':>7} "
        f"{'pred 4':>7} {'host 4':>7} {'arena':>8} {'arena 2/4':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.name:<44} {row.macs / 1e6:>7.2f} {row.single_ns / 1000:>10.1f} "
            f"{row.predicted[2]:>6.2f}x {row.speedup(2):>6.2f}x "
            f"{row.predicted[4]:>6.2f}x {row.speedup(4):>6.2f}x "
            f"{row.arena:>8} {row.multicore_arena:>9}"
        )
    print()
    print(f"host CPUs available: {len(os.sched_getaffinity(0))} (4 threads on fewer CPUs cannot reach 4x)")
    conv = [row for row in rows if row.macs >= 1_000_000]
    for cores, goal in zip(CORE_COUNTS, (1.8, 3.2), strict=True):
        if conv:
            met = sum(row.predicted[cores] >= goal for row in conv)
            mean = sum(row.speedup(cores) for row in conv) / len(conv)
            print(
                f"{cores} cores, models with >= 1 MMAC: predicted >= {goal}x for {met} of {len(conv)}; "
                f"mean host-thread speedup {mean:.2f}x"
            )
    beyond = [
        row.name for row in rows if row.multicore_arena - row.arena > row.extra_scratch + row.overlap_saved
    ]
    print(
        f"multi-core arena growth: at most {max(r.multicore_arena - r.arena for r in rows)} bytes; "
        "beyond the extra cores' scratch and the overlaps one core saves: "
        f"{', '.join(beyond) if beyond else 'none'}"
    )


def main(argv: list[str]) -> int:
    models = [Path(m) for m in argv[1:]]
    if not models:
        print("usage: multicore_bench MODEL.tflite [MODEL.tflite ...]", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinymlc-multicore-bench-") as work:
        for model in models:
            rows.append(measure(model, Path(work) / model.stem))
            print(f"measured {rows[-1].name}", file=sys.stderr)
    print_table(rows)
    return 0


if __name__ == "__main__":
    app.run(main)
