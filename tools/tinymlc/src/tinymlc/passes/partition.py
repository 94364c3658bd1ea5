"""Compile-time partitioning of every layer across the target's cores.

Each layer's kernel computes a caller-given part of its output: tile kernels
(convolutions, pools, FULLY_CONNECTED, BATCH_MATMUL) a rectangle of rows x
channels, the others a range of one axis (output elements; SOFTMAX rows).
For each layer this pass picks one axis and cuts it into contiguous slices
proportional to the cores' clocks, or leaves the layer whole on one core when
the cost model says the split (per-part call overhead, every part re-reading the
operands it needs whole, and the barrier) costs more than it saves.

Steps run in schedule order; a barrier follows a step only where a later step
could otherwise see a missing write or overwrite a byte still being read. Whole
layers that touch disjoint arena bytes join one barrier interval, on different
cores where that finishes earlier (independent branches), so runs of small
layers cost no barrier each.

Costs are in cycles of a core: `MAC_CYCLES` per multiply-accumulate,
`ELEMENT_CYCLES` per output element (requantization), `BYTE_CYCLES` per byte
read or written, `CALL_CYCLES` per kernel call, `BARRIER_CYCLES` per barrier
(the wake-up of sleeping cores). A part's time on core `c` is its cycles divided
by the core's MHz, so faster cores get proportionally larger slices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tinymlc.errors import CompileError

MAC_CYCLES = 1.0
ELEMENT_CYCLES = 4.0
BYTE_CYCLES = 0.25
CALL_CYCLES = 200.0
BARRIER_CYCLES = 400.0


@dataclass(frozen=True)
class PartSpace:
    """What one layer's kernel can be given: `rows` x `channels` (tile kernels) or a
    range of `rows` (`channels == 1`). `axes` names the axes as the report shows them."""

    rows: int
    channels: int
    axes: tuple[str, str]


@dataclass(frozen=True)
class LayerCost:
    """One layer, as the cost model sees it."""

    space: PartSpace
    macs: int
    output_elements: int
    output_bytes: int
    arena_input_bytes: int
    """Bytes of the inputs in the arena: the rows axis slices them."""
    constant_bytes: int
    """Bytes of the weights and other constants: the channels axis slices them."""
    reads: tuple[tuple[int, int], ...]
    """Arena byte ranges `[start, end)` the layer reads."""
    writes: tuple[tuple[int, int], ...]
    """Arena byte ranges the layer writes: its output and its cores' scratch."""


@dataclass(frozen=True)
class Part:
    core: int
    rows: tuple[int, int]
    channels: tuple[int, int]
    cycles: float


@dataclass(frozen=True)
class ScheduledStep:
    layer: int
    axis: str
    """The split axis, or "none" for a layer on one core."""
    parts: tuple[Part, ...]
    """One per core that computes something, in core order."""
    barrier_after: bool


@dataclass
class Schedule:
    core_mhz: tuple[int, ...]
    steps: list[ScheduledStep] = field(default_factory=list)

    def core_cycles(self) -> list[float]:
        totals = [0.0] * len(self.core_mhz)
        for step in self.steps:
            for part in step.parts:
                totals[part.core] += part.cycles
        return totals

    def predicted_us(self) -> float:
        """Makespan: per barrier interval, its slowest core, plus the barrier."""
        total = 0.0
        interval = [0.0] * len(self.core_mhz)
        for step in self.steps:
            for part in step.parts:
                interval[part.core] += part.cycles / self.core_mhz[part.core]
            if step.barrier_after:
                total += max(interval) + (self.barrier_us() if len(self.core_mhz) > 1 else 0.0)
                interval = [0.0] * len(self.core_mhz)
        return total + max(interval)

    def barrier_us(self) -> float:
        return BARRIER_CYCLES / min(self.core_mhz)


