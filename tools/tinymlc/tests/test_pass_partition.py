"""The partition pass: slices proportional to core clocks, whole small layers,
independent layers side by side, barriers only where needed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tinymlc.codegen import Target, compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend import load_model
from tinymlc.passes.partition import LayerCost, PartSpace, parse_core_mhz, partition, proportional_sizes

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"
TILE = ("rows", "channels")


def conv_like(
    rows: int, channels: int, write: tuple[int, int], reads: tuple[tuple[int, int], ...]
) -> LayerCost:
    """A convolution-sized layer: many MACs per output element."""
    elements = rows * 8 * channels
    return LayerCost(
        space=PartSpace(rows, channels, TILE),
        macs=elements * 576,
        output_elements=elements,
        output_bytes=elements,
        arena_input_bytes=elements,
        constant_bytes=channels * 576,
        reads=reads,
        writes=(write,),
    )


def small(write: tuple[int, int], reads: tuple[tuple[int, int], ...], elements: int = 64) -> LayerCost:
    """An elementwise layer over `elements` values."""
    return LayerCost(
        PartSpace(elements, 1, ("elements", "none")), 0, elements, elements, elements, 0, reads, (write,)
    )


def test_sizes_follow_the_clocks() -> None:
    assert proportional_sizes(25, [480, 240]) == [17, 8]
    assert proportional_sizes(10, [1, 1, 1, 1]) == [3, 3, 2, 2]
    assert proportional_sizes(2, [1, 1, 1, 1]) == [1, 1, 0, 0]
    assert proportional_sizes(300, [480, 240, 240]) == [150, 75, 75]


def test_core_mhz_flag_errors_are_clear() -> None:
    assert parse_core_mhz("480,240") == (480, 240)
    for bad in ("", "480,x", "480,0", "-5"):
        with pytest.raises(CompileError, match="--core_mhz"):
            parse_core_mhz(bad)


def test_a_large_layer_is_split_two_to_one() -> None:
    schedule = partition([conv_like(48, 64, (0, 100), ((200, 300),))], (480, 240))
    (step,) = schedule.steps
    assert step.axis == "rows"
    assert step.barrier_after
    assert [p.rows for p in step.parts] == [(0, 32), (32, 48)]
    assert all(p.channels == (0, 64) for p in step.parts)
    shares = [c / sum(schedule.core_cycles()) for c in schedule.core_cycles()]
    assert shares == pytest.approx([2 / 3, 1 / 3], abs=0.01)
    assert schedule.predicted_us() < sum(schedule.core_cycles()) / 480


def test_a_single_row_layer_is_split_by_channels() -> None:
    layer = LayerCost(
        PartSpace(1, 1000, TILE), 1000 * 1000, 1000, 1000, 1000, 1_000_000, ((0, 1000),), ((1008, 2008),)
    )
    (step,) = partition([layer], (100, 100, 100, 100)).steps
    assert step.axis == "channels"
    assert [p.channels for p in step.parts] == [(0, 250), (250, 500), (500, 750), (750, 1000)]


def test_small_layers_stay_whole_and_share_a_barrier() -> None:
    layers = [small((0, 64), ((64, 128),)), small((64, 128), ((0, 64),)), small((0, 64), ((64, 128),))]
    schedule = partition(layers, (100, 100))
    assert [s.axis for s in schedule.steps] == ["none"] * 3
    # A chain: each reads what the previous wrote, so all run on one core, no barrier between.
    assert {s.parts[0].core for s in schedule.steps} == {0}
    assert [s.barrier_after for s in schedule.steps] == [False, False, True]


def test_independent_branches_run_on_different_cores() -> None:
    # Two layers that each take long on one core but too little to pay for a split's
    # barrier, touching disjoint bytes: one per core, between the same barriers.
    branch = small((0, 64), ((128, 192),), elements=150)
    other = small((64, 128), ((192, 256),), elements=150)
    schedule = partition([branch, other], (100, 100))
    assert [s.axis for s in schedule.steps] == ["none", "none"]
    assert [s.parts[0].core for s in schedule.steps] == [0, 1]
    assert [s.barrier_after for s in schedule.steps] == [False, True]


def test_a_layer_overwriting_what_another_core_reads_waits_for_a_barrier() -> None:
    first = small((0, 64), ((128, 192),), elements=150)
    # Writes the bytes `first` reads: on another core it would race, so it runs after
    # `first` on the same core, still without a barrier.
    second = small((128, 192), ((256, 320),), elements=150)
    schedule = partition([first, second], (100, 100))
    assert [s.parts[0].core for s in schedule.steps] == [0, 0]
    assert [s.barrier_after for s in schedule.steps] == [False, True]


def test_a_layer_whose_scratch_overlaps_what_another_core_reads_waits_for_a_barrier() -> None:
    first = small((0, 64), ((128, 192),), elements=150)
    # Its output is apart from `first`'s bytes, but its kernel's scratch is planned
    # over the bytes `first` reads (that tensor died before this layer's step).
    second = LayerCost(
        PartSpace(150, 1, ("elements", "none")), 0, 150, 150, 150, 0, ((256, 320),), ((64, 128), (160, 176))
    )
    schedule = partition([first, second], (100, 100))
    assert [s.parts[0].core for s in schedule.steps] == [0, 0]
    apart = partition([first, replace(second, writes=((64, 128), (320, 336)))], (100, 100))
    assert [s.parts[0].core for s in apart.steps] == [0, 1]


def test_split_every_layer_splits_even_tiny_layers() -> None:
    schedule = partition([small((0, 64), ((64, 128),), elements=8)], (100, 100, 100), split_every_layer=True)
    (step,) = schedule.steps
    assert [p.rows for p in step.parts] == [(0, 3), (3, 6), (6, 8)]


def test_one_core_never_splits() -> None:
    schedule = partition([conv_like(48, 64, (0, 100), ())], (480,), split_every_layer=True)
    assert [s.axis for s in schedule.steps] == ["none"]
    assert schedule.predicted_us() == pytest.approx(schedule.core_cycles()[0] / 480)


def test_report_shows_the_schedule_of_a_heterogeneous_board() -> None:
    compiled = compile_model(load_model(MODELS_DIR / "ds_cnn_kws.tflite"), Target((480, 240)))
    report = generate_crate(compiled, "kws").report["schedule"]
    assert report["core_mhz"] == [480, 240]
    assert report["predicted_core_shares"] == pytest.approx([2 / 3, 1 / 3], abs=0.03)
    assert 1.3 < report["predicted_speedup"] <= 1.5
    steps = report["steps"]
    assert len(steps) == len(compiled.graph.operators)
    for step in steps:
        if step["axis"] == "none":
            assert len(step["parts"]) == 1
            continue
        # Split parts cover their axis in order, the faster core taking about twice as much.
        axis = "rows" if step["axis"] == "rows" else "channels"
        spans = [part[axis] for part in step["parts"]]
        assert [s[0] for s in spans[1:]] == [s[1] for s in spans[:-1]]
        sizes = [s[1] - s[0] for s in spans]
        assert sizes[0] >= 2 * sizes[1] - 2
        assert step["barrier_after"]
    # The classifier head is small: whole, on the fast core, one barrier for all of it.
    assert steps[-1]["axis"] == "none"
    assert steps[-1]["parts"][0]["core"] == 0
