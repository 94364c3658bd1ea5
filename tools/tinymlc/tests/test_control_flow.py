"""IF and WHILE: their parameters and validation against the subgraphs they run, the
packing of several outputs, and the generated code against TFLM on inputs that take
each branch and run loops for different numbers of trips (one core and several)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import assert_bit_exact_on, assert_sequence_matches
from tests.model_builder import ModelBuilder, svdf_layer
from tinymlc import hostbuild
from tinymlc.check import CheckResult, check
from tinymlc.codegen import Target, compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend import load_model, parse_model
from tinymlc.ir import DType, IfAttrs, Model, OpKind, WhileAttrs
from tinymlc.ops.control_flow import ControlFlowParams, SubgraphOutputParams
from tinymlc.passes.control_flow import packed_offsets, renumber_called_subgraphs
from tinymlc.tflm_reference import run
from tinymlc.validate import validate

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"


def _model(name: str) -> Model:
    return load_model(MODELS_DIR / f"{name}.tflite")


def _assert_bit_exact_on(name: str, samples: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Every output of every sample equals TFLM's, byte for byte; TFLM's first outputs."""
    model_bytes = (MODELS_DIR / f"{name}.tflite").read_bytes()
    _, references = assert_bit_exact_on(model_bytes, lambda _: samples)
    return [np.asarray(reference[0]) for reference in references]


def _filled(values: list[float], dtype: type = np.float32) -> list[list[np.ndarray]]:
    return [[np.full((1, 8), value, dtype)] for value in values]


def test_if_takes_each_branch_as_tflm() -> None:
    # The input's sum passes -1 (then: dense + relu) or not (else: scaled relu).
    samples = [*_filled([-1.0, -0.2, 0.0, 0.5]), [np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)]]
    _assert_bit_exact_on("op_if_float", samples)


def test_int8_if_takes_each_branch_as_tflm() -> None:
    # The largest input passes 2.0 (76 at its scale) or not.
    samples = _filled([-128, 0, 60, 77, 127], np.int8)
    _assert_bit_exact_on("op_if", samples)


def test_while_runs_data_dependent_trip_counts_as_tflm() -> None:
    starts = [5.0, 3.5, 2.0, 0.6, 0.01, 0.0]
    outputs = _assert_bit_exact_on("op_while_float", _filled(starts))
    # Already past 4: no trip, the input comes back; 3.5: at least one trip; 0 stays 0
    # through all 6 (maximum_iterations).
    np.testing.assert_array_equal(outputs[0], np.full((1, 8), 5.0, np.float32))
    assert not np.array_equal(outputs[1], np.full((1, 8), 3.5, np.float32))
    np.testing.assert_array_equal(outputs[5], np.zeros((1, 8), np.float32))
    # Different trip counts leave different magnitudes behind.
    assert len({float(np.max(np.abs(o))) for o in outputs[:5]}) == 5


def test_int8_while_with_two_loop_variables_as_tflm() -> None:
    _assert_bit_exact_on("op_while", _filled([-128, -20, 0, 20, 60, 127], np.int8))


def test_nested_if_in_while_as_tflm() -> None:
    samples = _filled([-2.0, -0.3, 0.0, 0.3, 2.0, 13.0])
    samples.append([np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)])
    _assert_bit_exact_on("op_while_if_float", samples)


def test_int8_nested_if_in_while_as_tflm() -> None:
    _assert_bit_exact_on("op_while_if", _filled([-128, -40, 0, 30, 90, 127], np.int8))


@pytest.mark.parametrize("name", ["op_while_if_float", "op_if"])
def test_several_cores_are_bit_identical_to_one(name: str) -> None:
    result = check(
        MODELS_DIR / f"{name}.tflite",
        inputs=6,
        seed=3,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target((100, 50), split_every_layer=True),
    )
    assert result.bit_exact
    assert "bit-identical to one core" in result.multicore


