"""Per-layer debugging: with one layer of the generated code deliberately corrupted, `check`
names that layer, its parameters and its largest differences, and `dump` writes every layer of
both sides with the first difference at that layer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinymlc import check, hostbuild
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.frontend import load_model

SOURCE_ROOT = Path(__file__).absolute().parents[1] / "src"
KWS = Path(__file__).absolute().parents[3] / "models" / "ds_cnn_kws.tflite"
CORRUPTED_LAYER = 2  # a CONV_2D of DS-CNN


@pytest.fixture(scope="module")
def corrupted_harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DS-CNN's harness with layer 2's output zero point moved by 20: that layer and every
    later one differ from TFLM; the layers before it do not."""
    work = tmp_path_factory.mktemp("corrupted")
    lib_rs = generate_crate(compile_model(load_model(KWS)), "model").lib_rs
    quant = f"static L{CORRUPTED_LAYER}_QUANT: LinearQuantParams<'static> = LinearQuantParams {{"
    start = lib_rs.index(quant)
    offset = lib_rs.index("output_offset: -128,", start)
    corrupted = lib_rs[:offset] + "output_offset: -108," + lib_rs[offset + len("output_offset: -128,") :]
    (work / "lib.rs").write_text(corrupted)
    return hostbuild.build_harness(work / "lib.rs", hostbuild.default_runtime_dir(), work)


def test_check_names_the_corrupted_layer(corrupted_harness: Path) -> None:
    result = check.check(
        KWS, 3, 0, hostbuild.default_runtime_dir(), corrupted_harness, measure_tflm_arena=False
    )
    assert not result.bit_exact
    divergence = result.first_divergence
    assert divergence is not None
    assert divergence.layer == CORRUPTED_LAYER
    assert divergence.op == "CONV_2D"
    assert divergence.shape == [1, 25, 5, 64]
    assert divergence.parameters["quantization"]["output_offset"] == -128  # the compiler's value
    assert 0 < divergence.differing <= 25 * 5 * 64
    assert len(divergence.largest) == 5
    gaps = [abs(d["ours"] - d["tflm"]) for d in divergence.largest]
    assert gaps == sorted(gaps, reverse=True)
    assert all(len(d["index"]) == 4 for d in divergence.largest)


def _dump(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinymlc", "dump", *args],
        cwd=SOURCE_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_dump_writes_both_sides_and_the_first_difference(corrupted_harness: Path, tmp_path: Path) -> None:
    value = np.random.default_rng(1).integers(-128, 128, size=(1, 49, 10, 1)).astype(np.int8)
    np.save(tmp_path / "x.npy", value)
    out = tmp_path / "dump"
    run = _dump(
        f"--model={KWS}", f"--input={tmp_path / 'x.npy'}", f"--out={out}", f"--harness={corrupted_harness}"
    )
    assert run.returncode == 1, run.stderr
    assert f"first difference: layer {CORRUPTED_LAYER} (CONV_2D)" in run.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["first_difference"] == CORRUPTED_LAYER
    for layer in summary["layers"]:
        ours = np.load(out / "ours" / layer["file"])
        tflm = np.load(out / "tflm" / layer["file"])
        assert list(tflm.shape) == layer["shape"]
        assert np.array_equal(ours, tflm) == (layer["differing"] == 0)
    assert all(layer["differing"] == 0 for layer in summary["layers"][:CORRUPTED_LAYER])
    assert np.array_equal(np.load(out / "inputs" / "input_0.npy"), value)

    healthy = _dump(f"--model={KWS}", f"--input={tmp_path / 'x.npy'}", f"--out={tmp_path / 'ok'}")
    assert healthy.returncode == 0, healthy.stderr + healthy.stdout
    assert "every layer is bit-exact with TFLM" in healthy.stdout


def test_dump_rejects_a_wrong_input(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros(7, np.int8))
    run = _dump(f"--model={KWS}", f"--input={tmp_path / 'x.npy'}", f"--out={tmp_path / 'd'}")
    assert run.returncode == 2
    assert "has 7 elements" in run.stderr
