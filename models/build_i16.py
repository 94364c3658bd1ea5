"""16x8 micro-models (int16 activations, int8 weights, int64 bias) for the tensor
operators, and a full-size 16x8 keyword-spotting network.

Converted with `EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8` and
int16 model inputs and outputs, so no QUANTIZE is needed. Imported by
build_models.py, whose helpers build and check them like every other model.
"""

from __future__ import annotations

from typing import Any, Callable

import flatbuffers
import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

import inspect_models as inspect

from build_models import (
    ACTIVATIONS,
    FEATURE_MAP,
    Graph,
    GraphInput,
    L,
    ModelSpec,
    conv2d_graph,
    depthwise_graph,
    expect,
    fully_connected_graph,
    he_normal,
    normal,
    op_model,
    pool_graph,
    single_op,
    small_bias,
    trained_classifier,
)
from inspect_models import ModelExpectations, OpExpectation


def i16_model(name: str, description: str, build: Any, *required: OpExpectation,
              **spec_options: Any) -> ModelSpec:
    """A 16x8 per-operator micro-model, int16 in and out."""
    return op_model(f"{name}_16x8", f"16x8: {description}", build, *required,
                    input_dtype="INT16", output_dtype="INT16", int16_activations=True,
                    **spec_options)


def transpose_conv_graph(input_shape: tuple[int, int, int], filters: int, kernel: int, stride: int,
                         padding: str, use_bias: bool, activation: str = "NONE",
                         ) -> Callable[[np.random.Generator], Graph]:
    """tf.nn.conv2d_transpose (what Keras Conv2DTranspose lowers to) with a bias add
    and an activation the converter fuses into TRANSPOSE_CONV."""
    def build(rng: np.random.Generator) -> Graph:
        in_channels = input_shape[2]
        weights = he_normal(rng, (kernel, kernel, filters, in_channels), kernel * kernel * in_channels)
        bias = small_bias(rng, filters) if use_bias else None
        size = [d * stride if padding == "SAME" else d * stride + max(kernel - stride, 0)
                for d in input_shape[:2]]

        def forward(x: tf.Tensor) -> tf.Tensor:
            y = tf.nn.conv2d_transpose(x, weights, [1, *size, filters], stride, padding)
            return ACTIVATIONS[activation](y + bias if bias is not None else y)
        return Graph(forward, [GraphInput((1,) + input_shape, normal((1,) + input_shape))])
    return build


def drop_transpose_conv_bias(model_bytes: bytes) -> bytes:
    """The quantizing converter always gives TRANSPOSE_CONV a bias (zeros when the
    graph has none); TFLM also runs it with 3 inputs, so the bias is removed."""
    model = inspect.load_model_object(model_bytes)
    transpose_conv = [i for i, code in enumerate(model.operatorCodes)
                      if max(code.builtinCode, code.deprecatedBuiltinCode)
                      == schema.BuiltinOperator.TRANSPOSE_CONV]
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if op.opcodeIndex in transpose_conv:
                op.inputs = op.inputs[:3]
    builder = flatbuffers.Builder(len(model_bytes))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def transpose_conv_models() -> list[ModelSpec]:
    models = []
    for padding, use_bias, activation in (("SAME", True, "RELU"), ("VALID", False, "NONE"),
                                          ("VALID", True, "NONE"), ("SAME", False, "NONE")):
        name = f"transpose_conv_3x3_stride2_{padding.lower()}_{'bias' if use_bias else 'no_bias'}"
        if activation != "NONE":
            name += f"_{activation.lower()}"
        description = f"3x3 transpose conv, stride 2, {padding}, {'with' if use_bias else 'no'} bias"
        build = transpose_conv_graph((5, 6, 4), 6, 3, 2, padding, use_bias, activation)
        expected = expect("TRANSPOSE_CONV", padding=padding, strideH=2, strideW=2,
                          has_bias=use_bias)
        patch = None if use_bias else drop_transpose_conv_bias
        models.append(op_model(name, description, build, expected, patch=patch))
        models.append(i16_model(name, description, build, expected, patch=patch))
    return models


