"""CIRCULAR_BUFFER: TFLM's Prepare (shapes, types, cycles_max and its default), the
lowering into state, and the generated code against TFLM over sequences of inferences,
the ones it ends early (kTfLiteAbort) included, on one core and on several; and the
two-output form, which never ends an inference early and flags the ones completing the
count in its bool 'valid' output."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.check import check, random_inputs
from tinymlc.codegen import Target, compile_model, generate_crate
from tinymlc.errors import CompileError, OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType, OpKind
from tinymlc.ops import abort_flag, prepare_operator
from tinymlc.ops.circular_buffer import CircularBufferParams, resolved_cycles_max
from tinymlc.passes.circular_buffer import lower_circular_buffers
from tinymlc.tflm_reference import REFERENCE_ARENA_BYTES

SCALE, ZERO_POINT = 0.05, -4


def _buffer(
    mb: ModelBuilder,
    source: int,
    slots: int,
    frame: tuple[int, int],
    options: dict[str, Any] | None,
    name: str = "history",
    variable: bool = True,
) -> int:
    history = mb.tensor(name, (1, slots, *frame), scale=SCALE, zero_point=ZERO_POINT, variable=variable)
    mb.custom("CIRCULAR_BUFFER", [source], [history], options or {})
    if options is None:
        mb.ops[-1].custom_options = None
    return history


def _dense(mb: ModelBuilder, source: int, width: int, units: int, name: str, seed: int) -> int:
    """FULLY_CONNECTED of a flattened tensor: the layers after a buffer in TFLM's streaming models."""
    rng = np.random.default_rng(seed)
    weights = mb.tensor(f"{name}_w", (units, width), scale=0.01, data=rng.integers(-127, 128, (units, width)))
    bias = mb.tensor(
        f"{name}_b", (units,), DType.INT32, scale=SCALE * 0.01, data=rng.integers(-500, 500, units)
    )
    out = mb.tensor(name, (1, units), scale=0.2, zero_point=3)
    mb.op(
        "FULLY_CONNECTED", [source, weights, bias], [out], "FullyConnectedOptions", FusedActivationFunction=0
    )
    return out


def streaming_model(
    cycles: tuple[int | None, ...] = (3,),
    slots: int = 4,
    variable: bool = True,
    valid: tuple[bool, ...] = (),
    valid_shape: tuple[int, ...] = (1,),
) -> bytes:
    """A frame -> (CIRCULAR_BUFFER -> FULLY_CONNECTED) per entry of `cycles`, the last
    FULLY_CONNECTED the first output; each buffer's options are {"cycles_max": cycles[i]}
    (None: no options). The buffers flagged in `valid` have the 'valid' output too, each
    a further model output in order."""
    mb = ModelBuilder()
    flags: list[int] = []
    frame = mb.tensor("frame", (1, 1, 1, 6), scale=SCALE, zero_point=ZERO_POINT)
    source, width = frame, 6
    for index, cycles_max in enumerate(cycles):
        if index:
            # The next buffer takes one frame of the dense layer's units.
            reshaped = mb.tensor(f"frame{index}", (1, 1, 1, width), scale=SCALE, zero_point=ZERO_POINT)
            mb.op("RESHAPE", [source], [reshaped])
            source = reshaped
        options = None if cycles_max is None else {"cycles_max": cycles_max}
        history = _buffer(mb, source, slots, (1, width), options, f"history{index}", variable)
        if index < len(valid) and valid[index]:
            flags.append(mb.tensor(f"valid{index}", valid_shape, DType.BOOL))
            mb.ops[-1].outputs = (history, flags[-1])
        flat = mb.tensor(f"flat{index}", (1, slots * width), scale=SCALE, zero_point=ZERO_POINT)
        mb.op("RESHAPE", [history], [flat])
        source, width = _dense(mb, flat, slots * width, 5, f"dense{index}", index), 5
        mb.tensors[source].scales, mb.tensors[source].zero_points = (SCALE,), (ZERO_POINT,)
    return mb.build([frame], [source, *flags])


def _prepared(model_bytes: bytes) -> CircularBufferParams:
    model = lower_circular_buffers(parse_model(model_bytes))
    index = next(i for i, op in enumerate(model.main.operators) if op.kind is OpKind.CIRCULAR_BUFFER)
    params = prepare_operator(model.main, index)
    assert isinstance(params, CircularBufferParams)
    return params


def _single(
    shape_in: tuple[int, ...],
    shape_out: tuple[int, ...],
    options: dict[str, Any] | None,
    dtype: DType = DType.INT8,
) -> bytes:
    mb = ModelBuilder()
    scale = None if dtype is DType.FLOAT32 else SCALE
    x = mb.tensor("x", shape_in, dtype, scale=scale)
    y = mb.tensor("y", shape_out, dtype, scale=scale, variable=True)
    mb.custom("CIRCULAR_BUFFER", [x], [y], options or {})
    if options is None:
        mb.ops[-1].custom_options = None
    return mb.build([x], [y])


