"""`python -m tinymlc compile|check`: outputs, exit codes and error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.codegen_support import conv_softmax_model
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.ir import DType

# `python -m tinymlc` from the source root, as a user of the repository would run it.
SOURCE_ROOT = Path(__file__).absolute().parents[1] / "src"


def _tinymlc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinymlc", *args],
        cwd=SOURCE_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.tflite"
    path.write_bytes(conv_softmax_model())
    return path


def test_compile_writes_lib_report_and_cargo(model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "crate"
    result = _tinymlc("compile", f"--model={model_file}", f"--out={out}", "--crate_name=my_model")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Cargo.toml", "lib.rs", "report.json"]
    assert 'name = "my_model"' in (out / "Cargo.toml").read_text()
    report = json.loads((out / "report.json").read_text())
    assert report["total_macs"] == 2 * 2 * 4 * 3 * 3 * 2
    assert [layer["op"] for layer in report["layers"]] == ["CONV_2D", "SOFTMAX"]
    assert report["arena_bytes"] > 0
    assert report["tflm_greedy_arena_bytes"] >= report["arena_bytes"]
    lib_rs = (out / "lib.rs").read_text()
    for name in (
        "INPUT_LEN",
        "OUTPUT_ZERO_POINT",
        "ARENA_BYTES",
        "fn predict_quantized_with_hook",
        "fn predict(",
    ):
        assert name in lib_rs


def test_compile_without_cargo_writes_exactly_two_files(model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "crate"
    assert _tinymlc("compile", f"--model={model_file}", f"--out={out}", "--no_cargo").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["lib.rs", "report.json"]


def test_check_json_has_documented_keys(model_file: Path) -> None:
    result = _tinymlc("check", f"--model={model_file}", "--inputs=20", "--seed=1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bit_exact"] is True
    assert report["inputs"] == 20
    assert report["mismatches"] == 0
    assert report["first_divergence"] is None
    assert report["arena_bytes"] > 0
    assert report["tflm_arena_bytes"] > 0


def test_check_can_skip_measuring_tflm_arena(model_file: Path) -> None:
    result = _tinymlc("check", f"--model={model_file}", "--inputs=5", "--notflm_arena", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bit_exact"] is True
    assert report["tflm_arena_bytes"] is None


def _activation_model(builtin: str) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 16), scale=0.1)
    y = mb.tensor("y", (1, 16), scale=0.1)
    mb.op(builtin, [x], [y])
    return mb.build([x], [y])


@pytest.fixture
def relu_and_relu6(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A RELU model, its harness, and a RELU6 model of the same shapes: checked with the RELU's
    harness, the RELU6 model mismatches (inputs above 6.0) without a compile error."""
    relu, relu6 = tmp_path / "relu.tflite", tmp_path / "relu6.tflite"
    relu.write_bytes(_activation_model("RELU"))
    relu6.write_bytes(_activation_model("RELU6"))
    crate = tmp_path / "relu_crate"
    result = _tinymlc("compile", f"--model={relu}", f"--out={crate}", "--no_cargo")
    assert result.returncode == 0, result.stderr
    harness = hostbuild.build_harness(crate / "lib.rs", hostbuild.default_runtime_dir(), crate)
    return relu, harness, relu6


def test_check_of_several_models_reports_each_and_fails_if_one_does(
    model_file: Path, relu_and_relu6: tuple[Path, Path, Path]
) -> None:
    relu, harness, relu6 = relu_and_relu6
    result = _tinymlc(
        "check",
        f"--models={relu6},{harness}",
        f"--models={model_file}",
        f"--models={relu},{harness},3",
        "--inputs=5",
        "--notflm_arena",
        "--json",
    )
    assert result.returncode == 1, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["model"], r["passed"], r["max_ulp_allowed"]) for r in reports] == [
        (str(relu6), False, 0),
        (str(model_file), True, 0),
        (str(relu), True, 3),
    ]
    assert reports[0]["first_divergence"]["op"] == "RELU6"


def test_check_of_several_models_prints_every_failure(relu_and_relu6: tuple[Path, Path, Path]) -> None:
    _, harness, relu6 = relu_and_relu6
    unsupported = relu6.with_name("unsupported.tflite")
    unsupported.write_bytes(_unsupported_model())
    result = _tinymlc(
        "check",
        f"--models={relu6},{harness}",
        f"--models={unsupported}",
        f"--models={relu6},{harness},1",
        "--inputs=5",
        "--notflm_arena",
    )
    # An error (exit status 2) outranks a mismatch (1); neither stops the other checks.
    assert result.returncode == 2
    assert result.stdout.count(f"{relu6}: MISMATCH on ") == 2
    assert result.stdout.count("first divergence: layer 0 (RELU6)") == 2
    assert f"tinymlc check: error: {unsupported}: " in result.stderr
    assert "FLOOR" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--models=a.tflite", "--model=b.tflite"], "--model belongs to one model"),
        (["--models=a.tflite", "--harness=h"], "--harness belongs to one model"),
        (["--models=a.tflite,h,x"], "MAX_ULP must be an integer"),
        (["--models=a.tflite,h,-1"], "MAX_ULP must be at least 0"),
        (["--models=a.tflite,h,1,2"], "expected MODEL[,HARNESS[,MAX_ULP]]"),
        (["--models=,h"], "expected MODEL[,HARNESS[,MAX_ULP]]"),
    ],
)
def test_check_of_several_models_rejects_misplaced_flags(flags: list[str], message: str) -> None:
    result = _tinymlc("check", *flags)
    assert result.returncode == 2
    assert message in result.stderr


