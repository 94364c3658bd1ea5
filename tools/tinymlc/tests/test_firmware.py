"""Firmware tools: ELF accounting, board budgets, size reports, and the generated code embedded
in harnesses and firmware checks."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.firmware import budget, elf, embed, size_report
from tinymlc.frontend import load_model

SRC = Path(__file__).resolve().parent.parent / "src"
MODELS = Path(__file__).resolve().parents[3] / "models"

# name, sh_type, address, size, contents (None for NOBITS)
_PROGBITS, _NOBITS, _SHF_ALLOC = 1, 8, 0x2


def _firmware_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinymlc.firmware", *args],
        cwd=SRC,
        capture_output=True,
        text=True,
        check=False,
    )


def make_elf(sections: list[tuple[str, int, int, int]], data_load: int) -> bytes:
    """A minimal little-endian ELF32: the given allocated sections, one PT_LOAD per section
    with contents (`.data` loaded at `data_load`), a .shstrtab."""
    names = b"\0" + b"".join(name.encode() + b"\0" for name, *_ in sections) + b".shstrtab\0"
    header_size, phentsize, shentsize = 52, 32, 40
    with_contents = [s for s in sections if s[1] != _NOBITS]
    phoff = header_size
    body_offset = phoff + phentsize * len(with_contents)
    body = bytearray()
    offsets = []
    for _name, sh_type, _address, size in sections:
        offsets.append(body_offset + len(body))
        if sh_type != _NOBITS:
            body += b"\xaa" * size
    names_offset = body_offset + len(body)
    body += names
    shoff = body_offset + len(body)
    header = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header += struct.pack(
        "<HHIIIIIHHHHHH",
        2,
        40,
        1,
        0,
        phoff,
        shoff,
        0,
        header_size,
        phentsize,
        len(with_contents),
        shentsize,
        len(sections) + 2,
        len(sections) + 1,
    )
    program_headers = b""
    for (name, sh_type, address, size), offset in zip(sections, offsets, strict=True):
        if sh_type != _NOBITS:
            load = data_load if name == ".data" else address
            program_headers += struct.pack("<IIIIIIII", 1, offset, address, load, size, size, 5, 4)
    section_headers = bytes(shentsize)
    name_index = 1
    for (name, sh_type, address, size), offset in zip(sections, offsets, strict=True):
        section_headers += struct.pack(
            "<IIIIIIIIII", name_index, sh_type, _SHF_ALLOC, address, offset, size, 0, 0, 4, 0
        )
        name_index += len(name) + 1
    section_headers += struct.pack("<IIIIIIIIII", name_index, 3, 0, 0, names_offset, len(names), 0, 0, 1, 0)
    return header + program_headers + bytes(body) + section_headers


SECTIONS = [
    (".text", _PROGBITS, 0x0, 1000),
    (".rodata", _PROGBITS, 1000, 3000),
    (".data", _PROGBITS, 0x2000_0000, 16),
    (".bss", _NOBITS, 0x2000_0010, 5000),
    (".stack", _NOBITS, 0x2000_13A0, 4096),
]
BOARD = budget.Board("tiny_board", "a small test board", flash_bytes=8192, ram_bytes=16384)


def report(flash: int, arena: int) -> dict[str, Any]:
    return {
        "source": "models/m.tflite",
        "flash_bytes": flash,
        "arena_bytes": arena,
        "layers": [
            {
                "index": 0,
                "op": "CONV_2D",
                "tensors": [
                    {"name": "input", "bytes": 100, "storage": "arena", "offset": 0},
                    {"name": "weights", "bytes": flash - 10, "storage": "flash"},
                    {"name": "conv_out", "bytes": arena - 100, "storage": "arena", "offset": 100},
                ],
            },
            {
                "index": 1,
                "op": "SOFTMAX",
                "tensors": [
                    {"name": "conv_out", "bytes": arena - 100, "storage": "arena", "offset": 100},
                    {"name": "probabilities", "bytes": 10, "storage": "arena", "offset": 0},
                ],
            },
        ],
    }


def test_sections_are_read_with_their_load_addresses(tmp_path: Path) -> None:
    image = tmp_path / "fw.elf"
    image.write_bytes(make_elf(SECTIONS, data_load=4000))
    found = {s.name: s for s in elf.allocated_sections(image)}
    assert list(found) == [".text", ".rodata", ".data", ".bss", ".stack"]
    assert found[".data"].load_address == 4000
    assert found[".data"].address == 0x2000_0000
    assert not found[".bss"].has_contents
    assert found[".bss"].size == 5000


def test_size_report_counts_data_in_both_regions(tmp_path: Path) -> None:
    image = tmp_path / "fw.elf"
    image.write_bytes(make_elf(SECTIONS, data_load=4000))
    result = size_report.size_report(
        "fw.elf",
        elf.allocated_sections(image),
        BOARD,
        size_report.Region(0, 8192),
        size_report.Region(0x2000_0000, 16384),
        [budget.ModelReport("//m:m", report(3000, 4000))],
    )
    assert result["flash_bytes"] == 1000 + 3000 + 16
    assert result["ram_bytes"] == 16 + 5000 + 4096
    assert result["models"][0]["planned_arena_bytes"] == 4000
    text = size_report.render_text(result)
    assert "flash: 4,016 of 8,192 B (49.0%)" in text
    assert ".stack" in text


@pytest.mark.parametrize("content", [b"", b"MZ\0\0" * 20, b"\x7fELF" + bytes([2, 1]) + bytes(60)])
def test_not_a_firmware_elf_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    image = tmp_path / "fw.elf"
    image.write_bytes(content)
    with pytest.raises(CompileError, match=r"fw\.elf"):
        elf.allocated_sections(image)


def test_truncated_elf_is_a_clear_error(tmp_path: Path) -> None:
    image = tmp_path / "fw.elf"
    image.write_bytes(make_elf(SECTIONS, data_load=4000)[:-30])
    with pytest.raises(CompileError, match="truncated ELF"):
        elf.allocated_sections(image)


def test_model_that_fits_gives_a_summary() -> None:
    summary = budget.check(BOARD, 4096, [budget.ModelReport("//m:small", report(3000, 4000))])
    assert "fits board tiny_board" in summary
    assert "4,000 B arena + 4,096 B stacks" in summary


def test_too_large_model_names_model_board_numbers_and_culprits() -> None:
    with pytest.raises(CompileError) as error:
        budget.check(BOARD, 4096, [budget.ModelReport("//m:big", report(10_000, 14_000))])
    message = error.value.message
    assert "//m:big (models/m.tflite) does not fit board tiny_board (a small test board)" in message
    assert "flash: weights and parameters 10,000 B (before code) > 8,192 B (over by 1,808 B)" in message
    assert "largest constant: tensor 'weights' (9,990 B) of layer 0 CONV_2D" in message
    assert "RAM: arena 14,000 B + stacks 4,096 B = 18,096 B > 16,384 B (over by 1,712 B)" in message
    assert "arena peaks at layer 0 CONV_2D (14,000 B): 'conv_out' (13,900 B at offset 100)" in message


def test_only_the_exceeded_budget_is_reported() -> None:
    with pytest.raises(CompileError) as error:
        budget.check(BOARD, 4096, [budget.ModelReport("//m:wide", report(3000, 14_000))])
    assert "RAM:" in error.value.message
    assert "flash:" not in error.value.message


def test_cli_reports_unreadable_report_without_traceback(tmp_path: Path) -> None:
    result = _firmware_cli(
        "budget",
        "--board=b",
        "--flash_bytes=1",
        "--ram_bytes=1",
        f"--report=//m:m={tmp_path / 'missing.json'}",
        f"--out={tmp_path / 'out.txt'}",
    )
    assert result.returncode == 2
    assert "cannot read the compiler report of //m:m" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_budget_failure_exits_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report(10_000, 14_000)))
    result = _firmware_cli(
        "budget",
        "--board=tiny_board",
        "--flash_bytes=8192",
        "--ram_bytes=16384",
        "--stack_bytes=4096",
        f"--report=//m:big={path}",
        f"--out={tmp_path / 'out.txt'}",
    )
    assert result.returncode == 2
    assert "error: //m:big (models/m.tflite) does not fit board tiny_board" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_fused_tensor_names_are_shortened_to_their_producer() -> None:
    fused = report(10_000, 14_000)
    fused["layers"][0]["tensors"][1]["name"] = "model/conv/Conv2D;model/bn/mul;model/bn/add"
    assert "tensor 'model/conv/Conv2D;...' (9,990 B)" in budget.largest_constant(fused)


def test_embedded_crate_keeps_all_but_no_std() -> None:
    crate = generate_crate(compile_model(load_model(str(MODELS / "sine.tflite"))), "sine").lib_rs
    module = embed.as_module(crate)
    assert "#![no_std]" not in module.splitlines()
    assert [line for line in crate.splitlines() if line != "#![no_std]"] == module.split("\n")
    harness = embed.harness_with_model((SRC / "tinymlc/codegen/templates/harness.rs").read_text(), crate)
    assert harness.count("mod model {") == 1
    assert harness.rstrip().endswith("}")


def test_embedding_what_is_no_generated_crate_is_a_clear_error() -> None:
    with pytest.raises(CompileError, match="not a tinymlc crate"):
        embed.as_module("fn main() {}\n")


def test_cli_harness_with_a_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "lib.rs"
    result = _firmware_cli(
        "harness",
        f"--harness_source={SRC / 'tinymlc/codegen/templates/harness.rs'}",
        f"--crate_source={missing}",
        f"--out={tmp_path / 'harness.rs'}",
    )
    assert result.returncode == 2
    assert "--crate_source: cannot read it" in result.stderr
    assert str(missing) in result.stderr
    assert "Traceback" not in result.stderr
