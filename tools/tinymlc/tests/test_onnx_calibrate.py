"""Float ONNX models quantized by tinymlc from a calibration set (`--calibration`): the
QDQ model it makes, checked against onnxruntime running that model, and the ranges in
the compiler's report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from tinymlc import hostbuild
from tinymlc.errors import CompileError
from tinymlc.frontend.onnx.calibrate import calibrate, calibrate_file, load_samples
from tinymlc.onnx_check import check_onnx

MODELS = Path(__file__).absolute().parents[3] / "models"
FLOAT_MODEL = MODELS / "ds_cnn_float.onnx"
CALIBRATION = MODELS / "ds_cnn_float_calibration"


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_calibrated_float_model_is_within_one_lsb_of_onnxruntime(method: str, tmp_path: Path) -> None:
    calibrated = calibrate_file(FLOAT_MODEL, CALIBRATION, method)
    path = tmp_path / "calibrated.onnx"
    onnx.save(calibrated.model, path)
    result = check_onnx(path, 10, 0, hostbuild.default_runtime_dir())
    assert result.passed, result


def test_ranges_contain_zero_and_the_calibration_values() -> None:
    model = onnx.load(FLOAT_MODEL)
    samples = load_samples(CALIBRATION, model)
    minmax = calibrate(model, samples, "minmax").ranges
    percentile = calibrate(model, samples, "percentile").ranges
    observed = np.concatenate([s["input"].reshape(-1) for s in samples])
    low, high = minmax["input"]
    # The zero point is an integer, so the range may miss the extremes by one step.
    step = (high - low) / 255
    assert low <= observed.min() + step
    assert high >= observed.max() - step
    for name, (low, high) in minmax.items():
        assert low <= 0.0 <= high, name
        assert percentile[name][1] - percentile[name][0] <= high - low + 1e-6, name
    softmax = [r for name, r in minmax.items() if name.startswith("softmax")]
    assert softmax == [(0.0, 255 / 256)]


def test_calibration_files_may_be_listed(tmp_path: Path) -> None:
    model = onnx.load(FLOAT_MODEL)
    files = sorted(CALIBRATION.glob("*.npy"))
    assert len(load_samples(",".join(str(f) for f in files), model)) == len(files)
    with pytest.raises(CompileError, match=r"\.npy"):
        load_samples(tmp_path, model)


def test_cli_compile_reports_the_ranges(tmp_path: Path) -> None:
    src = Path(__file__).absolute().parents[1] / "src"
    python_path = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH", "")) if p)
    args = [f"--model={FLOAT_MODEL}", f"--calibration={CALIBRATION}", "--calibration_method=percentile"]
    result = subprocess.run(
        [sys.executable, "-m", "tinymlc", "compile", *args, f"--out={tmp_path}", "--no_cargo"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": python_path},
    )
    assert result.returncode == 0, result.stderr
    calibration = json.loads((tmp_path / "report.json").read_text())["calibration"]
    assert calibration["method"] == "percentile"
    assert "input" in calibration["ranges"]
    report = subprocess.run(
        [sys.executable, "-m", "tinymlc", "report", f"--report_json={tmp_path / 'report.json'}"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": python_path},
    )
    assert report.returncode == 0, report.stderr
    assert "Calibration (percentile)" in report.stdout
