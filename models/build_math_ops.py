"""Micro-models of the comparison, logical and selection operators (BOOL tensors).

Imported by build_models.py into `all_models()`. The operands of each comparison
are calibrated on different ranges, so the converter gives them different scales
and TFLM's INT8 comparison has to rescale both.
"""

from __future__ import annotations

from typing import Callable

import keras
import numpy as np
import tensorflow as tf

import build_models as bm

VECTOR = (1, 24)
WIDE = (1, 4, 6)  # broadcast against ROW
ROW = (1, 1, 6)


def int32_values(shape: tuple[int, ...], low: int, high: int) -> bm.Sampler:
    return lambda rng: rng.integers(low, high, size=shape).astype(np.int32)


def bool_values(shape: tuple[int, ...]) -> bm.Sampler:
    return lambda rng: rng.integers(0, 2, size=shape).astype(np.bool_)


def typed_op(shapes: list[tuple[int, ...]], fn: Callable[..., tf.Tensor], samplers: list[bm.Sampler],
             dtype: tf.DType) -> Callable[[np.random.Generator], bm.Graph]:
    """`single_op` over inputs of an unquantized type (int32, bool)."""
    def build(rng: np.random.Generator) -> bm.Graph:
        del rng
        return bm.Graph(fn, [bm.GraphInput(shape, sampler, dtype=dtype)
                             for shape, sampler in zip(shapes, samplers)])
    return build


def comparison_models() -> list[bm.ModelSpec]:
    def int8(name: str, op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
             shapes: tuple[tuple[int, ...], tuple[int, ...]] = (VECTOR, VECTOR),
             *others: bm.OpExpectation) -> bm.ModelSpec:
        samplers = [bm.normal(shapes[0]), bm.normal(shapes[1], std=2.5, mean=0.3)]
        return bm.op_model(f"{op.lower()}_{name}", f"int8 {op} -> bool, {list(shapes[0])} vs {list(shapes[1])}",
                           bm.single_op(list(shapes), fn, samplers), bm.expect(op), *others,
                           output_dtype="BOOL")

    def int32(op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]) -> bm.ModelSpec:
        return bm.op_model(f"{op.lower()}_int32", f"int32 {op} -> bool, {list(WIDE)} vs {list(ROW)}",
                           typed_op([WIDE, ROW], fn, [int32_values(WIDE, -4, 4), int32_values(ROW, -4, 4)],
                                    tf.int32),
                           bm.expect(op), input_dtype="INT32", output_dtype="BOOL")

    maximum = bm.expect("MAXIMUM")
    return [
        int8("same_shape", "GREATER", tf.math.greater),
        int8("broadcast", "GREATER_EQUAL", tf.math.greater_equal, (WIDE, ROW)),
        int8("same_shape", "LESS", tf.math.less),
        int8("broadcast", "LESS_EQUAL", tf.math.less_equal, (WIDE, ROW)),
        # x == max(x, y) holds about half the time; equality of two free inputs rarely.
        int8("of_maximum", "EQUAL", lambda a, b: tf.math.equal(a, tf.maximum(a, b)),
             (VECTOR, VECTOR), maximum),
        # The converter keeps an INT8 NOT_EQUAL in float (DEQUANTIZE in front): INT32 and BOOL only.
        int32("LESS", tf.math.less),
        int32("GREATER_EQUAL", tf.math.greater_equal),
        int32("EQUAL", tf.math.equal),
        int32("NOT_EQUAL", tf.math.not_equal),
        bm.op_model("equal_bool", f"bool EQUAL -> bool, {list(WIDE)} vs {list(ROW)}",
                    typed_op([WIDE, ROW], tf.math.equal, [bool_values(WIDE), bool_values(ROW)], tf.bool),
                    bm.expect("EQUAL"), input_dtype="BOOL", output_dtype="BOOL"),
    ]


def logical_models() -> list[bm.ModelSpec]:
    def bool_binary(op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]) -> bm.ModelSpec:
        return bm.op_model(f"{op.lower()}_broadcast", f"{op} of bool {list(WIDE)} and {list(ROW)}",
                           typed_op([WIDE, ROW], fn, [bool_values(WIDE), bool_values(ROW)], tf.bool),
                           bm.expect(op), input_dtype="BOOL", output_dtype="BOOL")

    return [
        bool_binary("LOGICAL_AND", tf.math.logical_and),
        bool_binary("LOGICAL_OR", tf.math.logical_or),
        bm.op_model("logical_not", "LOGICAL_NOT of bool [1, 4, 6]",
                    typed_op([WIDE], tf.math.logical_not, [bool_values(WIDE)], tf.bool),
                    bm.expect("LOGICAL_NOT"), input_dtype="BOOL", output_dtype="BOOL"),
        bm.op_model("logical_and_of_comparisons", "(a > 0) and (b < 0.5): int8 in, bool out",
                    bm.single_op([VECTOR, VECTOR], lambda a, b: tf.math.logical_and(a > 0.0, b < 0.5)),
                    bm.expect("GREATER"), bm.expect("LESS"), bm.expect("LOGICAL_AND"),
                    output_dtype="BOOL"),
    ]


