"""Will this model run on this board, and how fast? Answered from the compiler's report.json.

Flash: weights and parameters (exact, from report.json) plus an estimate of code. RAM: the
arena plus one stack per core. Both are judged by firmware/budget.py, the same check a
`tinyml_firmware` build runs before linking. Latency: the partition pass's cost model already
prices every part of every layer in its own cycle units (report.json's `schedule`); one
figure per instruction set turns those units into core cycles (`CYCLES_PER_MODEL_CYCLE`, see
its comment for how it is calibrated), and the cores' clocks turn cycles into microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tinymlc.boards import BoardFacts
from tinymlc.errors import CompileError
from tinymlc.firmware import budget
from tinymlc.passes.partition import BARRIER_CYCLES

# The stack `tinyml_firmware` reserves per core unless told otherwise (its `stack_bytes`).
DEFAULT_STACK_BYTES = 16 * 1024

# Core cycles per cycle of the partition pass's cost model (whose MAC costs 1), per instruction
# set (the target triple's architecture). Calibrated from our QEMU plugin's instruction counts
# of DS-CNN KWS (`./bazelw run -c opt //tools/bench:ds_cnn_kws_on_<board>`, core 0, median of
# the test inputs) divided by the model's one-core cost (report.json's
# `predicted_single_core_us` x MHz: 2,989,776 cost-model cycles), taking one instruction per
# cycle: mps2_an386 (thumbv7em) 21,548,496 -> 7.2; mps2_an521 (thumbv8m.main) 20,524,372 ->
# 6.9; riscv32_virt (riscv32imac) 27,709,443 -> 9.3. Not measured, borrowed from the nearest
# measured set: thumbv7m (the kernels emit no DSP instructions) and riscv32imc (compressed
# encodings, same instructions); thumbv6m is thumbv7em's x1.5 (Armv6-M lacks the long multiply
# and the wide immediate forms: an assumption), xtensa riscv32imac's (an assumption).
CYCLES_PER_MODEL_CYCLE = {
    "thumbv6m": 10.8,
    "thumbv7em": 7.2,
    "thumbv7m": 7.2,
    "thumbv8m.main": 6.9,
    "riscv32imac": 9.3,
    "riscv32imc": 9.3,
    "xtensa": 9.3,
}
DEFAULT_CALIBRATION = "thumbv7em"

# Code: the runtime (arena views, executor, input/output conversion) plus each distinct
# operator kind's kernel. Rough figures, not measured per model: the linker's size report of a
# tinyml_firmware (`<name>_size`) gives the true number.
CODE_BASE_BYTES = 8 * 1024
CODE_BYTES_PER_OPERATOR_KIND = 3 * 1024


def instruction_set(triple: str) -> str:
    arch = triple.split("-", 1)[0]
    return "xtensa" if arch.startswith("xtensa") else arch


def cycles_per_model_cycle(triple: str | None) -> tuple[str, float]:
    isa = instruction_set(triple) if triple else DEFAULT_CALIBRATION
    return (isa, CYCLES_PER_MODEL_CYCLE.get(isa, CYCLES_PER_MODEL_CYCLE[DEFAULT_CALIBRATION]))


@dataclass(frozen=True)
class Target:
    """What the report is judged against: a board, or bare core clocks."""

    name: str
    description: str
    triple: str | None
    core_mhz: tuple[int, ...]
    flash_bytes: int | None
    ram_bytes: int | None

    @staticmethod
    def of_board(board: BoardFacts) -> Target:
        return Target(
            board.name, board.description, board.triple, board.core_mhz, board.flash_bytes, board.ram_bytes
        )

    @staticmethod
    def of_clocks(core_mhz: tuple[int, ...]) -> Target:
        cores = " + ".join(f"{mhz} MHz" for mhz in core_mhz)
        return Target("cores", f"no board: cores at {cores}", None, core_mhz, None, None)


def _arena_tensors(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each arena tensor with the first and last layer it is live at (inclusive)."""
    live: dict[int, dict[str, Any]] = {}
    for layer in report["layers"]:
        for tensor in layer["tensors"]:
            if tensor["storage"] != "arena":
                continue
            entry = live.setdefault(
                tensor["tensor"],
                {
                    "tensor": tensor["tensor"],
                    "name": tensor["name"],
                    "offset": tensor["offset"],
                    "bytes": tensor["bytes"],
                    "first": layer["index"],
                    "last": layer["index"],
                },
            )
            entry["last"] = layer["index"]
    scratch = [
        {
            "tensor": None,
            "name": f"scratch of layer {s['layer']}, core {s['core']}",
            "offset": s["offset"],
            "bytes": s["bytes"],
            "first": s["layer"],
            "last": s["layer"],
        }
        for s in report.get("scratch", [])
    ]
    return sorted(live.values(), key=lambda t: (t["first"], t["offset"])) + scratch