def test_prepare_reads_slots_depth_and_cycles_max() -> None:
    params = _prepared(_single((1, 1, 2, 3), (1, 7, 2, 3), {"cycles_max": 4}))
    assert params == CircularBufferParams(num_slots=7, depth=6, cycles_max=4, ends_inference=True)


def test_cycles_max_is_the_first_option_in_key_order_as_tflm_reads_it() -> None:
    # FlexbufferWrapper::ElementAsInt32(0): "a_first" sorts before "cycles_max".
    params = _prepared(_single((1, 1, 1, 3), (1, 2, 1, 3), {"cycles_max": 4, "a_first": 3}))
    assert params.cycles_max == 3


@pytest.mark.parametrize(
    ("slots", "frame", "options", "expected"),
    [
        (5, (1, 8), None, 1),
        (13, (1, 8), {"cycles_max": 0}, 1),
        (25, (1, 8), {"cycles_max": -3}, 1),
        (4, (1, 8), None, 2),
        (4, (2, 96), None, 2),
    ],
)
def test_a_non_positive_cycles_max_takes_tflms_default(
    slots: int, frame: tuple[int, int], options: dict[str, Any] | None, expected: int
) -> None:
    params = _prepared(_single((1, 1, *frame), (1, slots, *frame), options))
    assert params.cycles_max == expected


def test_the_fifth_default_buffer_of_2x96_frames_runs_every_inference() -> None:
    mb = ModelBuilder()
    source = mb.tensor("x", (1, 1, 2, 96), scale=SCALE)
    outputs = []
    for index in range(6):
        outputs.append(_buffer(mb, source, 3, (2, 96), None, f"history{index}"))
    graph = parse_model(mb.build([source], outputs)).main
    # TFLM's static count: 1 for the fifth prepared (the count then restarts), else 2.
    assert list(resolved_cycles_max(graph).values()) == [2, 2, 2, 2, 1, 2]


@pytest.mark.parametrize(
    ("shape_in", "shape_out", "reason"),
    [
        ((1, 2, 1, 3), (1, 4, 1, 3), "not one frame"),
        ((1, 1, 1, 3), (1, 4, 1, 2), "not one frame"),
        ((2, 1, 1, 3), (1, 4, 1, 3), "not one frame"),
        ((1, 1, 3), (1, 4, 3), "rank 4"),
        ((1, 1, 1, 3), (1, 0, 1, 3), "at least one frame"),
    ],
)
def test_rejects_shapes_tflm_rejects(
    shape_in: tuple[int, ...], shape_out: tuple[int, ...], reason: str
) -> None:
    with pytest.raises(OpError, match=reason):
        _prepared(_single(shape_in, shape_out, {"cycles_max": 2}))


@pytest.mark.parametrize("dtype", [DType.INT16, DType.FLOAT32])
def test_takes_int8_only_as_tflm(dtype: DType) -> None:
    with pytest.raises(OpError, match="input"):
        _prepared(_single((1, 1, 1, 3), (1, 2, 1, 3), {"cycles_max": 2}, dtype))


def test_the_lowering_keeps_the_frames_and_the_count_as_state() -> None:
    model = lower_circular_buffers(parse_model(streaming_model((3,), variable=False)))
    op = next(op for op in model.main.operators if op.kind is OpKind.CIRCULAR_BUFFER)
    history, state = model.main.tensors[op.outputs[0]], model.main.tensors[op.inputs[1]]
    assert history.is_variable
    assert state.is_variable
    assert state.dtype is DType.INT32
    assert state.shape == (2,)
    assert np.frombuffer(model.main.state_initial[op.inputs[1]], "<i4").tolist() == [3, 0]
    # TFLM's Reset restores the count (absent: reset writes the initial bytes) and leaves
    # the plain history's frames.
    assert model.main.state_reset == {op.outputs[0]: None}


def test_a_buffer_in_a_subgraph_is_a_named_limitation() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 1, 1, 3), scale=SCALE)
    y = mb.tensor("y", (1, 2, 1, 3), scale=SCALE)
    mb.custom("CIRCULAR_BUFFER", [x], [y], {"cycles_max": 2})
    graph = parse_model(mb.build([x], [y])).main
    with pytest.raises(OpError, match="only the main graph"):
        prepare_operator(graph, 0)


