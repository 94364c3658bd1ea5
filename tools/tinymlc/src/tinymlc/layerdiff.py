"""Every layer's output, ours against TFLM's, for one inference: what `tinymlc check` reports
on a mismatch and what `tinymlc dump` writes.

Ours come from the generated crate's `*_with_hook` entry through the host harness (the bytes
of each layer's output right after the layer); TFLM's from its interpreter with every
intermediate tensor preserved (`kPreserveAllTensors`). Tensor ids are the parsed model's, so
the two are matched by id.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinymlc import hostbuild, tflm_reference
from tinymlc.codegen import CompiledModel
from tinymlc.ir import OpKind, Tensor

# How many of the largest differences a comparison lists.
LARGEST_DIFFERENCES = 5
# Arrays in a layer's parameters are shown up to this many elements.
PARAMETER_ELEMENTS = 8


@dataclass(frozen=True)
class ElementDifference:
    index: tuple[int, ...]
    """Index in the tensor's shape."""
    ours: float | int
    tflm: float | int


@dataclass(frozen=True)
class LayerComparison:
    layer: int
    op: str
    tensor: str
    tensor_id: int
    shape: tuple[int, ...]
    differing: int
    """Elements whose bytes differ (all of them when our layer wrote nothing)."""
    largest: tuple[ElementDifference, ...]
    """The largest differences, largest first."""

    @property
    def equal(self) -> bool:
        return self.differing == 0


@dataclass(frozen=True)
class Inference:
    """One inference of both: every layer's output as arrays of the tensor's shape."""

    comparisons: tuple[LayerComparison, ...]
    ours: dict[int, np.ndarray]
    tflm: dict[int, np.ndarray]

    @property
    def first_difference(self) -> LayerComparison | None:
        return next((c for c in self.comparisons if not c.equal), None)


def _values(tensor: Tensor, data: bytes) -> np.ndarray:
    dtype = tensor.dtype.numpy_dtype
    assert dtype is not None
    flat = np.frombuffer(data[: len(data) - len(data) % np.dtype(dtype).itemsize], dtype=dtype)
    shape = tuple(tensor.shape)
    return flat.reshape(shape) if flat.size == int(np.prod(shape)) else flat


def _largest(ours: np.ndarray, tflm: np.ndarray) -> tuple[int, tuple[ElementDifference, ...]]:
    if ours.shape != tflm.shape:
        return tflm.size, ()
    differs = ours.tobytes() != tflm.tobytes()
    if not differs:
        return 0, ()
    mismatched = ours.view(np.uint8).reshape(*ours.shape, -1) != tflm.view(np.uint8).reshape(*tflm.shape, -1)
    where = np.any(mismatched, axis=-1)
    gap = np.abs(ours.astype(np.float64) - tflm.astype(np.float64))
    gap = np.where(where, np.nan_to_num(gap, nan=np.inf), -1.0)
    order = np.argsort(-gap, axis=None, kind="stable")[: min(LARGEST_DIFFERENCES, int(where.sum()))]
    largest = []
    for flat in order:
        index = tuple(int(i) for i in np.unravel_index(int(flat), tflm.shape))
        largest.append(ElementDifference(index, ours[index].item(), tflm[index].item()))
    return int(where.sum()), tuple(largest)