def test_parameters_name_the_subgraphs_and_their_arena() -> None:
    compiled = compile_model(_model("op_if_float"))
    (layer,) = [p for p in compiled.params if isinstance(p, ControlFlowParams)]
    assert layer.kind is OpKind.IF
    assert layer.subgraphs == (2, 1)
    assert layer.output_offsets == (0,)
    assert layer.output_bytes == (32,)
    assert layer.arena_bytes == max(compiled.subgraphs[i].plan.arena_bytes for i in (1, 2))
    # The layer's scratch is the subgraphs' arena, live for that layer only.
    index = compiled.params.index(layer)
    assert compiled.scratch[(index, 0)][1] == layer.arena_bytes


def test_multiple_outputs_are_packed_and_only_used_ones_copied_out() -> None:
    compiled = compile_model(_model("op_while"))
    graph = compiled.graph
    loop = next(p for p in compiled.params if isinstance(p, ControlFlowParams))
    # (step: int32 scalar, x: int8 [1, 8]), each at an aligned offset.
    assert loop.output_bytes == (4, 8)
    assert loop.output_offsets == (0, 16)
    packed = graph.tensors[graph.operators[compiled.params.index(loop)].outputs[0]]
    assert packed.dtype is DType.UINT8
    assert packed.shape == (24,)
    # The step count is read by nothing: only x is copied out.
    copies = [p for p in compiled.params if isinstance(p, SubgraphOutputParams)]
    assert copies == [SubgraphOutputParams(offset=16, elements=8)]


def test_packed_offsets_align_each_output() -> None:
    assert packed_offsets([4, 32, 1, 17]) == (0, 16, 48, 64)
    assert packed_offsets([5]) == (0,)


def test_nested_subgraphs_are_compiled_callees_first() -> None:
    compiled = compile_model(_model("op_while_if_float"))
    order = list(compiled.subgraphs)
    loop = next(p for p in compiled.params if isinstance(p, ControlFlowParams))
    body = compiled.subgraphs[loop.subgraphs[1]]
    (branch,) = [p for p in body.params if isinstance(p, ControlFlowParams)]
    assert all(order.index(i) < order.index(loop.subgraphs[1]) for i in branch.subgraphs)
    lib_rs = generate_crate(compiled, "nested").lib_rs
    for index in compiled.subgraphs:
        assert f"mod subgraph_{index} {{" in lib_rs
    # The body's arena holds the IF's branches' arena as that layer's scratch.
    assert body.plan.arena_bytes >= branch.arena_bytes
    report = generate_crate(compiled, "nested").report["subgraphs"]
    assert [entry["index"] for entry in report] == order
    assert report[order.index(loop.subgraphs[1])]["arena_bytes"] == body.plan.arena_bytes


def _with_main_op(model: Model, index: int, **changes: object) -> Model:
    main = model.main
    operators = list(main.operators)
    operators[index] = replace(operators[index], **changes)  # type: ignore[arg-type]
    return replace(model, subgraphs=(replace(main, operators=tuple(operators)), *model.subgraphs[1:]))


def _errors(model: Model) -> str:
    return "\n".join(str(d) for d in validate(model) if d.severity.value == "error")


def test_recursion_and_missing_subgraphs_are_refused() -> None:
    model = _model("op_if_float")
    index = next(i for i, op in enumerate(model.main.operators) if op.kind is OpKind.IF)
    assert "runs subgraph 7" in _errors(_with_main_op(model, index, attrs=IfAttrs(7, 1)))
    assert "runs subgraph 0" in _errors(_with_main_op(model, index, attrs=IfAttrs(0, 1)))
    # Subgraph 1 running itself.
    branch = model.subgraphs[1]
    recursive_op = replace(model.main.operators[index], attrs=IfAttrs(1, 1))
    looping = replace(branch, operators=(*branch.operators, recursive_op))
    recursive = replace(model, subgraphs=(model.main, looping, model.subgraphs[2]))
    assert "recursively (1 -> 1)" in _errors(recursive)
    with pytest.raises(CompileError, match="recursively"):
        compile_model(recursive)


def test_a_condition_other_than_one_bool_is_refused() -> None:
    model = _model("op_if_float")
    index = next(i for i, op in enumerate(model.main.operators) if op.kind is OpKind.IF)
    condition = model.main.operators[index].inputs[0]
    tensors = list(model.main.tensors)
    tensors[condition] = replace(tensors[condition], dtype=DType.INT32)
    bad = replace(model, subgraphs=(replace(model.main, tensors=tuple(tensors)), *model.subgraphs[1:]))
    assert "condition is not bool" in _errors(bad)


