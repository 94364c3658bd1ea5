"""Instruction counts from a `tinyml_qemu_run(count_instructions = True)` runner."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

_LINE = re.compile(r"^measured call (\d+) on core (\d+): (\d+) instructions$", re.MULTILINE)


def per_core_counts(runner: Path) -> dict[int, dict[int, int]]:
    """Measured call number -> core -> instructions; exits with the runner's output if it failed."""
    result = subprocess.run([str(runner)], capture_output=True, text=True, check=False, timeout=900)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for measurement, core, count in _LINE.findall(result.stdout):
        counts[int(measurement)][int(core)] = int(count)
    if result.returncode != 0 or not counts:
        raise SystemExit(f"{runner} failed (status {result.returncode}):\n{result.stdout}{result.stderr}")
    return counts
