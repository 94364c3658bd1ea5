"""The boards of platforms/boards.bzl, read by Python from that one file.

boards.bzl is the single source of every board fact (Bazel's platforms, toolchains and linker
scripts are generated from it). Its Starlark is a subset of Python, so this module runs it
with `struct` and `Label` stand-ins instead of keeping a second table that could drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tinymlc.errors import CompileError


@dataclass(frozen=True)
class Core:
    name: str
    mhz: int


@dataclass(frozen=True)
class BoardFacts:
    name: str
    description: str
    triple: str
    cores: tuple[Core, ...]
    flash_bytes: int
    ram_bytes: int

    @property
    def core_mhz(self) -> tuple[int, ...]:
        return tuple(core.mhz for core in self.cores)


def default_boards_bzl() -> Path:
    """`$TINYML_BOARDS_BZL`, else `<repo>/platforms/boards.bzl` (also where Bazel's runfiles
    put it, next to this package's tools/ directory)."""
    configured = os.environ.get("TINYML_BOARDS_BZL")
    if configured:
        return Path(configured)
    return Path(__file__).absolute().parents[4] / "platforms" / "boards.bzl"


def _struct(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(**fields)


def load_boards(path: Path | None = None) -> dict[str, BoardFacts]:
    """Every board configuration of boards.bzl, by name."""
    source = path or default_boards_bzl()
    try:
        text = source.read_text()
    except OSError as error:
        raise CompileError(f"cannot read the board table: {error}", str(source)) from None
    namespace: dict[str, Any] = {"struct": _struct, "Label": str}
    exec(compile(text, str(source), "exec"), namespace)
    return {
        name: BoardFacts(
            name=name,
            description=entry.description,
            triple=entry.triple,
            cores=tuple(Core(core.name, int(core.mhz)) for core in entry.cores),
            flash_bytes=int(entry.flash.length),
            ram_bytes=int(entry.ram.length),
        )
        for name, entry in namespace["BOARDS"].items()
    }


def board(name: str, path: Path | None = None) -> BoardFacts:
    boards = load_boards(path)
    if name not in boards:
        raise CompileError(f"unknown board {name!r}; boards: {', '.join(sorted(boards))}")
    return boards[name]
