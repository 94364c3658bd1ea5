"""The `onnx` package's own backend node tests for the quantized operators, through
tinymlc: the generated Rust on the inputs each case carries, against its expected
outputs (within one LSB: the cases define requantization in float, our kernels in
TFLite's fixed point; int32 accumulators exactly), or rejected with a CompileError naming the reason.

Scales, zero points and weights are graph inputs in these cases; a microcontroller
model has them as constants, so they are frozen into initializers from the case's data.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from tinymlc import hostbuild
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend.onnx import parse_onnx
from tinymlc.onnx_check import caller_output, from_model_layout, to_model_layout

RUN = [
    "test_quantizelinear",
    "test_dequantizelinear",
    "test_qlinearmatmul_2D_int8_float32",
    "test_qlinearmatmul_2D_uint8_float32",
    "test_qlinearmatmul_2D_int8_float16",
    "test_qlinearmatmul_2D_uint8_float16",
    "test_qlinearmatmul_3D_int8_float32",
    "test_qlinearmatmul_3D_uint8_float32",
    "test_qlinearmatmul_3D_int8_float16",
    "test_qlinearmatmul_3D_uint8_float16",
    # int32 accumulators: equal, not within one LSB.
    "test_matmulinteger",
    "test_convinteger_with_padding",
    "test_convinteger_without_padding",
]
# Element types without an int8 kernel: the type names the reason.
_OTHER_TYPES = {
    "e4m3fn": "FLOAT8E4M3FN",
    "e4m3fn_float16": "FLOAT8E4M3FN",
    "e4m3fn_zero_point": "FLOAT8E4M3FN",
    "e5m2": "FLOAT8E5M2",
    "float4e2m1": "FLOAT4E2M1",
    "uint4": "UINT4",
    "int4": "INT4",
    "uint2": "UINT2",
    "int2": "INT2",
}
REJECT = {
    # uint8 weights whose distance from their zero point exceeds int8 (TFLM's int8
    # kernels take int8 weights with zero point 0).
    "test_qlinearconv": "exceed int8",
    "test_quantizelinear_axis": "per-axis quantization of an activation",
    "test_dequantizelinear_axis": "per-axis quantization of an activation",
    "test_quantizelinear_int16": "int16 quantization",
    "test_dequantizelinear_int16": "type INT16",
    "test_quantizelinear_uint16": "uint16 quantization",
    "test_quantizelinear_blocked_symmetric": "INT16 is not supported",
    "test_dequantizelinear_uint16": "type UINT16",
    "test_dequantizelinear_blocked": "blocked quantization",
    "test_quantizelinear_blocked_asymmetric": "blocked quantization",
    **{
        f"test_{op}linear_{suffix}": type_name
        for suffix, type_name in _OTHER_TYPES.items()
        for op in ("quantize", "dequantize")
        if not (op == "quantize" and suffix in ("e4m3fn_float16", "e4m3fn_zero_point"))
    },
    **{
        f"test_dynamicquantizelinear{variant}": r"dynamic \(run-time\) quantization"
        for variant in ("", "_max_adjusted", "_min_adjusted")
    },
    # The expanded form computes its scale at run time with ReduceMax/ReduceMin.
    **{
        f"test_dynamicquantizelinear{variant}_expanded": "ReduceMax"
        for variant in ("", "_max_adjusted", "_min_adjusted")
    },
}
# Every node test of a quantized operator the onnx package ships.
_QUANTIZED_CASE = re.compile(r"qlinear|quantizelinear|integer")


def _cases() -> dict[str, Any]:
    from onnx.backend.test.case.node import collect_testcases  # noqa: PLC0415 -- slow import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {case.name: case for case in collect_testcases(None) if _QUANTIZED_CASE.search(case.name)}


CASES = _cases()


def _frozen(case: Any) -> tuple[bytes, np.ndarray, list[np.ndarray]]:
    """The case's model with every input but the first an initializer; that input's
    data and the expected outputs."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    for value, data in zip(list(model.graph.input)[1:], inputs[1:], strict=True):
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(data), value.name))
        model.graph.input.remove(value)
    return model.SerializeToString(), np.asarray(inputs[0]), [np.asarray(o) for o in outputs]


@pytest.mark.parametrize("name", RUN)
def test_backend_case_runs_within_one_lsb(name: str, tmp_path: Path) -> None:
    data, x, expected = _frozen(CASES[name])
    lowered = parse_onnx(data, name)
    compiled = compile_model(lowered.model)
    lib_rs = tmp_path / "lib.rs"
    lib_rs.write_text(generate_crate(compiled, "model").lib_rs)
    binary = hostbuild.build_harness(lib_rs, hostbuild.default_runtime_dir(), tmp_path)
    graph = compiled.graph
    sample = [from_model_layout(lowered, graph.inputs[0], x)]
    (result,) = hostbuild.run_harness(binary, [sample])
    assert result.error is None
    for index, (tensor_id, want) in enumerate(zip(graph.outputs, expected, strict=True)):
        got = to_model_layout(lowered, tensor_id, caller_output(compiled, tensor_id, result.outputs[index]))
        assert got.dtype == want.dtype
        lsb = 0 if want.dtype == np.int32 else 1
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), atol=lsb)


@pytest.mark.parametrize("name", sorted(REJECT))
def test_backend_case_outside_the_kernels_is_a_clear_error(name: str) -> None:
    case = CASES[name]
    try:
        data = _frozen(case)[0]
    except NotImplementedError:  # numpy_helper cannot hold 4-bit, 2-bit or float8 data
        data = case.model.SerializeToString()
    with pytest.raises(CompileError, match=REJECT[name]):
        compile_model(parse_onnx(data, name).model)


def test_every_quantized_case_is_run_or_rejected() -> None:
    assert sorted(CASES) == sorted((*RUN, *REJECT))