def _float_model() -> bytes:
    mb = ModelBuilder()
    # GELU has no float32 kernel in tinymlc (TFLite Micro has no GELU at all).
    x = mb.tensor("x", (1, 4), DType.FLOAT32)
    y = mb.tensor("y", (1, 4), DType.FLOAT32)
    mb.op("GELU", [x], [y], "GeluOptions")
    return mb.build([x], [y])


def _unsupported_model() -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.1)
    y = mb.tensor("y", (1, 4), scale=0.1)
    z = mb.tensor("z", (1, 4), scale=0.1)
    mb.op("FLOOR", [x], [y])
    mb.op("CUSTOM", [y], [z], custom_code="MyOp")
    return mb.build([x], [z])


def _concat_requantizing_model() -> bytes:
    mb = ModelBuilder()
    a = mb.tensor("a", (1, 2), scale=0.1)
    b = mb.tensor("b", (1, 2), scale=0.2)
    y = mb.tensor("y", (1, 4), scale=0.1)
    mb.op("CONCATENATION", [a, b], [y], "ConcatenationOptions", Axis=1)
    return mb.build([a, b], [y])


MALFORMED: dict[str, tuple[bytes | None, list[str]]] = {
    "empty": (b"", ["empty"]),
    "not_a_flatbuffer": (b"hello, this is plain text" * 4, ["not a TFLite model"]),
    "truncated": (_float_model()[:60], ["model.tflite"]),
    "corrupted": (
        conv_softmax_model()[:8]
        + bytes(b ^ 0x5A for b in conv_softmax_model()[8:200])
        + conv_softmax_model()[200:],
        ["model.tflite"],
    ),
    "float_model": (_float_model(), ["FLOAT32", "full integer quantization"]),
    "unsupported_operators": (_unsupported_model(), ["FLOOR", "CUSTOM:MyOp", "2 problem(s)"]),
    "concatenation_requantize": (_concat_requantizing_model(), ["CONCATENATION", "quantized exactly like"]),
    "directory": (None, ["is a directory"]),
}


@pytest.mark.parametrize("command", ["compile", "check"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_is_a_clear_error(case: str, command: str, tmp_path: Path) -> None:
    data, expected = MALFORMED[case]
    path = tmp_path / "model.tflite"
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    result = _tinymlc(command, f"--model={path}", f"--out={tmp_path / 'out'}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


def test_missing_file_and_missing_flags(tmp_path: Path) -> None:
    result = _tinymlc("compile", f"--model={tmp_path / 'nope.tflite'}", f"--out={tmp_path}")
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    result = _tinymlc("compile", f"--out={tmp_path}")
    assert result.returncode == 2
    assert "--model is required" in result.stderr
    result = _tinymlc("frobnicate")
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_check_without_rustc_is_a_clear_error(model_file: Path, tmp_path: Path) -> None:
    # Python is started by absolute path; PATH holds nothing, so no rustc either.
    env = dict(os.environ, PATH=str(tmp_path))
    result = _tinymlc("check", f"--model={model_file}", "--inputs=2", env=env)
    assert result.returncode == 2
    assert "rustc not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_persistent_worker_answers_each_request_as_a_separate_run(model_file: Path, tmp_path: Path) -> None:
    """Bazel's JSON worker protocol: one response per request, in order, with the output the
    one-shot run prints; a flag given to one request is back at its default in the next."""
    params = tmp_path / "compile.params"
    params.write_text(
        f"compile\n--model={model_file}\n--out={tmp_path / 'worker'}\n--crate_name=from_params\n"
    )
    requests = [
        {"arguments": [f"@{params}"], "requestId": 1},
        {
            "arguments": ["compile", f"--model={tmp_path / 'missing.tflite'}", f"--out={tmp_path / 'x'}"],
            "requestId": 2,
        },
        {"arguments": ["compile", f"--model={model_file}", f"--out={tmp_path / 'default'}"], "requestId": 3},
    ]
    result = subprocess.run(
        [sys.executable, "-m", "tinymlc", "--persistent_worker"],
        cwd=SOURCE_ROOT,
        input="".join(json.dumps(request) + "\n" for request in requests),
        capture_output=True,
        text=True,
        check=True,
    )
    responses = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["requestId"], r["exitCode"]) for r in responses] == [(1, 0), (2, 2), (3, 0)]
    assert "missing.tflite" in responses[1]["output"]
    assert 'name = "from_params"' in (tmp_path / "worker" / "Cargo.toml").read_text()
    assert 'name = "from_params"' not in (tmp_path / "default" / "Cargo.toml").read_text()
    one_shot = _tinymlc(
        "compile", f"--model={model_file}", f"--out={tmp_path / 'one_shot'}", "--crate_name=from_params"
    )
    assert one_shot.returncode == 0, one_shot.stderr
    assert (tmp_path / "one_shot" / "lib.rs").read_bytes() == (tmp_path / "worker" / "lib.rs").read_bytes()


def test_params_file_runs_without_a_worker(model_file: Path, tmp_path: Path) -> None:
    params = tmp_path / "compile.params"
    params.write_text(f"compile\n--model={model_file}\n--out={tmp_path / 'crate'}\n")
    result = _tinymlc(f"@{params}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "crate" / "lib.rs").exists()
