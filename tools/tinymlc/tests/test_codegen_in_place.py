"""In-place execution: elementwise layers planned over a dying input call the
kernels' `*_in_place` variants, stay bit-exact with TFLM (outputs and every
layer's output as the debug hook sees it) and shrink the arena."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.check import first_divergence, random_inputs
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.frontend import parse_model
from tinymlc.ir import Graph
from tinymlc.passes import plan_graph_memory
from tinymlc.passes.memory_planner import align
from tinymlc.tflm_reference import run


def _chain(rng: np.random.Generator) -> bytes:
    """CONV, then every in-place kind in a chain and a skip-connection ADD of
    the CONV output; binary ops overwrite their activation operand first
    (input1) or second (input2), with constants of the same or a broadcast
    shape as the other operand.  The RELU reading the CONV output cannot
    overwrite it (the final ADD still needs it)."""
    mb = ModelBuilder()
    shape = (1, 4, 4, 2)

    def const(name: str, dims: tuple[int, ...], scale: float, zero_point: int) -> int:
        return mb.tensor(name, dims, scale=scale, zero_point=zero_point, data=rng.integers(-100, 100, dims))

    x = mb.tensor("x", shape, scale=0.05, zero_point=-3)
    w = mb.tensor("w", (2, 3, 3, 2), scale=0.01, data=rng.integers(-127, 128, (2, 3, 3, 2)))
    c = mb.tensor("conv", shape, scale=0.04, zero_point=2)
    mb.conv_2d([x, w, -1], [c], padding=0, stride=1)  # SAME
    r = mb.tensor("relu", shape, scale=0.03, zero_point=-5)
    mb.op("RELU", [c], [r])
    lr = mb.tensor("leaky", shape, scale=0.035, zero_point=4)
    mb.op("LEAKY_RELU", [r], [lr], "LeakyReluOptions", Alpha=0.3)
    hs = mb.tensor("hswish", shape, scale=0.03, zero_point=-1)
    mb.op("HARD_SWISH", [lr], [hs])
    q = mb.tensor("requant", shape, scale=0.045, zero_point=6)
    mb.op("QUANTIZE", [hs], [q])
    a = mb.tensor("add", shape, scale=0.06, zero_point=1)
    mb.op("ADD", [const("k_add", (1, 1, 1, 2), 0.02, 3), q], [a], "AddOptions")
    s = mb.tensor("sub", shape, scale=0.07, zero_point=-2)
    mb.op("SUB", [a, const("k_sub", shape, 0.03, -4)], [s], "SubOptions")
    t = mb.tensor("tanh", shape, scale=1.0 / 128, zero_point=0)
    mb.op("TANH", [s], [t])
    g = mb.tensor("logistic", shape, scale=1.0 / 256, zero_point=-128)
    mb.op("LOGISTIC", [t], [g])
    m = mb.tensor("mul", shape, scale=0.004, zero_point=-10)
    mb.op("MUL", [g, const("k_mul", (1, 1, 4, 1), 0.02, 5)], [m], "MulOptions")
    sd = mb.tensor("sqdiff", shape, scale=0.05, zero_point=-100)
    mb.op("SQUARED_DIFFERENCE", [const("k_sd", shape, 0.01, 0), m], [sd])
    mx = mb.tensor("maximum", shape, scale=0.05, zero_point=-100)
    mb.op("MAXIMUM", [const("k_max", (2,), 0.05, -100), sd], [mx])
    mn = mb.tensor("minimum", shape, scale=0.05, zero_point=-100)
    mb.op("MINIMUM", [mx, const("k_min", shape, 0.05, -100)], [mn])
    r6 = mb.tensor("relu6", shape, scale=0.05, zero_point=-100)
    mb.op("RELU6", [mn], [r6])
    y = mb.tensor("y", shape, scale=0.08, zero_point=7)
    mb.op("ADD", [r6, c], [y], "AddOptions")  # the skip connection keeps `conv` alive
    return mb.build([x], [y])


def _rsqrt(rng: np.random.Generator) -> bytes:
    """RSQRT over an intermediate (inputs kept >= 0 by a RELU6 with zp -128)."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 8), scale=0.05, zero_point=-128)
    r = mb.tensor("relu6", (2, 3, 8), scale=0.05, zero_point=-128)
    mb.op("RELU6", [x], [r])
    y = mb.tensor("y", (2, 3, 8), scale=0.5, zero_point=-100)
    mb.op("RSQRT", [r], [y])
    return mb.build([x], [y])


