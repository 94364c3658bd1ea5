"""Does a firmware's model fit its board? Checked before linking, from the compiler's reports.

Flash must hold every model's weights and parameters (plus code, which the linker checks);
RAM must hold every model's arena plus the stacks. When something does not fit, the message
names the model, the board, the numbers, and what is largest: the biggest constant tensor for
flash, the layer at which the arena peaks (with the tensors live there) for RAM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinymlc.errors import CompileError


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    flash_bytes: int
    ram_bytes: int


@dataclass(frozen=True)
class ModelReport:
    """A tinymlc report.json and the Bazel label of the model it belongs to."""

    label: str
    report: dict[str, Any]

    @staticmethod
    def load(label: str, path: Path) -> ModelReport:
        try:
            return ModelReport(label, json.loads(path.read_text()))
        except (OSError, ValueError) as error:
            raise CompileError(f"cannot read the compiler report of {label}: {error}", str(path)) from None

    @property
    def source(self) -> str:
        return str(self.report["source"])


def _bytes(count: int) -> str:
    return f"{count:,} B"


def _short(name: str) -> str:
    """TFLite converters name a fused tensor after every op it came from, joined by ';':
    the first is the op that produced it, enough to find it."""
    first, _, rest = name.partition(";")
    return f"{first};..." if rest else first


def largest_constant(report: dict[str, Any]) -> str:
    """The biggest tensor in flash, and the first layer that reads it."""
    best: tuple[int, str, dict[str, Any]] | None = None
    for layer in report["layers"]:
        for tensor in layer["tensors"]:
            if tensor["storage"] == "flash" and (best is None or tensor["bytes"] > best[0]):
                best = (tensor["bytes"], tensor["name"], layer)
    if best is None:
        return "the model has no constant tensors"
    size, name, layer = best
    where = f"layer {layer['index']} {layer['op']}"
    return f"largest constant: tensor '{_short(name)}' ({_bytes(size)}) of {where}"


def peak_layer(report: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The layer whose live arena tensors reach highest in the arena, and that height."""
    best: tuple[int, dict[str, Any]] | None = None
    for layer in report["layers"]:
        top = max((t["offset"] + t["bytes"] for t in layer["tensors"] if t["storage"] == "arena"), default=0)
        if best is None or top > best[0]:
            best = (top, layer)
    return best


def arena_peak(report: dict[str, Any]) -> str:
    """The layer whose live arena tensors reach highest in the arena, and those tensors."""
    best = peak_layer(report)
    if best is None:
        return "the model has no layers"
    top, layer = best
    tensors = ", ".join(
        f"'{_short(t['name'])}' ({_bytes(t['bytes'])} at offset {t['offset']:,})"
        for t in sorted(layer["tensors"], key=lambda t: -int(t["bytes"]))
        if t["storage"] == "arena"
    )
    return f"arena peaks at layer {layer['index']} {layer['op']} ({_bytes(top)}): {tensors}"


def check(board: Board, stack_bytes: int, models: list[ModelReport]) -> str:
    """The planned use of the board's memory; raises CompileError naming what does not fit."""
    flash = sum(int(m.report["flash_bytes"]) for m in models)
    arena = sum(int(m.report["arena_bytes"]) for m in models)
    ram = arena + stack_bytes
    problems = []
    if flash > board.flash_bytes:
        culprit = max(models, key=lambda m: int(m.report["flash_bytes"]))
        problems.append(
            f"flash: weights and parameters {_bytes(flash)} (before code) > {_bytes(board.flash_bytes)} "
            f"(over by {_bytes(flash - board.flash_bytes)}); "
            f"{culprit.label}'s {largest_constant(culprit.report)}"
        )
    if ram > board.ram_bytes:
        culprit = max(models, key=lambda m: int(m.report["arena_bytes"]))
        problems.append(
            f"RAM: arena {_bytes(arena)} + stacks {_bytes(stack_bytes)} = {_bytes(ram)} > "
            f"{_bytes(board.ram_bytes)} (over by {_bytes(ram - board.ram_bytes)}); "
            f"{culprit.label}'s {arena_peak(culprit.report)}"
        )
    names = ", ".join(f"{m.label} ({m.source})" for m in models) or "no model"
    if problems:
        lines = [f"{names} does not fit board {board.name} ({board.description}):"]
        lines += [f"  {problem}" for problem in problems]
        lines.append("  Use a board with more memory, or a smaller model (fewer channels, smaller input).")
        raise CompileError("\n".join(lines))
    return (
        f"{names} fits board {board.name}: flash {_bytes(flash)} of weights and parameters "
        f"of {_bytes(board.flash_bytes)}; RAM {_bytes(arena)} arena + {_bytes(stack_bytes)} stacks "
        f"of {_bytes(board.ram_bytes)}\n"
    )