def compare(
    compiled: CompiledModel,
    model_bytes: bytes,
    sample: list[np.ndarray],
    ours: hostbuild.SampleResult,
    earlier: list[list[np.ndarray]] | None = None,
) -> Inference:
    """Every layer (schedule order) of one inference, ours against TFLM's tensor.

    `earlier`: the samples run before `sample` on the same arena (a model with state
    depends on them); TFLM runs them first on the same interpreter."""
    graph = compiled.graph
    produced = tuple(op.outputs[0] for op in graph.operators)
    # An ASSIGN_VARIABLE writes a resource variable, which is no tensor of TFLM's; nor is a
    # tensor the compiler added (a multi-output IF's or WHILE's packed outputs).
    parsed = len(compiled.model.main.tensors)
    compared = tuple(
        t
        for op, t in zip(graph.operators, produced, strict=True)
        if op.kind is not OpKind.ASSIGN_VARIABLE and t < parsed
    )
    _, reference = tflm_reference.run(model_bytes, sample, len(graph.outputs), compared, earlier or [])
    comparisons = []
    our_arrays: dict[int, np.ndarray] = {}
    tflm_arrays: dict[int, np.ndarray] = {}
    for index, (op, tensor_id) in enumerate(zip(graph.operators, produced, strict=True)):
        if tensor_id not in reference:
            continue
        tensor = graph.tensors[tensor_id]
        dtype = tensor.dtype.numpy_dtype
        assert dtype is not None
        expected = np.ascontiguousarray(reference[tensor_id], dtype=dtype).reshape(tuple(tensor.shape))
        written = ours.layers.get(index)
        actual = _values(tensor, written) if written is not None else np.zeros(0, dtype)
        differing, largest = _largest(actual, expected)
        comparisons.append(
            LayerComparison(
                index, op.opcode_name, tensor.name, tensor_id, tuple(tensor.shape), differing, largest
            )
        )
        our_arrays[index] = actual
        tflm_arrays[index] = expected
    return Inference(tuple(comparisons), our_arrays, tflm_arrays)


def _short(value: Any) -> Any:
    if isinstance(value, (tuple, list)) and len(value) > PARAMETER_ELEMENTS:
        return [_short(v) for v in value[:PARAMETER_ELEMENTS]] + [f"... ({len(value)} in all)"]
    if isinstance(value, (tuple, list)):
        return [_short(v) for v in value]
    if isinstance(value, np.ndarray):
        return _short(value.tolist())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _short(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "name") and hasattr(value, "value"):  # an enum
        return str(value.name)
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)


def parameters(compiled: CompiledModel, layer: int) -> dict[str, Any]:
    """A layer's prepared (TFLM-exact) parameters, arrays cut short, as JSON-ready values."""
    described = _short(compiled.params[layer])
    return described if isinstance(described, dict) else {"value": described}


def summary(compiled: CompiledModel, inference: Inference) -> str:
    lines = []
    for c in inference.comparisons:
        state = "equal" if c.equal else f"{c.differing} of {int(np.prod(c.shape))} elements differ"
        lines.append(f"layer {c.layer:>3} {c.op:<22} {list(c.shape)}: {state}")
    first = inference.first_difference
    if first is None:
        lines.append("every layer is bit-exact with TFLM")
    else:
        lines.append(f"first difference: layer {first.layer} ({first.op}), tensor {first.tensor!r}")
        lines.append(f"  parameters: {json.dumps(parameters(compiled, first.layer))}")
        for d in first.largest:
            lines.append(f"  at {list(d.index)}: ours {d.ours}, TFLM {d.tflm}")
    return "\n".join(lines) + "\n"


def write_dump(compiled: CompiledModel, inference: Inference, inputs: list[np.ndarray], out: Path) -> str:
    """`out/ours/`, `out/tflm/`: one `layer_<i>_<op>.npy` per layer; `out/inputs/`;
    `out/summary.json` and `out/summary.txt`. Returns the text summary."""
    for side, arrays in (("ours", inference.ours), ("tflm", inference.tflm)):
        (out / side).mkdir(parents=True, exist_ok=True)
        for c in inference.comparisons:
            np.save(out / side / f"layer_{c.layer:03d}_{c.op.lower()}.npy", arrays[c.layer])
    (out / "inputs").mkdir(parents=True, exist_ok=True)
    for index, value in enumerate(inputs):
        np.save(out / "inputs" / f"input_{index}.npy", value)
    first = inference.first_difference
    record = {
        "first_difference": None if first is None else first.layer,
        "layers": [
            {
                **dataclasses.asdict(c),
                "file": f"layer_{c.layer:03d}_{c.op.lower()}.npy",
                "parameters": parameters(compiled, c.layer),
            }
            for c in inference.comparisons
        ],
    }
    (out / "summary.json").write_text(json.dumps(record, indent=2) + "\n")
    text = summary(compiled, inference)
    (out / "summary.txt").write_text(text)
    return text
