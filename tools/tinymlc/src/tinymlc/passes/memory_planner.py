"""Static arena planning: every activation tensor gets a byte offset in one arena.

1. Storage groups: tensors sharing memory -- reshape aliases, and outputs of
   elementwise operators written in place over an input that dies there; and
   overlays: a convolution's output group placed a fixed distance below the
   input group it is written over (one buffer for both).
2. Lifetimes in schedule steps (inclusive): graph inputs live from step 0,
   graph outputs to the last step, like TFLM's allocation info.
3. Placement: first-fit (TFLM's rule) or best-fit over several orders -- TFLM's
   own size-descending order, lifetime- and area-based orders, an exhaustive
   search for small graphs and a seeded local search otherwise -- keeping the
   smallest arena.  TFLM's greedy result is reported alongside for comparison.

All sizes are rounded up to the 16-byte alignment, as TFLM does, so every
offset is aligned too.

State: variable tensors (TFLite `is_variable`: SVDF's activation state, ...) keep
their values from one inference to the next, so they are not planned by lifetime.
They get a persistent region at the start of the arena, which nothing else ever
uses: a 16-byte header (the generated code's marker of an initialised state, see
`STATE_HEADER_BYTES`) and then every variable tensor, in order of first use. Everything
else is planned after it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tinymlc.ir import Graph, OpKind

ALIGNMENT = 16
STATE_HEADER_BYTES = ALIGNMENT
"""Bytes at the start of the state region for the generated code's initialised-state marker."""
EXHAUSTIVE_LIMIT = 7  # buffers; 7! orders is still fast
LOCAL_SEARCH_STEPS = 300

# Elementwise kernels read element i before writing element i, so the output
# may overwrite a same-shaped input that dies at the operator.  Each kind has an
# in-place kernel in `tinyml_kernels` (`relu_in_place`, `add_in_place_first`,
# ...; QUANTIZE only as the same-type requantize) and codegen emits it for
# exactly the pairs in `MemoryPlan.in_place`.
IN_PLACE_KINDS = frozenset(
    {
        OpKind.ADD,
        OpKind.SUB,
        OpKind.MUL,
        OpKind.SQUARED_DIFFERENCE,
        OpKind.MAXIMUM,
        OpKind.MINIMUM,
        OpKind.RELU,
        OpKind.RELU6,
        OpKind.LEAKY_RELU,
        OpKind.LOGISTIC,
        OpKind.TANH,
        OpKind.HARD_SWISH,
        OpKind.GELU,
        OpKind.RSQRT,
        OpKind.QUANTIZE,
    }
)


@dataclass(frozen=True)
class BufferRequest:
    """`size` bytes needed from step `first` to step `last` (inclusive)."""

    key: int
    size: int
    first: int
    last: int


@dataclass(frozen=True)
class MemoryPlan:
    offsets: dict[int, int]
    """Storage-group key (owning tensor id, or scratch key) -> arena byte offset."""
    tensor_offsets: dict[int, int]
    """Every planned activation tensor id -> arena byte offset."""
    arena_bytes: int
    strategy: str
    tflm_greedy_bytes: int
    """What TFLM's GreedyMemoryPlanner needs for the same (unmerged) tensors."""
    lower_bound: int
    """Peak bytes simultaneously live: no plan can be smaller."""
    in_place: tuple[tuple[int, int], ...]
    """(output tensor, input tensor) pairs sharing storage in place."""
    overlapped: tuple[tuple[int, int], ...] = ()
    """(output tensor, input tensor) pairs of layers that write their output over the
    input they have read: the output starts the layer's overlap distance (rounded up to
    the alignment) below the input."""
    state: dict[int, int] = field(default_factory=dict)
    """Variable tensor id -> arena offset in the persistent state region."""
    state_bytes: int = 0
    """Bytes of the state region `[0, state_bytes)` (header included; 0 without state)."""