def _with_valid(valid_shape: tuple[int, ...], valid_dtype: DType, outputs: int = 2) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 1, 1, 3), scale=SCALE)
    y = mb.tensor("y", (1, 2, 1, 3), scale=SCALE, variable=True)
    flags = [mb.tensor(f"valid{i}", valid_shape, valid_dtype) for i in range(outputs - 1)]
    mb.custom("CIRCULAR_BUFFER", [x], [y, *flags], {"cycles_max": 2})
    return mb.build([x], [y, *flags])


def test_the_valid_form_becomes_the_buffer_then_its_flag() -> None:
    model = lower_circular_buffers(parse_model(_with_valid((1,), DType.BOOL)))
    buffer, flag = model.main.operators
    assert (buffer.kind, flag.kind) == (OpKind.CIRCULAR_BUFFER, OpKind.CIRCULAR_BUFFER_VALID)
    assert buffer.outputs == (1,)
    assert flag.inputs == (buffer.inputs[1],)
    assert flag.outputs == (2,)
    params = prepare_operator(model.main, 0)
    assert params == CircularBufferParams(num_slots=2, depth=3, cycles_max=2, ends_inference=False)
    assert abort_flag(params) is None
    assert abort_flag(_prepared(_single((1, 1, 1, 3), (1, 2, 1, 3), {"cycles_max": 2}))) is not None


@pytest.mark.parametrize(
    ("shape", "dtype", "outputs", "reason"),
    [
        ((1,), DType.INT8, 2, "valid output"),
        ((1,), DType.INT32, 2, "valid output"),
        ((2,), DType.BOOL, 2, "one element"),
        ((1, 2), DType.BOOL, 2, "one element"),
        ((1,), DType.BOOL, 3, "optionally 'valid'"),
    ],
)
def test_a_valid_output_tflm_rejects_is_rejected(
    shape: tuple[int, ...], dtype: DType, outputs: int, reason: str
) -> None:
    # TFLM's Prepare: one or two outputs, the second a bool of one element.
    with pytest.raises(CompileError, match=reason):
        compile_model(parse_model(_with_valid(shape, dtype, outputs)))


def tflm_sequence(
    model_bytes: bytes, samples: list[list[np.ndarray]], reset_every: int = 0
) -> list[list[bytes] | None]:
    """TFLM's output bytes for `samples` in sequence (None: the inference ended early),
    on one interpreter reset (`interpreter.reset()`: TFLM's Reset restarts the count)
    every `reset_every`."""
    from tflite_micro.python.tflite_micro import runtime  # noqa: PLC0415 -- test dependency

    interpreter: Any = runtime.Interpreter.from_bytes(model_bytes, arena_size=REFERENCE_ARENA_BYTES)
    count = len(parse_model(model_bytes).main.outputs)
    outputs: list[list[bytes] | None] = []
    for index, sample in enumerate(samples):
        if reset_every and index and index % reset_every == 0:
            interpreter.reset()
        interpreter.set_input(sample[0], 0)
        ended_early = interpreter.invoke() != 0
        outputs.append(
            None if ended_early else [np.asarray(interpreter.get_output(i)).tobytes() for i in range(count)]
        )
    return outputs


def run_sequence(model_bytes: bytes, samples: int, reset_every: int = 0) -> list[hostbuild.SampleResult]:
    """Our results over `samples` consecutive inferences, asserted equal to TFLM's: the
    same outputs, and the same inferences ended early."""
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model_bytes, Path(work))
        inputs = random_inputs(compiled, samples, seed=samples)
        ours = hostbuild.run_harness(binary, inputs, reset_every)
    expected = tflm_sequence(model_bytes, inputs, reset_every)
    for index, (result, reference) in enumerate(zip(ours, expected, strict=True)):
        assert result.error is None, result.error
        if reference is None:
            assert result.aborted_at is not None, f"TFLM ended inference {index} early, we did not"
            assert result.outputs == [], "an inference ended early writes no outputs"
        else:
            assert result.aborted_at is None, f"inference {index} ended early at {result.aborted_at}"
            assert result.outputs == reference, f"inference {index} differs"
    return ours


def assert_sequence_matches(model_bytes: bytes, samples: int = 12, reset_every: int = 0) -> list[int | None]:
    """Outputs and early ends equal TFLM's over `samples` consecutive inferences; the
    layer that ended each inference (None: it completed)."""
    return [result.aborted_at for result in run_sequence(model_bytes, samples, reset_every)]


def valid_flags(model_bytes: bytes, samples: int, reset_every: int = 0) -> list[list[bool]]:
    """The 'valid' outputs (every output after the first) of each inference, equal to
    TFLM's; no inference ends early."""
    results = run_sequence(model_bytes, samples, reset_every)
    assert all(result.aborted_at is None for result in results), "the two-output form never ends early"
    return [[flag == b"\x01" for flag in result.outputs[1:]] for result in results]


