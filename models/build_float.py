"""Float32 models: per-operator micro-models (`op_float_*`) and two whole networks,
converted without quantization, so every tensor is FLOAT32 and TFLM runs its float
reference kernels.

Imported by build_models.py into `all_models()`. Inputs are drawn from N(0, 1) (the
checks draw from [-1, 1]).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import tensorflow as tf

import build_models as bm

FEATURE_MAP = (1, 8, 8, 6)
CHANNEL_VECTOR = (1, 1, 1, 6)
VECTOR = (1, 24)


def float_spec(
    name: str,
    description: str,
    build: Callable[[np.random.Generator], bm.Graph],
    *required: bm.OpExpectation,
    only_required: bool = True,
    tflite_unsupported: str | None = None,
) -> bm.ModelSpec:
    """A model left in float32: the converter runs without quantization."""
    expectations = bm.ModelExpectations(
        required_ops=required,
        only_required_ops=only_required,
        input_dtype="FLOAT32",
        output_dtype="FLOAT32",
        integer_only=False,
    )
    return bm.ModelSpec(
        name, description, build, expectations, quantize=False, tflite_unsupported=tflite_unsupported
    )


NO_TFLITE_REFERENCE = "TFLite's reference op resolver has no kernel for it; checked against TFLM"


def unary_models() -> list[bm.ModelSpec]:
    def unary(
        op: str,
        fn: Callable[[tf.Tensor], tf.Tensor],
        shape: tuple[int, ...] = FEATURE_MAP,
        also: tuple[bm.OpExpectation, ...] = (),
        tflite_unsupported: str | None = None,
    ) -> bm.ModelSpec:
        return float_spec(
            f"op_float_{op.lower()}",
            f"float32 {op} on {list(shape)}",
            bm.single_op([shape], fn),
            bm.expect(op),
            *also,
            tflite_unsupported=tflite_unsupported,
        )

    scaled = (
        bm.expect("MUL"),
    )  # x * 4 first: more distinct integers and halves (SIN, COS: x * 40, many turns)
    # ABS first: no NaN, whose bits differ between targets (x86's default NaN is negative,
    # RISC-V's arithmetic makes every NaN the positive canonical one).
    magnitude = (bm.expect("ABS"),)

    return [
        unary("RELU", tf.nn.relu),
        unary("RELU6", tf.nn.relu6),
        unary("LEAKY_RELU", lambda x: tf.nn.leaky_relu(x, alpha=0.3)),
        unary("LOGISTIC", tf.math.sigmoid),
        unary("TANH", tf.math.tanh),
        unary("HARD_SWISH", lambda x: x * tf.nn.relu6(x + 3.0) / 6.0),
        unary("ELU", tf.nn.elu, tflite_unsupported=NO_TFLITE_REFERENCE),
        unary("EXP", tf.math.exp),
        unary("LOG", lambda x: tf.math.log(tf.abs(x)), also=magnitude),
        unary("SIN", lambda x: tf.math.sin(x * 40.0), also=scaled),
        unary("COS", lambda x: tf.math.cos(x * 40.0), also=scaled),
        unary("SQRT", lambda x: tf.math.sqrt(tf.abs(x)), also=magnitude),
        unary("RSQRT", lambda x: tf.math.rsqrt(tf.abs(x)), also=magnitude),
        unary("ABS", tf.math.abs),
        unary("NEG", tf.math.negative),
        unary("SQUARE", tf.math.square),
        unary("FLOOR", lambda x: tf.math.floor(x * 4.0), also=scaled),
        unary("CEIL", lambda x: tf.math.ceil(x * 4.0), also=scaled, tflite_unsupported=NO_TFLITE_REFERENCE),
        unary("ROUND", lambda x: tf.math.round(x * 4.0), also=scaled, tflite_unsupported=NO_TFLITE_REFERENCE),
        unary("SOFTMAX", tf.nn.softmax, VECTOR),
        unary("LOG_SOFTMAX", tf.nn.log_softmax, VECTOR),
    ]


def binary_models() -> list[bm.ModelSpec]:
    def binary(
        name: str,
        op: str,
        fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
        shapes: tuple[tuple[int, ...], tuple[int, ...]] = (FEATURE_MAP, CHANNEL_VECTOR),
        **options: object,
    ) -> bm.ModelSpec:
        return float_spec(
            f"op_float_{name}",
            f"float32 {op}, {list(shapes[0])} with {list(shapes[1])}",
            bm.single_op(list(shapes), fn),
            bm.expect(op, **options),
        )

    return [
        binary("add_relu_broadcast", "ADD", lambda a, b: tf.nn.relu(a + b), fusedActivationFunction="RELU"),
        binary("add_same_shape", "ADD", lambda a, b: a + b, (FEATURE_MAP, FEATURE_MAP)),
        binary("sub_broadcast", "SUB", lambda a, b: a - b),
        binary("mul_broadcast", "MUL", lambda a, b: a * b),
        binary("div_broadcast", "DIV", lambda a, b: a / b),
        binary("maximum_broadcast", "MAXIMUM", tf.maximum),
        binary("minimum_same_shape", "MINIMUM", tf.minimum, (FEATURE_MAP, FEATURE_MAP)),
        binary("squared_difference", "SQUARED_DIFFERENCE", tf.math.squared_difference),
        binary("floor_div", "FLOOR_DIV", tf.math.floordiv),
        binary("floor_mod", "FLOOR_MOD", tf.math.floormod),
    ]


def weighted_models() -> list[bm.ModelSpec]:
    conv, depthwise, fc = bm.expect("CONV_2D"), bm.expect("DEPTHWISE_CONV_2D"), bm.expect("FULLY_CONNECTED")
    pool_input = (1, 9, 9, 6)

    def pool(op: str, fn: Callable[[tf.Tensor], tf.Tensor], name: str) -> bm.ModelSpec:
        return float_spec(
            f"op_float_{op.lower()}_{name}",
            f"float32 {op} {name} on {list(pool_input)}",
            bm.single_op([pool_input], fn),
            bm.expect(op),
        )

    return [
        float_spec(
            "op_float_conv_2d_dilated_relu6",
            "float32 3x3 CONV_2D, dilation 2, SAME, RELU6",
            bm.conv2d_graph((10, 10, 3), 5, (3, 3), dilation=2, activation="RELU6"),
            conv,
        ),
        float_spec(
            "op_float_conv_2d_stride2_valid",
            "float32 3x3 CONV_2D, stride 2, VALID",
            bm.conv2d_graph((11, 11, 4), 6, (3, 3), strides=(2, 2), padding="VALID"),
            conv,
        ),
        float_spec(
            "op_float_depthwise_conv_2d_multiplier2",
            "float32 3x3 DEPTHWISE_CONV_2D, multiplier 2, RELU",
            bm.depthwise_graph((9, 9, 4), (3, 3), multiplier=2, activation="RELU"),
            depthwise,
        ),
        float_spec(
            "op_float_fully_connected_relu",
            "float32 FULLY_CONNECTED 48 -> 16, bias, RELU",
            bm.fully_connected_graph((1, 48), 16, activation="RELU"),
            fc,
        ),
        pool("AVERAGE_POOL_2D", lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), "3x3_stride2_same"),
        pool("MAX_POOL_2D", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), "2x2_stride2_valid"),
        float_spec(
            "op_float_mean_global_pool",
            f"float32 MEAN over H and W of {list(pool_input)}",
            bm.single_op([pool_input], lambda x: tf.reduce_mean(x, axis=[1, 2])),
            bm.expect("MEAN"),
        ),
        float_spec(
            "op_float_sum_last_axis",
            f"float32 SUM over the last axis of {list(pool_input)}",
            bm.single_op([pool_input], lambda x: tf.reduce_sum(x, axis=-1)),
            bm.expect("SUM"),
        ),
        float_spec(
            "op_float_transpose",
            "float32 TRANSPOSE [0, 3, 1, 2] of [1, 4, 5, 6]",
            bm.single_op([(1, 4, 5, 6)], lambda x: tf.transpose(x, [0, 3, 1, 2])),
            bm.expect("TRANSPOSE"),
        ),
    ]


def cnn_graph(rng: np.random.Generator) -> bm.Graph:
    """A small float CNN classifier: conv, depthwise, pools, dense, softmax."""
    conv1 = bm.he_normal(rng, (3, 3, 1, 8), 9)
    depthwise = bm.he_normal(rng, (3, 3, 8, 1), 9)
    conv2 = bm.he_normal(rng, (1, 1, 8, 16), 8)
    dense = bm.he_normal(rng, (16, 10), 16)
    biases = [bm.small_bias(rng, n) for n in (8, 8, 16, 10)]

    def forward(x: tf.Tensor) -> tf.Tensor:
        y = tf.nn.relu(tf.nn.conv2d(x, conv1, 1, "SAME") + biases[0])
        y = tf.nn.max_pool2d(y, 2, 2, "VALID")
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, depthwise, (1, 1, 1, 1), "SAME") + biases[1])
        y = tf.nn.relu(tf.nn.conv2d(y, conv2, 1, "SAME") + biases[2])
        y = tf.reshape(tf.nn.avg_pool2d(y, 8, 8, "VALID"), (1, 16))
        return tf.nn.softmax(bm.dense(y, dense, biases[3]))

    return bm.Graph(forward, [bm.GraphInput((1, 16, 16, 1), bm.normal((1, 16, 16, 1)))])


def mlp_regressor_graph(rng: np.random.Generator) -> bm.Graph:
    """A float MLP regressor: 8 features -> 32 -> 32 -> 1, RELU hidden layers."""
    sizes = (8, 32, 32, 1)
    weights = [bm.he_normal(rng, (a, b), a) for a, b in itertools.pairwise(sizes)]
    biases = [bm.small_bias(rng, b) for b in sizes[1:]]

    def forward(x: tf.Tensor) -> tf.Tensor:
        y = tf.nn.relu(bm.dense(x, weights[0], biases[0]))
        y = tf.nn.relu(bm.dense(y, weights[1], biases[1]))
        return bm.dense(y, weights[2], biases[2])

    return bm.Graph(forward, [bm.GraphInput((1, 8), bm.normal((1, 8)))])


def whole_models() -> list[bm.ModelSpec]:
    return [
        float_spec(
            "float_cnn",
            "float32 CNN: conv, max pool, depthwise, 1x1 conv, average pool, dense, "
            "softmax; 16x16x1 -> 10 classes",
            cnn_graph,
            bm.expect("CONV_2D"),
            bm.expect("DEPTHWISE_CONV_2D"),
            bm.expect("FULLY_CONNECTED"),
            bm.expect("SOFTMAX"),
            only_required=False,
        ),
        float_spec(
            "float_mlp_regressor",
            "float32 MLP regressor, 8 -> 32 -> 32 -> 1, RELU",
            mlp_regressor_graph,
            bm.expect("FULLY_CONNECTED"),
            only_required=False,
        ),
    ]


def float_models() -> list[bm.ModelSpec]:
    return unary_models() + binary_models() + weighted_models() + whole_models()