def _not_in_place(rng: np.random.Generator) -> bytes:
    """Where in place is illegal: an input still needed later, the same tensor
    as both operands, a graph output read afterwards, a broadcast operand."""
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 4, 3), scale=0.05, zero_point=-3)
    a = mb.tensor("a", (2, 4, 3), scale=0.05, zero_point=2)
    mb.op("RELU", [x], [a])  # 0: over x (a graph input: the arena copy)
    b = mb.tensor("b", (2, 4, 3), scale=1.0 / 256, zero_point=-128)
    mb.op("LOGISTIC", [a], [b])  # 1: a is read again by op 2 -> not in place
    s = mb.tensor("s", (2, 4, 3), scale=0.06, zero_point=1)
    mb.op("ADD", [a, b], [s], "AddOptions")  # 2: over a (first)
    d = mb.tensor("d", (2, 4, 3), scale=0.08, zero_point=0)
    mb.op("ADD", [s, s], [d], "AddOptions")  # 3: same tensor twice -> not in place
    out1 = mb.tensor("out1", (2, 4, 3), scale=0.08, zero_point=0)
    mb.op("LEAKY_RELU", [d], [out1], "LeakyReluOptions", Alpha=0.1)  # 4: over d (a RELU would fuse)
    out2 = mb.tensor("out2", (2, 4, 3), scale=1.0 / 256, zero_point=-128)
    mb.op("LOGISTIC", [out1], [out2])  # 5: out1 is a graph output -> not in place
    # 6: `small` dies here but is broadcast, `out2` is a graph output: neither.
    small = mb.tensor("small", (1, 1, 3), scale=1.0 / 256, zero_point=-128)
    big = mb.tensor("big", (2, 4, 3), scale=1.0 / 256, zero_point=-128)
    mb.op("MAXIMUM", [small, out2], [big])
    return mb.build([x, small], [out1, out2, big])


def _in_place_positions(graph: Graph, pairs: tuple[tuple[int, int], ...]) -> dict[int, int]:
    """Operator index -> position of the input its output overwrites."""
    shared = dict(pairs)
    return {
        index: op.inputs.index(shared[op.outputs[0]])
        for index, op in enumerate(graph.operators)
        if op.outputs[0] in shared
    }


def _assert_layers_bit_exact(model_bytes: bytes, samples: int) -> tuple[str, dict[str, object]]:
    """Outputs and every layer's hook bytes equal TFLM's; returns (lib.rs, report)."""
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model_bytes, Path(work))
        inputs = random_inputs(compiled, samples, seed=0)
        results = hostbuild.run_harness(binary, inputs)
    graph = compiled.graph
    for sample, ours in zip(inputs, results, strict=True):
        assert ours.error is None, ours.error
        assert len(ours.layers) == len(graph.operators)
        assert first_divergence(compiled, model_bytes, sample, ours) is None
        reference, _ = run(model_bytes, sample, len(graph.outputs))
        for tensor_id, actual, expected in zip(graph.outputs, ours.outputs, reference, strict=True):
            dtype = graph.tensors[tensor_id].dtype.numpy_dtype
            assert dtype is not None
            np.testing.assert_array_equal(
                np.frombuffer(actual, dtype), np.asarray(expected, dtype).reshape(-1)
            )
    crate = generate_crate(compiled, "model")
    return crate.lib_rs, crate.report


