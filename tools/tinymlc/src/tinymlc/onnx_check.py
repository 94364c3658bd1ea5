"""`tinymlc check` on `.onnx` models: the generated Rust against onnxruntime.

The reference is onnxruntime with every graph optimization disabled (ORT_DISABLE_ALL):
it then runs the ONNX definition of each quantized operator (dequantize, float
operator, quantize with round half to even). Our kernels requantize in TFLite's
fixed point, so outputs may differ by a least significant bit; the check passes
when no output element differs by more than `MAX_LSB_DIFF` and every sample's
argmax (of the first output) agrees. With `onnx_exact` (the model compiled with
`--onnx_exact`) it passes only when every element is bit-exact. See
tools/tinymlc/README.md, "ONNX exactness".
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinymlc import hostbuild
from tinymlc.check import MULTICORE_REPEATS, MULTICORE_SAMPLES, random_inputs
from tinymlc.codegen import ONE_CORE, CompiledModel, Target, compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend.onnx import Lowered, load_onnx
from tinymlc.frontend.onnx.builder import UINT8_SHIFT
from tinymlc.ir import DType, OpKind

MAX_LSB_DIFF = 1


@dataclass(frozen=True)
class OnnxCheckResult:
    passed: bool
    """At most MAX_LSB_DIFF on every element and the same argmax on every sample
    (`onnx_exact`: every element bit-exact)."""
    bit_exact: bool
    inputs: int
    max_abs_diff: int
    """Largest difference of any output element, in units of its quantization step."""
    fraction_differing: float
    """Output elements (over every sample) that differ at all."""
    argmax_agreement: float
    """Samples whose first output has the same argmax as onnxruntime's."""
    arena_bytes: int
    multicore: str
    reference: str = "onnxruntime (ORT_DISABLE_ALL)"
    onnx_exact: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _session(model_path: Path) -> Any:
    try:
        import onnxruntime  # type: ignore[import-untyped]  # noqa: PLC0415 -- optional dependency
    except ImportError as exc:
        raise CompileError("`check` on ONNX models needs the onnxruntime Python package") from exc
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    # One thread: MLAS blocks a float convolution's sums by how it splits the output among
    # threads, and `--onnx_exact` reproduces the single-threaded order (`mlas_order.py`).
    options.intra_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise CompileError(f"onnxruntime rejects the model: {exc}", str(model_path)) from exc


def to_model_layout(lowered: Lowered, tensor_id: int, value: np.ndarray) -> np.ndarray:
    """A graph input's or output's value at the generated API (IR axis order, e.g. NHWC)
    in the ONNX model's axis order (e.g. NCHW)."""
    return value.transpose(np.argsort(lowered.layouts[tensor_id]))


def from_model_layout(lowered: Lowered, tensor_id: int, value: np.ndarray) -> np.ndarray:
    """The inverse of `to_model_layout`."""
    return np.ascontiguousarray(value.transpose(lowered.layouts[tensor_id]))


def caller_values(lowered: Lowered, tensor_id: int, value: np.ndarray) -> np.ndarray:
    """An arena (int8) value of a graph input as the caller passes it: uint8 inputs
    have their zero point 128 higher, i.e. the sign bit flipped."""
    if tensor_id in lowered.uint8:
        return (value.astype(np.int16) + UINT8_SHIFT).astype(np.uint8)
    return value


def _output_step(compiled: CompiledModel, tensor_id: int) -> float:
    """One quantization step of a graph output (a float output: of the int8 tensor it
    is dequantized from)."""
    graph = compiled.model.main
    tensor = graph.tensors[tensor_id]
    if tensor.dtype is not DType.FLOAT32:
        return 1.0
    for op in graph.operators:
        if op.kind is OpKind.DEQUANTIZE and op.outputs[0] == tensor_id:
            quantization = graph.tensors[op.inputs[0]].quantization
            if quantization is not None:
                return quantization.scale
    return 1.0


def caller_output(compiled: CompiledModel, tensor_id: int, data: bytes) -> np.ndarray:
    """A graph output's bytes from the harness, in the caller's type and the IR shape."""
    tensor = compiled.graph.tensors[tensor_id]
    dtype = compiled.model.caller_dtype(tensor_id).numpy_dtype
    assert dtype is not None
    return np.frombuffer(data, dtype=dtype).reshape(tensor.shape)


def check_onnx(
    model_path: Path,
    inputs: int,
    seed: int,
    runtime_dir: Path,
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    target: Target = ONE_CORE,
    harness: Path | None = None,
    onnx_exact: bool = False,
) -> OnnxCheckResult:
    """`harness`: an already built harness binary of this model (as Bazel builds it);
    without it, one is built with rustc for `target`. `onnx_exact`: compile with
    `--onnx_exact` and demand bit-exactness."""
    lowered = load_onnx(model_path, input_shapes, onnx_exact)
    compiled = compile_model(lowered.model, target)
    graph = compiled.graph
    samples = [
        [caller_values(lowered, t, value) for t, value in zip(graph.inputs, sample, strict=True)]
        for sample in random_inputs(compiled, inputs, seed)
    ]
    session = _session(model_path)
    input_names = [i.name for i in session.get_inputs()]
    with tempfile.TemporaryDirectory(prefix="tinymlc-check-") as work:
        binary = harness
        if binary is None:
            lib_rs = Path(work) / "lib.rs"
            lib_rs.write_text(generate_crate(compiled, "model").lib_rs)
            binary = hostbuild.build_harness(lib_rs, runtime_dir, Path(work))
        results = hostbuild.run_harness(binary, samples)
        multicore = hostbuild.run_multicore(binary, min(inputs, MULTICORE_SAMPLES), MULTICORE_REPEATS, seed)
    worst, differing, total, agreeing = 0, 0, 0, 0
    for sample, ours in zip(samples, results, strict=True):
        if ours.error is not None:
            raise CompileError(f"the generated model failed: {ours.error}", str(model_path))
        feed = {
            name: to_model_layout(lowered, t, value)
            for name, t, value in zip(input_names, graph.inputs, sample, strict=True)
        }
        try:
            reference = session.run(None, feed)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise CompileError(f"onnxruntime cannot run the model: {exc}", str(model_path)) from exc
        for index, (tensor_id, expected) in enumerate(zip(graph.outputs, reference, strict=True)):
            actual = to_model_layout(
                lowered, tensor_id, caller_output(compiled, tensor_id, ours.outputs[index])
            )
            step = _output_step(compiled, tensor_id)
            diff = np.abs(actual.astype(np.float64) - np.asarray(expected).astype(np.float64)) / step
            lsb = np.rint(diff).astype(np.int64)
            worst = max(worst, int(lsb.max(initial=0)))
            differing += int(np.count_nonzero(lsb))
            total += lsb.size
            if index == 0:
                agreeing += int(np.argmax(actual) == np.argmax(expected))
    agreement = agreeing / len(samples)
    return OnnxCheckResult(
        passed=worst == 0 if onnx_exact else worst <= MAX_LSB_DIFF and agreeing == len(samples),
        bit_exact=worst == 0,
        inputs=inputs,
        max_abs_diff=worst,
        fraction_differing=differing / total if total else 0.0,
        argmax_agreement=agreement,
        arena_bytes=compiled.plan.arena_bytes,
        multicore=multicore,
        onnx_exact=onnx_exact,
    )
