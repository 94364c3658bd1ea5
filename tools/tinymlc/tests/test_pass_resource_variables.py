"""Resource variables lowered to state: the zoo's converted `tf.Variable` model, its
sequences and `reset` against TFLM, and init subgraphs we cannot fold."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tests.tflm import tflm_sequence
from tinymlc import hostbuild
from tinymlc.check import random_inputs
from tinymlc.errors import CompileError
from tinymlc.frontend import load_model
from tinymlc.ir import DType, OpKind
from tinymlc.passes.resource_variables import RESOURCE_KINDS, lower_resource_variables

MODEL = Path(__file__).absolute().parents[3] / "models" / "resource_variable_running_mean.tflite"


def test_variables_become_state_tensors_with_their_initial_values() -> None:
    model = load_model(MODEL)
    assert len(model.subgraphs) == 2
    lowered = lower_resource_variables(model)
    assert len(lowered.subgraphs) == 1
    graph = lowered.main
    assert not any(
        op.kind in RESOURCE_KINDS - {OpKind.READ_VARIABLE, OpKind.ASSIGN_VARIABLE} for op in graph.operators
    )
    (variable,) = [t for t, tensor in enumerate(graph.tensors) if tensor.is_variable]
    assignments = [op for op in graph.operators if op.kind is OpKind.ASSIGN_VARIABLE]
    reads = [op for op in graph.operators if op.kind is OpKind.READ_VARIABLE]
    assert [op.outputs for op in assignments] == [(variable,)]
    assert len(reads) == 2
    assert all(op.inputs == (variable,) for op in reads)
    # The init subgraph's constant, as the variable's initial bytes.
    (init_assign,) = [op for op in model.subgraphs[1].operators if op.kind is OpKind.ASSIGN_VARIABLE]
    constant = model.subgraphs[1].tensors[init_assign.inputs[1]].data
    assert constant is not None
    assert graph.state_initial[variable] == np.ascontiguousarray(constant, "<f4").tobytes()


@pytest.mark.parametrize("reset_every", [0, 4])
def test_sequences_and_reset_match_tflm(reset_every: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(MODEL.read_bytes(), Path(work))
        samples = random_inputs(compiled, 12, seed=7)
        ours = hostbuild.run_harness(binary, samples, reset_every)
    # TFLM's Reset fills the variable as allocated and runs no CALL_ONCE again: after a
    # reset the running mean starts from zero, not from the init subgraph's value.
    expected = tflm_sequence(MODEL.read_bytes(), samples, reset_every)
    assert [result.outputs for result in ours] == [[e] for e in expected]


def test_reset_leaves_the_init_subgraphs_values_undone() -> None:
    graph = lower_resource_variables(load_model(MODEL)).main
    (variable,) = graph.state_initial
    assert graph.state_reset[variable] == b""


def _delay_model(dtype: DType, zero_point: int) -> bytes:
    """y = the variable, then variable = x (a one-inference delay); CALL_ONCE's init
    subgraph assigns 1, 2, 3, 4 first."""
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), dtype, scale=0.5, zero_point=zero_point)
    y = mb.tensor("y", (1, 4), dtype, scale=0.5, zero_point=zero_point)
    handle = mb.tensor("handle", (), DType.RESOURCE)
    init_handle = mb.tensor("init handle", (), DType.RESOURCE)
    value = np.array([[1, 2, 3, 4]], dtype.numpy_dtype)
    initial = mb.tensor("initial", (1, 4), dtype, scale=0.5, zero_point=zero_point, data=value)
    mb.op("VAR_HANDLE", [], [init_handle], "VarHandleOptions", Container="", SharedName="delay")
    mb.op("ASSIGN_VARIABLE", [init_handle, initial], [])
    init = mb.take_ops(2)
    mb.op("CALL_ONCE", [], [], "CallOnceOptions", InitSubgraphIndex=1)
    mb.op("VAR_HANDLE", [], [handle], "VarHandleOptions", Container="", SharedName="delay")
    mb.op("READ_VARIABLE", [handle], [y])
    mb.op("ASSIGN_VARIABLE", [handle, x], [])
    return mb.build([x], [y], called=(init,))


@pytest.mark.parametrize(("dtype", "zero_point"), [(DType.INT8, 5), (DType.INT8, -3), (DType.INT32, 3)])
def test_reset_fills_variables_as_allocated_as_tflm(dtype: DType, zero_point: int) -> None:
    model = _delay_model(dtype, zero_point)
    with tempfile.TemporaryDirectory() as work:
        _, binary = build(model, Path(work))
        samples = [[np.full((1, 4), i + 10, dtype.numpy_dtype)] for i in range(7)]
        ours = hostbuild.run_harness(binary, samples, reset_every=3)
    expected = tflm_sequence(model, samples, reset_every=3)
    assert [result.outputs for result in ours] == [[e] for e in expected]
    # Measured with the wheel: the init subgraph's value first, then after each reset
    # every byte the zero point's low byte (whatever the type), not that value again.
    allocated = bytes([zero_point & 0xFF]) * len(expected[0])
    assert expected[0] == np.array([1, 2, 3, 4], dtype.numpy_dtype).tobytes()
    assert expected[3] == expected[6] == allocated


def test_init_subgraph_computing_more_than_constants_is_rejected() -> None:
    model = load_model(MODEL)
    init = model.subgraphs[1]
    (index,) = [i for i, op in enumerate(init.operators) if op.kind is OpKind.ASSIGN_VARIABLE]
    computed = replace(init.tensors[init.operators[index].inputs[1]], data=None)
    tensors = (*init.tensors, computed)
    operators = list(init.operators)
    operators[index] = replace(operators[index], inputs=(operators[index].inputs[0], len(tensors) - 1))
    broken = replace(
        model, subgraphs=(model.main, replace(init, tensors=tensors, operators=tuple(operators)))
    )
    with pytest.raises(CompileError, match="only assignments of constants"):
        lower_resource_variables(broken)
