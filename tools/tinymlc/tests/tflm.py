"""Run a model through the real TFLM interpreter (tflite-micro wheel) and
prepare it with tinymlc, for golden comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np
from tflite_micro.python.tflite_micro import runtime

from tinymlc.frontend import parse_model
from tinymlc.ir import Model
from tinymlc.ops import PreparedParams, prepare_operator
from tinymlc.tflm_reference import REFERENCE_ARENA_BYTES


def run_tflm(model_bytes: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    interpreter: Any = runtime.Interpreter.from_bytes(model_bytes, arena_size=1 << 20)
    for index, value in enumerate(inputs):
        interpreter.set_input(value, index)
    interpreter.invoke()
    outputs = []
    index = 0
    while True:
        try:
            outputs.append(np.array(interpreter.get_output(index)))
        except (IndexError, RuntimeError, ValueError):
            break
        index += 1
        if index >= 8:
            break
    return outputs


def prepared(model_bytes: bytes, op_index: int = 0) -> tuple[Model, PreparedParams]:
    model = parse_model(model_bytes, "test")
    return model, prepare_operator(model.main, op_index)


def random_int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def tflm_sequence(model_bytes: bytes, samples: list[list[np.ndarray]], reset_every: int = 0) -> list[bytes]:
    """TFLM's output bytes for `samples` run in sequence on one interpreter, reset before
    every `reset_every`-th (the wheel's `reset()` is MicroInterpreter::Reset, as an
    application calls it; before the first inference it changes nothing)."""
    interpreter: Any = runtime.Interpreter.from_bytes(model_bytes, arena_size=REFERENCE_ARENA_BYTES)
    outputs = []
    for index, sample in enumerate(samples):
        if reset_every and index % reset_every == 0:
            interpreter.reset()
        interpreter.set_input(sample[0], 0)
        interpreter.invoke()
        outputs.append(np.asarray(interpreter.get_output(0)).tobytes())
    return outputs
