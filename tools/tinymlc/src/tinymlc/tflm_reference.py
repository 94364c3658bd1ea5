"""TensorFlow Lite Micro as the reference for `tinymlc check`.

Uses the `tflite-micro` Python wheel (a development dependency).  A too-small
arena makes the wrapper raise, or for tiny sizes crash the process, so the
arena bisection probes in subprocesses.  Intermediate tensors come from
TFLM's `kPreserveAllTensors` mode, where no tensor's memory is reused, so
every intermediate is still readable after `invoke()` -- the same effect as
making every tensor a subgraph output, without changing the model.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from tinymlc.errors import CompileError

# Generous arena for reference runs (the wheel's allocator is not the point).
REFERENCE_ARENA_BYTES = 64 << 20
_PROBE = """
import sys
from tflite_micro.python.tflite_micro import runtime
interpreter = runtime.Interpreter.from_file(sys.argv[1], arena_size=int(sys.argv[2]))
interpreter.invoke()
"""


def _runtime() -> Any:
    try:
        from tflite_micro.python.tflite_micro import runtime  # noqa: PLC0415 -- optional dependency
    except ImportError as exc:
        raise CompileError(
            "`check` needs the tflite-micro Python package (pip install tflite-micro)"
        ) from exc
    return runtime


def _interpreter(model: bytes, preserve_all_tensors: bool) -> Any:
    runtime = _runtime()
    config = (
        runtime.InterpreterConfig.kPreserveAllTensors
        if preserve_all_tensors
        else runtime.InterpreterConfig.kAllocationRecording
    )
    try:
        return runtime.Interpreter.from_bytes(
            model, arena_size=REFERENCE_ARENA_BYTES, intrepreter_config=config
        )
    except RuntimeError as exc:
        raise CompileError(f"TFLM rejected the model: {exc}") from exc


def _invoke(interpreter: Any, inputs: list[np.ndarray], output_count: int) -> list[np.ndarray] | None:
    """TFLM's outputs, or None when an operator ended the inference early: the wheel's
    `invoke` returns the operator's status (CIRCULAR_BUFFER's kTfLiteAbort) instead of
    raising, and the operators after it, those writing the outputs among them, did not run."""
    for index, value in enumerate(inputs):
        interpreter.set_input(value, index)
    try:
        status = interpreter.invoke()
    except RuntimeError as exc:
        raise CompileError(f"TFLM failed to run the model: {exc}") from exc
    if status:
        return None
    return [np.array(interpreter.get_output(index)) for index in range(output_count)]


def run(
    model: bytes,
    inputs: list[np.ndarray],
    output_count: int,
    tensors: tuple[int, ...] = (),
    earlier: list[list[np.ndarray]] | None = None,
) -> tuple[list[np.ndarray], dict[int, np.ndarray]]:
    """TFLM's outputs for one sample (none when the inference ended early), plus the
    intermediate tensors `tensors` by id; the `earlier` samples are run first on the same
    interpreter (they set its state)."""
    interpreter = _interpreter(model, preserve_all_tensors=bool(tensors))
    for sample in earlier or []:
        _invoke(interpreter, sample, output_count)
    outputs = _invoke(interpreter, inputs, output_count) or []
    return outputs, {t: np.array(interpreter.GetTensor(t, 0)["tensor_data"]) for t in tensors}


def outputs_of_each(
    model: bytes, samples: list[list[np.ndarray]], output_count: int
) -> list[list[np.ndarray] | None]:
    """TFLM's outputs for every sample (None: the inference ended early), from one
    interpreter (setting it up dominates small models)."""
    interpreter = _interpreter(model, preserve_all_tensors=False)
    return [_invoke(interpreter, sample, output_count) for sample in samples]


def latency_ns(model: bytes, inputs: list[np.ndarray], iterations: int, rounds: int = 5) -> int:
    """TFLM's nanoseconds per `invoke()` on one sample: the best of `rounds` timed rounds."""
    interpreter = _interpreter(model, preserve_all_tensors=False)
    for index, value in enumerate(inputs):
        interpreter.set_input(value, index)
    best = None
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            interpreter.invoke()
        per_invoke = (time.perf_counter_ns() - start) // iterations
        best = per_invoke if best is None else min(best, per_invoke)
    assert best is not None
    return best


def _arena_works(model_path: Path, arena_size: int) -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(model_path), str(arena_size)], capture_output=True, check=False
    )
    return probe.returncode == 0


def smallest_arena(model_path: Path, start: int) -> int:
    """TFLM's smallest working `arena_size`, by bisection from a guess `start`."""
    _runtime()
    high = max(start, 1024)
    while not _arena_works(model_path, high):
        if high > REFERENCE_ARENA_BYTES:
            raise CompileError(f"TFLM cannot allocate the model even with {high} bytes of arena")
        high *= 2
    low = 0  # known to fail (or not probed: an empty arena never works)
    while high - low > 1:
        middle = (low + high) // 2
        if _arena_works(model_path, middle):
            high = middle
        else:
            low = middle
    return high
