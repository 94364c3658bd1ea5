"""`tinymlc check`: the generated Rust against TFLM, bit for bit.

Compiles the model for the host, runs seeded random inputs through both, and
on a mismatch finds the first layer whose output differs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinymlc import hostbuild, layerdiff, tflm_reference
from tinymlc.codegen import ONE_CORE, CompiledModel, Target, compile_model, generate_crate
from tinymlc.frontend import load_model
from tinymlc.ir import DType, Graph, OpKind, Tensor

# `harness multicore`: this many of the inputs, each this often on each of 1 to 4 host
# threads (the harness draws its own inputs; they need not match TFLM's).
# A sanity check of the `*_on` entry; tinyml_model_multicore_test is the thorough one.
MULTICORE_SAMPLES = 4
MULTICORE_REPEATS = 1

# Inputs of a float graph input without a QUANTIZE consumer are drawn from here.
DEFAULT_FLOAT_RANGE = (-1.0, 1.0)


@dataclass(frozen=True)
class Divergence:
    layer: int
    op: str
    tensor: str
    element: int
    """Flat index of the first differing element."""
    ours: float | int
    tflm: float | int
    shape: list[int]
    differing: int
    """How many elements of the layer's output differ."""
    largest: list[dict[str, Any]]
    """The largest differences (`index` in `shape`, `ours`, `tflm`), largest first."""
    parameters: dict[str, Any]
    """The layer's prepared parameters (arrays cut short)."""


# ULP distance given to a float output element that is NaN on one side only.
NAN_ULPS = 1 << 32


def float_ulps(ours: np.ndarray, tflm: np.ndarray) -> int:
    """Largest distance between corresponding float32 elements, counted in representable
    floats (0: identical bits, or both NaN; +0 and -0 are 1 apart)."""

    def ordered(values: np.ndarray) -> np.ndarray:
        bits = values.astype("<f4").view("<i4").astype(np.int64).reshape(-1)
        return np.where(bits < 0, np.int64(-(1 << 31)) - bits - 1, bits)

    a, b = np.asarray(ours, dtype="<f4"), np.asarray(tflm, dtype="<f4")
    if a.size == 0:
        return 0
    distance = np.abs(ordered(a) - ordered(b))
    nan_a, nan_b = np.isnan(a).reshape(-1), np.isnan(b).reshape(-1)
    distance = np.where(nan_a & nan_b, 0, np.where(nan_a | nan_b, NAN_ULPS, distance))
    return int(distance.max())


