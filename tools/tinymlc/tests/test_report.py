"""`tinymlc report`: the feasibility report, its verdict against real boards, and the HTML page
as headless Chromium renders it."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from tinymlc import boards, feasibility
from tinymlc.codegen import Target, compile_model, generate_crate
from tinymlc.frontend import load_model

SOURCE_ROOT = Path(__file__).absolute().parents[1] / "src"
KWS = Path(__file__).absolute().parents[3] / "models" / "ds_cnn_kws.tflite"


def _tinymlc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinymlc", *args], cwd=SOURCE_ROOT, capture_output=True, text=True, check=False
    )


def _kws_report(core_mhz: tuple[int, ...]) -> dict[str, Any]:
    return generate_crate(compile_model(load_model(KWS), Target(core_mhz)), "kws").report


def test_board_table_is_boards_bzl() -> None:
    table = boards.load_boards()
    assert table["stm32h747"].core_mhz == (480, 240)
    assert table["gd32vf103"].ram_bytes == 32 * 1024
    assert table["rp2040"].triple == "thumbv6m-none-eabi"


def test_fits_and_latency_scale_with_clock() -> None:
    board = boards.board("stm32h747")
    result = feasibility.feasibility(_kws_report(board.core_mhz), feasibility.Target.of_board(board))
    assert result["verdict"]["fits"] is True
    assert result["macs"] == sum(layer["macs"] for layer in result["layers"]) > 0
    assert result["ram"]["total_bytes"] == result["ram"]["arena_bytes"] + 2 * feasibility.DEFAULT_STACK_BYTES
    assert result["flash"]["total_bytes"] > result["flash"]["weight_bytes"] + result["flash"]["param_bytes"]
    cores = {part["core"] for part in result["schedule"]["parts"]}
    assert cores == {0, 1}
    assert result["schedule"]["barriers"]
    slow = feasibility.feasibility(_kws_report((240, 120)), feasibility.Target.of_clocks((240, 120)))
    assert slow["latency"]["total_us"] == pytest.approx(2 * result["latency"]["total_us"])
    assert slow["verdict"]["fits"] is None


def test_too_small_board_names_the_peak() -> None:
    board = boards.board("gd32vf103")
    tiny = feasibility.feasibility(
        _kws_report(board.core_mhz), feasibility.Target.of_board(board), stack_bytes=30_000
    )
    assert tiny["verdict"]["fits"] is False
    assert "arena peaks at layer" in tiny["verdict"]["summary"]


def test_cli_text_json_and_errors(tmp_path: Path) -> None:
    text = _tinymlc("report", f"--model={KWS}", "--board=nrf52840")
    assert text.returncode == 0, text.stderr
    assert "verdict: FITS" in text.stdout
    assert "DEPTHWISE_CONV_2D" in text.stdout
    out = tmp_path / "r.json"
    run = _tinymlc("report", f"--model={KWS}", "--core_mhz=100,100", "--format=json", f"--out={out}")
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["target"]["core_mhz"] == [100, 100]
    unknown = _tinymlc("report", f"--model={KWS}", "--board=nope")
    assert unknown.returncode == 2
    assert "unknown board 'nope'" in unknown.stderr
    mismatch = tmp_path / "report.json"
    mismatch.write_text(json.dumps(_kws_report((1,))))
    wrong = _tinymlc("report", f"--report_json={mismatch}", "--board=stm32h747")
    assert wrong.returncode == 2
    assert "--core_mhz=480,240" in wrong.stderr


def test_one_run_writes_every_format_as_each_format_alone(tmp_path: Path) -> None:
    compiled = tmp_path / "report.json"
    compiled.write_text(json.dumps(_kws_report((64,))))
    together = {format: tmp_path / f"together.{format}" for format in ("html", "json", "text")}
    run = _tinymlc(
        "report",
        f"--report_json={compiled}",
        "--board=nrf52840",
        *(f"--out_{f}={p}" for f, p in together.items()),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    for format, path in together.items():
        alone = tmp_path / f"alone.{format}"
        single = _tinymlc(
            "report", f"--report_json={compiled}", "--board=nrf52840", f"--format={format}", f"--out={alone}"
        )
        assert single.returncode == 0, single.stderr
        assert path.read_text() == alone.read_text(), format


def _png_pixels(png: bytes) -> bytes:
    """The decompressed (still filtered) image data of a PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    return zlib.decompress(data)


def _chromium(tmp_path: Path, url: str, *action: str) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (tools/offline/setup.sh installs it in the build root)"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=820,1400",
    ]
    return subprocess.run(
        [chromium, *flags, *action, url],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "kws.html"
    run = _tinymlc("report", f"--model={KWS}", "--board=stm32h747", "--format=html", f"--out={page}")
    assert run.returncode == 0, run.stderr
    html = page.read_text()
    assert "http" not in html.replace("http://www.w3.org", ""), "the page must not reach the network"

    dom = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    for picture in ("arena", "schedule", "layers"):
        assert re.search(rf'<svg id="{picture}"', dom.stdout), picture
    assert dom.stdout.count('class="tensor"') >= 10
    assert dom.stdout.count('class="part"') >= 2 * 12 - 4
    assert dom.stdout.count('class="barrier"') >= 1
    assert 'class="peak"' in dom.stdout

    shot = tmp_path / "kws.png"
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    for url, path in ((page.as_uri(), shot), (blank.as_uri(), tmp_path / "blank.png")):
        run = _chromium(tmp_path, url, f"--screenshot={path}")
        assert run.returncode == 0, run.stderr
        assert path.exists(), run.stderr
    # A blank page filters to a handful of byte values; the report's colours and text to many.
    assert len(set(_png_pixels((tmp_path / "blank.png").read_bytes()))) < 8
    assert len(set(_png_pixels(shot.read_bytes()))) > 100