def test_subgraph_tensors_must_match_the_operators() -> None:
    model = _model("op_while_float")
    body = model.subgraphs[2]
    tensors = list(body.tensors)
    tensors[body.inputs[0]] = replace(tensors[body.inputs[0]], shape=(1, 9))
    bad = replace(model, subgraphs=(*model.subgraphs[:2], replace(body, tensors=tuple(tensors))))
    assert "subgraph 2's input" in _errors(bad)
    index = next(i for i, op in enumerate(model.main.operators) if op.kind is OpKind.WHILE)
    swapped = _with_main_op(model, index, attrs=WhileAttrs(2, 1))
    assert "subgraph 1's outputs" in _errors(swapped)


@pytest.mark.parametrize("taken", [True, False])
def test_a_constant_condition_runs_its_branch_alone(taken: bool) -> None:
    """A condition known at compile time: only the branch it takes is emitted, and it
    computes what TFLM computes when the model's own condition takes that branch."""
    model_bytes = (MODELS_DIR / "op_if_float.tflite").read_bytes()
    model = _model("op_if_float")
    index = next(i for i, op in enumerate(model.main.operators) if op.kind is OpKind.IF)
    condition = model.main.operators[index].inputs[0]
    tensors = list(model.main.tensors)
    tensors[condition] = replace(tensors[condition], data=np.array(taken))
    # The condition's producers go: only the IF remains.
    main = replace(model.main, tensors=tuple(tensors), operators=(model.main.operators[index],))
    constant = replace(model, subgraphs=(main, *model.subgraphs[1:]))
    compiled = compile_model(constant)
    lib_rs = generate_crate(compiled, "model").lib_rs
    attrs = model.main.operators[index].attrs
    assert isinstance(attrs, IfAttrs)
    skipped = attrs.else_subgraph_index if taken else attrs.then_subgraph_index
    assert f"subgraph_{skipped}::run" not in lib_rs
    # Sums of 0 take the then branch, of -8 the else branch, in the model as converted.
    samples = _filled([0.0 if taken else -1.0, 0.25 if taken else -2.0])
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "lib.rs").write_text(lib_rs)
        binary = hostbuild.build_harness(Path(work) / "lib.rs", hostbuild.default_runtime_dir(), Path(work))
        results = hostbuild.run_harness(binary, samples)
    for sample, ours in zip(samples, results, strict=True):
        assert ours.error is None, ours.error
        reference, _ = run(model_bytes, sample, 1)
        np.testing.assert_array_equal(
            np.frombuffer(ours.outputs[0], np.float32), np.asarray(reference[0]).reshape(-1)
        )


def test_dropping_subgraphs_renumbers_the_ones_control_flow_runs() -> None:
    graph = _model("op_while_float").main
    renumbered = renumber_called_subgraphs(graph, {1: 3, 2: 1})
    loop = next(op for op in renumbered.operators if op.kind is OpKind.WHILE)
    assert loop.attrs == WhileAttrs(3, 1)
    dropped = next(op for op in renumber_called_subgraphs(graph, {1: 1}).operators if op.kind is OpKind.WHILE)
    assert dropped.attrs == WhileAttrs(1, -1)


# Subgraphs keeping state: built as flatbuffers, each compared with TFLM over sequences of
# inferences (the state carried from one to the next, through every WHILE iteration) and
# with `reset`.

_BodyStep = Callable[[ModelBuilder, int, int], int]
_Called = tuple[tuple[ModelBuilder, list[int], list[int]], ...]


def _same(_: ModelBuilder, tensor: int) -> int:
    return tensor


