"""`tinymlc check` on the zoo's ONNX models: the generated Rust against onnxruntime
(ORT_DISABLE_ALL) within one LSB with the same argmax, QDQ and QOperator, uint8 and
int8 activations; and the CLI's ONNX paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinymlc import hostbuild
from tinymlc.onnx_check import check_onnx

MODELS = Path(__file__).absolute().parents[3] / "models"


@pytest.mark.parametrize(
    "name",
    [
        "mlp_autoencoder_qdq_u8",
        "ds_cnn_qop_s8",
        "mobilenet_qdq_s8",
        "resnet8_qop_u8",
        "resnet8_qdq_s8",
        "transformer_block_qop_u8",
        "transformer_block_qdq_s8",
    ],
)
def test_zoo_model_within_one_lsb_of_onnxruntime(name: str) -> None:
    result = check_onnx(MODELS / f"{name}.onnx", 8, 0, hostbuild.default_runtime_dir())
    assert result.passed, result
    assert result.max_abs_diff <= 1
    assert result.argmax_agreement == 1.0


def test_transformer_attention_within_one_lsb_over_100_inputs() -> None:
    """With TFLM's fixed-point Softmax, 4 of these 100 inputs had an attention probability
    1 LSB off that the MLP grew to 2 LSB; the float Softmax rounds them as onnxruntime."""
    result = check_onnx(MODELS / "transformer_block_qdq_s8.onnx", 100, 0, hostbuild.default_runtime_dir())
    assert result.passed, result
    assert result.fraction_differing < 1e-4, result


def _tinymlc(*args: str) -> subprocess.CompletedProcess[str]:
    src = Path(__file__).absolute().parents[1] / "src"
    # The packages this interpreter imports (Bazel's runfiles put them on PYTHONPATH), and
    # the compiler's sources first.
    python_path = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "tinymlc", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": python_path},
    )


def test_cli_check_json_reports_the_onnx_metrics() -> None:
    result = _tinymlc("check", f"--model={MODELS / 'mlp_autoencoder_qop_s8.onnx'}", "--inputs=4", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"max_abs_diff", "fraction_differing", "argmax_agreement"} <= set(report)


def test_cli_rejects_a_truncated_onnx_file_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes((MODELS / "ds_cnn_qdq_u8.onnx").read_bytes()[:500])
    result = _tinymlc("compile", f"--model={broken}", f"--out={tmp_path / 'out'}")
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
