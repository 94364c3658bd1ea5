"""Multi-core speedup on emulated boards, in instructions (our QEMU plugin), not time.

Per model and board: the instructions of one inference on one core (the single-core
firmware), divided by the instructions of the slowest core when the model, partitioned for
the board's cores, runs on all of them (same inputs). Waiting at barriers counts against a
core, but a waiting core executes nothing: RISC-V harts and the SSE-200's Cortex-M33 cores
sleep in `wfi` until another core wakes them. Printed, not asserted. Goals: 1.8x on 2 cores
and 3.2x on 4 for convolutional models.

    ./bazelw run -c opt //tools/bench:speedup
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from absl import app
from qemu_counts import per_core_counts


def main(argv: list[str]) -> int:
    args = argv[1:]
    if not args or len(args) % 5:
        print("usage: speedup_bench MODEL BOARD CORES SINGLE_RUNNER MULTI_RUNNER [...]", file=sys.stderr)
        return 2
    header = (
        f"{'model':<24} {'board':<18} {'cores':>5} {'1 core insns':>14} {'slowest core':>14} {'speedup':>8}"
    )
    print(header)
    print("-" * len(header))
    for model, board, cores, single, multi in zip(*(args[i::5] for i in range(5)), strict=True):
        alone = per_core_counts(Path(single))
        shared = per_core_counts(Path(multi))
        # The multi-core firmware runs its samples twice: the n-th inference is sample
        # n mod samples, as in the single-core firmware.
        singles = [alone[call][0] for call in sorted(alone)]
        speedups = [
            singles[position % len(singles)] / max(shared[call].values())
            for position, call in enumerate(sorted(shared))
        ]
        first = min(shared)
        print(
            f"{model:<24} {board:<18} {cores:>5} {alone[first][0]:>14,} {max(shared[first].values()):>14,} "
            f"{statistics.median(speedups):>7.2f}x"
        )
        print(f"measured {model} on {board}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
