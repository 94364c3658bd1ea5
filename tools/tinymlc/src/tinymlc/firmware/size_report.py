"""Flash and RAM of a linked firmware image, next to what the compiler planned for its models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tinymlc.firmware.budget import Board, ModelReport
from tinymlc.firmware.elf import Section


@dataclass(frozen=True)
class Region:
    origin: int
    length: int

    def holds(self, address: int) -> bool:
        return self.origin <= address < self.origin + self.length


def size_report(
    firmware: str,
    sections: list[Section],
    board: Board,
    flash: Region,
    ram: Region,
    models: list[ModelReport],
) -> dict[str, Any]:
    """Per-section and total flash/RAM use, the board's sizes, and each model's plan."""
    flash_sections = {s.name: s.size for s in sections if s.has_contents and flash.holds(s.load_address)}
    ram_sections = {s.name: s.size for s in sections if ram.holds(s.address)}
    return {
        "firmware": firmware,
        "board": board.name,
        "flash_bytes": sum(flash_sections.values()),
        "flash_capacity_bytes": board.flash_bytes,
        "ram_bytes": sum(ram_sections.values()),
        "ram_capacity_bytes": board.ram_bytes,
        "flash_sections": flash_sections,
        "ram_sections": ram_sections,
        "models": [
            {
                "model": m.label,
                "source": m.source,
                "planned_flash_bytes": m.report["flash_bytes"],
                "planned_arena_bytes": m.report["arena_bytes"],
            }
            for m in models
        ],
    }


_REGION_NAMES = {"flash": "flash", "ram": "RAM"}


def _percent(used: int, capacity: int) -> str:
    return f"{100.0 * used / capacity:.1f}%"


def render_text(report: dict[str, Any]) -> str:
    lines = [f"{report['firmware']} on {report['board']}"]
    for kind in ("flash", "ram"):
        used, capacity = report[f"{kind}_bytes"], report[f"{kind}_capacity_bytes"]
        lines.append(f"  {_REGION_NAMES[kind]}: {used:,} of {capacity:,} B ({_percent(used, capacity)})")
        lines += [f"    {name:<16} {size:>10,} B" for name, size in report[f"{kind}_sections"].items()]
    for model in report["models"]:
        lines.append(
            f"  planned by tinymlc for {model['model']}: {model['planned_flash_bytes']:,} B weights and "
            f"parameters (in .rodata), {model['planned_arena_bytes']:,} B arena (in .bss)"
        )
    return "\n".join(lines) + "\n"
