import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tinymlc.errors import CompileError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.validate import Severity, check_model, validate


def _problem_model(subgraphs: int = 1) -> bytes:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 8), DType.FLOAT32, shape_signature=(-1, 8))
    a = mb.tensor("a", (1, 8), scale=0.1)
    mb.op("QUANTIZE", [x], [a])
    b = mb.tensor("b", (1, 8), scale=0.1)
    mb.op("EXP", [a], [b])
    c = mb.tensor("c", (1, 8), scale=0.1)
    mb.op("CUSTOM", [b], [c], custom_code="MyOp")
    d = mb.tensor("d", (1, 8))  # no quantization
    mb.op("RELU", [c], [d])
    w = mb.tensor("w", (4, 8), scale=(0.1,) * 8, data=np.ones((4, 8)), quantized_dimension=1)
    e = mb.tensor("e", (1, 4), scale=0.1)
    mb.op("FULLY_CONNECTED", [c, w, -1], [e], "FullyConnectedOptions")
    f = mb.tensor("f", (1, 4), DType.INT16, scale=0.1)
    mb.op("TANH", [f], [f])
    return mb.build([x, f], [e, d], subgraphs=subgraphs)


def test_collects_all_problems_at_once() -> None:
    diagnostics = validate(parse_model(_problem_model(subgraphs=2), "m.tflite"))
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    text = "\n".join(str(d) for d in errors)
    # A dynamic batch dimension runs at the stored size, as in TFLM: a warning, not an error.
    assert [w.tensor_name for w in warnings] == ["x"]
    assert "runs at its stored shape [1, 8]" in warnings[0].reason
    assert "2 subgraphs" in text
    assert "unsupported operator EXP" in text
    assert "unsupported operator CUSTOM:MyOp" in text
    assert "needs quantization parameters" in text
    assert "'d'" in text
    assert "per-channel filter quantization must be along axis 0" in text
    assert "int16 TANH output scale must be 2^-15" in text
    ops = {d.op_index for d in errors if d.op_index is not None}
    assert {1, 2, 3, 4, 5} <= ops
    assert all(d.suggestion for d in diagnostics)


def test_float_tensor_where_int8_required() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), DType.FLOAT32)
    y = mb.tensor("y", (1, 4), DType.FLOAT32)
    mb.op("RELU", [x], [y])
    diagnostics = validate(parse_model(mb.build([x], [y])))
    assert len(diagnostics) == 1
    assert "FLOAT32, expected INT8" in diagnostics[0].reason
    assert "full integer quantization" in diagnostics[0].suggestion


def test_check_model_raises_one_error_listing_everything() -> None:
    model = parse_model(_problem_model(), "m.tflite")
    with pytest.raises(CompileError, match=r"m\.tflite") as info:
        check_model(model)
    errors = [d for d in validate(model) if d.severity is Severity.ERROR]
    assert str(info.value).count("error:") == len(errors)


def test_valid_model_has_no_diagnostics_and_logistic_warning() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.1)
    y = mb.tensor("y", (1, 4), scale=0.1, zero_point=-128)
    mb.op("LOGISTIC", [x], [y])
    warnings = check_model(parse_model(mb.build([x], [y])))
    assert len(warnings) == 1
    assert warnings[0].severity is Severity.WARNING


def test_relu6_with_rescaled_output_compiles_like_tflm_with_a_warning() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), scale=0.1)
    y = mb.tensor("y", (1, 4), scale=0.05, zero_point=-10)
    mb.op("RELU6", [x], [y])
    warnings = check_model(parse_model(mb.build([x], [y])))
    assert [w.op_name for w in warnings] == ["RELU6"]
    assert "raw input values" in warnings[0].reason
