"""Control-flow micro-models: IF (tf.cond) and WHILE (tf.while_loop), int8 and float32,
and the two nested.

The converter keeps a tf.function's tf.cond and tf.while_loop as IF and WHILE over
subgraphs (control-flow lowering happens only for TF1 graphs). Conditions depend on the
data, so the checks' inputs take both branches, and loops run different numbers of
times (at most their maximum_iterations).

Imported by build_models.py into `all_models()`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

import build_models as bm

VECTOR = (1, 8)


def _dense(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    weights = bm.he_normal(rng, (size, size), size)
    return weights, bm.small_bias(rng, size)


def _if_graph(rng: np.random.Generator) -> bm.Graph:
    """A dense layer with relu when the input's sum passes -1, else a scaled relu."""
    weights, bias = _dense(rng, VECTOR[1])

    def forward(x: tf.Tensor) -> tf.Tensor:
        positive = tf.reduce_sum(x) > -1.0
        return tf.cond(
            positive,
            lambda: tf.nn.relu(tf.matmul(x, weights) + bias),
            lambda: tf.nn.relu(x) * 0.5 - 0.25,
        )

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _while_graph(rng: np.random.Generator) -> bm.Graph:
    """Grows the vector until its largest magnitude passes 4 (at most 6 times): trip
    counts from 0 to 6 depending on the input."""
    weights, bias = _dense(rng, VECTOR[1])
    del bias

    def forward(x: tf.Tensor) -> tf.Tensor:
        def cond(x: tf.Tensor) -> tf.Tensor:
            return tf.reduce_max(tf.abs(x)) < 4.0

        def body(x: tf.Tensor) -> tf.Tensor:
            return x * 1.5 + tf.matmul(x, weights) * 0.25

        (result,) = tf.while_loop(cond, body, (x,), maximum_iterations=6)
        return result

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _nested_graph(rng: np.random.Generator) -> bm.Graph:
    """A loop whose body chooses between two updates by the sign of the first element:
    IF nested in WHILE's body, the trip count and the branches taken data-dependent."""
    weights, bias = _dense(rng, VECTOR[1])

    def forward(x: tf.Tensor) -> tf.Tensor:
        def cond(step: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
            return tf.reduce_sum(tf.abs(x)) < 12.0

        def body(step: tf.Tensor, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            updated = tf.cond(
                x[0, 0] > 0.0,
                lambda: tf.nn.relu6(tf.matmul(x, weights) + bias) - 2.0,
                lambda: x * 1.75 + 0.5,
            )
            return step + 1, updated

        _, result = tf.while_loop(cond, body, (tf.constant(0), x), maximum_iterations=5)
        return result

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _spec(
    name: str,
    description: str,
    build: Callable[[np.random.Generator], bm.Graph],
    op: str,
    subgraphs: int,
    quantize: bool,
) -> bm.ModelSpec:
    dtype = "INT8" if quantize else "FLOAT32"
    expectations = bm.ModelExpectations(
        required_ops=(bm.expect(op),),
        input_dtype=dtype,
        output_dtype=dtype,
        integer_only=quantize,
        subgraphs=subgraphs,
    )
    return bm.ModelSpec(name, description, build, expectations, quantize=quantize)


def control_flow_models() -> list[bm.ModelSpec]:
    models = []
    for quantize, suffix in ((False, "_float"),):
        kind = "int8" if quantize else "float32"
        models += [
            _spec(
                f"op_if{suffix}",
                f"{kind} IF: dense+relu or scaled relu branch by the input's sum",
                _if_graph,
                "IF",
                3,
                quantize,
            ),
            _spec(
                f"op_while{suffix}",
                f"{kind} WHILE: grow a vector until its largest magnitude passes 4 (0..6 trips)",
                _while_graph,
                "WHILE",
                3,
                quantize,
            ),
            _spec(
                f"op_while_if{suffix}",
                f"{kind} WHILE whose body holds an IF (nested control flow)",
                _nested_graph,
                "WHILE",
                5,
                quantize,
            ),
        ]
    return models