def _counted_while(
    mb: ModelBuilder,
    x: int,
    trips: int,
    body_step: _BodyStep,
    more_subgraphs: _Called = (),
    condition: Callable[[ModelBuilder, int], int] = _same,
    result: Callable[[ModelBuilder, int], int] = _same,
) -> bytes:
    """Main: WHILE over (i from 0, x) while `condition(cond, i < trips)`; the body (subgraph
    2) counts i and updates x by `body_step(body, i, x)`, which returns the tensor of x's new
    bytes; the model's output is `result(main, the loop's x)`. `more_subgraphs` follow as
    subgraphs 3, 4, ..."""
    loop_variable = mb.tensors[x]

    def like_x(graph: ModelBuilder, name: str) -> int:
        return graph.tensor(
            name,
            loop_variable.shape,
            loop_variable.dtype,
            scale=loop_variable.scales,
            zero_point=loop_variable.zero_points,
        )

    start = mb.tensor("start", (), DType.INT32, data=np.array(0, np.int32))
    steps = mb.tensor("steps", (), DType.INT32)
    y = like_x(mb, "y")
    mb.op("WHILE", [start, x], [steps, y], "WhileOptions", CondSubgraphIndex=1, BodySubgraphIndex=2)
    cond = mb.sharing_model()
    i, v = cond.tensor("i", (), DType.INT32), like_x(cond, "v")
    limit = cond.tensor("limit", (), DType.INT32, data=np.array(trips, np.int32))
    more = cond.tensor("more", (), DType.BOOL)
    cond.op("LESS", [i, limit], [more])
    more = condition(cond, more)
    body = mb.sharing_model()
    bi, bv = body.tensor("i", (), DType.INT32), like_x(body, "v")
    one = body.tensor("one", (), DType.INT32, data=np.array(1, np.int32))
    counted = body.tensor("i_next", (), DType.INT32)
    body.op("ADD", [bi, one], [counted], "AddOptions")
    updated = body_step(body, bi, bv)
    loop = ((cond, [i, v], [more]), (body, [bi, bv], [counted, updated]))
    return mb.build([x], [result(mb, y)], called=(*loop, *more_subgraphs))


def _svdf_branch(
    mb: ModelBuilder, rng: np.random.Generator, name: str
) -> tuple[ModelBuilder, list[int], list[int]]:
    """A subgraph running one SVDF over a [1, 4] int8 input."""
    branch = mb.sharing_model()
    v = branch.tensor("v", (1, 4), scale=0.05, zero_point=3)
    return branch, [v], [svdf_layer(branch, rng, v, (1, 4), units=4, rank=1, memory=4, name=name)]


@pytest.mark.parametrize("trips", [1, 3])
def test_while_body_with_svdf_keeps_its_state_as_tflm(trips: int) -> None:
    # The SVDF's state moves on every iteration and carries over to the next inference.
    rng = np.random.default_rng(trips)

    def svdf(body: ModelBuilder, _: int, v: int) -> int:
        return svdf_layer(body, rng, v, (1, 4), units=4, rank=1, memory=3)

    mb = ModelBuilder()
    model = _counted_while(mb, mb.tensor("x", (1, 4), scale=0.05, zero_point=3), trips, svdf)
    assert_sequence_matches(model, samples=8)
    assert_sequence_matches(model, samples=8, reset_every=3)


def test_while_body_with_signal_delay_keeps_its_history_as_tflm() -> None:
    def delayed(body: ModelBuilder, _: int, v: int) -> int:
        out = body.tensor("delayed", (2, 6), DType.INT16)
        body.custom("SignalDelay", [v], [out], {"delay_length": 4})
        return out

    mb = ModelBuilder()
    model = _counted_while(mb, mb.tensor("x", (2, 6), DType.INT16), 2, delayed)
    assert_sequence_matches(model, samples=7)
    assert_sequence_matches(model, samples=7, reset_every=4)


def _svdf_branches(seed: int, shared: bool = False) -> bytes:
    """Main: IF (a bool input) over x: then and else each an SVDF of their own (subgraphs 1
    and 2), or both subgraph 1 (`shared`)."""
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)
    take = mb.tensor("take", (1,), DType.BOOL)
    y = mb.tensor("y", (1, 4), scale=0.05, zero_point=3)
    mb.op("IF", [take, x], [y], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=1 if shared else 2)
    branches = [_svdf_branch(mb, rng, name) for name in (("then",) if shared else ("then", "else"))]
    return mb.build([x, take], [y], called=tuple(branches))