def _timeline(
    report: dict[str, Any], core_mhz: tuple[int, ...], scale: float
) -> tuple[list[dict[str, Any]], list[float], float]:
    """The schedule in calibrated time: each part's start and end (µs), the barrier times and
    the makespan. A barrier waits for the slowest core, then costs BARRIER_CYCLES."""
    clock = [0.0] * len(core_mhz)
    parts: list[dict[str, Any]] = []
    barriers: list[float] = []
    barrier_us = BARRIER_CYCLES * scale / min(core_mhz) if len(core_mhz) > 1 else 0.0
    for step in report["schedule"]["steps"]:
        for part in step["parts"]:
            core = part["core"]
            duration = part["cycles"] * scale / core_mhz[core]
            parts.append(
                {
                    "layer": step["layer"],
                    "core": core,
                    "start_us": clock[core],
                    "end_us": clock[core] + duration,
                }
            )
            clock[core] += duration
        if step["barrier_after"] and len(core_mhz) > 1:
            at = max(clock)
            barriers.append(at)
            clock = [at + barrier_us] * len(core_mhz)
    return parts, barriers, max(clock)


def _verdict(report: dict[str, Any], target: Target, stacks: int, code_bytes: int) -> dict[str, Any]:
    if target.flash_bytes is None or target.ram_bytes is None:
        return {"fits": None, "summary": "no board given: nothing to judge against"}
    board = budget.Board(target.name, target.description, target.flash_bytes, target.ram_bytes)
    model = budget.ModelReport(str(report["source"]), report)
    try:
        summary = budget.check(board, stacks, [model]).strip()
    except CompileError as error:
        return {"fits": False, "summary": error.message}
    with_code = int(report["flash_bytes"]) + code_bytes
    if with_code > target.flash_bytes:
        return {
            "fits": False,
            "summary": f"{summary}; but with the code estimate flash needs {with_code:,} B "
            f"> {target.flash_bytes:,} B",
        }
    return {"fits": True, "summary": summary}


