import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.model_builder import ModelBuilder
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.passes.memory_planner import (
    BufferRequest,
    align,
    arena_size,
    peak_live_bytes,
    place,
    plan_buffers,
    plan_graph_memory,
    tflm_order,
)

requests_strategy = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 12), st.integers(0, 6)), min_size=1, max_size=12
).map(
    lambda items: [BufferRequest(i, size, first, first + span) for i, (size, first, span) in enumerate(items)]
)


def _assert_valid(requests: list[BufferRequest], offsets: dict[int, int]) -> None:
    for r in requests:
        assert offsets[r.key] % 16 == 0
    for i, a in enumerate(requests):
        for b in requests[i + 1 :]:
            if not (a.first > b.last or b.first > a.last):
                a_end, b_end = offsets[a.key] + align(a.size), offsets[b.key] + align(b.size)
                assert a_end <= offsets[b.key] or b_end <= offsets[a.key]


@settings(max_examples=150, deadline=None)
@given(requests_strategy)
def test_plan_is_valid_and_never_worse_than_tflm(requests: list[BufferRequest]) -> None:
    offsets, size, _ = plan_buffers(requests)
    _assert_valid(requests, offsets)
    aligned = [BufferRequest(r.key, align(r.size), r.first, r.last) for r in requests]
    assert peak_live_bytes(aligned) <= size
    assert size <= arena_size(aligned, place(aligned, tflm_order(aligned)))


def test_beats_tflm_greedy_on_a_known_case() -> None:
    # Size-descending greedy places both 48-byte buffers at 0, then the two
    # 32-byte ones at 48 and 80: 112 bytes.  Peak live is 80 (step 2 or 4),
    # which placing by start time achieves.
    requests = [
        BufferRequest(0, 32, 2, 3),
        BufferRequest(1, 48, 2, 2),
        BufferRequest(2, 32, 3, 5),
        BufferRequest(3, 48, 4, 4),
    ]
    aligned = requests
    tflm = arena_size(aligned, place(aligned, tflm_order(aligned)))
    _, size, _ = plan_buffers(requests)
    assert size == peak_live_bytes(requests) == 80
    assert tflm == 112


def test_in_place_elementwise_reuses_dying_input() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (64,), scale=0.1)
    a = mb.tensor("a", (64,), scale=0.1)
    b = mb.tensor("b", (64,), scale=0.1)
    y = mb.tensor("y", (64,), scale=0.1)
    mb.op("RELU", [x], [a])
    mb.op("LOGISTIC", [a], [b])
    mb.op("RELU", [b], [y])
    plan = plan_graph_memory(parse_model(mb.build([x], [y])).main)
    assert plan.arena_bytes == 64
    assert plan.tflm_greedy_bytes == 128
    assert len(plan.in_place) == 3


def test_in_place_shrinks_a_chain_of_elementwise_ops() -> None:
    # CONV keeps its input alive, then five elementwise ops: without in place
    # they ping-pong between two buffers next to nothing else, with it they
    # all run in the CONV output's buffer after the input died.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 4, 4), scale=0.1)
    w = mb.tensor("w", (4, 1, 1, 4), scale=0.01, data=np.ones((4, 1, 1, 4)))
    c = mb.tensor("c", (1, 4, 4, 4), scale=0.1)
    mb.conv_2d([x, w, -1], [c], padding=0, stride=1)
    previous = c
    for i, kind in enumerate(("TANH", "LOGISTIC", "HARD_SWISH", "RELU6")):
        scale = {"TANH": 1.0 / 128, "LOGISTIC": 1.0 / 256}.get(kind, 0.1)
        zero_point = -128 if kind == "LOGISTIC" else 0
        t = mb.tensor(f"t{i}", (1, 4, 4, 4), scale=scale, zero_point=zero_point)
        mb.op(kind, [previous], [t])
        previous = t
    graph = parse_model(mb.build([x], [previous])).main
    with_in_place = plan_graph_memory(graph)
    without = plan_graph_memory(graph, allow_in_place=False)
    assert len(with_in_place.in_place) == 4
    assert without.in_place == ()
    assert with_in_place.arena_bytes == 64 + 64
    assert without.arena_bytes == 64 + 64
    # A branch that keeps one more tensor alive is where in place pays off:
    # MAXIMUM(t3, c) needs c until the end.
    mb.op("MAXIMUM", [previous, c], [y := mb.tensor("y", (1, 4, 4, 4), scale=0.1)])
    graph = parse_model(mb.build([x], [y])).main
    with_in_place = plan_graph_memory(graph)
    without = plan_graph_memory(graph, allow_in_place=False)
    assert with_in_place.arena_bytes == 2 * 64 < without.arena_bytes == 3 * 64
    # TANH cannot overwrite c (read again by MAXIMUM); the rest run in place,
    # MAXIMUM over its first operand t3 (tensor ids: x 0, w 1, c 2, t0..t3 3..6).
    assert with_in_place.in_place == ((4, 3), (5, 4), (6, 5), (y, 6))


def test_in_place_never_overwrites_a_live_input_or_a_graph_output() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (64,), scale=0.1)
    a = mb.tensor("a", (64,), scale=0.1)
    b = mb.tensor("b", (64,), scale=1.0 / 256, zero_point=-128)
    s = mb.tensor("s", (64,), scale=0.1)
    y = mb.tensor("y", (64,), scale=1.0 / 256, zero_point=-128)
    mb.op("RELU", [x], [a])  # over x: a graph input's arena copy dies here
    mb.op("LOGISTIC", [a], [b])  # a is read again below: not in place
    mb.op("ADD", [a, a], [s], "AddOptions")  # the same tensor twice: not in place
    mb.op("LOGISTIC", [s], [y])  # over s
    graph = parse_model(mb.build([x], [y])).main
    assert plan_graph_memory(graph).in_place == ((a, x), (y, s))

    # `a` becomes a graph output after being written over `x`: the group holding
    # it must not be overwritten by the next op, although `a` dies there.
    mb = ModelBuilder()
    x = mb.tensor("x", (64,), scale=0.1)
    a = mb.tensor("a", (64,), scale=0.1)
    y = mb.tensor("y", (64,), scale=1.0 / 256, zero_point=-128)
    mb.op("RELU", [x], [a])
    mb.op("LOGISTIC", [a], [y])
    plan = plan_graph_memory(parse_model(mb.build([x], [a, y])).main)
    assert plan.in_place == ((a, x),)
    assert plan.tensor_offsets[a] != plan.tensor_offsets[y]


def test_in_place_skips_broadcast_operands_and_other_dtypes() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (4, 16), scale=0.1)
    row = mb.tensor("row", (1, 16), scale=0.1)
    s = mb.tensor("s", (4, 16), scale=0.1)
    wide = mb.tensor("wide", (4, 16), DType.INT16, scale=0.1)
    mb.op("SUB", [row, x], [s], "SubOptions")  # row is broadcast: x (second) is overwritten
    mb.op("QUANTIZE", [s], [wide])  # int8 -> int16: never in place
    graph = parse_model(mb.build([x, row], [wide])).main
    assert plan_graph_memory(graph).in_place == ((s, x),)
