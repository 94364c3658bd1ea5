"""Steps of the quantized element-wise operators: broadcasting arithmetic (ADD, SUB,
MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM), activations (RELU, RELU6, LEAKY_RELU,
HARD_SWISH, LOGISTIC, TANH, GELU, RSQRT), SOFTMAX and the QUANTIZE/DEQUANTIZE
conversions; registered into `steps.EMITTERS`."""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen import rust
from tinymlc.codegen.steps import (
    StepBuilder,
    _activation,
    _binary_call,
    _element,
    _elements,
    _elementwise,
    _Emitter,
    _multiplier,
    _params_ref,
    _rows_call,
    _struct,
    _struct_block,
    _unary,
)
from tinymlc.ir import DType, OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops._binary import ArithmeticParams
from tinymlc.ops._min_max import MinMaxParams
from tinymlc.ops._sigmoid16 import Int16SigmoidParams
from tinymlc.ops._sigmoid_like import SigmoidLikeParams
from tinymlc.ops.dequantize import DequantizeParams
from tinymlc.ops.gelu import GeluParams
from tinymlc.ops.hard_swish import HardSwishParams
from tinymlc.ops.leaky_relu import LeakyReluParams
from tinymlc.ops.mul import MulParams
from tinymlc.ops.quantize import QuantizeParams
from tinymlc.ops.relu import ReluParams
from tinymlc.ops.relu6 import Relu6Params
from tinymlc.ops.rsqrt import RsqrtParams
from tinymlc.ops.softmax import SoftmaxParams


def _arithmetic(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, ArithmeticParams)
        value = _struct_block(
            "ArithmeticParams",
            left_shift=params.left_shift,
            input1_offset=params.input1_offset,
            input1_multiplier=_multiplier(params.input1_multiplier, params.input1_shift),
            input2_offset=params.input2_offset,
            input2_multiplier=_multiplier(params.input2_multiplier, params.input2_shift),
            output_offset=params.output_offset,
            output_multiplier=_multiplier(params.output_multiplier, params.output_shift),
            activation=_activation(params.output_activation_min, params.output_activation_max),
        )
        param = "&" + b.item("PARAMS", "ArithmeticParams", value, 12 * 4)
        _binary_call(b, f"binary::{kernel}::<{_element(b)}>", params.shapes, param)

    return emit


def _mul(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, MulParams)
    param = _params_ref(
        b,
        "MulParams",
        7,
        input1_offset=params.input1_offset,
        input2_offset=params.input2_offset,
        output_offset=params.output_offset,
        output_multiplier=_multiplier(params.output_multiplier, params.output_shift),
        activation=_activation(params.output_activation_min, params.output_activation_max),
    )
    _binary_call(b, f"binary::mul::<{_element(b)}>", params.shapes, param)


def _min_max(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, MinMaxParams)
        _binary_call(b, f"binary::{kernel}::<{_element(b)}>", params.shapes)

    return emit


def _softmax(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SoftmaxParams)
    if params.input_dtype is DType.INT16:
        exp_lut = b.int_array("EXP_LUT", "i16", params.exp_lut)
        reciprocal_lut = b.int_array("RECIPROCAL_LUT", "i16", params.one_over_one_plus_x_lut)
        value = _struct(
            "kernels::softmax16::SoftmaxInt16Params",
            input_multiplier=params.input_multiplier,
            input_left_shift=params.input_left_shift,
            exp_lut=f"&{exp_lut}",
            one_over_one_plus_x_lut=f"&{reciprocal_lut}",
        )
        param = "&" + b.item("PARAMS", "kernels::softmax16::SoftmaxInt16Params<'static>", value, 4 * 4)
        _rows_call(b, "softmax16::softmax_int16", param, params.depth, params.outer_size)
        return
    param = _params_ref(
        b,
        "SoftmaxParams",
        3,
        input_multiplier=params.input_multiplier,
        input_left_shift=params.input_left_shift,
        diff_min=params.diff_min,
    )
    kernel = f"softmax::softmax::<{rust.element_type(params.output_dtype)}>"
    _rows_call(b, kernel, param, params.depth, params.outer_size)