def select_models() -> list[bm.ModelSpec]:
    return [
        # For equal shapes the converter emits SELECT, which TFLM has no kernel for.
        bm.op_model("select_v2_broadcast", "where(c > 0, x, y): c [1, 4, 1], x [1, 4, 6], y [1, 1, 6]",
                    bm.single_op([(1, 4, 1), WIDE, ROW], lambda c, x, y: tf.where(c > 0.0, x, y),
                                 [bm.normal((1, 4, 1)), bm.normal(WIDE), bm.normal(ROW, std=2.0)]),
                    bm.expect("GREATER"), bm.expect("SELECT_V2")),
    ]


def int32_arithmetic_models() -> list[bm.ModelSpec]:
    """Unquantized INT32 arithmetic, as in audio front ends; values large enough to
    reach the wrap-around of MUL."""
    def int32(name: str, op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
              shape_b: tuple[int, ...] = ROW) -> bm.ModelSpec:
        samplers = [int32_values(WIDE, -100000, 100000), int32_values(shape_b, -70000, 70000)]
        return bm.op_model(f"{op.lower()}_int32_{name}", f"int32 {op} {name}, {list(WIDE)} and {list(shape_b)}",
                           typed_op([WIDE, shape_b], fn, samplers, tf.int32),
                           bm.expect(op), input_dtype="INT32", output_dtype="INT32")

    return [
        int32("broadcast", "ADD", tf.add),
        int32("same_shape", "SUB", tf.subtract, WIDE),
        int32("broadcast", "MUL", tf.multiply),
        # relu(a * b) stays MUL + MAXIMUM on INT32: the converter fuses no activation.
        # A constant divisor: TFLM's division by zero is undefined (it traps on x86).
        bm.op_model("div_int32_by_constant", "int32 DIV of [1, 4, 6] by a constant [6], truncating",
                    typed_op([WIDE], lambda x: tf.raw_ops.Div(x=x, y=tf.constant([3, -7, 5, 2, -1, 11])),
                             [int32_values(WIDE, -100000, 100000)], tf.int32),
                    bm.expect("DIV"), input_dtype="INT32", output_dtype="INT32"),
        int32("broadcast", "MAXIMUM", tf.maximum),
        int32("broadcast", "MINIMUM", tf.minimum),
    ]


def abs_models() -> list[bm.ModelSpec]:
    return [
        bm.op_model("abs", "|x| on int8 [1, 4, 6] (input and output scales differ)",
                    bm.single_op([WIDE], tf.math.abs, [bm.normal(WIDE, std=2.0, mean=0.5)]),
                    bm.expect("ABS")),
    ]


def cast_models() -> list[bm.ModelSpec]:
    def from_int32(target: tf.DType, dtype: str) -> bm.ModelSpec:
        return bm.op_model(f"cast_int32_to_{target.name}", f"CAST int32 -> {target.name}, values wrapping",
                           typed_op([WIDE], lambda x: tf.cast(x, target),
                                    [int32_values(WIDE, -100000, 100000)], tf.int32),
                           bm.expect("CAST"), input_dtype="INT32", output_dtype=dtype)

    return [
        bm.op_model("cast_bool_to_int32", "CAST(a > b) to int32: int8 in, int32 out",
                    bm.single_op([VECTOR, VECTOR], lambda a, b: tf.cast(a > b, tf.int32)),
                    bm.expect("GREATER"), bm.expect("CAST"), output_dtype="INT32"),
        from_int32(tf.int8, "INT8"),
        from_int32(tf.int16, "INT16"),
    ]


def prelu_graph(shape: tuple[int, ...], shared_axes: list[int]) -> Callable[[np.random.Generator], bm.Graph]:
    """A keras PReLU with alphas drawn in [-0.5, 0.8] (some negative), one per unshared axis."""
    def build(rng: np.random.Generator) -> bm.Graph:
        layer = keras.layers.PReLU(shared_axes=shared_axes)
        model = keras.Sequential([keras.Input(shape[1:]), layer])
        layer.set_weights([rng.uniform(-0.5, 0.8, layer.get_weights()[0].shape).astype(np.float32)])
        calibration = rng.standard_normal((64,) + shape[1:]).astype(np.float32)
        return bm.keras_graph(model, calibration)
    return build


def prelu_models() -> list[bm.ModelSpec]:
    return [
        bm.op_model("prelu_per_channel", "PReLU, one alpha per channel of [1, 6, 6, 8]",
                    prelu_graph((1, 6, 6, 8), [1, 2]), bm.expect("PRELU")),
        bm.op_model("prelu_per_element", "PReLU, one alpha per element of [1, 4, 6]",
                    prelu_graph((1, 4, 6), []), bm.expect("PRELU")),
    ]


def l2_normalization_models() -> list[bm.ModelSpec]:
    return [
        bm.op_model("l2_normalization", "x / ||x|| over the last axis of [1, 4, 6]",
                    bm.single_op([WIDE], lambda x: tf.math.l2_normalize(x, axis=-1),
                                 [bm.normal(WIDE, mean=0.3)]),
                    bm.expect("L2_NORMALIZATION")),
    ]


# No ELU, ADD_N or CUMSUM models: the converter keeps these in float (DEQUANTIZE in
# front), and the TFLite reference interpreter the zoo checks against lacks ELU and
# CUMSUM; their INT8 kernels are tested against TFLM in
# tools/tinymlc/tests/test_op_math.py.


def math_models() -> list[bm.ModelSpec]:
    return (comparison_models() + logical_models() + select_models() + int32_arithmetic_models()
            + abs_models() + cast_models() + prelu_models() + l2_normalization_models())
