"""CIRCULAR_BUFFER: TFLM's Prepare (shapes, types, cycles_max and its default), the
lowering into state, and the generated code against TFLM over sequences of inferences,
the ones it ends early (kTfLiteAbort) included, on one core and on several."""

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
from tinymlc.ops import prepare_operator
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


def streaming_model(cycles: tuple[int, ...] = (3,), slots: int = 4, variable: bool = True) -> bytes:
    """A frame -> (CIRCULAR_BUFFER -> FULLY_CONNECTED) per entry of `cycles`, the last
    FULLY_CONNECTED the output; each buffer's options are {"cycles_max": cycles[i]}."""
    mb = ModelBuilder()
    frame = mb.tensor("frame", (1, 1, 1, 6), scale=SCALE, zero_point=ZERO_POINT)
    source, width = frame, 6
    for index, cycles_max in enumerate(cycles):
        if index:
            # The next buffer takes one frame of the dense layer's units.
            reshaped = mb.tensor(f"frame{index}", (1, 1, 1, width), scale=SCALE, zero_point=ZERO_POINT)
            mb.op("RESHAPE", [source], [reshaped])
            source = reshaped
        history = _buffer(
            mb, source, slots, (1, width), {"cycles_max": cycles_max}, f"history{index}", variable
        )
        flat = mb.tensor(f"flat{index}", (1, slots * width), scale=SCALE, zero_point=ZERO_POINT)
        mb.op("RESHAPE", [history], [flat])
        source, width = _dense(mb, flat, slots * width, 5, f"dense{index}", index), 5
        mb.tensors[source].scales, mb.tensors[source].zero_points = (SCALE,), (ZERO_POINT,)
    return mb.build([frame], [source])


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
    assert params == CircularBufferParams(num_slots=7, depth=6, cycles_max=4)


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


def test_a_buffer_in_a_subgraph_is_a_named_limitation() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 1, 1, 3), scale=SCALE)
    y = mb.tensor("y", (1, 2, 1, 3), scale=SCALE)
    mb.custom("CIRCULAR_BUFFER", [x], [y], {"cycles_max": 2})
    graph = parse_model(mb.build([x], [y])).main
    with pytest.raises(OpError, match="only the main graph"):
        prepare_operator(graph, 0)


def test_the_valid_output_tflm_never_writes_is_a_named_limitation() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 1, 1, 3), scale=SCALE)
    y = mb.tensor("y", (1, 2, 1, 3), scale=SCALE)
    valid = mb.tensor("valid", (1,), DType.BOOL)
    mb.custom("CIRCULAR_BUFFER", [x], [y, valid], {"cycles_max": 2})
    with pytest.raises(CompileError, match="'valid'"):
        compile_model(parse_model(mb.build([x], [y, valid])))


def tflm_sequence(
    model_bytes: bytes, samples: list[list[np.ndarray]], reset_every: int = 0
) -> list[bytes | None]:
    """TFLM's output bytes for `samples` in sequence (None: the inference ended early).
    TFLM's Reset leaves the operator's count alone, so `reset` is a fresh interpreter,
    as a freshly prepared one starts the count and the frames."""
    from tflite_micro.python.tflite_micro import runtime  # noqa: PLC0415 -- test dependency

    interpreter: Any = None
    outputs: list[bytes | None] = []
    for index, sample in enumerate(samples):
        if interpreter is None or (reset_every and index % reset_every == 0):
            interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=REFERENCE_ARENA_BYTES)
        interpreter.set_input(sample[0], 0)
        ended_early = interpreter.invoke() != 0
        outputs.append(None if ended_early else np.asarray(interpreter.get_output(0)).tobytes())
    return outputs


def assert_sequence_matches(model_bytes: bytes, samples: int = 12, reset_every: int = 0) -> list[int | None]:
    """Outputs and early ends equal TFLM's over `samples` consecutive inferences; the
    layer that ended each inference (None: it completed)."""
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
            assert result.outputs == [reference], f"inference {index} differs"
    return [result.aborted_at for result in ours]


def test_one_buffer_matches_tflm_over_a_sequence() -> None:
    ended = assert_sequence_matches(streaming_model((3,)), samples=13)
    # cycles_max 3: the third, sixth, ... inferences complete; the buffer is layer 0.
    assert ended == [0, 0, None] * 4 + [0]


def test_a_non_variable_history_keeps_its_frames_as_tflms_arena_does_here() -> None:
    assert_sequence_matches(streaming_model((2,), variable=False), samples=10)


@pytest.mark.parametrize("cycles", [(2, 3), (1, 2), (4, 1)])
def test_two_buffers_end_inferences_where_tflm_does(cycles: tuple[int, int]) -> None:
    ended = assert_sequence_matches(streaming_model(cycles, slots=3), samples=16)
    # The second buffer counts only the inferences that reach it.
    assert set(ended) <= {None, 0, 3}


def test_reset_starts_the_frames_and_the_count_again() -> None:
    assert_sequence_matches(streaming_model((2, 3), slots=3), samples=15, reset_every=4)


def test_check_compares_early_ends_and_multicore_schedules(tmp_path: Path) -> None:
    path = tmp_path / "circular_buffer.tflite"
    path.write_bytes(streaming_model((2, 3), slots=3))
    result = check(
        path,
        inputs=12,
        seed=5,
        runtime_dir=hostbuild.default_runtime_dir(),
        measure_tflm_arena=False,
        target=Target((480, 240, 240, 160), split_every_layer=True),
    )
    assert result.bit_exact, result.first_divergence
    assert result.aborted == 10  # (2, 3): inferences 2, 6 and ... complete (every sixth from the second)
    assert "1, 2, 3, 4 workers" in result.multicore


def test_every_later_step_waits_for_a_barrier_after_the_buffer() -> None:
    compiled = compile_model(parse_model(streaming_model((2,))), Target((100, 100), split_every_layer=True))
    lib_rs = generate_crate(compiled, "model").lib_rs
    assert "const ABORT_FLAGS: [(usize, Region); 1] = [(0, Region::new(" in lib_rs
    assert "pub const BARRIER_AFTER: [bool; 3] = [true," in lib_rs
