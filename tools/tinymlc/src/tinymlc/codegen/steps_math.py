"""Steps of the comparison, logical and selection operators (BOOL tensors).

Registered into `steps.EMITTERS`; the kernels' types are named by path
(`kernels::comparisons::...`), so the generated crate's imports stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen import rust
from tinymlc.codegen.steps import (
    EMITTERS,
    StepBuilder,
    _activation,
    _binary_call,
    _elementwise,
    _multiplier,
    _output_range,
    _params_ref,
    _rows_call,
    _struct,
)
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.abs_value import AbsParams
from tinymlc.ops.add_n import AddNParams, SumParams
from tinymlc.ops.cast import CastParams
from tinymlc.ops.comparisons import ComparisonParams
from tinymlc.ops.cumsum import CumsumParams
from tinymlc.ops.elu import EluParams
from tinymlc.ops.integer_binary import KINDS as INTEGER_BINARY_KINDS
from tinymlc.ops.integer_binary import IntegerBinaryParams
from tinymlc.ops.l2_normalization import L2NormalizationParams
from tinymlc.ops.log_softmax import LogSoftmaxParams
from tinymlc.ops.logical import LogicalNotParams, LogicalParams
from tinymlc.ops.prelu import PreluParams
from tinymlc.ops.select_v2 import SelectV2Params

_MODULE = "comparisons"

_Emitter = Callable[[StepBuilder, PreparedParams], None]


def _comparison(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ComparisonParams)
    comparison = f"kernels::{_MODULE}::Comparison::{params.comparison}"
    scaling = params.scaling
    if scaling is None:
        element = rust.element_type(params.input_dtype)
        _binary_call(b, f"{_MODULE}::compare::<{element}>", params.shapes, comparison)
        return
    scaling_ref = _params_ref(
        b,
        f"kernels::{_MODULE}::ComparisonScaling",
        7,
        left_shift=scaling.left_shift,
        input1_offset=scaling.input1_offset,
        input1_multiplier=_multiplier(scaling.input1_multiplier, scaling.input1_shift),
        input2_offset=scaling.input2_offset,
        input2_multiplier=_multiplier(scaling.input2_multiplier, scaling.input2_shift),
    )
    _binary_call(b, f"{_MODULE}::compare_scaled::<i8>", params.shapes, comparison, scaling_ref)


def _logical(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LogicalParams)
    _binary_call(b, f"{_MODULE}::logical", params.shapes, f"kernels::{_MODULE}::Logical::{params.op}")


def _logical_not(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LogicalNotParams)
    _elementwise(b, f"{_MODULE}::logical_not")


def _select_v2(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SelectV2Params)
    element = rust.element_type(params.value_dtype)
    b.call(
        f"select::select::<{element}>",
        b.input(0),
        b.shape("condition_shape", params.condition_shape),
        b.input(1),
        b.shape("x_shape", params.x_shape),
        b.input(2),
        b.shape("y_shape", params.y_shape),
        b.output(),
        b.shape("output_shape", params.output_shape),
        _output_range(b, params.output_shape),
    )


def _abs(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, AbsParams)
    if not params.quantized:
        _elementwise(b, f"abs::abs_{rust.element_type(params.dtype)}")
        return
    rescale = f"Some({_multiplier(params.multiplier, params.shift)})" if params.needs_rescale else "None"
    abs_params = _params_ref(
        b,
        "kernels::abs::AbsParams",
        4,
        input_zero_point=params.input_offset,
        output_zero_point=params.output_offset,
        rescale=rescale,
    )
    _elementwise(b, f"abs::abs::<{rust.element_type(params.dtype)}>", abs_params)


def _cast(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, CastParams)
    assert b.in_place is None, "a type-changing conversion is never planned in place"
    source, target = rust.element_type(params.input_dtype), rust.element_type(params.output_dtype)
    b.call(f"cast::cast::<{source}, {target}>", b.input(0), b.output(), b.range(params.elements))


def _prelu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, PreluParams)
    prelu_params = _params_ref(
        b,
        "kernels::prelu::PreluParams",
        7,
        input_offset=params.input_offset,
        alpha_offset=params.alpha_offset,
        output_offset=params.output_offset,
        identity=_multiplier(params.output_multiplier_1, params.output_shift_1),
        alpha=_multiplier(params.output_multiplier_2, params.output_shift_2),
    )
    _binary_call(b, f"prelu::prelu::<{rust.element_type(params.input_dtype)}>", params.shapes, prelu_params)


def _elu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, EluParams)
    lut = b.int_array("LUT", "i8", params.lut)
    _elementwise(b, "elu::elu", f"&{lut}")


def _sum_params(b: StepBuilder, params: SumParams | None) -> str:
    if params is None:
        return "&kernels::add_n::FloatSum"
    return _params_ref(
        b,
        "kernels::add_n::SumParams",
        9,
        left_shift=params.left_shift,
        input_offset=params.input_offset,
        input_multiplier=_multiplier(params.input_multiplier, params.input_shift),
        output_offset=params.output_offset,
        output_multiplier=_multiplier(params.output_multiplier, params.output_shift),
        activation=_activation(params.output_activation_min, params.output_activation_max),
    )


def _add_n(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, AddNParams)
    inputs = ", ".join(b.input(i) for i in range(params.inputs))
    b.call("add_n::add_n", _sum_params(b, params.sum), f"&[{inputs}]", b.output(), b.range(params.elements))


def _cumsum(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, CumsumParams)
    layout = _struct(
        "kernels::cumsum::CumSumLayout",
        before=params.before,
        depth=params.depth,
        after=params.after,
        exclusive=rust.boolean(params.exclusive),
        reverse=rust.boolean(params.reverse),
    )
    b.step.body.append(f"let layout = {layout};")
    b.call(
        "cumsum::cumsum",
        _sum_params(b, params.sum),
        "&layout",
        b.input(0),
        b.output(),
        b.range(params.before * params.after, "lines"),
    )


def _l2_normalization(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, L2NormalizationParams)
    kernel = "l2_normalization::l2_normalization"
    _rows_call(b, kernel, str(params.input_zero_point), params.depth, params.outer_size)


def _log_softmax(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LogSoftmaxParams)
    param = _params_ref(
        b,
        "kernels::log_softmax::LogSoftmaxParams",
        5,
        input_multiplier=params.input_multiplier,
        input_left_shift=params.input_left_shift,
        reverse_scaling_divisor=params.reverse_scaling_divisor,
        reverse_scaling_right_shift=params.reverse_scaling_right_shift,
        diff_min=params.diff_min,
    )
    _rows_call(b, "log_softmax::log_softmax", param, params.depth, params.outer_size)


def _integer_binary(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, IntegerBinaryParams)
    if params.op is None:
        kernel = "maximum" if b.op.kind is OpKind.MAXIMUM else "minimum"
        _binary_call(b, f"binary::{kernel}::<i32>", params.shapes)
        return
    _binary_call(
        b,
        "integer_binary::integer_binary",
        params.shapes,
        f"kernels::integer_binary::IntegerOp::{params.op}",
        _activation(params.activation_min, params.activation_max),
    )


def _with_integer_path(quantized: _Emitter) -> _Emitter:
    """`quantized`, except for layers prepared for TFLM's INT32 path."""

    def emit(b: StepBuilder, params: PreparedParams) -> None:
        if isinstance(params, IntegerBinaryParams):
            _integer_binary(b, params)
        else:
            quantized(b, params)

    return emit


MATH_EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.LOG_SOFTMAX: _log_softmax,
    **dict.fromkeys(
        (
            OpKind.EQUAL,
            OpKind.NOT_EQUAL,
            OpKind.LESS,
            OpKind.LESS_EQUAL,
            OpKind.GREATER,
            OpKind.GREATER_EQUAL,
        ),
        _comparison,
    ),
    OpKind.LOGICAL_AND: _logical,
    OpKind.LOGICAL_OR: _logical,
    OpKind.LOGICAL_NOT: _logical_not,
    OpKind.SELECT_V2: _select_v2,
    OpKind.ABS: _abs,
    OpKind.CAST: _cast,
    OpKind.PRELU: _prelu,
    OpKind.ELU: _elu,
    OpKind.ADD_N: _add_n,
    OpKind.L2_NORMALIZATION: _l2_normalization,
    OpKind.DIV: _integer_binary,
    OpKind.CUMSUM: _cumsum,
    **{kind: _with_integer_path(EMITTERS[kind]) for kind in INTEGER_BINARY_KINDS},
}