@pytest.mark.parametrize("shared", [False, True])
def test_if_branches_with_state_keep_it_as_tflm(shared: bool) -> None:
    # Each branch's SVDF moves on only when its branch is taken (a random condition each time).
    assert_sequence_matches(_svdf_branches(5, shared), samples=12)
    assert_sequence_matches(_svdf_branches(5, shared), samples=12, reset_every=5)


def _state_in_if_in_while() -> bytes:
    """A WHILE (3 trips) whose body's IF runs one SVDF on the first iteration and another
    on the later ones: state two subgraphs deep."""
    rng = np.random.default_rng(9)

    def branching(body: ModelBuilder, step: int, v: int) -> int:
        first = body.tensor("first", (), DType.BOOL)
        zero = body.tensor("zero", (), DType.INT32, data=np.array(0, np.int32))
        body.op("EQUAL", [step, zero], [first])
        out = body.tensor("branched", (1, 4), scale=0.05, zero_point=3)
        body.op("IF", [first, v], [out], "IfOptions", ThenSubgraphIndex=3, ElseSubgraphIndex=4)
        return out

    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)
    branches = (_svdf_branch(mb, rng, "first"), _svdf_branch(mb, rng, "later"))
    return _counted_while(mb, x, 3, branching, branches)


def test_state_nested_in_if_in_while_as_tflm() -> None:
    model = _state_in_if_in_while()
    compiled = compile_model(parse_model(model, "nested.tflite"))
    loop = next(p for p in compiled.params if isinstance(p, ControlFlowParams))
    # The WHILE runs its subgraphs in a persistent block, the body its IF's likewise.
    assert loop.state_input is not None
    assert loop.arena_bytes == 0
    body = compiled.subgraphs[loop.subgraphs[1]]
    (branch,) = [p for p in body.params if isinstance(p, ControlFlowParams)]
    assert branch.state_input is not None
    assert body.plan.state_bytes >= sum(size for _, size in branch.subgraph_arenas)
    # `reset` writes the SVDF states where the blocks put them: both branches', and
    # nothing else than the main graph's one block holds state.
    state = generate_crate(compiled, "nested").report["state"]
    assert [t["name"] for t in state["tensors"]] == ["steps/packed/subgraph state"]
    (block,) = state["tensors"]
    svdf_states = [entry for entry in state["reset"] if entry["name"].endswith("/state")]
    assert [entry["name"] for entry in svdf_states] == ["first/state", "later/state"]
    for entry in svdf_states:
        assert block["offset"] < entry["offset"] < block["offset"] + block["bytes"]
    assert_sequence_matches(model, samples=8)
    assert_sequence_matches(model, samples=8, reset_every=3)


def _check_on_cores(model: bytes, path: Path, inputs: int, core_mhz: tuple[int, ...]) -> CheckResult:
    """`tinymlc check` of `model` (written to `path`): a sequence of `inputs` against TFLM,
    and on `core_mhz`'s cores, every layer split, against one core; both bit-exact."""
    path.write_bytes(model)
    result = check(
        path,
        inputs=inputs,
        seed=4,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target(core_mhz, split_every_layer=True),
    )
    assert result.bit_exact, result.first_divergence
    assert "bit-identical to one core" in result.multicore
    return result


def test_state_in_subgraphs_on_several_cores_is_bit_identical(tmp_path: Path) -> None:
    # The control-flow layer updating the state runs on one core; the others wait for it.
    _check_on_cores(_state_in_if_in_while(), tmp_path / "nested.tflite", 8, (100, 50, 50))


def test_a_stateful_subgraph_run_by_two_operators_is_refused() -> None:
    # TFLM would share the subgraph's variables between the two IFs.
    rng = np.random.default_rng(2)
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)
    take = mb.tensor("take", (1,), DType.BOOL)
    middle = mb.tensor("middle", (1, 4), scale=0.05, zero_point=3)
    y = mb.tensor("y", (1, 4), scale=0.05, zero_point=3)
    mb.op("IF", [take, x], [middle], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=1)
    mb.op("IF", [take, middle], [y], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=1)
    model = mb.build([x, take], [y], called=(_svdf_branch(mb, rng, "svdf"),))
    with pytest.raises(CompileError, match=r"subgraph 1 keeps state .* run by 2 control-flow operators"):
        compile_model(parse_model(model, "shared.tflite"))


