"""Command line: `tinymlc compile` and `tinymlc check`.

Exit status: 0 success (and, for `check`, bit-exact), 1 mismatch, 2 a problem
with the model or the environment, always as a message without a traceback.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from absl import flags

from tinymlc import boards, feasibility, feasibility_html, hostbuild, layerdiff, worker
from tinymlc import check as check_module
from tinymlc.boards import Core
from tinymlc.codegen import CompiledModel, Target, compile_model, generate_crate, render_cargo_toml
from tinymlc.commands import EXIT_ERROR, dispatch
from tinymlc.errors import CompileError
from tinymlc.frontend import is_onnx_model, load_model
from tinymlc.frontend.onnx.calibrate import METHODS, Calibrated, calibrate_file
from tinymlc.frontend.onnx.reader import parse_input_shapes
from tinymlc.onnx_check import check_onnx
from tinymlc.passes.partition import parse_core_mhz

REPORT_FORMATS = ("text", "json", "html")
EXIT_MISMATCH = 1
USAGE = (
    "usage: tinymlc compile --model=PATH --out=DIR | tinymlc check --model=PATH | "
    "tinymlc report --model=PATH [--board=NAME] [--format=text|json|html] [--out=FILE] | "
    "tinymlc dump --model=PATH --input=X.npy --out=DIR"
)

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "Path of the .tflite or .onnx model.")
flags.DEFINE_multi_string(
    "input_shape",
    [],
    "ONNX: pin a dynamic input's shape, NAME:D1,D2,... (e.g. input:1,3,32,32); repeatable.",
)
flags.DEFINE_string(
    "calibration",
    None,
    "ONNX: quantize a float model with this directory of .npy samples of its input.",
)
flags.DEFINE_enum(
    "calibration_method",
    "minmax",
    list(METHODS),
    "ONNX --calibration: activation ranges from min/max or percentiles.",
)
flags.DEFINE_boolean(
    "onnx_exact",
    False,
    "ONNX: requantize in float32 as onnxruntime does (bit for bit with it on every QOperator "
    "model of the zoo; costs float accumulators in the arena); check then demands bit-exactness.",
)
flags.DEFINE_string(
    "out",
    None,
    "compile: output directory for lib.rs and report.json; report: output file (default: stdout).",
)
flags.DEFINE_string("crate_name", "model", "compile: name of the generated crate.")
flags.DEFINE_boolean("no_cargo", False, "compile: write only lib.rs and report.json, no Cargo.toml.")
flags.DEFINE_string(
    "runtime_dir",
    None,
    "Directory holding the kernels/ and arena/ crates (default: $TINYML_RUNTIME_DIR or <repo>/runtime).",
)
flags.DEFINE_string(
    "core_mhz",
    "1",
    "The target's cores: their clocks in MHz, comma-separated (e.g. 480,240 for STM32H747's M7 "
    "and M4). Every layer is partitioned across them in proportion; the default is one core.",
)
flags.DEFINE_boolean(
    "split_every_layer",
    False,
    "Split every layer across the cores even where the cost model keeps it whole (for tests).",
)
flags.DEFINE_integer("inputs", 100, "check: number of random inputs.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "check: random seed.")
flags.DEFINE_boolean("json", False, "check: print one JSON object.")
flags.DEFINE_integer(
    "max_ulp",
    0,
    "check: float32 outputs pass within this many ULPs of TFLM's (0: bit-exact only).",
    lower_bound=0,
)
flags.DEFINE_boolean("tflm_arena", True, "check: find TFLM's smallest working arena (many TFLM runs: slow).")
flags.DEFINE_string("input", None, "dump: the input as .npy (several inputs: comma-separated, in order).")
flags.DEFINE_string(
    "board", None, "report: a board of platforms/boards.bzl (its cores, clocks, flash and RAM)."
)
flags.DEFINE_enum("format", "text", list(REPORT_FORMATS), "report: output format.")
for _format in REPORT_FORMATS:
    flags.DEFINE_string(
        f"out_{_format}",
        None,
        f"report: write the {_format} report to this file; any of --out_html, --out_json and "
        "--out_text together render the report once for all of them (then --format and --out are unused).",
    )
flags.DEFINE_string(
    "report_json", None, "report: read this compiler report.json instead of compiling --model."
)
flags.DEFINE_string(
    "boards_bzl",
    None,
    "report: the board table (default: $TINYML_BOARDS_BZL or <repo>/platforms/boards.bzl).",
)
flags.DEFINE_integer(
    "stack_bytes", feasibility.DEFAULT_STACK_BYTES, "report: stack bytes per core.", lower_bound=0
)
flags.DEFINE_string(
    "harness",
    None,
    "check: a prebuilt harness binary of this model (as Bazel's tinyml_model_test builds it) "
    "instead of building one with rustc.",
)
flags.DEFINE_multi_string(
    "models",
    [],
    "check: several models in one process instead of --model, --harness and --max_ulp: "
    "MODEL[,HARNESS[,MAX_ULP]] each (repeatable; no HARNESS: built with rustc, no MAX_ULP: "
    "--max_ulp). Each is reported on its own; the exit status is the worst of theirs.",
)


def _runtime_dir() -> Path:
    return Path(FLAGS.runtime_dir) if FLAGS.runtime_dir else hostbuild.default_runtime_dir()


def _required(name: str) -> str:
    value = getattr(FLAGS, name)
    if not value:
        raise CompileError(f"--{name} is required")
    return str(value)


def _calibrated(model: str) -> Calibrated | None:
    if not FLAGS.calibration:
        return None
    return calibrate_file(model, FLAGS.calibration, FLAGS.calibration_method)


def _model_path(model: str, calibrated: Calibrated | None, work: str) -> Path:
    """`model`, or with --calibration the QDQ model our calibration made of it."""
    if calibrated is None:
        return Path(model)
    path = Path(work) / "calibrated.onnx"
    path.write_bytes(calibrated.model.SerializeToString())
    return path


def _calibration_report(calibrated: Calibrated) -> dict[str, Any]:
    return {"method": calibrated.method, "ranges": {k: list(v) for k, v in calibrated.ranges.items()}}


def _target() -> Target:
    return Target(parse_core_mhz(FLAGS.core_mhz), FLAGS.split_every_layer)


def compile_command() -> int:
    source = _required("model")
    calibrated = _calibrated(source)
    with tempfile.TemporaryDirectory(prefix="tinymlc-") as work:
        model = load_model(
            _model_path(source, calibrated, work),
            parse_input_shapes(FLAGS.input_shape),
            FLAGS.onnx_exact,
        )
    out = Path(_required("out"))
    if out.exists() and not out.is_dir():
        raise CompileError("--out exists and is not a directory", str(out))
    crate = generate_crate(compile_model(model, _target()), FLAGS.crate_name)
    if calibrated is not None:
        crate.report["calibration"] = _calibration_report(calibrated)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lib.rs").write_text(crate.lib_rs)
    (out / "report.json").write_text(json.dumps(crate.report, indent=2) + "\n")
    if not FLAGS.no_cargo:
        (out / "Cargo.toml").write_text(render_cargo_toml(FLAGS.crate_name, _runtime_dir()))
    for warning in crate.report["warnings"]:
        print(warning, file=sys.stderr)
    return 0


@dataclass(frozen=True)
class ModelCheck:
    """One model `check` compares with its reference, and how."""

    model: str
    harness: Path | None
    """A prebuilt harness of `model`; None: built with rustc."""
    max_ulp: int


def _parse_model_check(spec: str) -> ModelCheck:
    """A --models value: MODEL[,HARNESS[,MAX_ULP]]."""
    model, harness, max_ulp, *rest = [*spec.split(","), "", ""]
    if not model or any(rest):
        raise CompileError(f"--models={spec}: expected MODEL[,HARNESS[,MAX_ULP]]")
    try:
        ulps = int(max_ulp) if max_ulp else FLAGS.max_ulp
    except ValueError:
        raise CompileError(f"--models={spec}: MAX_ULP must be an integer") from None
    if ulps < 0:
        raise CompileError(f"--models={spec}: MAX_ULP must be at least 0")
    return ModelCheck(model, Path(harness) if harness else None, ulps)


def _model_checks() -> list[ModelCheck]:
    """--model (with --harness and --max_ulp), or every --models."""
    if not FLAGS.models:
        return [ModelCheck(_required("model"), Path(FLAGS.harness) if FLAGS.harness else None, FLAGS.max_ulp)]
    for single in ("model", "harness", "calibration"):
        if FLAGS[single].present:
            raise CompileError(f"--{single} belongs to one model: give it in each --models (or use --model)")
    return [_parse_model_check(spec) for spec in FLAGS.models]


def onnx_check_command(model_check: ModelCheck) -> int:
    calibrated = _calibrated(model_check.model)
    with tempfile.TemporaryDirectory(prefix="tinymlc-") as work:
        result = check_onnx(
            _model_path(model_check.model, calibrated, work),
            FLAGS.inputs,
            FLAGS.seed,
            _runtime_dir(),
            parse_input_shapes(FLAGS.input_shape),
            _target(),
            model_check.harness,
            FLAGS.onnx_exact,
        )
    if FLAGS.json:
        print(json.dumps({"model": model_check.model, **result.to_json()}))
    else:
        verdict = "bit-exact" if result.bit_exact else "within 1 LSB" if result.passed else "MISMATCH"
        print(
            f"{model_check.model}: {verdict} vs {result.reference} on {result.inputs} inputs: "
            f"max_abs_diff {result.max_abs_diff} LSB, {result.fraction_differing:.2%} of elements differ, "
            f"argmax agreement {result.argmax_agreement:.0%}; arena {result.arena_bytes} B"
        )
        print(result.multicore)
    return 0 if result.passed else EXIT_MISMATCH


def check_model(model_check: ModelCheck) -> int:
    """Checks one model and prints its result; the exit status it alone would have."""
    if is_onnx_model(model_check.model):
        return onnx_check_command(model_check)
    if FLAGS.onnx_exact:
        raise CompileError("--onnx_exact applies to .onnx models only", model_check.model)
    result = check_module.check(
        Path(model_check.model),
        FLAGS.inputs,
        FLAGS.seed,
        _runtime_dir(),
        model_check.harness,
        measure_tflm_arena=FLAGS.tflm_arena,
        target=_target(),
        max_ulp_allowed=model_check.max_ulp,
    )
    if FLAGS.json:
        print(json.dumps({"model": model_check.model, **result.to_json()}))
    else:
        if result.bit_exact:
            verdict = "bit-exact"
        elif result.passed:
            verdict = f"within {result.max_ulp_allowed} ULP, {result.mismatches} input(s) not bit-exact,"
        else:
            verdict = f"MISMATCH on {result.mismatches} input(s)"
        tflm = "not measured" if result.tflm_arena_bytes is None else f"{result.tflm_arena_bytes} B"
        arena = f"arena {result.arena_bytes} B (TFLM {tflm})"
        print(f"{model_check.model}: {verdict} on {result.inputs} inputs; {arena}")
        if result.aborted:
            print(f"{result.aborted} inference(s) ended early (kTfLiteAbort) in both, at the same positions")
        print(result.multicore)
        if result.max_ulp is not None:
            print(
                f"float32 outputs: largest difference {result.max_ulp} ULP (allowed {result.max_ulp_allowed})"
            )
        if result.first_divergence is not None:
            d = result.first_divergence
            print(
                f"first divergence: layer {d.layer} ({d.op}) tensor {d.tensor!r} element {d.element}: "
                f"ours {d.ours}, TFLM {d.tflm}; {d.differing} of {math.prod(d.shape)} elements of "
                f"shape {d.shape} differ"
            )
            print(f"  parameters: {json.dumps(d.parameters)}")
            for difference in d.largest:
                print(
                    f"  at {list(difference['index'])}: ours {difference['ours']}, TFLM {difference['tflm']}"
                )
    return 0 if result.passed else EXIT_MISMATCH


def check_command() -> int:
    model_checks = _model_checks()
    if len(model_checks) == 1:
        return check_model(model_checks[0])
    # Several models: one's error (a missing file, an unsupported operator) is reported like
    # a mismatch and the others are still checked.
    statuses = []
    for model_check in model_checks:
        try:
            statuses.append(check_model(model_check))
        except CompileError as exc:
            named = str(exc) if exc.source == model_check.model else f"{model_check.model}: {exc}"
            print(f"tinymlc check: error: {named}", file=sys.stderr)
            statuses.append(EXIT_ERROR)
        sys.stdout.flush()
    return max(statuses)


def _calibration_text(calibration: dict[str, Any] | None) -> str:
    """The activation ranges a --calibration chose, one line each."""
    if not calibration:
        return ""
    lines = [f"\nCalibration ({calibration['method']}): int8 range of each activation"]
    lines += [f"  {name}: [{low:.6g}, {high:.6g}]" for name, (low, high) in calibration["ranges"].items()]
    return "\n".join(lines) + "\n"


def _report_target(compiled_for: tuple[int, ...] | None) -> feasibility.Target:
    """The --board, else the --core_mhz clocks, else those report.json was compiled for."""
    if FLAGS.board:
        board = boards.board(FLAGS.board, Path(FLAGS.boards_bzl) if FLAGS.boards_bzl else None)
        if FLAGS["core_mhz"].present:
            board = replace(
                board, cores=tuple(Core(f"core {i}", mhz) for i, mhz in enumerate(_target().core_mhz))
            )
        return feasibility.Target.of_board(board)
    if compiled_for is not None and not FLAGS["core_mhz"].present:
        return feasibility.Target.of_clocks(compiled_for)
    return feasibility.Target.of_clocks(_target().core_mhz)


def _read_report(path: Path) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(path.read_text())
        report["schedule"]["core_mhz"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CompileError(f"cannot read the compiler report: {error!r}", str(path)) from None
    return report


def report_command() -> int:
    report = _read_report(Path(FLAGS.report_json)) if FLAGS.report_json else None
    target = _report_target(tuple(report["schedule"]["core_mhz"]) if report else None)
    if report is None:
        source = _required("model")
        calibrated = _calibrated(source)
        with tempfile.TemporaryDirectory(prefix="tinymlc-") as work:
            model = load_model(_model_path(source, calibrated, work), onnx_exact=FLAGS.onnx_exact)
        compiled = compile_model(model, Target(target.core_mhz, FLAGS.split_every_layer))
        report = generate_crate(compiled, "model").report
        if calibrated is not None:
            report["calibration"] = _calibration_report(calibrated)
    result = feasibility.feasibility(report, target, FLAGS.stack_bytes)
    calibration = report.get("calibration")
    outputs = {format: FLAGS[f"out_{format}"].value for format in REPORT_FORMATS}
    requested = {format: Path(path) for format, path in outputs.items() if path}
    if requested:
        for format, path in requested.items():
            path.write_text(_render_report(format, result, calibration))
        return 0
    text = _render_report(FLAGS.format, result, calibration)
    if FLAGS.out:
        Path(FLAGS.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _render_report(format: str, result: dict[str, Any], calibration: dict[str, Any] | None) -> str:
    if format == "json":
        return json.dumps({**result, "calibration": calibration} if calibration else result, indent=2) + "\n"
    if format == "html":
        return feasibility_html.render_html(result)
    return feasibility.render_text(result) + _calibration_text(calibration)


def _load_inputs(paths: str, compiled: CompiledModel) -> list[np.ndarray]:
    """The comma-separated .npy files, one per graph input, in the graph's input order."""
    graph = compiled.model.main
    files = [Path(p) for p in paths.split(",") if p]
    if len(files) != len(graph.inputs):
        raise CompileError(f"--input: the model has {len(graph.inputs)} input(s), {len(files)} file(s) given")
    inputs = []
    for path, tensor_id in zip(files, graph.inputs, strict=True):
        tensor = graph.tensors[tensor_id]
        try:
            value = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise CompileError(f"cannot read the input: {error}", str(path)) from None
        if value.size != int(np.prod(tensor.shape)):
            raise CompileError(
                f"has {value.size} elements, input {tensor.name!r} takes shape {list(tensor.shape)}",
                str(path),
            )
        inputs.append(value.astype(tensor.dtype.numpy_dtype).reshape(tuple(tensor.shape)))
    return inputs


