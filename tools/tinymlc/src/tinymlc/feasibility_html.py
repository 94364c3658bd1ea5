"""The feasibility report as one self-contained HTML page: inline CSS and SVG, no script, no
network, so it opens from file:// and from an archived build output alike."""

from __future__ import annotations

from html import escape
from typing import Any

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 6px; }
table.facts td { padding: 2px 12px 2px 0; } .fit { color: #0a7d32; font-weight: bold; }
.nofit { color: #b3261e; font-weight: bold; } .muted { color: #667; }
svg { border: 1px solid #dde; background: #fbfbfd; } svg text { font: 11px sans-serif; }
"""

# Distinct fills for neighbouring tensors.
_PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]


def _bytes(count: int | None) -> str:
    return "-" if count is None else f"{count:,} B"


def _arena_svg(result: dict[str, Any]) -> str:
    """Layers left to right, arena offsets bottom to top: each live tensor is a box."""
    tensors = result["arena"]["tensors"]
    layers = len(result["layers"])
    arena = max(int(result["ram"]["arena_bytes"]), 1)
    width, height, left, bottom = 760, 320, 60, 24
    top_margin = 16
    column = (width - left - 10) / max(layers, 1)
    scale = (height - bottom - top_margin) / arena
    shapes = []
    for index, tensor in enumerate(tensors):
        x = left + tensor["first"] * column
        w = (tensor["last"] - tensor["first"] + 1) * column
        y = height - bottom - (tensor["offset"] + tensor["bytes"]) * scale
        h = max(tensor["bytes"] * scale, 1.0)
        title = (
            f"{tensor['name']}: {tensor['bytes']:,} B at offset {tensor['offset']:,}, "
            f"layers {tensor['first']}-{tensor['last']}"
        )
        fill = "#c9c9d6" if tensor["tensor"] is None else _PALETTE[index % len(_PALETTE)]
        shapes.append(
            f'<rect class="tensor" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{fill}" fill-opacity="0.8" stroke="#fff"><title>{escape(title)}</title></rect>'
        )
    peak_top, peak_layer = result["arena"]["peak_bytes"], result["arena"]["peak_layer"]
    if peak_layer is not None:
        y = height - bottom - peak_top * scale
        x = left + (peak_layer + 0.5) * column
        shapes.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="#b3261e" stroke-dasharray="4 3"/>'
            f'<circle class="peak" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#b3261e"/>'
            f'<text x="{left + 4}" y="{max(y - 4, 10):.1f}" fill="#b3261e">'
            f"peak {peak_top:,} B at layer {peak_layer}</text>"
        )
    ticks = "".join(
        f'<text x="{left + (i + 0.5) * column:.1f}" y="{height - 8}" text-anchor="middle">{i}</text>'
        for i in range(layers)
        if layers <= 40 or i % max(layers // 20, 1) == 0
    )
    axis = (
        f'<text x="4" y="14">{arena:,} B</text><text x="4" y="{height - bottom}">0</text>'
        f'<line x1="{left}" x2="{left}" y1="10" y2="{height - bottom}" stroke="#889"/>'
    )
    return (
        f'<svg id="arena" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"{axis}{''.join(shapes)}{ticks}</svg>"
    )


def _gantt_svg(result: dict[str, Any]) -> str:
    """One row per core; each part of a layer a bar; barriers as vertical lines."""
    cores = len(result["target"]["core_mhz"])
    parts = result["schedule"]["parts"]
    total = max(float(result["latency"]["total_us"]), 1e-9)
    width, row, left = 760, 34, 90
    height = cores * row + 30
    scale = (width - left - 10) / total
    shapes = []
    for part in parts:
        x = left + part["start_us"] * scale
        w = max((part["end_us"] - part["start_us"]) * scale, 0.5)
        y = 8 + part["core"] * row
        title = (
            f"layer {part['layer']} on core {part['core']}: {part['start_us']:.1f}-{part['end_us']:.1f} µs"
        )
        shapes.append(
            f'<rect class="part" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{_PALETTE[part["layer"] % len(_PALETTE)]}" stroke="#fff">'
            f"<title>{escape(title)}</title></rect>"
        )
    for at in result["schedule"]["barriers"]:
        x = left + at * scale
        shapes.append(
            f'<line class="barrier" x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{cores * row + 4}"'
            f' stroke="#1d2330" stroke-width="1"/>'
        )
    labels = "".join(
        f'<text x="4" y="{8 + core * row + row / 2:.0f}">core {core} ({mhz} MHz)</text>'
        for core, mhz in enumerate(result["target"]["core_mhz"])
    )
    axis = (
        f'<text x="{left}" y="{height - 6}">0</text>'
        f'<text x="{width - 10}" y="{height - 6}" text-anchor="end">{total:,.0f} µs</text>'
    )
    return (
        f'<svg id="schedule" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"{labels}{''.join(shapes)}{axis}</svg>"
    )


def _bars_svg(result: dict[str, Any]) -> str:
    """Per layer: MACs (left) and estimated µs (right) as horizontal bars."""
    layers = result["layers"]
    row, width, label = 16, 760, 190
    half = (width - label - 20) / 2
    height = len(layers) * row + 24
    most_macs = max((layer["macs"] for layer in layers), default=0) or 1
    most_us = max((layer["us"] for layer in layers), default=0.0) or 1.0
    shapes = [
        f'<text x="{label}" y="14">MACs (max {most_macs:,})</text>'
        f'<text x="{label + half + 10}" y="14">µs (max {most_us:,.1f})</text>'
    ]
    for i, layer in enumerate(layers):
        y = 20 + i * row
        macs_w = layer["macs"] / most_macs * half
        us_w = layer["us"] / most_us * half
        shapes.append(
            f'<text x="4" y="{y + 11}">{layer["index"]} {escape(layer["op"])}</text>'
            f'<rect class="macs" x="{label}" y="{y}" width="{macs_w:.1f}" height="{row - 4}" fill="#4e79a7">'
            f"<title>{layer['macs']:,} MACs</title></rect>"
            f'<rect class="latency" x="{label + half + 10}" y="{y}" width="{us_w:.1f}"'
            f' height="{row - 4}" fill="#f28e2b">'
            f"<title>{layer['us']:,.1f} µs</title></rect>"
        )
    return (
        f'<svg id="layers" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"{''.join(shapes)}</svg>"
    )


def render_html(result: dict[str, Any]) -> str:
    target, flash, ram, latency, verdict = (
        result["target"],
        result["flash"],
        result["ram"],
        result["latency"],
        result["verdict"],
    )
    word, css = {True: ("fits", "fit"), False: ("does not fit", "nofit"), None: ("no verdict", "muted")}[
        verdict["fits"]
    ]
    facts = [
        (
            "flash",
            f"{_bytes(flash['total_bytes'])} of {_bytes(target['flash_bytes'])}: weights "
            f"{_bytes(flash['weight_bytes'])}, parameters {_bytes(flash['param_bytes'])}"
            f", code ~{_bytes(flash['code_estimate_bytes'])}",
        ),
        (
            "RAM",
            f"{_bytes(ram['total_bytes'])} of {_bytes(target['ram_bytes'])}"
            f": arena {_bytes(ram['arena_bytes'])} "
            f"(TFLM's greedy plan {_bytes(ram['tflm_greedy_arena_bytes'])})"
            f", stacks {_bytes(ram['stack_bytes'])}",
        ),
        ("MACs", f"{result['macs']:,}"),
        (
            "latency",
            f"~{latency['total_us'] / 1000:,.2f} ms on {len(target['core_mhz'])} core(s); "
            f"{latency['single_core_us'] / 1000:,.2f} ms on the first core alone "
            f"({latency['instruction_set']}: {latency['cycles_per_model_cycle']}"
            f" cycles per cost-model cycle)",
        ),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(result["model"])}: feasibility on {escape(target["name"])}</title>
<style>{_CSS}</style></head><body>
<h1>{escape(result["model"])} on {escape(target["name"])}</h1>
<div class="muted">{escape(target["description"])}</div>
<p class="{css}">Verdict: {escape(word)}</p><p>{escape(verdict["summary"])}</p>
<table class="facts">{rows}</table>
<h2>Arena over time (layers left to right; the dashed line is the peak)</h2>
<p class="muted">{escape(result["arena"]["peak"])}</p>
{_arena_svg(result)}
<h2>Schedule per core (bars: parts of layers; lines: barriers)</h2>
{_gantt_svg(result)}
<h2>Per layer: MACs and estimated latency</h2>
{_bars_svg(result)}
</body></html>
"""
