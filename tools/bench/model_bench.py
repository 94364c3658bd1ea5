"""Benchmark of compiled models against TensorFlow Lite Micro, measured in the same run.

For each model: arena bytes (ours / TFLM's smallest working arena_size), flash bytes of
weights and parameters, and host latency (ours / TFLM's), with the ratios the goals are
stated in: arena at most 0.8x TFLM's, and faster than TFLM on the host. Latency is the best
of five timed rounds of each, on the same input, interleaved model by model so that machine
noise hits both sides alike. Ratios are printed, never asserted: the machine is shared.

    ./bazelw run -c opt //tools/bench:models
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from absl import app

from tinymlc import hostbuild, tflm_reference
from tinymlc.check import random_inputs
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.frontend import load_model

ARENA_GOAL = 0.8
# Each timed round lasts about this long, so short models are not all timer resolution.
ROUND_NS = 50_000_000


@dataclass(frozen=True)
class Row:
    name: str
    arena: int
    tflm_arena: int
    flash: int
    latency_ns: int
    tflm_latency_ns: int

    @property
    def arena_ratio(self) -> float:
        return self.arena / self.tflm_arena

    @property
    def latency_ratio(self) -> float:
        return self.latency_ns / self.tflm_latency_ns


def measure(model_path: Path, harness: Path) -> Row:
    compiled = compile_model(load_model(model_path))
    report = generate_crate(compiled, "model").report
    model_bytes = model_path.read_bytes()
    sample = random_inputs(compiled, 1, seed=0)[0]
    start = time.perf_counter_ns()
    tflm_reference.latency_ns(model_bytes, sample, iterations=1, rounds=1)
    iterations = max(1, ROUND_NS // max(1, time.perf_counter_ns() - start))
    return Row(
        name=model_path.stem,
        arena=compiled.plan.arena_bytes,
        tflm_arena=tflm_reference.smallest_arena(model_path, compiled.plan.tflm_greedy_bytes),
        flash=int(report["flash_bytes"]),
        latency_ns=hostbuild.bench_harness(harness, sample, iterations),
        tflm_latency_ns=tflm_reference.latency_ns(model_bytes, sample, iterations),
    )


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'model':<48} {'arena':>8} {'TFLM':>8} {'ratio':>6} {'flash':>9} "
        f"{'us':>9} {'TFLM us':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.name:<48} {row.arena:>8} {row.tflm_arena:>8} {row.arena_ratio:>6.2f} {row.flash:>9} "
            f"{row.latency_ns / 1000:>9.1f} {row.tflm_latency_ns / 1000:>9.1f} {row.latency_ratio:>6.2f}"
        )
    print()
    small_arena = sum(row.arena_ratio <= ARENA_GOAL for row in rows)
    faster = sum(row.latency_ratio < 1 for row in rows)
    print(f"arena <= {ARENA_GOAL}x TFLM's: {small_arena} of {len(rows)} models")
    print(f"faster than TFLM on the host: {faster} of {len(rows)} models")
    worst_arena = max(rows, key=lambda row: row.arena_ratio)
    worst_latency = max(rows, key=lambda row: row.latency_ratio)
    print(f"largest arena ratio: {worst_arena.arena_ratio:.2f} ({worst_arena.name})")
    print(f"largest latency ratio: {worst_latency.latency_ratio:.2f} ({worst_latency.name})")


def main(argv: list[str]) -> int:
    pairs = argv[1:]
    if not pairs or len(pairs) % 2:
        print("usage: model_bench MODEL.tflite HARNESS [MODEL.tflite HARNESS ...]", file=sys.stderr)
        return 2
    rows = []
    for model, harness in zip(pairs[::2], pairs[1::2], strict=True):
        rows.append(measure(Path(model), Path(harness)))
        print(f"measured {rows[-1].name}", file=sys.stderr)
    print_table(rows)
    return 0


if __name__ == "__main__":
    app.run(main)