def dump_command() -> int:
    model_path = Path(_required("model"))
    out = Path(_required("out"))
    if out.exists() and not out.is_dir():
        raise CompileError("--out exists and is not a directory", str(out))
    compiled = compile_model(load_model(str(model_path)), _target())
    inputs = _load_inputs(_required("input"), compiled)
    harness = Path(FLAGS.harness) if FLAGS.harness else None
    with check_module.harness_binary(compiled, _runtime_dir(), harness) as binary:
        (ours,) = hostbuild.run_harness(binary, [inputs])
    inference = layerdiff.compare(compiled, model_path.read_bytes(), inputs, ours)
    sys.stdout.write(layerdiff.write_dump(compiled, inference, inputs, out))
    if ours.error is not None:
        print(f"the generated code failed: {ours.error}")
    return 0 if inference.first_difference is None and ours.error is None else EXIT_MISMATCH


COMMANDS = {
    "compile": compile_command,
    "check": check_command,
    "report": report_command,
    "dump": dump_command,
}


def main(argv: Sequence[str]) -> int:
    return dispatch("tinymlc", COMMANDS, USAGE, argv)


def run() -> None:
    # Under `bazel run`, relative paths are the user's: resolve them where bazel was invoked.
    working_directory = os.environ.get("BUILD_WORKING_DIRECTORY")
    if working_directory:
        os.chdir(working_directory)
    worker.run(main, "tinymlc")