def align(size: int) -> int:
    return (size + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


# --- placement -------------------------------------------------------------


def _overlaps(a: BufferRequest, b: BufferRequest) -> bool:
    return not (a.first > b.last or b.first > a.last)


def place(requests: Sequence[BufferRequest], order: Sequence[int], best_fit: bool = False) -> dict[int, int]:
    """Offsets for `requests` placed in `order` (indices into `requests`).

    First-fit takes the lowest gap between time-overlapping buffers that is big
    enough (TFLM's rule); best-fit the tightest such gap.
    """
    placed: list[tuple[int, BufferRequest]] = []
    offsets: dict[int, int] = {}
    for index in order:
        request = requests[index]
        busy = sorted((offset, r.size) for offset, r in placed if _overlaps(r, request))
        candidate, best_offset, best_slack = 0, -1, -1
        for offset, size in busy:
            gap = offset - candidate
            if gap >= request.size:
                if not best_fit:
                    break
                if best_offset < 0 or gap - request.size < best_slack:
                    best_offset, best_slack = candidate, gap - request.size
            candidate = max(candidate, offset + size)
        chosen = best_offset if best_fit and best_offset >= 0 else candidate
        if not best_fit:
            chosen = candidate
        offsets[request.key] = chosen
        placed.append((chosen, request))
    return offsets


def arena_size(requests: Sequence[BufferRequest], offsets: dict[int, int]) -> int:
    return max((offsets[r.key] + r.size for r in requests), default=0)


def peak_live_bytes(requests: Sequence[BufferRequest]) -> int:
    steps = {r.first for r in requests}
    return max((sum(r.size for r in requests if r.first <= step <= r.last) for step in steps), default=0)


def tflm_order(requests: Sequence[BufferRequest]) -> list[int]:
    """GreedyMemoryPlanner's order: size descending; equal sizes end up in
    reverse insertion order (it fills its sort array from the tail and then
    bubble-sorts stably)."""
    reversed_indices = list(reversed(range(len(requests))))
    return sorted(reversed_indices, key=lambda i: -requests[i].size)


_Order = Callable[[Sequence[BufferRequest]], list[int]]

_HEURISTIC_ORDERS: dict[str, _Order] = {
    "tflm-greedy": tflm_order,
    "size-then-start": lambda rs: sorted(range(len(rs)), key=lambda i: (-rs[i].size, rs[i].first)),
    "longest-lifetime": lambda rs: sorted(
        range(len(rs)), key=lambda i: (-(rs[i].last - rs[i].first), -rs[i].size)
    ),
    "largest-area": lambda rs: sorted(
        range(len(rs)), key=lambda i: (-rs[i].size * (rs[i].last - rs[i].first + 1), rs[i].first)
    ),
    "earliest-start": lambda rs: sorted(range(len(rs)), key=lambda i: (rs[i].first, -rs[i].size)),
}


def plan_buffers(requests: Sequence[BufferRequest]) -> tuple[dict[int, int], int, str]:
    """Smallest arena found over all strategies: (offsets, bytes, strategy name)."""
    requests = [BufferRequest(r.key, align(r.size), r.first, r.last) for r in requests]
    if not requests:
        return {}, 0, "empty"
    bound = peak_live_bytes(requests)
    best: tuple[dict[int, int], int, str] | None = None

    def consider(order: Sequence[int], name: str) -> bool:
        nonlocal best
        for best_fit in (False, True):
            offsets = place(requests, order, best_fit)
            size = arena_size(requests, offsets)
            if best is None or size < best[1]:
                best = (offsets, size, f"{name}/{'best' if best_fit else 'first'}-fit")
        assert best is not None
        return best[1] <= bound

    for name, make_order in _HEURISTIC_ORDERS.items():
        if consider(make_order(requests), name):
            break
    else:
        if len(requests) <= EXHAUSTIVE_LIMIT:
            for order in itertools.permutations(range(len(requests))):
                if consider(order, "exhaustive"):
                    break
        else:
            _local_search(requests, consider)
    assert best is not None
    return best


def _local_search(requests: Sequence[BufferRequest], consider: Callable[[Sequence[int], str], bool]) -> None:
    """Seeded swap search around the TFLM order; deterministic per model."""
    rng = random.Random(len(requests))
    order = tflm_order(requests)
    current = arena_size(requests, place(requests, order))
    for _ in range(LOCAL_SEARCH_STEPS):
        i, j = rng.sample(range(len(order)), 2)
        trial = list(order)
        trial[i], trial[j] = trial[j], trial[i]
        size = arena_size(requests, place(requests, trial))
        if size <= current:
            order, current = trial, size
            if consider(order, "local-search"):
                return


# --- graph -> requests -------------------------------------------------------


class _Groups:
    """Union-find over tensor ids; the root is the storage owner."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, tensor: int) -> int:
        root = tensor
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[tensor] = root
        return root

    def join(self, member: int, owner: int) -> None:
        self.parent[self.find(member)] = self.find(owner)


def _used_tensors(graph: Graph) -> set[int]:
    used = set(graph.inputs) | set(graph.outputs) | set(graph.aliases)
    for op in graph.operators:
        used.update(t for t in op.inputs + op.outputs if t >= 0)
    return used


def _activation_tensors(graph: Graph) -> list[int]:
    """Tensors planned by lifetime: neither constants nor state."""
    tensors = graph.tensors
    return sorted(
        t for t in _used_tensors(graph) if not tensors[t].is_constant and not tensors[t].is_variable
    )


def plan_state(graph: Graph) -> tuple[dict[int, int], int]:
    """(variable tensor -> offset, bytes of the state region) for the arena's start."""
    # In order of first use, so each layer's state tensors are adjacent: one region.
    used = [t for op in graph.operators for t in op.inputs + op.outputs if t >= 0]
    variables = [
        t for t in dict.fromkeys(used + sorted(_used_tensors(graph))) if graph.tensors[t].is_variable
    ]
    offsets: dict[int, int] = {}
    end = STATE_HEADER_BYTES
    for tensor in variables:
        offsets[tensor] = end
        end += align(graph.tensors[tensor].byte_size)
    return (offsets, end) if offsets else ({}, 0)


def _lifetimes(graph: Graph, tensors: list[int]) -> dict[int, tuple[int, int]]:
    last_step = max(len(graph.operators) - 1, 0)
    spans: dict[int, tuple[int, int]] = {}

    def touch(tensor: int, step: int) -> None:
        first, last = spans.get(tensor, (step, step))
        spans[tensor] = (min(first, step), max(last, step))

    for tensor in graph.inputs:
        touch(tensor, 0)
    for step, op in enumerate(graph.operators):
        for tensor in op.inputs + op.outputs:
            if tensor >= 0:
                touch(tensor, step)
    for tensor in graph.outputs:
        touch(tensor, last_step)
    for tensor in tensors:
        spans.setdefault(tensor, (0, last_step))
    return spans


def _in_place_candidate(
    graph: Graph, groups: _Groups, group_span: Callable[[int], tuple[int, int]], step: int
) -> int | None:
    """The input of operator `step` its output may overwrite, or None.

    Legal when the input is an activation (not a constant) with the output's
    shape (a binary op's operand that is not broadcast), dtype and byte size;
    its storage group -- the tensor and every reshape alias of it -- is last
    used at this step, holds no graph output (whose bytes the caller reads
    after the run) and is not also read through another operand of this op.
    Graph inputs are eligible: the generated code copies (or quantizes) the
    caller's input into its arena region before the first layer and never
    writes the caller's buffer, so only that arena copy is overwritten.
    """
    out_tensor = graph.tensors[graph.operators[step].outputs[0]]
    for candidate in graph.operators[step].inputs:
        if candidate < 0:
            continue
        in_tensor = graph.tensors[candidate]
        if (
            in_tensor.shape == out_tensor.shape
            and in_tensor.dtype == out_tensor.dtype
            and in_tensor.byte_size == out_tensor.byte_size
            and _may_overwrite(graph, groups, group_span, step, candidate)
        ):
            return candidate
    return None


def _may_overwrite(
    graph: Graph, groups: _Groups, group_span: Callable[[int], tuple[int, int]], step: int, tensor: int
) -> bool:
    """Whether operator `step` may overwrite its input `tensor`: an activation whose
    storage group is last used at `step`, holds no graph output and is read by no
    other operand of the operator there."""
    op = graph.operators[step]
    root = groups.find(tensor)
    return (
        not graph.tensors[tensor].is_constant
        and not graph.tensors[tensor].is_variable
        and root not in {groups.find(t) for t in graph.outputs}
        and root != groups.find(op.outputs[0])
        and group_span(root)[1] == step
        and [groups.find(t) for t in op.inputs if t >= 0].count(root) == 1
    )


def plan_graph_memory(
    graph: Graph,
    scratch: Sequence[BufferRequest] = (),
    allow_in_place: bool = True,
    overlap_distances: Mapping[int, int] | None = None,
) -> MemoryPlan:
    """Plan the arena for `graph`'s activations plus per-operator `scratch`.

    Scratch keys must not collide with tensor ids (use negative keys).
    With `allow_in_place` (codegen's setting), an elementwise operator's
    output shares storage with an input that dies there (see
    `_in_place_candidate`); codegen then calls the kernel's in-place variant.
    `allow_in_place=False` keeps every operator's output disjoint from its
    inputs.

    `overlap_distances` maps the steps whose kernel can write its output over its
    first input (CONV_2D: `conv_2d_overlapped`) to the bytes the output must start
    below that input. Where the input dies at that step, the two storage groups
    become one buffer, the output that distance below the input
    (`MemoryPlan.overlapped`); chains of such layers stack.
    """
    tensors = _activation_tensors(graph)
    spans = _lifetimes(graph, tensors)
    groups = _Groups()
    for tensor, owner in graph.aliases.items():
        groups.join(tensor, owner)

    def group_span(root: int) -> tuple[int, int]:
        members = [t for t in tensors if groups.find(t) == root]
        return min(spans[t][0] for t in members), max(spans[t][1] for t in members)

    in_place: list[tuple[int, int]] = []
    for step, op in enumerate(graph.operators):
        if not allow_in_place or op.kind not in IN_PLACE_KINDS or len(op.outputs) != 1:
            continue
        output = op.outputs[0]
        candidate = _in_place_candidate(graph, groups, group_span, step)
        if candidate is not None:
            groups.join(output, candidate)
            in_place.append((output, candidate))

    roots = sorted({groups.find(t) for t in tensors})
    sizes = {
        root: align(max(graph.tensors[t].byte_size for t in tensors if groups.find(t) == root))
        for root in roots
    }
    # Overlaid groups: root -> (the group it is placed against, its offset from that one).
    overlay: dict[int, tuple[int, int]] = {}
    overlapped: list[tuple[int, int]] = []
    for step, distance in sorted((overlap_distances or {}).items()):
        op = graph.operators[step]
        source, output = op.inputs[0], op.outputs[0]
        if _may_overwrite(graph, groups, group_span, step, source) and groups.find(output) not in overlay:
            overlay[groups.find(output)] = (groups.find(source), -align(distance))
            overlapped.append((output, source))

    def placement(root: int) -> tuple[int, int]:
        """(the group `root` is ultimately placed against, `root`'s offset from it)."""
        offset = 0
        while root in overlay:
            root, step_offset = overlay[root]
            offset += step_offset
        return root, offset

    members: dict[int, list[tuple[int, int]]] = {}
    for root in roots:
        base, offset = placement(root)
        members.setdefault(base, []).append((root, offset))
    lowest = {base: min(offset for _, offset in group) for base, group in members.items()}
    spans_of = {root: group_span(root) for root in roots}
    requests = [
        BufferRequest(
            base,
            max(offset + sizes[root] for root, offset in group) - lowest[base],
            min(spans_of[root][0] for root, _ in group),
            max(spans_of[root][1] for root, _ in group),
        )
        for base, group in sorted(members.items())
    ]
    requests += list(scratch)
    offsets, size, strategy = plan_buffers(requests)
    starts = {base: offsets[base] for base in members}
    for base, group in members.items():
        for root, offset in group:
            offsets[root] = starts[base] + offset - lowest[base]

    unmerged = [BufferRequest(t, align(graph.tensors[t].byte_size), *spans[t]) for t in tensors] + [
        BufferRequest(s.key, align(s.size), s.first, s.last) for s in scratch
    ]
    tflm_bytes = arena_size(unmerged, place(unmerged, tflm_order(unmerged)))
    # Everything planned by lifetime lies after the persistent state region.
    state, state_bytes = plan_state(graph)
    offsets = {key: offset + state_bytes for key, offset in offsets.items()}
    tensor_offsets = {t: offsets[groups.find(t)] for t in tensors}
    tensor_offsets.update(state)
    live_bytes = peak_live_bytes([BufferRequest(r.key, align(r.size), r.first, r.last) for r in requests])
    return MemoryPlan(
        offsets=offsets,
        tensor_offsets=tensor_offsets,
        arena_bytes=size + state_bytes,
        strategy=strategy,
        tflm_greedy_bytes=tflm_bytes + state_bytes,
        lower_bound=live_bytes + state_bytes,
        in_place=tuple(in_place),
        overlapped=tuple(overlapped),
        state=state,
        state_bytes=state_bytes,
    )