@dataclass(frozen=True)
class CheckResult:
    bit_exact: bool
    inputs: int
    mismatches: int
    """Samples whose outputs differ (or on which the generated code failed, or ended the
    inference early where TFLM did not, or the other way round)."""
    passed: bool
    """Bit-exact, or every difference is a float32 output element within `max_ulp_allowed`
    ULPs of TFLM's (integer outputs and failures never pass)."""
    max_ulp: int | None
    """The largest ULP distance of a float32 output element from TFLM's over all inputs;
    None for a model without float32 outputs."""
    max_ulp_allowed: int
    arena_bytes: int
    tflm_arena_bytes: int | None
    """TFLM's smallest working arena_size; None when not measured (it takes many TFLM runs)."""
    first_divergence: Divergence | None
    multicore: str
    """The multi-core run's summary: every input on 1 to 4 host threads, identical to one core."""
    aborted: int = 0
    """Inferences that ended early (a CIRCULAR_BUFFER's kTfLiteAbort) in both, at the same
    positions of the sequence: their outputs are not compared (neither writes them)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _float_range(graph: Graph, tensor_id: int) -> tuple[float, float]:
    """The real range the QUANTIZE reading this float input can represent."""
    for op in graph.operators:
        if op.kind is OpKind.QUANTIZE and op.inputs[0] == tensor_id:
            output = graph.tensors[op.outputs[0]]
            if output.quantization is not None:
                low, high = output.dtype.integer_range
                scale, zero_point = output.quantization.scale, output.quantization.zero_point
                return scale * (low - zero_point), scale * (high - zero_point)
    return DEFAULT_FLOAT_RANGE


def random_inputs(compiled: CompiledModel, count: int, seed: int) -> list[list[np.ndarray]]:
    """Integer inputs uniform over their type's range, float inputs over the
    range their quantization covers."""
    graph = compiled.model.main
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample = []
        for tensor_id in graph.inputs:
            tensor = graph.tensors[tensor_id]
            if tensor.dtype is DType.FLOAT32:
                low, high = _float_range(graph, tensor_id)
                sample.append(rng.uniform(low, high, size=tensor.shape).astype(np.float32))
            else:
                low, high = tensor.dtype.integer_range
                dtype = tensor.dtype.numpy_dtype
                assert dtype is not None
                sample.append(rng.integers(low, high + 1, size=tensor.shape).astype(dtype))
        samples.append(sample)
    return samples


def _to_bytes(tensor: Tensor, value: np.ndarray) -> bytes:
    dtype = tensor.dtype.numpy_dtype
    assert dtype is not None
    return np.ascontiguousarray(value, dtype=dtype).tobytes()


def first_divergence(
    compiled: CompiledModel,
    model_bytes: bytes,
    sample: list[np.ndarray],
    ours: hostbuild.SampleResult,
    earlier: list[list[np.ndarray]] | None = None,
) -> Divergence | None:
    """The first layer (schedule order) whose output differs from TFLM's tensor.

    `earlier`: the samples run before `sample` on the same arena (a model with state
    depends on them); TFLM runs them first on the same interpreter."""
    inference = layerdiff.compare(compiled, model_bytes, sample, ours, earlier or [])
    first = inference.first_difference
    if first is None:
        return None
    actual = inference.ours[first.layer].reshape(-1)
    expected = inference.tflm[first.layer].reshape(-1)
    element = next(
        i for i in range(len(expected)) if i >= len(actual) or actual[i].tobytes() != expected[i].tobytes()
    )
    return Divergence(
        layer=first.layer,
        op=first.op,
        tensor=first.tensor,
        element=element,
        ours=actual[element].item() if element < len(actual) else 0,
        tflm=expected[element].item(),
        shape=list(first.shape),
        differing=first.differing,
        largest=[dataclasses.asdict(d) for d in first.largest],
        parameters=layerdiff.parameters(compiled, first.layer),
    )


@contextlib.contextmanager
def harness_binary(compiled: CompiledModel, runtime_dir: Path, harness: Path | None) -> Iterator[Path]:
    """`harness` (a prebuilt harness of this model), else one built with rustc for the
    duration of the block."""
    if harness is not None:
        yield harness
        return
    with tempfile.TemporaryDirectory(prefix="tinymlc-harness-") as work:
        lib_rs = Path(work) / "lib.rs"
        lib_rs.write_text(generate_crate(compiled, "model").lib_rs)
        yield hostbuild.build_harness(lib_rs, runtime_dir, Path(work))


def check(
    model_path: Path,
    inputs: int,
    seed: int,
    runtime_dir: Path,
    harness: Path | None = None,
    measure_tflm_arena: bool = True,
    target: Target = ONE_CORE,
    max_ulp_allowed: int = 0,
) -> CheckResult:
    """Runs the compiled model and TFLM on the same random inputs and compares them.

    `harness`: an already built harness binary of this model (as Bazel builds it, from the
    generated crate and templates/harness.rs); without it, the harness is built with rustc
    for `target`'s cores. Either way the multi-core entry must give the same bytes as one
    core on 1 to 4 host threads (a `BuildError` otherwise). Float32 outputs are
    expected bit-exact too; `max_ulp_allowed` lets them differ by that many ULPs.
    """
    model = load_model(model_path)
    model_bytes = model_path.read_bytes()
    compiled = compile_model(model, target)
    samples = random_inputs(compiled, inputs, seed)
    with harness_binary(compiled, runtime_dir, harness) as binary:
        results = hostbuild.run_harness(binary, samples)
        multicore = hostbuild.run_multicore(binary, min(inputs, MULTICORE_SAMPLES), MULTICORE_REPEATS, seed)
    graph = compiled.graph
    mismatches = 0
    failed = False
    float_outputs = [i for i, t in enumerate(graph.outputs) if graph.tensors[t].dtype is DType.FLOAT32]
    max_ulp: int | None = 0 if float_outputs else None
    divergence: Divergence | None = None
    references = tflm_reference.outputs_of_each(model_bytes, samples, len(graph.outputs))
    # Both run the samples in sequence, TFLM on one interpreter and ours on one arena,
    # so a model's state evolves alike and is compared after every inference.
    aborted = 0
    for index, (sample, ours, reference) in enumerate(zip(samples, results, references, strict=True)):
        if reference is None or ours.aborted_at is not None:
            # An inference that ended early has no outputs: only that both ended it counts.
            both = reference is None and ours.aborted_at is not None and ours.error is None
            aborted += int(both)
            mismatches += int(not both)
            failed = failed or not both
            continue
        expected = [_to_bytes(graph.tensors[t], r) for t, r in zip(graph.outputs, reference, strict=True)]
        if ours.error is None and ours.outputs == expected:
            continue
        mismatches += 1
        failed = failed or ours.error is not None
        for position, (actual, wanted) in enumerate(zip(ours.outputs, expected, strict=True)):
            if position in float_outputs:
                ulps = float_ulps(np.frombuffer(actual, "<f4"), np.frombuffer(wanted, "<f4"))
                max_ulp = max(max_ulp or 0, ulps)
                failed = failed or ulps > max_ulp_allowed
            else:
                failed = failed or actual != wanted
        if mismatches == 1:
            divergence = first_divergence(compiled, model_bytes, sample, ours, samples[:index])
    return CheckResult(
        bit_exact=mismatches == 0,
        inputs=inputs,
        mismatches=mismatches,
        passed=not failed,
        max_ulp=max_ulp,
        max_ulp_allowed=max_ulp_allowed,
        arena_bytes=compiled.plan.arena_bytes,
        tflm_arena_bytes=(
            tflm_reference.smallest_arena(model_path, compiled.plan.tflm_greedy_bytes)
            if measure_tflm_arena
            else None
        ),
        first_divergence=divergence,
        multicore=multicore,
        aborted=aborted,
    )
