"""Benchmark of the models as firmware on emulated boards: instructions per inference (our
QEMU plugin), flash and RAM of the ELF, next to what TensorFlow Lite Micro needs.

TFLite Micro cannot be built as firmware here: no package registry this project may use
carries its sources (PyPI's `tflite-micro` is a host wheel). Its columns therefore come
from that wheel: the smallest arena it runs with (a 64-bit build: its pointers are twice an
MCU's), and the .tflite flatbuffer TFLM keeps in flash (its interpreter and kernels' code
come on top and are not counted). Numbers are printed, never asserted.

    ./bazelw run -c opt //tools/bench:firmware
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from absl import app
from cmsis_nn import ratio_to_cmsis_nn
from qemu_counts import per_core_counts

from tinymlc import tflm_reference
from tinymlc.codegen import compile_model
from tinymlc.frontend import load_model

# The Cortex-M4 board every other board's count is compared with.
M4_BOARD = "mps2_an386"


@dataclass(frozen=True)
class Run:
    board: str
    instructions: int
    flash: int
    ram: int


def run_on_board(board: str, runner: Path, size_json: Path) -> Run:
    counts = [by_core[0] for by_core in per_core_counts(runner).values()]
    size = json.loads(size_json.read_text())
    # Inputs differ only in data, so counts differ a little (e.g. through saturation paths).
    return Run(board, int(statistics.median(counts)), int(size["flash_bytes"]), int(size["ram_bytes"]))


def main(argv: list[str]) -> int:
    args = argv[1:]
    if not args or len(args) % 4:
        print("usage: firmware_bench MODEL.tflite BOARD RUNNER SIZE_JSON [...]", file=sys.stderr)
        return 2
    by_model: dict[Path, list[Run]] = {}
    for model_arg, board, runner, size_json in zip(
        args[::4], args[1::4], args[2::4], args[3::4], strict=True
    ):
        by_model.setdefault(Path(model_arg), []).append(run_on_board(board, Path(runner), Path(size_json)))
    header = (
        f"{'model':<40} {'board':<13} {'insns/inference':>15} {'/CMSIS-NN':>9} {'/our M4':>8} "
        f"{'flash':>9} {'RAM':>9} {'arena':>8} {'TFLM arena':>10} {'.tflite':>9}"
    )
    print(header)
    print("-" * len(header))
    for model, runs in by_model.items():
        compiled = compile_model(load_model(model))
        tflm_arena = tflm_reference.smallest_arena(model, compiled.plan.tflm_greedy_bytes)
        on_m4 = next((run.instructions for run in runs if run.board == M4_BOARD), None)
        for run in runs:
            ratio = ratio_to_cmsis_nn(model.stem, run.board, run.instructions)
            to_m4 = f"{run.instructions / on_m4:.2f}x" if on_m4 and run.board != M4_BOARD else "-"
            print(
                f"{model.stem:<40} {run.board:<13} {run.instructions:>15,} "
                f"{ratio:>9} {to_m4:>8} {run.flash:>9,} {run.ram:>9,} "
                f"{compiled.plan.arena_bytes:>8,} {tflm_arena:>10,} {model.stat().st_size:>9,}"
            )
        print(f"measured {model.stem}", file=sys.stderr)
    print()
    print("flash, RAM: the whole ELF: code, weights, the embedded test inputs and expected outputs,")
    print("16 KiB of stack per core, arena. insns/inference: core 0, median over the test inputs.")
    print("/CMSIS-NN: insns/inference over TFLite Micro + CMSIS-NN's on the same Cortex-M4 board")
    print("(tools/bench/cmsis_nn.py says how those were measured). /our M4: insns/inference over")
    print(f"ours on {M4_BOARD} in this run (the goal for the M55 with Helium, mps3_an547: at most 0.5x).")
    return 0


if __name__ == "__main__":
    app.run(main)
