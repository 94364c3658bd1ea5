"""Model validation: report every problem at once, each with a fix.

Per-operator checks live in the operator modules (`tinymlc.ops.*.prepare`)
so the validator and the compiler can never disagree about what an operator
accepts; this module adds the graph-level checks and collects everything.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace

from tinymlc.errors import CompileError, OpError
from tinymlc.ir import NO_TENSOR, DType, Graph, Model, OpKind, Tensor
from tinymlc.ops import SUPPORTED_KINDS, prepare_operator
from tinymlc.ops.control_flow import check_call
from tinymlc.passes.control_flow import CONTROL_FLOW_KINDS, called_in_order

# Fixed output quantization the int8 sigmoid-like kernels produce regardless of
# what the output tensor claims.
# int8 only: the int16 kernels' output scale (2^-15) is required by their Prepare.
_FIXED_OUTPUT_QUANTIZATION = {
    OpKind.LOGISTIC: (1.0 / 256, -128),
    OpKind.TANH: (1.0 / 128, 0),
}

_REPLACEMENTS = {
    "RELU_N1_TO_1": "use a clamp via MINIMUM/MAXIMUM or fuse it into the producer",
    "DIV": "multiply by a constant reciprocal (MUL)",
}


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    reason: str
    suggestion: str = ""
    op_index: int | None = None
    op_name: str | None = None
    tensor_name: str | None = None
    subgraph: int = 0

    def __str__(self) -> str:
        where = []
        if self.op_index is not None:
            where.append(f"operator {self.op_index} ({self.op_name})")
        if self.tensor_name is not None:
            where.append(f"tensor {self.tensor_name!r}")
        if self.subgraph:
            where.insert(0, f"subgraph {self.subgraph}")
        location = ", ".join(where) or "model"
        text = f"{self.severity.value}: {location}: {self.reason}"
        return f"{text}\n    fix: {self.suggestion}" if self.suggestion else text


def validate(model: Model) -> list[Diagnostic]:
    """All problems that stop (errors) or endanger (warnings) compilation."""
    diagnostics: list[Diagnostic] = []
    try:
        called = called_in_order(model, model.main)
    except CompileError as exc:
        return [Diagnostic(Severity.ERROR, exc.message, "re-export the model")]
    except OpError as exc:  # an IF or WHILE without its subgraph options
        return [Diagnostic(Severity.ERROR, exc.reason, exc.suggestion or "re-export the model")]
    if len(model.subgraphs) > 1 + len(called):
        diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                f"model has {len(model.subgraphs)} subgraphs, {len(called)} of them run by IF or "
                "WHILE; only one signature is supported",
                "export a single inference function",
            )
        )
    graph = model.main
    for op in graph.operators:
        accelerator = _ACCELERATOR_CUSTOM_OPS.get(op.opcode_name)
        if accelerator is not None:
            # Nothing else about such a graph is meaningful to report.
            return [Diagnostic(Severity.ERROR, *accelerator)]
    for index in (0, *called):
        diagnostics += [replace(d, subgraph=index) for d in _check_graph(model, model.subgraphs[index])]
    return diagnostics


def _check_graph(model: Model, graph: Graph) -> list[Diagnostic]:
    diagnostics = _check_tensors(graph) + _check_schedule(graph)
    for index, op in enumerate(graph.operators):
        diagnostics += _check_operator(graph, index)
        if op.kind in CONTROL_FLOW_KINDS and not diagnostics:
            try:
                check_call(model.subgraphs, graph, op)
            except OpError as exc:
                diagnostics.append(_op_error(exc, index, op.opcode_name))
    return diagnostics


def check_model(model: Model) -> list[Diagnostic]:
    """Raise one `CompileError` listing every error; return the warnings."""
    diagnostics = validate(model)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        listing = "\n".join(str(d) for d in errors)
        raise CompileError(f"{len(errors)} problem(s) prevent compilation:\n{listing}", model.source)
    return [d for d in diagnostics if d.severity is Severity.WARNING]


# Operators whose TFLM kernel copies, compares or clamps raw input values without
# rescaling, and how many leading inputs carry those values.
_RAW_VALUE_KINDS: dict[OpKind, int] = {
    OpKind.RELU6: 1,
    OpKind.MAXIMUM: 2,
    OpKind.MINIMUM: 2,
    OpKind.STRIDED_SLICE: 1,
    OpKind.TRANSPOSE: 1,
    OpKind.RESHAPE: 1,
    OpKind.SQUEEZE: 1,
    OpKind.SLICE: 1,
    OpKind.EXPAND_DIMS: 1,
    OpKind.DEPTH_TO_SPACE: 1,
    OpKind.SPACE_TO_DEPTH: 1,
    OpKind.SPACE_TO_BATCH_ND: 1,
    OpKind.BATCH_TO_SPACE_ND: 1,
    OpKind.MIRROR_PAD: 1,
    OpKind.RESIZE_NEAREST_NEIGHBOR: 1,
    OpKind.BROADCAST_TO: 1,
    OpKind.REVERSE_V2: 1,
    OpKind.GATHER: 1,
    OpKind.GATHER_ND: 1,
    OpKind.RESIZE_BILINEAR: 1,
}

# Custom operators whose presence means the model was compiled for an accelerator:
# the graph around them is only the accelerator's command stream.
_ACCELERATOR_CUSTOM_OPS = {
    "CUSTOM:ethos-u": (
        "compiled for an Arm Ethos-U NPU; give the model as it was before Vela",
        "compile the .tflite file that was the input of the Vela compiler",
    ),
}


def _error(reason: str, suggestion: str, tensor: Tensor | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, reason, suggestion, tensor_name=tensor.name if tensor else None)


def _intermediates_only(graph: Graph) -> set[int]:
    """Tensors operators list only as `intermediates` (an LSTM's per-gate scales, empty
    in converted models): TFLM allocates no data for them and no kernel reads them."""
    used = {t for op in graph.operators for t in op.inputs + op.outputs} | set(graph.inputs + graph.outputs)
    return {t for op in graph.operators for t in op.intermediates} - used


def _unusable_scale(tensor: Tensor) -> bool:
    quant = tensor.quantization
    return quant is not None and any(not (math.isfinite(s) and s > 0) for s in quant.scales)


def _unknown_shape(tensor: Tensor) -> bool:
    return bool(tensor.shape) and any(d <= 0 for d in tensor.shape)


def _reported_unusable(tensor: Tensor) -> bool:
    return _unknown_shape(tensor) or _unusable_scale(tensor)


def _check_tensors(graph: Graph) -> list[Diagnostic]:
    found = []
    unread = _intermediates_only(graph)
    for tensor_id, tensor in enumerate(graph.tensors):
        if tensor_id in unread:
            continue
        if _unknown_shape(tensor):
            found.append(
                _error(
                    f"unknown shape {list(tensor.shape)}",
                    "export with fixed input shapes (e.g. batch size 1)",
                    tensor,
                )
            )
        elif tensor.has_dynamic_shape:
            # TFLM allocates the stored shape and never resizes: the model runs at that size.
            found.append(
                Diagnostic(
                    Severity.WARNING,
                    f"dynamic shape signature {list(tensor.shape_signature or ())} runs at its "
                    f"stored shape {list(tensor.shape)}, as in TFLite Micro",
                    "export with fixed shapes to make this explicit",
                    tensor_name=tensor.name,
                )
            )
        quant = tensor.quantization
        if quant is None:
            continue
        if _unusable_scale(tensor):
            found.append(_error("quantization scale is zero, negative or not finite", "re-quantize", tensor))
        if tensor.dtype is DType.INT8 and any(not -128 <= z <= 127 for z in quant.zero_points):
            found.append(_error("int8 zero point outside [-128, 127]", "re-quantize", tensor))
        # quantized_dimension is not checked here: TFLM reads it only where a kernel
        # uses per-channel scales (the convolution filters, checked by their operator
        # modules), and published models carry any value on biases (TFLM's own
        # person_detect has quantized_dimension 3 on rank-1 biases).
        if quant.is_per_channel and not tensor.is_constant:
            found.append(
                Diagnostic(
                    Severity.WARNING,
                    f"activation has {len(quant.scales)} scales; as TFLM, kernels use the first",
                    "quantize activations per-tensor",
                    tensor_name=tensor.name,
                )
            )
    return found


def _check_schedule(graph: Graph) -> list[Diagnostic]:
    """Operators must be topologically ordered and every read tensor defined."""
    found = []
    # Variable tensors hold state from the previous inference (or their reset value).
    available = set(graph.inputs) | {i for i, t in enumerate(graph.tensors) if t.is_constant or t.is_variable}
    for index, op in enumerate(graph.operators):
        for t in op.inputs:
            if t != NO_TENSOR and t not in available:
                found.append(
                    Diagnostic(
                        Severity.ERROR,
                        "reads a tensor that no earlier operator writes",
                        "operators must be in topological order; re-export the model",
                        index,
                        op.opcode_name,
                        graph.tensors[t].name,
                    )
                )
        available.update(op.outputs)
    for t in graph.outputs:
        if t not in available:
            found.append(_error("graph output is never written", "re-export the model", graph.tensors[t]))
    return found


def _unpreparable(graph: Graph, index: int) -> list[Diagnostic] | None:
    """What keeps operator `index` from its prepare step (None: nothing): an output that is
    a constant, or a tensor `_check_tensors` reports: an unknown (zero or negative) dimension
    or an unusable scale, which prepare would divide by."""
    op = graph.operators[index]
    constant_outputs = [graph.tensors[t] for t in op.outputs if t >= 0 and graph.tensors[t].is_constant]
    if constant_outputs:
        return [
            Diagnostic(
                Severity.ERROR,
                f"writes tensor {constant_outputs[0].name!r}, which holds constant data (a buffer)",
                "re-export the model: an operator's output cannot be a constant",
                index,
                op.opcode_name,
                constant_outputs[0].name,
            )
        ]
    if any(_reported_unusable(graph.tensors[t]) for t in (*op.inputs, *op.outputs) if t >= 0):
        return []
    return None


def _op_error(exc: OpError, index: int, op_name: str) -> Diagnostic:
    return Diagnostic(Severity.ERROR, exc.reason, exc.suggestion, index, op_name, exc.tensor_name)


def _prepare_problems(graph: Graph, index: int) -> list[Diagnostic]:
    """Operator `index`'s prepare step, its failures as diagnostics."""
    op = graph.operators[index]
    try:
        prepare_operator(graph, index)
    except OpError as exc:
        return [_op_error(exc, index, op.opcode_name)]
    except ArithmeticError as exc:
        # Parameters no prepare check anticipated (a zero or overflowing value TFLM would
        # also fail on): still the operator and the reason, never a traceback.
        return [
            Diagnostic(
                Severity.ERROR,
                f"its parameters cannot be prepared ({type(exc).__name__}: {exc})",
                "check the operator's shapes, options and quantization; re-export the model",
                index,
                op.opcode_name,
            )
        ]
    return []