@pytest.mark.parametrize("seed", [0, 1])
def test_chain_runs_in_place_and_matches_tflm(seed: int) -> None:
    model = _chain(np.random.default_rng(seed))
    lib_rs, report = _assert_layers_bit_exact(model, samples=25)
    compiled = compile_model(parse_model(model, "chain.tflite"))
    positions = _in_place_positions(compiled.graph, compiled.plan.in_place)
    kinds = [op.opcode_name for op in compiled.graph.operators]
    # Every layer after the CONV except the RELU overwrites an activation operand.
    assert positions == {
        2: 0,  # LEAKY_RELU
        3: 0,  # HARD_SWISH
        4: 0,  # QUANTIZE (requantize)
        5: 1,  # ADD(const, x): second
        6: 0,  # SUB(x, const): first
        7: 0,  # TANH
        8: 0,  # LOGISTIC
        9: 0,  # MUL(x, broadcast const): first
        10: 1,  # SQUARED_DIFFERENCE(const, x): second
        11: 1,  # MAXIMUM(broadcast const, x): second
        12: 0,  # MINIMUM(x, const): first
        13: 0,  # RELU6
        14: 0,  # ADD(chain, conv): both die, the first is overwritten
    }, kinds
    assert "kernels::activations::relu::<i8>(" in lib_rs
    for kernel in (
        "leaky_relu::leaky_relu_in_place::<i8>",
        "hard_swish::hard_swish_in_place",
        "quantize::requantize_in_place::<i8>",
        "binary::add_in_place_second::<i8>",
        "binary::sub_in_place_first::<i8>",
        "tanh::tanh_in_place",
        "logistic::logistic_in_place",
        "binary::mul_in_place_first::<i8>",
        "binary::squared_difference_in_place_second::<i8>",
        "binary::maximum_in_place_second::<i8>",
        "binary::minimum_in_place_first::<i8>",
        "activations::relu6_in_place::<i8>",
    ):
        assert f"kernels::{kernel}(" in lib_rs, kernel
    # 13 in-place layers and the CONV written over its input (the driver lends their
    # region mutably), 1 with a separate output.
    assert _in_place_layers(lib_rs) == (14, 1)
    assert compiled.plan.overlapped == ((compiled.graph.operators[0].outputs[0], compiled.graph.inputs[0]),)
    assert "binary::add_in_place_first::<i8>" in lib_rs
    # The CONV output plus one buffer the chain runs in, instead of ping-pong.
    assert plan_graph_memory(compiled.graph).arena_bytes == 2 * 32
    assert plan_graph_memory(compiled.graph, allow_in_place=False).arena_bytes == 3 * 32
    # The CONV's own step holds its input and output (written over the input: less
    # than both apart) and its kernel's window scratch.
    scratch = report["scratch"]
    assert isinstance(scratch, list)
    assert len(scratch) == 1
    apart = 2 * 32 + align(scratch[0]["bytes"])
    assert report["arena_bytes"] == compiled.plan.arena_bytes == apart - compiled.overlap_saved_bytes
    assert compiled.overlap_saved_bytes > 0


def test_rsqrt_in_place_matches_tflm() -> None:
    lib_rs, report = _assert_layers_bit_exact(_rsqrt(np.random.default_rng(0)), samples=25)
    assert "kernels::rsqrt::rsqrt_in_place(" in lib_rs
    assert report["arena_bytes"] == 48


def _in_place_layers(lib_rs: str) -> tuple[int, int]:
    """(layers computed in place, other layers), from the generated `IN_PLACE_REGIONS`."""
    (table,) = [line for line in lib_rs.splitlines() if line.startswith("const IN_PLACE_REGIONS")]
    return table.count("Some(Region::new("), table.count("None")


def test_illegal_in_place_is_not_planned_and_matches_tflm() -> None:
    model = _not_in_place(np.random.default_rng(0))
    compiled = compile_model(parse_model(model, "not_in_place.tflite"))
    assert _in_place_positions(compiled.graph, compiled.plan.in_place) == {0: 0, 2: 0, 4: 0}
    lib_rs, _ = _assert_layers_bit_exact(model, samples=25)
    assert _in_place_layers(lib_rs) == (3, 4)


def test_report_arena_shrinks(tmp_path: Path) -> None:
    model = tmp_path / "chain.tflite"
    model.write_bytes(_chain(np.random.default_rng(0)))
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "tinymlc", "compile", f"--model={model}", f"--out={out}", "--no_cargo"],
        check=True,
        # Keep the inherited path (under Bazel it holds the pip packages), source first.
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).absolute().parents[1] / "src"), os.environ.get("PYTHONPATH", "")]
            ),
        },
    )
    report = json.loads((out / "report.json").read_text())
    (scratch,) = report["scratch"]
    assert report["arena_bytes"] == 64 + align(scratch["bytes"]) - report["overlap_saved_bytes"]
    assert report["tflm_greedy_arena_bytes"] >= 96
    # Every in-place layer's output has the offset of the input it overwrites.
    for layer in report["layers"][2:-1]:
        offsets = {t["offset"] for t in layer["tensors"] if t["storage"] == "arena"}
        assert len(offsets) == 1, layer