def ds_cnn_16x8() -> keras.Model:
    """DS-CNN-like keyword spotter on a 49x10 MFCC map: conv, three depthwise-separable
    blocks, average pool over the map, FC and softmax over 12 keywords."""
    inputs = keras.Input((49, 10, 1))
    x = L.Conv2D(32, (10, 4), strides=(2, 2), padding="same", activation="relu")(inputs)
    for _ in range(3):
        x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        x = L.Conv2D(32, 1, activation="relu")(x)
    x = L.AveragePooling2D(pool_size=tuple(x.shape[1:3]))(x)
    return keras.Model(inputs, L.Dense(12, activation="softmax")(L.Flatten()(x)))


def i16_models() -> list[ModelSpec]:
    conv = [
        i16_model("conv_2d_3x3_same_relu", "3x3 conv, SAME, ReLU, (10, 10, 4) -> 8 ch",
                  conv2d_graph((10, 10, 4), 8, (3, 3), activation="RELU"),
                  expect("CONV_2D", padding="SAME", fusedActivationFunction="RELU",
                         has_bias=True, per_channel=True, input_dtype="INT16")),
        i16_model("conv_2d_3x3_stride2_valid", "3x3 conv, stride 2, VALID, (11, 11, 4) -> 8 ch",
                  conv2d_graph((11, 11, 4), 8, (3, 3), (2, 2), padding="VALID"),
                  expect("CONV_2D", padding="VALID", strideH=2, strideW=2,
                         input_dtype="INT16")),
        i16_model("depthwise_conv_2d_3x3_mult2_same_relu6",
                  "3x3 depthwise x2, SAME, ReLU6, (10, 10, 4)",
                  depthwise_graph((10, 10, 4), (3, 3), multiplier=2, activation="RELU6"),
                  expect("DEPTHWISE_CONV_2D", depthMultiplier=2,
                         fusedActivationFunction="RELU6", input_dtype="INT16")),
        i16_model("depthwise_conv_2d_3x3_stride2_dilation2_valid",
                  "3x3 depthwise, stride 2, dilation 2, VALID, (13, 13, 8)",
                  depthwise_graph((13, 13, 8), (3, 3), strides=(2, 2), padding="VALID",
                                  dilation=2),
                  expect("DEPTHWISE_CONV_2D", strideH=2, dilationHFactor=2,
                         input_dtype="INT16")),
        i16_model("fully_connected_bias_relu", "FC 32 -> 16 with bias, ReLU",
                  fully_connected_graph((1, 32), 16, activation="RELU"),
                  expect("FULLY_CONNECTED", fusedActivationFunction="RELU", has_bias=True,
                         input_dtype="INT16")),
        i16_model("fully_connected_no_bias_batch4", "FC [4, 20] -> [4, 10] without bias",
                  fully_connected_graph((4, 20), 10, use_bias=False),
                  expect("FULLY_CONNECTED", has_bias=False, input_dtype="INT16")),
    ]
    pools = [
        i16_model(f"{op.lower()}_3x3_stride2_same", f"3x3 {kind} pool, stride 2, SAME",
                  pool_graph(kind, FEATURE_MAP, 3, 2, "SAME"),
                  expect(op, filterHeight=3, strideH=2, padding="SAME", input_dtype="INT16"))
        for kind, op in (("avg", "AVERAGE_POOL_2D"), ("max", "MAX_POOL_2D"))
    ]
    softmax = [
        i16_model("softmax", "softmax over 10 logits (exp and 1/(1+x) lookup tables)",
                  single_op([(1, 10)], tf.nn.softmax, [normal((1, 10), std=3.0)]),
                  expect("SOFTMAX", input_dtype="INT16")),
    ]
    mean = [
        i16_model("mean_axes_1_2", "MEAN over H and W of (1, 10, 10, 8)",
                  single_op([FEATURE_MAP], lambda x: tf.reduce_mean(x, axis=[1, 2])),
                  expect("MEAN", input_dtype="INT16")),
    ]
    network = [
        ModelSpec("ds_cnn_kws_16x8",
                  "DS-CNN-like keyword spotter, 16x8: 49x10x1 MFCC -> 12 classes",
                  trained_classifier(ds_cnn_16x8, (49, 10, 1), 12, samples=256, epochs=2),
                  _network_expectations(), int16_activations=True),
    ]
    return conv + pools + softmax + mean + network + transpose_conv_models()


def _network_expectations() -> ModelExpectations:
    return ModelExpectations(
        required_ops=(expect("CONV_2D"), expect("DEPTHWISE_CONV_2D"),
                      expect("AVERAGE_POOL_2D"), expect("FULLY_CONNECTED"), expect("SOFTMAX")),
        input_dtype="INT16", output_dtype="INT16")