def _variable(graph: ModelBuilder, name: str = "acc") -> int:
    """A VAR_HANDLE of resource variable `name` in `graph`."""
    handle = graph.tensor(f"{name}/handle", (), DType.RESOURCE)
    graph.op("VAR_HANDLE", [], [handle], "VarHandleOptions", Container="", SharedName=name)
    return handle


def _read(graph: ModelBuilder, name: str = "acc") -> int:
    value = graph.tensor(f"{name}/value", (1, 4), scale=0.05, zero_point=3)
    graph.op("READ_VARIABLE", [_variable(graph, name)], [value])
    return value


def _accumulate(graph: ModelBuilder, v: int) -> int:
    """Adds `v` to variable `acc`, and returns the sum (also assigned to it)."""
    total = graph.tensor("acc/total", (1, 4), scale=0.05, zero_point=3)
    graph.op("ADD", [_read(graph), v], [total], "AddOptions")
    graph.op("ASSIGN_VARIABLE", [_variable(graph), total], [])
    return total


def _plus_variable(graph: ModelBuilder, tensor: int) -> int:
    """`tensor` plus variable `acc` as the graph holds it."""
    total = graph.tensor("plus_acc", (1, 4), scale=0.05, zero_point=3)
    graph.op("ADD", [tensor, _read(graph)], [total], "AddOptions")
    return total


@pytest.mark.parametrize("main_reads", [False, True])
def test_while_body_accumulating_a_resource_variable_as_tflm(main_reads: bool) -> None:
    # The body adds x to `acc` on every iteration; the main graph reads the same variable
    # after the loop (TFLM's one buffer per shared name) or not at all.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)
    result = _plus_variable if main_reads else _same
    model = _counted_while(mb, x, 2, lambda body, _, v: _accumulate(body, v), result=result)
    compiled = compile_model(parse_model(model, "accumulate.tflite"))
    loop = next(p for p in compiled.params if isinstance(p, ControlFlowParams))
    # Shared with the main graph: carried as a third loop variable; else the body's own.
    assert len(loop.output_offsets) == (3 if main_reads else 2)
    assert_sequence_matches(model, samples=7)
    assert_sequence_matches(model, samples=7, reset_every=3)


def test_variable_shared_by_cond_body_and_init_subgraph_as_tflm() -> None:
    # CALL_ONCE's init subgraph (3) sets `acc`, the body accumulates into it and the cond
    # loops while its first element stays below 1.0 (and at most 4 times).
    mb = ModelBuilder()
    init = mb.sharing_model()
    start = init.tensor("start", (1, 4), scale=0.05, zero_point=3, data=np.array([[-40, 3, 20, 7]], np.int8))
    init.op("ASSIGN_VARIABLE", [_variable(init), start], [])
    mb.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=3)
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)

    def below_one(cond: ModelBuilder, more: int) -> int:
        threshold = cond.tensor(
            "threshold", (1, 4), scale=0.05, zero_point=3, data=np.full((1, 4), 23, np.int8)
        )
        below = cond.tensor("below", (1, 4), DType.BOOL)
        cond.op("LESS", [_read(cond), threshold], [below])
        both = cond.tensor("both", (1, 4), DType.BOOL)
        cond.op("LOGICAL_AND", [more, below], [both])
        return both

    model = _counted_while(
        mb, x, 4, lambda body, _, v: _accumulate(body, v), ((init, [], []),), below_one, _plus_variable
    )
    assert_sequence_matches(model, samples=8)