def _sigmoid_like(function: str) -> Callable[[StepBuilder, PreparedParams], None]:
    """LOGISTIC or TANH (`function`): int8 in gemmlowp fixed point, int16 by table."""

    def emit(b: StepBuilder, params: PreparedParams) -> None:
        if isinstance(params, Int16SigmoidParams):
            _unary(
                b,
                f"sigmoid16::{function}",
                "Int16SigmoidParams",
                2,
                input_multiplier=params.input_multiplier,
                input_left_shift=params.input_left_shift,
            )
            return
        assert isinstance(params, SigmoidLikeParams)
        _unary(
            b,
            f"{function}::{function}",
            "FixedPointInputParams",
            4,
            input_zero_point=params.input_zero_point,
            input_range_radius=params.input_range_radius,
            input_multiplier=params.input_multiplier,
            input_left_shift=params.input_left_shift,
        )

    return emit


def _relu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReluParams)
    _unary(
        b,
        f"activations::relu::<{_element(b)}>",
        "ReluParams",
        6,
        input_zero_point=params.input_offset,
        output_zero_point=params.output_offset,
        multiplier=_multiplier(params.output_multiplier, params.output_shift),
        activation=_activation(params.quantized_activation_min, params.quantized_activation_max),
    )


def _relu6(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, Relu6Params)
    _elementwise(b, f"activations::relu6::<{_element(b)}>", f"{params.zero}", f"{params.six}")


def _leaky_relu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LeakyReluParams)
    _unary(
        b,
        f"leaky_relu::leaky_relu::<{_element(b)}>",
        "LeakyReluParams",
        6,
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        alpha=_multiplier(params.output_multiplier_alpha, params.output_shift_alpha),
        identity=_multiplier(params.output_multiplier_identity, params.output_shift_identity),
    )


def _hard_swish(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, HardSwishParams)
    _unary(
        b,
        "hard_swish::hard_swish",
        "HardSwishParams",
        6,
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        reluish_multiplier_fixedpoint_int16=params.reluish_multiplier_fixedpoint_int16,
        reluish_multiplier_exponent=params.reluish_multiplier_exponent,
        output_multiplier_fixedpoint_int16=params.output_multiplier_fixedpoint_int16,
        output_multiplier_exponent=params.output_multiplier_exponent,
    )


def _rsqrt(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, RsqrtParams)
    _unary(
        b,
        "rsqrt::rsqrt",
        "RsqrtParams",
        4,
        input_zero_point=params.input_offset,
        output_zero_point=params.output_offset,
        multiplier=_multiplier(params.multiplier, params.shift),
    )


def _gelu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, GeluParams)
    lut = b.int_array("LUT", "i8", params.lut)
    _elementwise(b, "gelu::gelu", f"&{lut}")


def _quantize(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, QuantizeParams)
    output = _element(b)
    if params.from_float:
        kernel = f"quantize::quantize_f32::<{output}>"
        _scale_conversion(b, kernel, params.output_scale, params.output_zero_point)
        return
    _unary(
        b,
        f"quantize::requantize::<{_element(b, 0)}, {output}>",
        "RequantizeParams",
        4,
        in_place_kernel=f"quantize::requantize_in_place::<{output}>",
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        multiplier=_multiplier(params.requantize_output_multiplier, params.requantize_output_shift),
    )


def _scale_conversion(b: StepBuilder, kernel: str, scale: float, zero_point: int) -> None:
    """QUANTIZE from / DEQUANTIZE to float: the kernel takes the scale after the input."""
    assert b.in_place is None, "a type-changing conversion is never planned in place"
    b.call(kernel, b.input(0), rust.f32(scale), str(zero_point), b.output(), _elements(b, b.tensor(0)))


def _dequantize(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DequantizeParams)
    _scale_conversion(b, f"quantize::dequantize::<{_element(b, 0)}>", params.scale, params.zero_point)


ELEMENTWISE_EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.ADD: _arithmetic("add"),
    OpKind.DEQUANTIZE: _dequantize,
    OpKind.GELU: _gelu,
    OpKind.HARD_SWISH: _hard_swish,
    OpKind.LEAKY_RELU: _leaky_relu,
    OpKind.LOGISTIC: _sigmoid_like("logistic"),
    OpKind.MAXIMUM: _min_max("maximum"),
    OpKind.MINIMUM: _min_max("minimum"),
    OpKind.MUL: _mul,
    OpKind.QUANTIZE: _quantize,
    OpKind.RELU: _relu,
    OpKind.RELU6: _relu6,
    OpKind.RSQRT: _rsqrt,
    OpKind.SOFTMAX: _softmax,
    OpKind.SQUARED_DIFFERENCE: _arithmetic("squared_difference"),
    OpKind.SUB: _arithmetic("sub"),
    OpKind.TANH: _sigmoid_like("tanh"),
}