@pytest.mark.parametrize(
    ("cycles", "slots", "period"),
    [((3,), 4, 3), ((1,), 4, 1), ((2,), 3, 2), ((None,), 4, 2), ((None,), 5, 1), ((-1,), 13, 1)],
)
def test_valid_flags_every_cycles_max_th_inference_as_tflm(
    cycles: tuple[int | None], slots: int, period: int
) -> None:
    flags = valid_flags(streaming_model(cycles, slots, valid=(True,)), samples=10)
    assert flags == [[(index + 1) % period == 0] for index in range(10)]


@pytest.mark.parametrize("valid_shape", [(), (1, 1)])
def test_valid_of_any_one_element_shape_and_reset_restart_the_count(valid_shape: tuple[int, ...]) -> None:
    flags = valid_flags(streaming_model((3,), valid=(True,), valid_shape=valid_shape), 11, reset_every=4)
    # Reset before inferences 4 and 8: the count starts again from cycles_max.
    assert [f[0] for f in flags] == [False, False, True, False] * 2 + [False, False, True]


def test_buffers_with_and_without_valid_count_once_per_inference_reaching_them() -> None:
    # The first (cycles 2, valid) never ends an inference; the second (cycles 3) ends
    # those that do not complete its count, which counts every inference.
    model = streaming_model((2, 3), slots=3, valid=(True, False))
    ended = assert_sequence_matches(model, samples=13, reset_every=7)
    assert [layer is None for layer in ended] == [(i % 7) % 3 == 2 for i in range(13)]


def test_two_valid_buffers_in_sequence_match_tflm() -> None:
    flags = valid_flags(streaming_model((2, 3), slots=3, valid=(True, True)), samples=12, reset_every=5)
    assert [f[1] for f in flags] == [(i % 5) % 3 == 2 for i in range(12)]


def test_one_buffer_matches_tflm_over_a_sequence() -> None:
    ended = assert_sequence_matches(streaming_model((3,)), samples=13)
    # cycles_max 3: the third, sixth, ... inferences complete; the buffer is layer 0.
    assert ended == [0, 0, None] * 4 + [0]


@pytest.mark.parametrize("valid", [False, True])
def test_a_non_variable_history_keeps_its_frames_as_tflms_arena_does_here(valid: bool) -> None:
    assert_sequence_matches(streaming_model((2,), variable=False, valid=(valid,)), samples=10)


@pytest.mark.parametrize("valid", [False, True])
def test_reset_restarts_the_count_and_keeps_a_non_variable_historys_frames(valid: bool) -> None:
    # TFLM's Reset: the buffer's own Reset restores the count, ResetVariableTensors only
    # touches variable tensors (measured with the wheel: the frames carry over).
    assert_sequence_matches(streaming_model((3,), variable=False, valid=(valid,)), samples=11, reset_every=4)


@pytest.mark.parametrize("cycles", [(2, 3), (1, 2), (4, 1)])
def test_two_buffers_end_inferences_where_tflm_does(cycles: tuple[int, int]) -> None:
    ended = assert_sequence_matches(streaming_model(cycles, slots=3), samples=16)
    # The second buffer counts only the inferences that reach it.
    assert set(ended) <= {None, 0, 3}


def test_reset_starts_the_frames_and_the_count_again() -> None:
    assert_sequence_matches(streaming_model((2, 3), slots=3), samples=15, reset_every=4)


@pytest.mark.parametrize(
    ("valid", "aborted"),
    [
        # (2, 3): inferences 2, 6 and ... complete (every sixth from the second).
        ((False, False), 10),
        # Both buffers flag instead, each in a bool output `check` compares as a byte.
        ((True, True), 0),
    ],
)
def test_check_compares_early_ends_valid_flags_and_multicore_schedules(
    tmp_path: Path, valid: tuple[bool, bool], aborted: int
) -> None:
    path = tmp_path / "circular_buffer.tflite"
    path.write_bytes(streaming_model((2, 3), slots=3, valid=valid))
    result = check(
        path,
        inputs=12,
        seed=5,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target((480, 240, 240, 160), split_every_layer=True),
    )
    assert result.bit_exact, result.first_divergence
    assert result.aborted == aborted
    assert "1, 2, 3, 4 workers" in result.multicore


def test_every_later_step_waits_for_a_barrier_after_the_buffer() -> None:
    compiled = compile_model(parse_model(streaming_model((2,))), Target((100, 100), split_every_layer=True))
    lib_rs = generate_crate(compiled, "model").lib_rs
    assert "const ABORT_FLAGS: [(usize, Region); 1] = [(0, Region::new(" in lib_rs
    assert "pub const BARRIER_AFTER: [bool; 3] = [true," in lib_rs
