"""Steps of the `--onnx_exact` operators: REQUANTIZE_FLOAT, LOOKUP_TABLE and QLINEAR_ADD;
registered into `steps.EMITTERS`."""

from __future__ import annotations

from tinymlc.codegen import rust
from tinymlc.codegen.steps import StepBuilder, _binary_call, _element, _elementwise, _Emitter, _struct
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.lookup_table import LookupTableParams
from tinymlc.ops.qlinear_add import QLinearAddParams
from tinymlc.ops.requantize_float import FloatRequantizeParams


def _requantize_float(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, FloatRequantizeParams)
    count = len(params.multipliers)
    multipliers = b.item(
        "MULTIPLIERS",
        f"[f32; {count}]",
        "[" + ", ".join(rust.f32(m) for m in params.multipliers) + "]",
        4 * count,
    )
    value = _struct(
        "kernels::requantize_float::FloatRequantizeParams",
        multipliers=f"&{multipliers}",
        divisor=rust.f32(params.divisor),
        offset=rust.f32(float(params.offset)),
        zero_point=params.zero_point,
    )
    param = "&" + b.item("PARAMS", "kernels::requantize_float::FloatRequantizeParams<'static>", value, 5 * 4)
    _elementwise(b, f"requantize_float::requantize_float::<{_element(b, 0)}, {_element(b)}>", param)


def _lookup_table(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LookupTableParams)
    table = b.int_array("LUT", "i8", params.table)
    _elementwise(b, "lookup::lookup_int8", f"&{table}")


def _qlinear_add(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, QLinearAddParams)
    value = _struct(
        "kernels::qlinear_add::QLinearAddParams",
        ratio_a=rust.f32(params.ratio_a),
        ratio_b=rust.f32(params.ratio_b),
        fixed=rust.f32(params.fixed),
        stored_offset=params.stored_offset,
        output_offset=params.output_offset,
        scalar=f"kernels::qlinear_add::ScalarOperand::{params.scalar}",
    )
    param = "&" + b.item("PARAMS", "kernels::qlinear_add::QLinearAddParams", value, 6 * 4)
    _binary_call(b, "qlinear_add::qlinear_add", params.shapes, param)


EXACT_EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.REQUANTIZE_FLOAT: _requantize_float,
    OpKind.LOOKUP_TABLE: _lookup_table,
    OpKind.QLINEAR_ADD: _qlinear_add,
}
