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
    assert "EXP runs only on FLOAT32 tensors" in text
    assert "unsupported operator CUSTOM:MyOp" in text
    assert "needs quantization parameters" in text
    assert "'d'" in text
    assert "int16 TANH output scale must be 2^-15" in text
    assert "8 scales along axis 1 for 4 output units" in text
    ops = {d.op_index for d in errors if d.op_index is not None}
    assert {1, 2, 3, 4, 5} <= ops
    assert all(d.suggestion for d in diagnostics)


def test_float_tensor_where_int8_required() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4), DType.FLOAT32)
    y = mb.tensor("y", (1, 4), DType.FLOAT32)
    mb.op("GELU", [x], [y], "GeluOptions")  # TFLM has no GELU; tinymlc's is int8 only
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


def test_model_compiled_by_vela_is_rejected_in_words() -> None:
    # What Vela leaves of a model: the NPU command stream and the weights as inputs
    # of one custom operator, its scratch tensors never written by any operator.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 8), scale=0.1)
    command_stream = mb.tensor("command_stream", (16,), DType.UINT8, data=np.zeros(16))
    scratch = mb.tensor("scratch", (64,), DType.UINT8)
    y = mb.tensor("y", (1, 8), scale=0.1)
    mb.op("CUSTOM", [command_stream, scratch, x], [y], custom_code="ethos-u")
    diagnostics = validate(parse_model(mb.build([x], [y])))
    assert len(diagnostics) == 1
    assert diagnostics[0].severity is Severity.ERROR
    assert "compiled for an Arm Ethos-U NPU; give the model as it was before Vela" in str(diagnostics[0])


@pytest.mark.parametrize("builtin", ["MAXIMUM", "MINIMUM"])
def test_min_max_with_rescaled_output_compiles_like_tflm_with_a_warning(builtin: str) -> None:
    mb = ModelBuilder()
    a = mb.tensor("a", (1, 4), scale=0.1)
    b = mb.tensor("b", (1, 4), scale=0.1)
    y = mb.tensor("y", (1, 4), scale=0.2, zero_point=3)
    mb.op(builtin, [a, b], [y])
    warnings = check_model(parse_model(mb.build([a, b], [y])))
    assert [w.op_name for w in warnings] == [builtin]
    assert "raw input values" in warnings[0].reason


def test_quantized_dimension_outside_the_rank_is_ignored_like_tflm() -> None:
    # TFLM's person_detect.tflite: rank-1 biases carrying quantized_dimension 3.
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 4, 4, 2), scale=0.1)
    w = mb.tensor("w", (1, 3, 3, 2), scale=(0.1, 0.2), data=np.ones((1, 3, 3, 2)), quantized_dimension=3)
    bias = mb.tensor("bias", (2,), DType.INT32, scale=(0.01, 0.02), data=np.ones(2), quantized_dimension=3)
    y = mb.tensor("y", (1, 4, 4, 2), scale=0.1)
    mb.op(
        "DEPTHWISE_CONV_2D",
        [x, w, bias],
        [y],
        "DepthwiseConv2DOptions",
        DepthMultiplier=1,
        StrideH=1,
        StrideW=1,
    )
    assert check_model(parse_model(mb.build([x], [y]))) == []


def test_per_channel_activation_uses_the_first_scale_with_a_warning() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 2), scale=(0.1, 0.2), zero_point=(0, 0), quantized_dimension=1)
    y = mb.tensor("y", (1, 2), scale=0.1)
    mb.op("RELU", [x], [y])
    warnings = check_model(parse_model(mb.build([x], [y])))
    assert [w.tensor_name for w in warnings] == ["x"]
    assert "kernels use the first" in warnings[0].reason
