#!/usr/bin/env python3
"""Reads .tflite flatbuffers and checks them against the zoo's expectations.

Usage:
  python models/inspect_models.py                  # print ops/options of every models/*.tflite
  python models/inspect_models.py models/op_relu.tflite
  python models/inspect_models.py --check          # verify every model against manifest.json

The flatbuffer is read with the schema bindings that ship inside TensorFlow
(`tensorflow.lite.python.schema_py_generated`), so no extra package is needed
and operator options come back as typed objects rather than raw bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from tensorflow.lite.python import schema_py_generated as schema

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = MODELS_DIR / "manifest.json"

# The operators rules_tinyml compiles. Every model except the deliberate
# error-path models must stay inside this set.
SUPPORTED_OPS: frozenset[str] = frozenset({
    # float32 only (models/build_float.py)
    "EXP", "LOG", "SIN", "COS", "SQRT", "NEG", "SQUARE", "FLOOR", "CEIL", "ROUND", "FLOOR_DIV", "FLOOR_MOD",
    "LOG_SOFTMAX", "L2_POOL_2D", "ELU",
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D",
    "MAX_POOL_2D", "SOFTMAX", "ADD", "SUB", "MUL", "RESHAPE", "SQUEEZE",
    "QUANTIZE", "DEQUANTIZE", "LOGISTIC", "TANH", "RELU", "RELU6",
    "LEAKY_RELU", "HARD_SWISH", "PAD", "CONCATENATION", "MEAN",
    "STRIDED_SLICE", "TRANSPOSE", "BATCH_MATMUL", "MAXIMUM", "MINIMUM",
    "GELU", "RSQRT", "SQUARED_DIFFERENCE", "SVDF", "TRANSPOSE_CONV", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE",
    "IF", "WHILE",
    "GELU", "RSQRT", "SQUARED_DIFFERENCE",
    "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "SELECT_V2", "ABS", "CAST", "PRELU", "L2_NORMALIZATION", "DIV",
    "SLICE", "EXPAND_DIMS", "SPLIT", "SPLIT_V", "UNPACK", "DEPTH_TO_SPACE", "SPACE_TO_BATCH_ND",
    "BATCH_TO_SPACE_ND", "MIRROR_PAD", "RESIZE_NEAREST_NEIGHBOR", "BROADCAST_TO", "GATHER", "PACK",
    "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN", "SUM", "SPACE_TO_DEPTH", "RESIZE_BILINEAR", "GATHER_ND",
    "REVERSE_V2", "LOG_SOFTMAX",
    "ADD_N", "CUMSUM",
    "CUSTOM(SignalWindow)", "CUSTOM(SignalEnergy)", "CUSTOM(SignalFilterBankLog)",
    "CUSTOM(SignalFilterBank)", "CUSTOM(SignalFilterBankSquareRoot)", "CUSTOM(SignalPCAN)",
    "CUSTOM(SignalRfft)", "CUSTOM(SignalFftAutoScale)", "CUSTOM(SignalFilterBankSpectralSubtraction)",
    "CUSTOM(SignalDelay)", "CUSTOM(SignalOverlapAdd)", "CUSTOM(SignalIrfft)",
    "CUSTOM(SignalFramer)", "CUSTOM(SignalStacker)",
    "CUSTOM(TFLite_Detection_PostProcess)", "CUSTOM(TFLM_DECODE)",
    "CUSTOM(CIRCULAR_BUFFER)", "ZEROS_LIKE",
})


def _enum_names(enum_class: type) -> dict[int, str]:
    return {value: name for name, value in vars(enum_class).items()
            if not name.startswith("_") and isinstance(value, int)}


_OP_NAMES = _enum_names(schema.BuiltinOperator)
_TENSOR_TYPE_NAMES = _enum_names(schema.TensorType)
_PADDING_NAMES = _enum_names(schema.Padding)
_ACTIVATION_NAMES = _enum_names(schema.ActivationFunctionType)

# Option fields stored as enums; shown (and matched) by name so that
# expectations read like "padding=SAME" instead of "padding=0".
_ENUM_OPTION_FIELDS: dict[str, dict[int, str]] = {
    "padding": _PADDING_NAMES,
    "fusedActivationFunction": _ACTIVATION_NAMES,
}


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]

    def describe(self) -> str:
        quant = ""
        if self.scales:
            if len(self.scales) == 1:
                quant = f" q(s={self.scales[0]:.6g}, zp={self.zero_points[0]})"
            else:
                quant = f" q(per-channel x{len(self.scales)})"
        return f"{self.dtype}{list(self.shape)}{quant}"


@dataclasses.dataclass(frozen=True)
class OperatorInfo:
    name: str
    options: dict[str, Any]
    inputs: tuple[TensorInfo | None, ...]  # None marks an omitted optional input (e.g. no bias)
    outputs: tuple[TensorInfo, ...]


@dataclasses.dataclass(frozen=True)
class ModelSummary:
    operators: tuple[OperatorInfo, ...]
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    num_subgraphs: int

    @property
    def op_names(self) -> list[str]:
        return [op.name for op in self.operators]


def load_model_object(model_bytes: bytes) -> schema.ModelT:
    return schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model_bytes, 0))


def _tensor_info(tensor: schema.TensorT) -> TensorInfo:
    quant = tensor.quantization
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    if quant is not None and quant.scale is not None and len(quant.scale) > 0:
        scales = tuple(float(s) for s in quant.scale)
        zero_points = tuple(int(z) for z in quant.zeroPoint)
    name = tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
    shape = tuple(int(d) for d in tensor.shape) if tensor.shape is not None else ()
    return TensorInfo(name, _TENSOR_TYPE_NAMES[tensor.type], shape, scales, zero_points)


def _normalize_options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    normalized: dict[str, Any] = {}
    for key, value in sorted(vars(options).items()):
        if key in _ENUM_OPTION_FIELDS:
            value = _ENUM_OPTION_FIELDS[key].get(value, value)
        elif hasattr(value, "tolist"):  # numpy arrays, e.g. squeezeDims
            value = value.tolist()
        elif isinstance(value, float):
            value = round(value, 6)
        normalized[key] = value
    return normalized


def summarize(model_bytes: bytes) -> ModelSummary:
    model = load_model_object(model_bytes)
    graph = model.subgraphs[0]
    tensors = [_tensor_info(t) for t in graph.tensors]
    operators = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        # Codes >= 127 only fit in builtinCode; the deprecated int8 field saturates.
        op_name = _OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)]
        if op_name == "CUSTOM":
            op_name = f"CUSTOM({code.customCode.decode()})"
        operators.append(OperatorInfo(
            name=op_name,
            options=_normalize_options(op.builtinOptions),
            inputs=tuple(tensors[i] if i >= 0 else None for i in op.inputs),
            outputs=tuple(tensors[i] for i in op.outputs),
        ))
    return ModelSummary(
        operators=tuple(operators),
        inputs=tuple(tensors[i] for i in graph.inputs),
        outputs=tuple(tensors[i] for i in graph.outputs),
        num_subgraphs=len(model.subgraphs),
    )


@dataclasses.dataclass(frozen=True)
class OpExpectation:
    """An operator that must appear at least once with (a superset of) these options."""
    op: str
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    has_bias: bool | None = None  # CONV/DEPTHWISE/FC: third input (TRANSPOSE_CONV: fourth) present or omitted
    per_channel: bool | None = None  # weights (input 1) quantized per output channel
    input_dtype: str | None = None  # dtype of input 0, e.g. QUANTIZE FLOAT32 vs INT8 (requantize)

    def matches(self, operator: OperatorInfo) -> bool:
        if operator.name != self.op:
            return False
        if any(operator.options.get(k) != v for k, v in self.options.items()):
            return False
        if self.has_bias is not None:
            bias_index = 3 if operator.name == "TRANSPOSE_CONV" else 2
            bias_present = len(operator.inputs) > bias_index and operator.inputs[bias_index] is not None
            if bias_present != self.has_bias:
                return False
        if self.input_dtype is not None:
            first = operator.inputs[0]
            if first is None or first.dtype != self.input_dtype:
                return False
        if self.per_channel is not None:
            weights = operator.inputs[1]
            if weights is None or (len(weights.scales) > 1) != self.per_channel:
                return False
        return True

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.options.items()]
        if self.has_bias is not None:
            parts.append(f"bias={'yes' if self.has_bias else 'no'}")
        if self.input_dtype is not None:
            parts.append(f"input={self.input_dtype}")
        if self.per_channel is not None:
            parts.append(f"per_channel={self.per_channel}")
        return f"{self.op}({', '.join(parts)})"


@dataclasses.dataclass(frozen=True)
class ModelExpectations:
    required_ops: tuple[OpExpectation, ...] = ()
    # Op micro-models contain nothing but the op(s) under test.
    only_required_ops: bool = False
    # False only for the deliberate unsupported-op error model.
    supported_ops_only: bool = True
    input_dtype: str = "INT8"
    output_dtype: str = "INT8"
    # Per-output dtypes, for models whose outputs differ in type (else output_dtype).
    output_dtypes: tuple[str, ...] = ()
    # All arithmetic in integer: float tensors may only be the input of a
    # QUANTIZE or the output of a DEQUANTIZE. False for the float error model.
    integer_only: bool = True
    # Subgraphs besides the main one are CALL_ONCE's init subgraphs.
    subgraphs: int = 1

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if not self.output_dtypes:  # the common case: keep the manifest's entries as they were
            del data["output_dtypes"]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ModelExpectations":
        fields = dict(data)
        fields["required_ops"] = tuple(OpExpectation(**op) for op in fields["required_ops"])
        return cls(**fields)


def check_model(summary: ModelSummary, expected: ModelExpectations) -> list[str]:
    """Returns human-readable problems; empty means the model is as intended."""
    problems = []
    for expectation in expected.required_ops:
        if not any(expectation.matches(op) for op in summary.operators):
            problems.append(f"missing {expectation.describe()}; has {summary.op_names}")
    if expected.only_required_ops:
        extra = set(summary.op_names) - {e.op for e in expected.required_ops}
        if extra:
            problems.append(f"unexpected extra ops {sorted(extra)}")
    if expected.supported_ops_only:
        unsupported = set(summary.op_names) - SUPPORTED_OPS
        if unsupported:
            problems.append(f"ops outside the supported list: {sorted(unsupported)}")
    output_dtypes = expected.output_dtypes or (expected.output_dtype,) * len(summary.outputs)
    for role, tensors, dtypes in (("input", summary.inputs, (expected.input_dtype,) * len(summary.inputs)),
                                  ("output", summary.outputs, output_dtypes)):
        for tensor, dtype in zip(tensors, dtypes):
            if tensor.dtype != dtype:
                problems.append(f"{role} {tensor.name} is {tensor.dtype}, expected {dtype}")
    if expected.integer_only:
        for op in summary.operators:
            if op.name == "QUANTIZE":      # its input may be float
                checked = list(op.outputs)
            elif op.name == "DEQUANTIZE":  # its output may be float
                checked = [t for t in op.inputs if t is not None]
            else:
                checked = [t for t in op.inputs + op.outputs if t is not None]
            floats = [t.name for t in checked if t.dtype in ("FLOAT32", "FLOAT16")]
            if floats:
                problems.append(f"{op.name} computes in float (tensors {floats})")
    if summary.num_subgraphs != expected.subgraphs:
        problems.append(f"{summary.num_subgraphs} subgraphs (expected {expected.subgraphs})")
    return problems


def format_summary(path: Path, summary: ModelSummary) -> str:
    lines = [f"== {path.name} ({path.stat().st_size} bytes)"]
    lines += [f"  input  {t.name}: {t.describe()}" for t in summary.inputs]
    lines += [f"  output {t.name}: {t.describe()}" for t in summary.outputs]
    for index, op in enumerate(summary.operators):
        options = ", ".join(f"{k}={v}" for k, v in op.options.items())
        ins = ", ".join(t.describe() if t else "-" for t in op.inputs)
        outs = ", ".join(t.describe() for t in op.outputs)
        lines.append(f"  [{index}] {op.name}({options})")
        lines.append(f"        in: {ins}")
        lines.append(f"        out: {outs}")
    return "\n".join(lines)


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


def check_against_manifest(models_dir: Path, manifest: Mapping[str, Any]) -> list[str]:
    failures = []
    for name, entry in manifest["models"].items():
        path = models_dir / entry["file"]
        if not path.exists():
            failures.append(f"{name}: {path} missing")
            continue
        expected = ModelExpectations.from_json(entry["expectations"])
        for problem in check_model(summarize(path.read_bytes()), expected):
            failures.append(f"{name}: {problem}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path,
                        help="models to print (default: every models/*.tflite)")
    parser.add_argument("--check", action="store_true",
                        help="verify every model in manifest.json has its intended ops/options")
    parser.add_argument("--models_dir", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)

    if args.check:
        manifest = load_manifest(args.models_dir / "manifest.json")
        failures = check_against_manifest(args.models_dir, manifest)
        for failure in failures:
            print(f"FAIL {failure}")
        total = len(manifest["models"])
        failed_models = len({f.split(":")[0] for f in failures})
        print(f"{total - failed_models} passed, {failed_models} failed")
        return 1 if failures else 0

    files = args.files or sorted(args.models_dir.glob("*.tflite"))
    for path in files:
        print(format_summary(path, summarize(path.read_bytes())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