def parse_core_mhz(text: str) -> tuple[int, ...]:
    """`--core_mhz=480,240` -> (480, 240); a clear error for anything else."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise CompileError(f"--core_mhz={text!r}: expected comma-separated integers, e.g. 480,240") from None
    if not values or any(v <= 0 for v in values):
        raise CompileError(f"--core_mhz={text!r}: every core needs a positive clock in MHz")
    return values


def proportional_sizes(length: int, weights: Sequence[int]) -> list[int]:
    """`length` units split in proportion to `weights`, minimizing the largest
    `size / weight` (the slowest core's time); earlier cores win ties."""
    total = sum(weights)
    sizes = [length * w // total for w in weights]
    for _ in range(length - sum(sizes)):
        core = min(range(len(weights)), key=lambda c: ((sizes[c] + 1) / weights[c], c))
        sizes[core] += 1
    return sizes


def _cycles(cost: LayerCost, axis: int, fraction: float) -> float:
    """Cycles of a part computing `fraction` of the layer cut along `axis` (0 rows, 1 channels)."""
    sliced, whole = (
        (cost.arena_input_bytes, cost.constant_bytes)
        if axis == 0
        else (cost.constant_bytes, cost.arena_input_bytes)
    )
    scaled = (
        cost.macs * MAC_CYCLES
        + cost.output_elements * ELEMENT_CYCLES
        + (cost.output_bytes + sliced) * BYTE_CYCLES
    )
    return CALL_CYCLES + fraction * scaled + whole * BYTE_CYCLES


def whole_cycles(cost: LayerCost) -> float:
    return _cycles(cost, 0, 1.0)


def _split(cost: LayerCost, axis: int, core_mhz: Sequence[int]) -> tuple[Part, ...]:
    space = cost.space
    length = space.rows if axis == 0 else space.channels
    parts = []
    start = 0
    for core, size in enumerate(proportional_sizes(length, core_mhz)):
        if size == 0:
            continue
        span = (start, start + size)
        rows, channels = (span, (0, space.channels)) if axis == 0 else ((0, space.rows), span)
        parts.append(Part(core, rows, channels, _cycles(cost, axis, size / length)))
        start += size
    return tuple(parts)


def _split_us(parts: Sequence[Part], core_mhz: Sequence[int]) -> float:
    return max(p.cycles / core_mhz[p.core] for p in parts)


def _conflicts(a: LayerCost, b: LayerCost) -> bool:
    """Whether two layers on different cores could not run between the same barriers."""

    def overlap(x: tuple[int, int], y: tuple[int, int]) -> bool:
        return x[0] < y[1] and y[0] < x[1]

    def touches(writes: tuple[tuple[int, int], ...], ranges: tuple[tuple[int, int], ...]) -> bool:
        return any(overlap(w, r) for w in writes for r in ranges)

    return touches(a.writes, b.writes + b.reads) or touches(b.writes, a.reads)


@dataclass
class _Interval:
    """Whole layers since the last barrier: each core's layers and busy time."""

    cores: int
    layers: list[tuple[int, LayerCost]] = field(default_factory=list)
    busy_us: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.busy_us = [0.0] * self.cores

    def allowed(self, core: int, cost: LayerCost) -> bool:
        return all(other == core or not _conflicts(cost, c) for other, c in self.layers)


def partition(
    costs: Sequence[LayerCost], core_mhz: Sequence[int], split_every_layer: bool = False
) -> Schedule:
    """The schedule of `costs` (one per layer, in order) on cores of `core_mhz`.

    `split_every_layer` splits every layer that has an axis longer than one,
    whatever the cost (tests use it to exercise every kernel's parts).
    """
    schedule = Schedule(tuple(core_mhz))
    cores = len(core_mhz)
    barrier_us = schedule.barrier_us() if cores > 1 else 0.0
    interval = _Interval(cores)

    def close_interval() -> None:
        nonlocal interval
        if schedule.steps:
            last = schedule.steps[-1]
            schedule.steps[-1] = ScheduledStep(last.layer, last.axis, last.parts, True)
        interval = _Interval(cores)

    for layer, cost in enumerate(costs):
        splits = [
            (axis, _split(cost, axis, core_mhz))
            for axis, length in enumerate((cost.space.rows, cost.space.channels))
            if length > 1 and cores > 1
        ]
        best_axis, best_split = min(splits, key=lambda s: _split_us(s[1], core_mhz), default=(0, ()))
        whole = whole_cycles(cost)
        makespan = max(interval.busy_us)
        # Whole on one core: where this interval then ends earliest. The interval's closing
        # barrier is shared by all its layers, so joining does not pay for it; a split does.
        placements = [
            (max(makespan, interval.busy_us[c] + whole / core_mhz[c]) - makespan, c)
            for c in range(cores)
            if interval.allowed(c, cost)
        ]
        if placements:
            join_us, core = min(placements, key=lambda p: (p[0], -core_mhz[p[1]], p[1]))
        else:
            core = max(range(cores), key=lambda c: (core_mhz[c], -c))
            join_us = barrier_us + whole / core_mhz[core]
        if best_split and (split_every_layer or _split_us(best_split, core_mhz) + barrier_us < join_us):
            close_interval()
            schedule.steps.append(ScheduledStep(layer, cost.space.axes[best_axis], best_split, True))
            continue
        if not placements:
            close_interval()
        interval.layers.append((core, cost))
        interval.busy_us[core] += whole / core_mhz[core]
        full = Part(core, (0, cost.space.rows), (0, cost.space.channels), whole)
        schedule.steps.append(ScheduledStep(layer, "none", (full,), False))
    close_interval()
    return schedule