def test_if_branch_updating_a_variable_the_main_graph_reads_as_tflm() -> None:
    # The then branch accumulates into `acc`, the else branch leaves it (passes it through).
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.05, zero_point=3)
    take = mb.tensor("take", (1,), DType.BOOL)
    y = mb.tensor("y", (1, 4), scale=0.05, zero_point=3)
    mb.op("IF", [take, x], [y], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=2)
    output = _plus_variable(mb, y)
    then, otherwise = mb.sharing_model(), mb.sharing_model()
    then_input, else_input = (
        graph.tensor("v", (1, 4), scale=0.05, zero_point=3) for graph in (then, otherwise)
    )
    doubled = otherwise.tensor("doubled", (1, 4), scale=0.05, zero_point=3)
    otherwise.op("ADD", [else_input, else_input], [doubled], "AddOptions")
    branches = (
        (then, [then_input], [_accumulate(then, then_input)]),
        (otherwise, [else_input], [doubled]),
    )
    model = mb.build([x, take], [output], called=branches)
    assert_sequence_matches(model, samples=12)
    assert_sequence_matches(model, samples=12, reset_every=5)


def test_while_body_with_a_circular_buffer_and_its_valid_output_as_tflm() -> None:
    # The buffer keeps two frames across iterations and inferences; every second call it is
    # valid, and the body then takes its older frame instead of x.
    def older_frame_when_valid(body: ModelBuilder, _: int, v: int) -> int:
        frames = body.tensor("frames", (1, 2, 1, 4), scale=0.05, zero_point=3)
        valid = body.tensor("valid", (1,), DType.BOOL)
        body.custom("CIRCULAR_BUFFER", [v], [frames, valid], {"cycles_max": 2})
        begin = body.tensor("begin", (4,), DType.INT32, data=np.zeros(4, np.int32))
        size = body.tensor("size", (4,), DType.INT32, data=np.array([1, 1, 1, 4], np.int32))
        older = body.tensor("older", (1, 1, 1, 4), scale=0.05, zero_point=3)
        body.op("SLICE", [frames, begin, size], [older])
        chosen = body.tensor("chosen", (1, 1, 1, 4), scale=0.05, zero_point=3)
        body.op("SELECT_V2", [valid, older, v], [chosen])
        return chosen

    mb = ModelBuilder()
    model = _counted_while(
        mb, mb.tensor("x", (1, 1, 1, 4), scale=0.05, zero_point=3), 3, older_frame_when_valid
    )
    assert_sequence_matches(model, samples=7)
    assert_sequence_matches(model, samples=7, reset_every=3)