def feasibility(
    report: dict[str, Any], target: Target, stack_bytes: int = DEFAULT_STACK_BYTES
) -> dict[str, Any]:
    """The feasibility report (JSON-ready) of a compiled model's report.json on a target."""
    compiled_for = tuple(report["schedule"]["core_mhz"])
    # One core: the clock changes no partition, only the time, which is computed here.
    if compiled_for != target.core_mhz and not (len(compiled_for) == len(target.core_mhz) == 1):
        raise CompileError(
            f"report.json was compiled for cores {report['schedule']['core_mhz']} MHz, "
            f"the target has {list(target.core_mhz)}: compile with --core_mhz="
            + ",".join(str(mhz) for mhz in target.core_mhz)
        )
    isa, scale = cycles_per_model_cycle(target.triple)
    kinds = sorted({layer["op"] for layer in report["layers"]})
    code_bytes = CODE_BASE_BYTES + CODE_BYTES_PER_OPERATOR_KIND * len(kinds)
    parts, barriers, total_us = _timeline(report, target.core_mhz, scale)
    cores = len(target.core_mhz)
    stacks = stack_bytes * cores
    layer_us: dict[int, float] = {}
    for part in parts:
        layer_us[part["layer"]] = max(layer_us.get(part["layer"], 0.0), part["end_us"] - part["start_us"])
    peak = budget.peak_layer(report)
    single_core_cycles = float(report["schedule"]["predicted_single_core_us"]) * compiled_for[0]
    single_core_us = single_core_cycles * scale / target.core_mhz[0]
    return {
        "model": report["source"],
        "target": {
            "name": target.name,
            "description": target.description,
            "triple": target.triple,
            "core_mhz": list(target.core_mhz),
            "flash_bytes": target.flash_bytes,
            "ram_bytes": target.ram_bytes,
        },
        "flash": {
            "weight_bytes": report["weight_bytes"],
            "param_bytes": report["param_bytes"],
            "code_estimate_bytes": code_bytes,
            "operator_kinds": kinds,
            "total_bytes": int(report["flash_bytes"]) + code_bytes,
        },
        "ram": {
            "arena_bytes": report["arena_bytes"],
            "tflm_greedy_arena_bytes": report["tflm_greedy_arena_bytes"],
            "stack_bytes": stacks,
            "total_bytes": int(report["arena_bytes"]) + stacks,
        },
        "macs": report["total_macs"],
        "latency": {
            "instruction_set": isa,
            "cycles_per_model_cycle": scale,
            "total_us": total_us,
            "single_core_us": single_core_us,
            "barriers": len(barriers),
        },
        "layers": [
            {
                "index": layer["index"],
                "op": layer["op"],
                "shape": layer["shape"],
                "macs": layer["macs"],
                "us": layer_us.get(layer["index"], 0.0),
            }
            for layer in report["layers"]
        ],
        "schedule": {"parts": parts, "barriers": barriers},
        "arena": {
            "tensors": _arena_tensors(report),
            "peak": budget.arena_peak(report),
            "peak_bytes": peak[0] if peak else 0,
            "peak_layer": peak[1]["index"] if peak else None,
        },
        "verdict": _verdict(report, target, stacks, code_bytes),
    }


def render_text(result: dict[str, Any]) -> str:
    target, flash, ram, latency = result["target"], result["flash"], result["ram"], result["latency"]
    lines = [
        f"{result['model']} on {target['name']} ({target['description']})",
        f"flash: weights {flash['weight_bytes']:,} B + parameters {flash['param_bytes']:,} B "
        f"+ code ~{flash['code_estimate_bytes']:,} B ({len(flash['operator_kinds'])} operator kinds) "
        f"= {flash['total_bytes']:,} B"
        + (f" of {target['flash_bytes']:,} B" if target["flash_bytes"] else ""),
        f"RAM: arena {ram['arena_bytes']:,} B (TFLM's greedy plan: {ram['tflm_greedy_arena_bytes']:,} B) "
        f"+ stacks {ram['stack_bytes']:,} B = {ram['total_bytes']:,} B"
        + (f" of {target['ram_bytes']:,} B" if target["ram_bytes"] else ""),
        f"  {result['arena']['peak']}",
        f"MACs: {result['macs']:,}",
        f"latency: ~{latency['total_us'] / 1000:.2f} ms on {len(target['core_mhz'])} core(s) "
        f"({latency['single_core_us'] / 1000:.2f} ms on the first alone; {latency['instruction_set']}: "
        f"{latency['cycles_per_model_cycle']} cycles per cost-model cycle)",
        "",
        f"{'layer':>5}  {'op':<22} {'MACs':>12} {'µs':>10}",
    ]
    lines += [
        f"{layer['index']:>5}  {layer['op']:<22} {layer['macs']:>12,} {layer['us']:>10.1f}"
        for layer in result["layers"]
    ]
    verdict = result["verdict"]
    word = {True: "FITS", False: "DOES NOT FIT", None: "NO VERDICT"}[verdict["fits"]]
    lines += ["", f"verdict: {word}: {verdict['summary']}"]
    return "\n".join(lines) + "\n"