def _check_operator(graph: Graph, index: int) -> list[Diagnostic]:
    op = graph.operators[index]
    if op.kind not in SUPPORTED_KINDS:
        if op.opcode_name.startswith("CUSTOM:"):
            suggestion = (
                "of custom operators only TFLM's signal library, TFLite_Detection_PostProcess, "
                "TFLM_DECODE and CIRCULAR_BUFFER compile; replace it with builtin operators"
            )
        else:
            suggestion = _REPLACEMENTS.get(op.opcode_name, "replace it with supported operators or remove it")
        return [
            Diagnostic(
                Severity.ERROR,
                f"unsupported operator {op.opcode_name}",
                suggestion,
                index,
                op.opcode_name,
            )
        ]
    blocked = _unpreparable(graph, index)
    if blocked is not None:
        return blocked
    problems = _prepare_problems(graph, index)
    if problems:
        return problems
    output = graph.tensors[op.outputs[0]]
    if op.kind in _RAW_VALUE_KINDS:
        sources = [graph.tensors[t] for t in op.inputs[: _RAW_VALUE_KINDS[op.kind]] if t != NO_TENSOR]
        differing = [t for t in sources if _per_tensor_view(t) != _per_tensor_view(output)]
        if differing:
            source = differing[0]
            return [
                Diagnostic(
                    Severity.WARNING,
                    f"output quantization differs from input {source.name!r}; TFLM's "
                    f"{op.opcode_name} passes raw input values through, and so does the compiled "
                    "model, so results differ from full TensorFlow Lite",
                    "let the converter give the output the input's quantization",
                    index,
                    op.opcode_name,
                    output.name,
                )
            ]
    fixed = _FIXED_OUTPUT_QUANTIZATION.get(op.kind)
    if fixed is not None and output.dtype is DType.INT8 and output.quantization is not None:
        actual = (output.quantization.scale, output.quantization.zero_point)
        if actual != fixed:
            return [
                Diagnostic(
                    Severity.WARNING,
                    f"output quantization {actual} differs from the {fixed} TFLM's kernel "
                    "produces; results follow TFLM and ignore the declared quantization",
                    "let the converter choose this operator's output quantization",
                    index,
                    op.opcode_name,
                    output.name,
                )
            ]
    return []


def _per_tensor_view(tensor: Tensor) -> tuple[float, int] | None:
    """TFLM's `params` (first scale and zero point), which its kernels read."""
    quant = tensor.quantization
    return None if quant is None else (quant.scale, quant.zero_point)