def _ending_buffer_in_if() -> bytes:
    """IF (a bool input) whose then branch holds a one-output CIRCULAR_BUFFER (cycles_max 2),
    which ends every other inference it runs in; the else branch doubles x."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 1, 1, 4), scale=0.05, zero_point=3)
    take = mb.tensor("take", (1,), DType.BOOL)
    y = mb.tensor("y", (1, 2, 1, 4), scale=0.05, zero_point=3)
    mb.op("IF", [take, x], [y], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=2)
    then, otherwise = mb.sharing_model(), mb.sharing_model()
    then_input = then.tensor("v", (1, 1, 1, 4), scale=0.05, zero_point=3)
    frames = then.tensor("frames", (1, 2, 1, 4), scale=0.05, zero_point=3)
    then.custom("CIRCULAR_BUFFER", [then_input], [frames], {"cycles_max": 2})
    else_input = otherwise.tensor("v", (1, 1, 1, 4), scale=0.05, zero_point=3)
    both = otherwise.tensor("both", (1, 2, 1, 4), scale=0.05, zero_point=3)
    otherwise.op("CONCATENATION", [else_input, else_input], [both], "ConcatenationOptions", Axis=1)
    branches = ((then, [then_input], [frames]), (otherwise, [else_input], [both]))
    return mb.build([x, take], [y], called=branches)


def _ending_buffer_in_while() -> bytes:
    """WHILE (one trip: with more, a buffer ending every other call would end every
    inference) whose body holds a one-output CIRCULAR_BUFFER (cycles_max 2) and takes its
    older frame."""

    def older_frame(body: ModelBuilder, _: int, v: int) -> int:
        frames = body.tensor("frames", (1, 2, 1, 4), scale=0.05, zero_point=3)
        body.custom("CIRCULAR_BUFFER", [v], [frames], {"cycles_max": 2})
        begin = body.tensor("begin", (4,), DType.INT32, data=np.zeros(4, np.int32))
        size = body.tensor("size", (4,), DType.INT32, data=np.array([1, 1, 1, 4], np.int32))
        older = body.tensor("older", (1, 1, 1, 4), scale=0.05, zero_point=3)
        body.op("SLICE", [frames, begin, size], [older])
        return older

    mb = ModelBuilder()
    return _counted_while(mb, mb.tensor("x", (1, 1, 1, 4), scale=0.05, zero_point=3), 1, older_frame)


@pytest.mark.parametrize("build", [_ending_buffer_in_if, _ending_buffer_in_while])
def test_a_circular_buffer_in_a_subgraph_ends_the_inference_as_tflm(
    tmp_path: Path, build: Callable[[], bytes]
) -> None:
    # TFLM's IF and WHILE pass the buffer's kTfLiteAbort on: the inference ends, its
    # outputs unwritten.
    result = _check_on_cores(build(), tmp_path / "ending.tflite", 12, (100, 50))
    assert 0 < result.aborted < 12


def test_if_branches_with_signal_framers_as_tflm() -> None:
    # Each branch frames the samples with a framer of its own: counters and buffered
    # samples, two state tensors per branch. Prefilled, so they write every frame on every
    # call: rows a framer leaves unwritten hold, in TFLM, whatever its arena plan put there
    # last, another subgraph's tensor included (docs/operators.md, "Control flow").
    mb = ModelBuilder()
    samples = mb.tensor("samples", (48,), DType.INT16)
    take = mb.tensor("take", (1,), DType.BOOL)
    frames = mb.tensor("frames", (3, 40), DType.INT16)
    valid = mb.tensor("valid", (), DType.BOOL)
    mb.op("IF", [take, samples], [frames, valid], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=2)
    branches = []
    for _ in range(2):
        branch = mb.sharing_model()
        source = branch.tensor("samples", (48,), DType.INT16)
        outputs = [branch.tensor("frames", (3, 40), DType.INT16), branch.tensor("valid", (), DType.BOOL)]
        branch.custom(
            "SignalFramer", [source], outputs, {"frame_size": 40, "frame_step": 16, "prefill": True}
        )
        branches.append((branch, [source], outputs))
    model = mb.build([samples, take], [frames], called=tuple(branches))
    assert_sequence_matches(model, samples=10)
    assert_sequence_matches(model, samples=10, reset_every=4)


def test_detection_postprocess_in_a_subgraph_is_refused_naming_why() -> None:
    # The slots it leaves unwritten would hold what TFLM's memory plan put there.
    mb = ModelBuilder()
    take = mb.tensor("take", (1,), DType.BOOL)
    encodings = mb.tensor("box_encodings", (1, 4, 4), DType.FLOAT32)
    detections = mb.tensor("count", (1,), DType.FLOAT32)
    mb.op("IF", [take, encodings], [detections], "IfOptions", ThenSubgraphIndex=1, ElseSubgraphIndex=1)
    branch = mb.sharing_model()
    source = branch.tensor("box_encodings", (1, 4, 4), DType.FLOAT32)
    scores = branch.tensor("scores", (1, 4, 2), DType.FLOAT32, data=np.full((1, 4, 2), 0.5, np.float32))
    anchors = branch.tensor("anchors", (4, 4), DType.FLOAT32, data=np.full((4, 4), 0.5, np.float32))
    outputs = [
        branch.tensor("boxes", (1, 2, 4), DType.FLOAT32),
        branch.tensor("classes", (1, 2), DType.FLOAT32),
        branch.tensor("scores_out", (1, 2), DType.FLOAT32),
        branch.tensor("count", (1,), DType.FLOAT32),
    ]
    options = {"max_detections": 2, "max_classes_per_detection": 1, "num_classes": 1}
    branch.custom("TFLite_Detection_PostProcess", [source, scores, anchors], outputs, options)
    model = mb.build([take, encodings], [detections], called=((branch, [source], outputs[3:]),))
    with pytest.raises(CompileError, match=r"subgraph run by IF or WHILE.*memory plan"):
        compile_model(parse_model(model, "detection.tflite"))
