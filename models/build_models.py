#!/usr/bin/env python3
"""Builds the rules_tinyml model zoo: deterministic, full-INT8 .tflite models.

Every model is random-initialised from a seed derived from its name (so one
model's bytes do not depend on which other models are built), briefly fitted
on seeded synthetic data where that makes the weight/activation statistics
realistic, and converted with full-integer quantization using a seeded
representative dataset. Each file is then checked:
  * its operators/options match the intent (inspect_models.check_model),
    and it fits the MCU budget (flash < 1 MiB, TFLM arena < 300 KiB),
  * it runs under TensorFlow Lite Micro on uniform random int8 inputs and on
    inputs from the calibration distribution; the outputs must take more
    than one value and change with the input, and no intermediate
    activation may be constant,
  * the smallest TFLM arena it fits in is found by bisection,
  * TFLM and the TFLite reference kernels are compared on the same inputs.
Results go to manifest.json and to the table in README.md.

  python models/build_models.py                 # rebuild everything in models/
  python models/build_models.py --only 'op_conv'  # regex filter on model names
  python models/build_models.py --check         # rebuild in a temp dir, byte-compare
"""

from __future__ import annotations

import os

# Set before TensorFlow is imported: silence C++ logging, and make every TF
# kernel deterministic (the converter's calibration and Keras training run
# TF kernels).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import argparse
import dataclasses
import hashlib
import json
import math
import re
import subprocess
import sys
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

import flatbuffers
import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from tflite_micro.python.tflite_micro import runtime as tflm_runtime

import build_math_ops
import inspect_models as inspect
from inspect_models import ModelExpectations, OpExpectation

MODELS_DIR = Path(__file__).resolve().parent
README_PATH = MODELS_DIR / "README.md"
TABLE_BEGIN = "<!-- model-table:begin -->"
TABLE_END = "<!-- model-table:end -->"

CALIBRATION_SAMPLES = 64
TFLM_RANDOM_INPUTS = 4
# MCU budgets from the project brief.
FLASH_LIMIT_BYTES = 1 << 20
ARENA_LIMIT_BYTES = 300 * 1024

Sampler = Callable[[np.random.Generator], np.ndarray]


# --------------------------------------------------------------------------
# Model description
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GraphInput:
    shape: tuple[int, ...]  # including the batch dimension
    sample: Sampler         # one float calibration example of `shape`
    # Dimensions left unknown in the converter's input signature (-1 in the
    # flatbuffer's shape_signature; `shape` then records 1). Only used where
    # static shapes make the converter rewrite the op under test.
    dynamic_dims: tuple[int, ...] = ()
    # Element type of the input in the converter's signature (int32 and bool
    # inputs stay unquantized; `sample` then returns that type).
    dtype: tf.DType = tf.float32


@dataclasses.dataclass
class Graph:
    """A float computation ready for conversion."""
    forward: Callable[..., tf.Tensor]
    inputs: list[GraphInput]
    # Owns the variables `forward` reads until the graph is frozen.
    keras_model: keras.Model | None = None


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    build: Callable[[np.random.Generator], Graph]
    expectations: ModelExpectations
    quantize: bool = True
    # Post-conversion flatbuffer edit for options the converter never emits
    # (documented in README.md for each use).
    patch: Callable[[bytes], bytes] | None = None
    # TFLM has no kernel for the op: the model is checked with the TFLite
    # reference kernels only, and the reason is recorded.
    tflm_unsupported: str | None = None
    # Quantize weights per tensor instead of the default per output channel.
    per_tensor_weights: bool = False
    # Makes the model bytes itself (a flatbuffer written directly for operators no converter
    # emits, or a conversion convert() cannot do); replaces convert().
    flatbuffer: Callable[[np.random.Generator], bytes] | None = None
    # TFLite (not Micro) has no kernel for the op in this mode (16x8 LSTM): TFLM's own
    # outputs stand in for the reference, and the reason is recorded.
    tflite_unsupported: str | None = None
    # 16x8 quantization: int16 activations (symmetric), int8 weights, int64 bias.
    int16_activations: bool = False
    # TFLite (stricter than TFLM) rejects the file: its reference kernels run this
    # function of the converted file (before `patch`) instead, which TFLM computes
    # identically.
    reference_patch: Callable[[bytes], bytes] | None = None
    # Only TFLM has the model's operators (its signal library): TFLM is the reference.
    tflm_only: bool = False


def model_seed(name: str) -> int:
    return zlib.crc32(name.encode())


# --------------------------------------------------------------------------
# Random data helpers
# --------------------------------------------------------------------------

def normal(shape: Sequence[int], std: float = 1.0, mean: float = 0.0) -> Sampler:
    return lambda rng: (mean + std * rng.standard_normal(shape)).astype(np.float32)


def uniform(shape: Sequence[int], low: float, high: float) -> Sampler:
    return lambda rng: rng.uniform(low, high, size=shape).astype(np.float32)


def from_dataset(examples: np.ndarray) -> Sampler:
    """Calibrate on the same synthetic distribution the model was fitted on."""
    return lambda rng: examples[rng.integers(len(examples))][None]


def he_normal(rng: np.random.Generator, shape: Sequence[int], fan_in: int) -> tf.Tensor:
    """He-scaled weights keep activation variance ~constant through ReLU layers."""
    return tf.constant(rng.standard_normal(shape) * math.sqrt(2.0 / fan_in), tf.float32)


def small_bias(rng: np.random.Generator, size: int) -> tf.Tensor:
    return tf.constant(rng.standard_normal(size) * 0.1, tf.float32)


def smooth_patterns(rng: np.random.Generator, count: int, shape: tuple[int, ...],
                    coarse: int = 4) -> np.ndarray:
    """Low-frequency random images (block-upsampled noise), like blurry textures."""
    height, width = shape[0], shape[1]
    rest = shape[2:]
    coarse_h, coarse_w = max(1, -(-height // coarse)), max(1, -(-width // coarse))
    grid = rng.standard_normal((count, coarse_h, coarse_w) + rest)
    upsampled = grid.repeat(coarse, axis=1).repeat(coarse, axis=2)
    return upsampled[:, :height, :width].astype(np.float32)


def synthetic_classification(rng: np.random.Generator, count: int, shape: tuple[int, ...],
                             num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy copies of one smooth prototype per class: learnable, not trivial."""
    prototypes = smooth_patterns(rng, num_classes, shape)
    labels = rng.integers(0, num_classes, count)
    noise = smooth_patterns(rng, count, shape, coarse=2)
    return (prototypes[labels] + 0.7 * noise).astype(np.float32), labels


# --------------------------------------------------------------------------
# Raw TF building blocks (op micro-models and the transformer block)
# --------------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "NONE": tf.identity,
    "RELU": tf.nn.relu,
    "RELU6": tf.nn.relu6,
}


def dense(x: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor | None = None) -> tf.Tensor:
    y = tf.matmul(x, weights)
    return y if bias is None else y + bias


def layer_norm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: float = 1e-3) -> tf.Tensor:
    """LayerNorm written with ops that have INT8 TFLite kernels.

    keras.layers.LayerNormalization lowers to the same primitives, but writing
    them out keeps the emitted op list stable and inside the supported set:
    MEAN, SQUARED_DIFFERENCE, ADD, RSQRT, SUB, MUL.
    """
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    variance = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + epsilon) * gamma + beta


def single_op(shapes: Sequence[tuple[int, ...]], fn: Callable[..., tf.Tensor],
              samplers: Sequence[Sampler] | None = None) -> Callable[[np.random.Generator], Graph]:
    """A weight-free graph: `fn` applied to the model inputs."""
    def build(rng: np.random.Generator) -> Graph:
        del rng
        chosen = samplers or [normal(shape) for shape in shapes]
        return Graph(fn, [GraphInput(tuple(s), sampler) for s, sampler in zip(shapes, chosen)])
    return build


def conv2d_graph(input_shape: tuple[int, int, int], filters: int, kernel: tuple[int, int],
                 strides: tuple[int, int] = (1, 1), padding: str = "SAME",
                 dilation: int = 1, activation: str = "NONE",
                 ) -> Callable[[np.random.Generator], Graph]:
    def build(rng: np.random.Generator) -> Graph:
        in_channels = input_shape[2]
        weights = he_normal(rng, kernel + (in_channels, filters), kernel[0] * kernel[1] * in_channels)
        bias = small_bias(rng, filters)

        def forward(x: tf.Tensor) -> tf.Tensor:
            y = tf.nn.conv2d(x, weights, strides=(1,) + strides + (1,), padding=padding,
                             dilations=dilation)
            return ACTIVATIONS[activation](y + bias)
        return Graph(forward, [GraphInput((1,) + input_shape, normal((1,) + input_shape))])
    return build


def depthwise_graph(input_shape: tuple[int, int, int], kernel: tuple[int, int],
                    multiplier: int = 1, strides: tuple[int, int] = (1, 1),
                    padding: str = "SAME", dilation: int = 1, activation: str = "NONE",
                    ) -> Callable[[np.random.Generator], Graph]:
    def build(rng: np.random.Generator) -> Graph:
        channels = input_shape[2]
        weights = he_normal(rng, kernel + (channels, multiplier), kernel[0] * kernel[1])
        bias = small_bias(rng, channels * multiplier)

        def forward(x: tf.Tensor) -> tf.Tensor:
            # The raw op carries `dilations` natively. tf.nn.depthwise_conv2d
            # builds SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND around the conv and
            # relies on the converter folding them back (it does in 2.19).
            y = tf.raw_ops.DepthwiseConv2dNative(
                input=x, filter=weights, strides=(1,) + strides + (1,), padding=padding,
                dilations=(1, dilation, dilation, 1))
            return ACTIVATIONS[activation](y + bias)
        return Graph(forward, [GraphInput((1,) + input_shape, normal((1,) + input_shape))])
    return build


def fully_connected_graph(input_shape: tuple[int, ...], units: int, use_bias: bool = True,
                          activation: str = "NONE") -> Callable[[np.random.Generator], Graph]:
    def build(rng: np.random.Generator) -> Graph:
        weights = he_normal(rng, (input_shape[-1], units), input_shape[-1])
        bias = small_bias(rng, units) if use_bias else None

        def forward(x: tf.Tensor) -> tf.Tensor:
            return ACTIVATIONS[activation](dense(x, weights, bias))
        return Graph(forward, [GraphInput(input_shape, normal(input_shape))])
    return build


def pool_graph(kind: str, input_shape: tuple[int, ...], window: int, stride: int,
               padding: str) -> Callable[[np.random.Generator], Graph]:
    pool = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d
    return single_op([input_shape], lambda x: pool(x, window, stride, padding))


def transformer_block_graph(tokens: int, width: int, heads: int, mlp_width: int,
                            ) -> Callable[[np.random.Generator], Graph]:
    """Post-norm encoder block: MHSA + residual + LN, ReLU MLP + residual + LN."""
    head_width = width // heads

    def build(rng: np.random.Generator) -> Graph:
        def projection(fan_in: int, fan_out: int) -> tuple[tf.Tensor, tf.Tensor]:
            # Xavier-like scale (no ReLU after projections) keeps logits O(1).
            w = tf.constant(rng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in), tf.float32)
            return w, small_bias(rng, fan_out)

        (wq, bq), (wk, bk), (wv, bv), (wo, bo) = (projection(width, width) for _ in range(4))
        w1, b1 = he_normal(rng, (width, mlp_width), width), small_bias(rng, mlp_width)
        w2, b2 = projection(mlp_width, width)
        norm_params = [(tf.constant(1.0 + 0.1 * rng.standard_normal(width), tf.float32),
                        small_bias(rng, width)) for _ in range(2)]
        # Folding 1/sqrt(d) into the query projection saves a MUL per head.
        query_scale = 1.0 / math.sqrt(head_width)
        wq, bq = wq * query_scale, bq * query_scale

        def split_heads(x: tf.Tensor) -> tf.Tensor:  # [1, T, D] -> [1, H, T, D/H]
            return tf.transpose(tf.reshape(x, (1, tokens, heads, head_width)), (0, 2, 1, 3))

        def forward(x: tf.Tensor) -> tf.Tensor:
            q, k, v = (split_heads(dense(x, w, b)) for w, b in ((wq, bq), (wk, bk), (wv, bv)))
            attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True), axis=-1)
            context = tf.reshape(tf.transpose(tf.matmul(attention, v), (0, 2, 1, 3)),
                                 (1, tokens, width))
            x = layer_norm(x + dense(context, wo, bo), *norm_params[0])
            hidden = tf.nn.relu(dense(x, w1, b1))
            return layer_norm(x + dense(hidden, w2, b2), *norm_params[1])

        shape = (1, tokens, width)
        return Graph(forward, [GraphInput(shape, normal(shape))])
    return build


# --------------------------------------------------------------------------
# Keras building blocks (trained MLPerf Tiny / TFLM example architectures)
# --------------------------------------------------------------------------

L = keras.layers


def batch_norm() -> keras.layers.Layer:
    """BatchNorm whose moving statistics converge within a short fit (the
    default momentum 0.99 would leave them near their 0/1 initial values
    after a few dozen steps, and the inference-mode network would collapse)."""
    return L.BatchNormalization(momentum=0.8)


def activation_layer(kind: str) -> keras.layers.Layer:
    return L.ReLU(max_value=6.0) if kind == "relu6" else L.ReLU()


def conv_bn_act(x: Any, filters: int, kernel: int | tuple[int, int], strides: int | tuple[int, int] = 1,
                activation: str = "relu") -> Any:
    x = L.Conv2D(filters, kernel, strides=strides, padding="same",
                 kernel_initializer="he_normal", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    return activation_layer(activation)(batch_norm()(x))


def depthwise_separable_block(x: Any, pointwise_filters: int, strides: int = 1,
                              activation: str = "relu") -> Any:
    """3x3 depthwise + BN + act, then 1x1 pointwise + BN + act (MobileNetV1 / DS-CNN unit)."""
    x = L.DepthwiseConv2D(3, strides=strides, padding="same",
                          depthwise_initializer="he_normal")(x)
    x = activation_layer(activation)(batch_norm()(x))
    return conv_bn_act(x, pointwise_filters, 1, activation=activation)


def classifier_head(x: Any, num_classes: int, pool_size: tuple[int, int] | None = None) -> Any:
    """AveragePool over the whole map (or `pool_size`), flatten, dense + softmax."""
    x = L.AveragePooling2D(pool_size=pool_size or tuple(x.shape[1:3]))(x)
    return L.Dense(num_classes, activation="softmax")(L.Flatten()(x))


def mobilenet_v1(input_shape: tuple[int, int, int], alpha: float, num_classes: int,
                 activation: str) -> keras.Model:
    """MobileNetV1 (Howard et al. 2017): a strided 3x3 conv, then 13 DW-separable blocks."""
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
              (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    inputs = keras.Input(input_shape)
    x = conv_bn_act(inputs, int(32 * alpha), 3, strides=2, activation=activation)
    for filters, strides in blocks:
        x = depthwise_separable_block(x, int(filters * alpha), strides, activation)
    return keras.Model(inputs, classifier_head(x, num_classes))


def fit_briefly(model: keras.Model, x: np.ndarray, y: np.ndarray, loss: str | keras.losses.Loss,
                epochs: int,
                batch_size: int = 32, learning_rate: float = 3e-3) -> None:
    """A few epochs on synthetic data: enough to move BN statistics and weights off init."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)


def fit_classifier(model: keras.Model, x: np.ndarray, labels: np.ndarray, num_classes: int,
                   epochs: int) -> None:
    """Label smoothing caps the confidence, so the INT8 softmax outputs are not
    all pinned at 0/255 and carry information for bit-exactness tests."""
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.3)
    fit_briefly(model, x, np.eye(num_classes, dtype=np.float32)[labels], loss, epochs)


def keras_graph(model: keras.Model, calibration: np.ndarray) -> Graph:
    return Graph(lambda x: model(x, training=False),
                 [GraphInput((1,) + tuple(calibration.shape[1:]), from_dataset(calibration))],
                 keras_model=model)


def trained_classifier(make_model: Callable[[], keras.Model], input_shape: tuple[int, ...],
                       num_classes: int, samples: int, epochs: int,
                       ) -> Callable[[np.random.Generator], Graph]:
    def build(rng: np.random.Generator) -> Graph:
        x, y = synthetic_classification(rng, samples, input_shape, num_classes)
        model = make_model()
        fit_classifier(model, x, y, num_classes, epochs)
        return keras_graph(model, x)
    return build


def ds_cnn_kws() -> keras.Model:
    """MLPerf Tiny KWS reference: DS-CNN (small), 64 channels, 4 DW-separable blocks."""
    inputs = keras.Input((49, 10, 1))
    x = conv_bn_act(inputs, 64, (10, 4), strides=(2, 2))
    x = L.Dropout(0.2)(x)
    for _ in range(4):
        x = depthwise_separable_block(x, 64)
    x = L.Dropout(0.4)(x)
    # The reference pools with (49 // 2, 10 // 2) = (24, 5) over the 25x5 map.
    return keras.Model(inputs, classifier_head(x, 12, pool_size=(24, 5)))


def resnet8_cifar10() -> keras.Model:
    """MLPerf Tiny IC reference: ResNet-8 v1 (3 stacks of 16/32/64 filters)."""
    inputs = keras.Input((32, 32, 3))
    x = conv_bn_act(inputs, 16, 3)
    for stack, filters in enumerate((16, 32, 64)):
        strides = 1 if stack == 0 else 2
        y = conv_bn_act(x, filters, 3, strides=strides)
        y = batch_norm()(L.Conv2D(filters, 3, padding="same",
                                            kernel_initializer="he_normal")(y))
        if stack > 0:  # 1x1 strided projection so the identity path matches shape
            x = L.Conv2D(filters, 1, strides=2, padding="same", kernel_initializer="he_normal")(x)
        x = L.ReLU()(L.Add()([x, y]))
    return keras.Model(inputs, classifier_head(x, 10))


def micro_speech_model() -> keras.Model:
    """TFLM micro_speech 'tiny_conv': flat 49x40 spectrogram -> 8 10x8/2 filters -> FC(4)."""
    inputs = keras.Input((49 * 40,))
    x = L.Reshape((49, 40, 1))(inputs)
    x = L.Conv2D(8, (10, 8), strides=(2, 2), padding="same", activation="relu")(x)
    x = L.Dropout(0.5)(x)
    return keras.Model(inputs, L.Dense(4, activation="softmax")(L.Flatten()(x)))


def build_micro_speech(rng: np.random.Generator) -> Graph:
    x, y = synthetic_classification(rng, 512, (49, 40), 4)
    x = x.reshape(len(x), -1)
    model = micro_speech_model()
    fit_classifier(model, x, y, 4, epochs=3)
    return keras_graph(model, x)


def build_fc_autoencoder(rng: np.random.Generator) -> Graph:
    """MLPerf Tiny AD reference: 640-128x4-8-128x4-640 dense autoencoder with BN+ReLU."""
    def dense_bn_relu(x: Any, units: int) -> Any:
        return L.ReLU()(batch_norm()(L.Dense(units)(x)))

    inputs = keras.Input((640,))
    x = inputs
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = dense_bn_relu(x, units)
    model = keras.Model(inputs, L.Dense(640)(x))
    # Log-mel-like frames: a low-rank signal (8 latent factors) plus noise.
    latent = rng.standard_normal((1024, 8))
    mixing = rng.standard_normal((8, 640)) / math.sqrt(8)
    data = (latent @ mixing + 0.3 * rng.standard_normal((1024, 640))).astype(np.float32)
    fit_briefly(model, data, data, "mse", epochs=5, learning_rate=1e-3)
    return keras_graph(model, data)


def build_sine(rng: np.random.Generator) -> Graph:
    """TFLM hello_world: 1 -> 16 -> 16 -> 1 ReLU MLP fitted to a noisy sine."""
    inputs = keras.Input((1,))
    x = L.Dense(16, activation="relu")(inputs)
    x = L.Dense(16, activation="relu")(x)
    model = keras.Model(inputs, L.Dense(1)(x))
    x_train = rng.uniform(0, 2 * math.pi, (1000, 1)).astype(np.float32)
    y_train = (np.sin(x_train) + 0.1 * rng.standard_normal((1000, 1))).astype(np.float32)
    fit_briefly(model, x_train, y_train, "mse", epochs=60, batch_size=64, learning_rate=1e-2)
    return keras_graph(model, x_train)


def build_float_model(rng: np.random.Generator) -> Graph:
    """Small conv + FC, left in float32 (the converter runs without quantization)."""
    conv = conv2d_graph((8, 8, 3), 4, (3, 3), activation="RELU")(rng)
    weights = he_normal(rng, (8 * 8 * 4, 3), 8 * 8 * 4)
    return Graph(lambda x: dense(tf.reshape(conv.forward(x), (1, -1)), weights), conv.inputs)


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

def convert(spec: ModelSpec, graph: Graph, rng: np.random.Generator) -> bytes:
    signature = [tf.TensorSpec([None if d in i.dynamic_dims else size
                                for d, size in enumerate(i.shape)], i.dtype, name=f"input_{n}")
                 for n, i in enumerate(graph.inputs)]
    # autograph=False: the forward functions have no tensor-dependent Python
    # control flow, and AutoGraph's source re-parsing of lambdas is fragile
    # (it fails on several lambdas per line, and the resulting graph differed
    # between a full build and a partial one).
    concrete = tf.function(graph.forward, input_signature=signature,
                           autograph=False).get_concrete_function()
    # Freeze variables into constants ourselves: with Keras 3 variables, the
    # converter's saved-model path keeps them as READ_VARIABLE ops, which the
    # calibrator cannot run.
    frozen = convert_variables_to_constants_v2(concrete)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen], frozen)
    if spec.quantize:
        calibration = [[i.sample(rng) for i in graph.inputs] for _ in range(CALIBRATION_SAMPLES)]
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(calibration)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            if spec.int16_activations else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = interface_type(spec.expectations.input_dtype)
        converter.inference_output_type = interface_type(spec.expectations.output_dtype)
        # Private but long-standing converter switch; the only way to get
        # per-tensor CONV_2D weights out of the INT8 converter.
        converter._experimental_disable_per_channel = spec.per_tensor_weights
    with warnings.catch_warnings():
        # "Statistics for quantized inputs were expected": benign, the
        # representative dataset provides them.
        warnings.simplefilter("ignore", UserWarning)
        return converter.convert()


def interface_type(dtype: str) -> tf.DType:
    """The converter's inference_input/output_type for model I/O of `dtype`. It only
    converts float I/O; int32 and bool I/O stay as they are whatever it is set to."""
    return tf.as_dtype(dtype.lower()) if dtype in ("FLOAT32", "INT8", "INT16", "UINT8") else tf.int8


def set_softmax_beta(beta: float) -> Callable[[bytes], bytes]:
    """The converter always emits SOFTMAX beta=1 (softmax(b*x) becomes MUL +
    SOFTMAX), so beta != 1 is set by rewriting the option in the flatbuffer.
    The quantization parameters stay valid: the input scale is that of x and
    the output scale is the fixed 1/256 of every INT8 softmax."""
    def patch(model_bytes: bytes) -> bytes:
        model = inspect.load_model_object(model_bytes)
        softmax = schema.BuiltinOperator.SOFTMAX
        softmax_codes = {i for i, code in enumerate(model.operatorCodes)
                         if max(code.builtinCode, code.deprecatedBuiltinCode) == softmax}
        for op in model.subgraphs[0].operators:
            if op.opcodeIndex in softmax_codes:
                op.builtinOptions.beta = beta
        builder = flatbuffers.Builder(len(model_bytes))
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
    return patch


# --------------------------------------------------------------------------
# Runtime checks: TFLite Micro, minimal arena, TFLite reference kernels
# --------------------------------------------------------------------------

# TFLM segfaults (instead of failing AllocateTensors) when the arena is
# smaller than its own bookkeeping, so arena sizes are probed in a separate
# worker process; a crashed probe counts as "does not fit" and the worker is
# restarted.
_ARENA_PROBE_WORKER = """
import sys
from tflite_micro.python.tflite_micro import runtime
models = {}
for line in sys.stdin:
    path, arena = line.split()
    if path not in models:
        models[path] = open(path, "rb").read()
    try:
        runtime.Interpreter.from_bytes(models[path], arena_size=int(arena))
        print("fit", flush=True)
    except RuntimeError:
        print("nofit", flush=True)
"""


class ArenaProbe:
    def __init__(self) -> None:
        self._worker: subprocess.Popen[str] | None = None

    def fits(self, model_path: Path, arena_bytes: int) -> bool:
        if self._worker is None or self._worker.poll() is not None:
            self._worker = subprocess.Popen(
                [sys.executable, "-c", _ARENA_PROBE_WORKER], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self._worker.stdin is not None and self._worker.stdout is not None
        try:
            self._worker.stdin.write(f"{model_path} {arena_bytes}\n")
            self._worker.stdin.flush()
            answer = self._worker.stdout.readline().strip()
        except BrokenPipeError:
            answer = ""
        if not answer:  # the worker crashed on this arena size
            self._worker.wait()
        return answer == "fit"

    def minimal_arena(self, model_bytes: bytes) -> int:
        """Smallest arena_size for which TFLM's AllocateTensors succeeds (bisection)."""
        with tempfile.NamedTemporaryFile(suffix=".tflite") as model_file:
            model_file.write(model_bytes)
            model_file.flush()
            path = Path(model_file.name)
            fits = 4096
            while not self.fits(path, fits):
                fits *= 2
                if fits > 64 << 20:
                    raise RuntimeError("TFLM could not allocate the model even with 64 MiB")
            too_small = 0
            while fits - too_small > 1:
                middle = (fits + too_small) // 2
                if self.fits(path, middle):
                    fits = middle
                else:
                    too_small = middle
            return fits

    def close(self) -> None:
        if self._worker is not None and self._worker.poll() is None:
            assert self._worker.stdin is not None
            self._worker.stdin.close()
            self._worker.wait()


ARENA_PROBE = ArenaProbe()


# Quantized input types: (min, max, numpy type).
INTEGER_RANGES = {"INT8": (-128, 127, np.int8), "INT16": (-32768, 32767, np.int16)}


def random_model_inputs(summary: inspect.ModelSummary, rng: np.random.Generator) -> list[np.ndarray]:
    inputs = []
    for tensor in summary.inputs:
        if tensor.dtype in INTEGER_RANGES:
            low, high, dtype = INTEGER_RANGES[tensor.dtype]
            inputs.append(rng.integers(low, high + 1, tensor.shape).astype(dtype))
        elif tensor.dtype == "INT32":
            # A small range, so that EQUAL and friends see equal operands too.
            inputs.append(rng.integers(-8, 8, tensor.shape).astype(np.int32))
        elif tensor.dtype == "BOOL":
            inputs.append(rng.integers(0, 2, tensor.shape).astype(np.bool_))
        else:
            inputs.append(rng.standard_normal(tensor.shape).astype(np.float32))
    return inputs


def run_tflm(model_bytes: bytes, inputs: list[np.ndarray], arena_bytes: int,
             num_outputs: int) -> list[np.ndarray]:
    interpreter = tflm_runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_bytes)
    for index, value in enumerate(inputs):
        interpreter.set_input(value, index)
    # A CIRCULAR_BUFFER ends a fresh interpreter's first inferences early (invoke returns
    # kTfLiteAbort, the outputs unwritten) until it has taken enough frames: feed it again.
    while interpreter.invoke():
        pass
    return [interpreter.get_output(i).copy() for i in range(num_outputs)]


def run_tflite_reference(model_bytes: bytes, inputs: list[np.ndarray],
                         ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """TFLite with its reference (not optimized) kernels, the closest to TFLM.

    Returns the model outputs and every operator output (intermediate
    activations) by tensor name."""
    with warnings.catch_warnings():
        # Deprecated in favour of ai_edge_litert, but still present in 2.19.
        warnings.simplefilter("ignore", UserWarning)
        interpreter = tf.lite.Interpreter(
            model_content=model_bytes,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    outputs = [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    activations = {names[i]: interpreter.get_tensor(i).copy()
                   for op in interpreter._get_ops_details() for i in op["outputs"]}
    return outputs, activations


@dataclasses.dataclass
class RuntimeReport:
    runtime: str                 # "tflm", or "tflite-ref" when TFLM lacks a kernel
    arena_bytes: int | None      # minimal TFLM arena (host build, 64-bit pointers)
    distinct_output_values: int  # over all outputs for uniform random int8 inputs
    distinct_output_values_realistic: int  # ... for inputs from the calibration distribution
    input_sensitive: bool        # outputs differ between inputs, within both input kinds
    # Intermediate activations (TFLite reference run, realistic inputs):
    constant_activations: list[str]  # op outputs holding one value for every input
    max_activation_clipped_fraction: float  # worst share of INT8 values stuck at +127
    saturated_fraction: float    # INT8 outputs sitting at -128 or 127
    max_abs_diff_vs_tflite: float | None  # TFLM vs TFLite reference, same inputs
    note: str = ""


def quantize_for_input(value: np.ndarray, tensor: inspect.TensorInfo) -> np.ndarray:
    if tensor.dtype in ("INT32", "BOOL"):
        return value
    if tensor.dtype not in INTEGER_RANGES:
        return value.astype(np.float32)
    low, high, dtype = INTEGER_RANGES[tensor.dtype]
    # Unquantized integer inputs (the signal operators' raw audio) have scale 1.
    scale, zero_point = (tensor.scales[0], tensor.zero_points[0]) if tensor.scales else (1.0, 0)
    quantized = np.round(value / scale) + zero_point
    return np.clip(quantized, low, high).astype(dtype)


Run = list[np.ndarray]  # the outputs (or inputs) of one invocation


def distinct_values(runs: list[Run]) -> int:
    return int(np.unique(np.concatenate([t.ravel() for run in runs for t in run])).size)


def varies(runs: list[Run]) -> bool:
    """True if some run's outputs differ from the first run's."""
    return any(not np.array_equal(a, b) for run in runs[1:] for a, b in zip(run, runs[0]))


def activation_stats(activations: list[dict[str, np.ndarray]]) -> tuple[list[str], float]:
    """Names of op outputs holding a single value over all runs, and the
    worst share of INT8 values clipped at +127 in any op output."""
    constant, worst_clipped = [], 0.0
    for name, first in activations[0].items():
        if first.dtype == object:  # a VAR_HANDLE's resource: no values
            continue
        values = np.concatenate([run[name].ravel() for run in activations])
        if np.unique(values).size == 1:
            constant.append(name)
        if first.dtype == np.int8:
            worst_clipped = max(worst_clipped, float(np.mean(values == 127)))
    return sorted(constant), worst_clipped


def check_runtime(spec: ModelSpec, graph: Graph, model_bytes: bytes, reference_bytes: bytes,
                  summary: inspect.ModelSummary, rng: np.random.Generator) -> RuntimeReport:
    # Uniform random int8 inputs hit every code path of the kernels; inputs
    # drawn from the calibration distribution are what the model was fitted
    # on, and show whether the output actually depends on the input (a deep
    # classifier averages uniform noise to a near-constant).
    uniform_inputs = [random_model_inputs(summary, rng) for _ in range(TFLM_RANDOM_INPUTS)]
    realistic_inputs = [[quantize_for_input(i.sample(rng), t)
                         for i, t in zip(graph.inputs, summary.inputs)]
                        for _ in range(TFLM_RANDOM_INPUTS)]
    input_sets = uniform_inputs + realistic_inputs
    if spec.tflite_unsupported or spec.tflm_only:
        tflm_arena = ARENA_PROBE.minimal_arena(model_bytes)
        reference_runs = [(run_tflm(model_bytes, inputs, tflm_arena, len(summary.outputs)), {})
                          for inputs in input_sets]
    else:
        reference_runs = [run_tflite_reference(reference_bytes, inputs) for inputs in input_sets]
    reference = [outputs for outputs, _ in reference_runs]
    constant_activations, worst_clipped = activation_stats(
        [activations for _, activations in reference_runs[len(uniform_inputs):]])

    if spec.tflm_unsupported:
        outputs, arena, max_diff = reference, None, None
    else:
        arena = ARENA_PROBE.minimal_arena(model_bytes)
        outputs = [run_tflm(model_bytes, inputs, arena, len(summary.outputs))
                   for inputs in input_sets]
        max_diff = max(float(np.max(np.abs(t.astype(np.float64) - r.astype(np.float64))))
                       for run, ref in zip(outputs, reference) for t, r in zip(run, ref))
    uniform_outputs, realistic_outputs = outputs[:len(uniform_inputs)], outputs[len(uniform_inputs):]

    int8_outputs = [t for run in outputs for t in run if t.dtype == np.int8]
    saturated = (np.mean(np.concatenate([((t == -128) | (t == 127)).ravel() for t in int8_outputs]))
                 if int8_outputs else 0.0)
    return RuntimeReport(
        runtime="tflite-ref" if spec.tflm_unsupported else "tflm",
        arena_bytes=arena,
        distinct_output_values=distinct_values(uniform_outputs),
        distinct_output_values_realistic=distinct_values(realistic_outputs),
        input_sensitive=varies(uniform_outputs) and varies(realistic_outputs),
        saturated_fraction=round(float(saturated), 3),
        constant_activations=constant_activations,
        max_activation_clipped_fraction=round(worst_clipped, 3),
        max_abs_diff_vs_tflite=max_diff,
        note=spec.tflm_unsupported or spec.tflite_unsupported or "",
    )


# --------------------------------------------------------------------------
# The zoo
# --------------------------------------------------------------------------

def expect(op: str, **options: Any) -> OpExpectation:
    """OpExpectation with the builtin options as keyword arguments."""
    return OpExpectation(op, options, has_bias=options.pop("has_bias", None),
                         per_channel=options.pop("per_channel", None),
                         input_dtype=options.pop("input_dtype", None))


def op_model(name: str, description: str, build: Callable[[np.random.Generator], Graph],
             *required: OpExpectation, input_dtype: str = "INT8", output_dtype: str = "INT8",
             **spec_options: Any) -> ModelSpec:
    """A per-operator micro-model: nothing but the operator(s) under test."""
    expectations = ModelExpectations(required_ops=required, only_required_ops=True,
                                     input_dtype=input_dtype, output_dtype=output_dtype)
    return ModelSpec(f"op_{name}", description, build, expectations, **spec_options)


def app_model(name: str, description: str, build: Callable[[np.random.Generator], Graph],
              *required: OpExpectation) -> ModelSpec:
    """A whole network: must contain `required` and stay inside SUPPORTED_OPS."""
    return ModelSpec(name, description, build, ModelExpectations(required_ops=required))


GELU_NOT_IN_TFLM = ("TFLM has no GELU kernel (tflite-micro python runtime: \"Didn't find op "
                    "for builtin opcode 'GELU'\"); checked with TFLite reference kernels")

FEATURE_MAP = (1, 10, 10, 8)      # NHWC input of the elementwise/pool micro-models
CHANNEL_VECTOR = (1, 1, 1, 8)     # broadcasts against FEATURE_MAP


def app_models() -> list[ModelSpec]:
    conv, dw, fc = (expect("CONV_2D"), expect("DEPTHWISE_CONV_2D"), expect("FULLY_CONNECTED"))
    return [
        app_model("ds_cnn_kws", "MLPerf Tiny KWS DS-CNN (small), 49x10x1 MFCC -> 12 classes",
                  trained_classifier(ds_cnn_kws, (49, 10, 1), 12, samples=512, epochs=3),
                  conv, dw, expect("AVERAGE_POOL_2D"), fc, expect("SOFTMAX")),
        app_model("mobilenet_v1_025_vww", "MLPerf Tiny VWW MobileNetV1 a=0.25, 96x96x3 -> 2",
                  trained_classifier(lambda: mobilenet_v1((96, 96, 3), 0.25, 2, "relu"),
                                     (96, 96, 3), 2, samples=512, epochs=3),
                  expect("CONV_2D", strideW=2, fusedActivationFunction="RELU"),
                  expect("DEPTHWISE_CONV_2D", strideW=2), expect("AVERAGE_POOL_2D"), fc,
                  expect("SOFTMAX")),
        app_model("resnet8_cifar10", "MLPerf Tiny IC ResNet-8, 32x32x3 -> 10 classes",
                  trained_classifier(resnet8_cifar10, (32, 32, 3), 10, samples=512, epochs=3),
                  conv, expect("ADD", fusedActivationFunction="RELU"), expect("AVERAGE_POOL_2D"),
                  fc, expect("SOFTMAX")),
        app_model("fc_autoencoder", "MLPerf Tiny AD autoencoder 640-128x4-8-128x4-640",
                  build_fc_autoencoder, expect("FULLY_CONNECTED", fusedActivationFunction="RELU")),
        app_model("sine", "TFLM hello_world regressor 1-16-16-1", build_sine,
                  expect("FULLY_CONNECTED", fusedActivationFunction="RELU")),
        app_model("micro_speech", "TFLM micro_speech tiny_conv, 49x40 (flat 1960) -> 4 classes",
                  build_micro_speech, expect("RESHAPE"), fc, expect("SOFTMAX")),
        app_model("person_detect", "TFLM person_detect MobileNetV1 a=0.25, 96x96x1 -> 2, ReLU6",
                  trained_classifier(lambda: mobilenet_v1((96, 96, 1), 0.25, 2, "relu6"),
                                     (96, 96, 1), 2, samples=512, epochs=3),
                  expect("CONV_2D", fusedActivationFunction="RELU6"), dw,
                  expect("AVERAGE_POOL_2D"), fc, expect("SOFTMAX")),
        app_model("transformer_block", "Post-norm encoder block, 32 tokens x 64, 4 heads, ReLU MLP",
                  transformer_block_graph(tokens=32, width=64, heads=4, mlp_width=128),
                  fc, expect("BATCH_MATMUL", adjY=True), expect("BATCH_MATMUL", adjY=False),
                  expect("SOFTMAX"), expect("TRANSPOSE"), expect("MEAN"),
                  expect("SQUARED_DIFFERENCE"), expect("RSQRT"), expect("ADD")),
    ]


def conv_models() -> list[ModelSpec]:
    def conv_model(name: str, shape: tuple[int, int, int], filters: int, kernel: tuple[int, int],
                   strides: tuple[int, int] = (1, 1), padding: str = "SAME", dilation: int = 1,
                   activation: str = "NONE", per_tensor: bool = False) -> ModelSpec:
        expected = expect("CONV_2D", padding=padding, strideH=strides[0], strideW=strides[1],
                          dilationHFactor=dilation, dilationWFactor=dilation,
                          fusedActivationFunction=activation, per_channel=not per_tensor)
        description = (f"{kernel[0]}x{kernel[1]} conv, stride {strides}, {padding}, "
                       f"dilation {dilation}, {activation}, {shape} -> {filters} ch")
        return op_model(f"conv_2d_{name}", description,
                        conv2d_graph(shape, filters, kernel, strides, padding, dilation, activation),
                        expected, per_tensor_weights=per_tensor)

    def depthwise_model(name: str, shape: tuple[int, int, int], kernel: tuple[int, int],
                        multiplier: int = 1, strides: tuple[int, int] = (1, 1),
                        padding: str = "SAME", dilation: int = 1,
                        activation: str = "NONE") -> ModelSpec:
        expected = expect("DEPTHWISE_CONV_2D", padding=padding, strideH=strides[0],
                          strideW=strides[1], depthMultiplier=multiplier,
                          dilationHFactor=dilation, dilationWFactor=dilation,
                          fusedActivationFunction=activation, per_channel=True)
        description = (f"{kernel[0]}x{kernel[1]} depthwise x{multiplier}, stride {strides}, "
                       f"{padding}, dilation {dilation}, {activation}, {shape}")
        return op_model(f"depthwise_conv_2d_{name}", description,
                        depthwise_graph(shape, kernel, multiplier, strides, padding, dilation,
                                        activation), expected)

    return [
        conv_model("1x1_valid", (8, 8, 16), 8, (1, 1), padding="VALID"),
        conv_model("3x3_same_relu", (10, 10, 4), 8, (3, 3), activation="RELU"),
        conv_model("3x3_stride2_same_relu6", (11, 11, 4), 8, (3, 3), (2, 2), activation="RELU6"),
        conv_model("3x3_stride2_valid", (11, 11, 4), 8, (3, 3), (2, 2), padding="VALID"),
        conv_model("5x5_valid_relu", (12, 12, 3), 6, (5, 5), padding="VALID", activation="RELU"),
        conv_model("3x3_dilation2_same", (12, 12, 4), 8, (3, 3), dilation=2),
        conv_model("3x3_dilation2_valid_relu", (12, 12, 4), 8, (3, 3), padding="VALID",
                   dilation=2, activation="RELU"),
        conv_model("nonsquare_3x5_stride2x1_same", (12, 9, 4), 8, (3, 5), (2, 1)),
        conv_model("3x3_per_tensor_relu", (10, 10, 4), 8, (3, 3), activation="RELU",
                   per_tensor=True),
        depthwise_model("3x3_same_relu", (10, 10, 8), (3, 3), activation="RELU"),
        depthwise_model("3x3_mult2_valid", (10, 10, 4), (3, 3), multiplier=2, padding="VALID"),
        depthwise_model("3x3_stride2_same_relu6", (11, 11, 8), (3, 3), strides=(2, 2),
                        activation="RELU6"),
        depthwise_model("3x3_stride2_valid_mult2", (11, 11, 4), (3, 3), multiplier=2,
                        strides=(2, 2), padding="VALID"),
        depthwise_model("3x3_dilation2_same", (12, 12, 8), (3, 3), dilation=2),
        depthwise_model("3x3_dilation2_valid_mult2", (12, 12, 4), (3, 3), multiplier=2,
                        padding="VALID", dilation=2),
        depthwise_model("nonsquare_5x3_stride1x2_same", (12, 10, 8), (5, 3), strides=(1, 2)),
    ]


def dense_and_pool_models() -> list[ModelSpec]:
    def pool_model(kind: str, window: int, stride: int, padding: str) -> ModelSpec:
        op = "AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D"
        name = f"{op.lower()}_{window}x{window}_stride{stride}_{padding.lower()}"
        return op_model(name, f"{window}x{window} {kind} pool, stride {stride}, {padding}",
                        pool_graph(kind, FEATURE_MAP, window, stride, padding),
                        expect(op, filterHeight=window, filterWidth=window, strideH=stride,
                               strideW=stride, padding=padding))

    pools = [pool_model(kind, window, stride, padding) for kind in ("avg", "max")
             for window, stride, padding in ((2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "SAME"),
                                             (3, 2, "VALID"))]
    return [
        op_model("fully_connected_bias_relu", "FC 32 -> 16 with bias, fused ReLU",
                 fully_connected_graph((1, 32), 16, activation="RELU"),
                 expect("FULLY_CONNECTED", fusedActivationFunction="RELU", has_bias=True,
                        keepNumDims=False)),
        op_model("fully_connected_no_bias", "FC 32 -> 16 without bias",
                 fully_connected_graph((1, 32), 16, use_bias=False),
                 expect("FULLY_CONNECTED", has_bias=False)),
        op_model("fully_connected_keep_num_dims", "FC on [1, 6, 24] -> [1, 6, 16]",
                 fully_connected_graph((1, 6, 24), 16),
                 expect("FULLY_CONNECTED", keepNumDims=True)),
        op_model("fully_connected_batch4", "FC on a batch of 4 rows, [4, 20] -> [4, 10]",
                 fully_connected_graph((4, 20), 10),
                 expect("FULLY_CONNECTED", keepNumDims=False)),
    ] + pools


def activation_models() -> list[ModelSpec]:
    vector = (1, 64)
    wide = normal(vector, std=3.0)  # exercises the saturating parts of the curves
    return [
        op_model("softmax", "softmax over 10 logits", single_op([(1, 10)], tf.nn.softmax,
                                                                [normal((1, 10), 2.0)]),
                 expect("SOFTMAX", beta=1.0)),
        op_model("softmax_rank4_last_axis", "softmax over the last axis of [1, 4, 4, 10]",
                 single_op([(1, 4, 4, 10)], tf.nn.softmax), expect("SOFTMAX", beta=1.0)),
        op_model("softmax_beta_0_5", "softmax with beta=0.5 (option patched, see README)",
                 single_op([(1, 10)], tf.nn.softmax, [normal((1, 10), 2.0)]),
                 expect("SOFTMAX", beta=0.5), patch=set_softmax_beta(0.5)),
        op_model("logistic", "sigmoid", single_op([vector], tf.sigmoid, [wide]), expect("LOGISTIC")),
        op_model("tanh", "tanh", single_op([vector], tf.tanh, [wide]), expect("TANH")),
        op_model("relu", "standalone ReLU (nothing to fuse into)",
                 single_op([FEATURE_MAP], tf.nn.relu), expect("RELU")),
        op_model("relu6", "standalone ReLU6",
                 single_op([FEATURE_MAP], tf.nn.relu6, [normal(FEATURE_MAP, std=3.0)]),
                 expect("RELU6")),
        op_model("leaky_relu", "LeakyReLU alpha=0.2",
                 single_op([FEATURE_MAP], lambda x: tf.nn.leaky_relu(x, alpha=0.2)),
                 expect("LEAKY_RELU", alpha=0.2)),
        op_model("hard_swish", "x * relu6(x + 3) / 6, fused by the converter",
                 single_op([vector], lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0), [wide]),
                 expect("HARD_SWISH")),
        op_model("gelu_approximate", "GELU, tanh approximation",
                 single_op([vector], lambda x: tf.nn.gelu(x, approximate=True), [wide]),
                 expect("GELU", approximate=True), tflm_unsupported=GELU_NOT_IN_TFLM),
        op_model("gelu_exact", "GELU, erf form",
                 single_op([vector], lambda x: tf.nn.gelu(x, approximate=False), [wide]),
                 expect("GELU", approximate=False), tflm_unsupported=GELU_NOT_IN_TFLM),
        op_model("rsqrt", "1/sqrt(x) on positive inputs",
                 single_op([vector], tf.math.rsqrt, [uniform(vector, 0.05, 4.0)]),
                 expect("RSQRT")),
    ]


def binary_models() -> list[ModelSpec]:
    def binary(name: str, op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
               shape_b: tuple[int, ...] = FEATURE_MAP, activation: str | None = None) -> ModelSpec:
        options = {} if activation is None else {"fusedActivationFunction": activation}
        # Different ranges so the two operands get different quantization scales.
        samplers = [normal(FEATURE_MAP), normal(shape_b, std=2.5, mean=0.5)]
        return op_model(f"{op.lower()}_{name}", f"{op} {name}, b: {shape_b}",
                        single_op([FEATURE_MAP, shape_b], fn, samplers), expect(op, **options))

    return [
        binary("same_shape", "ADD", tf.add, activation="NONE"),
        binary("broadcast", "ADD", tf.add, CHANNEL_VECTOR, activation="NONE"),
        binary("relu", "ADD", lambda a, b: tf.nn.relu(a + b), activation="RELU"),
        binary("same_shape", "SUB", tf.subtract, activation="NONE"),
        binary("broadcast", "SUB", tf.subtract, (1, 10, 1, 8), activation="NONE"),
        binary("relu6", "SUB", lambda a, b: tf.nn.relu6(a - b), activation="RELU6"),
        binary("same_shape", "MUL", tf.multiply, activation="NONE"),
        binary("broadcast", "MUL", tf.multiply, CHANNEL_VECTOR, activation="NONE"),
        binary("relu", "MUL", lambda a, b: tf.nn.relu(a * b), activation="RELU"),
        binary("same_shape", "MAXIMUM", tf.maximum),
        binary("broadcast", "MAXIMUM", tf.maximum, CHANNEL_VECTOR),
        binary("same_shape", "MINIMUM", tf.minimum),
        binary("broadcast", "MINIMUM", tf.minimum, CHANNEL_VECTOR),
        binary("same_shape", "SQUARED_DIFFERENCE", tf.math.squared_difference),
        binary("broadcast", "SQUARED_DIFFERENCE", tf.math.squared_difference, CHANNEL_VECTOR),
    ]


def squeeze_graph(rng: np.random.Generator) -> Graph:
    """The converter turns SQUEEZE into RESHAPE whenever the result can be
    written as a reshape with at most one -1 (ConvertSqueezeToReshape). With
    two unknown dimensions (batch and height) it cannot, so SQUEEZE survives.
    The flatbuffer records shape [1, 1, 1, 8], shape_signature [-1, -1, 1, 8]."""
    graph = single_op([(1, 1, 1, 8)], lambda x: tf.squeeze(x, axis=2))(rng)
    graph.inputs = [dataclasses.replace(i, dynamic_dims=(0, 1)) for i in graph.inputs]
    return graph


def shape_models() -> list[ModelSpec]:
    def concat(name: str, axis: int, shapes: list[tuple[int, ...]]) -> ModelSpec:
        # Each input calibrated on a different range -> different input scales.
        samplers = [normal(s, std=1.0 + 2.0 * i, mean=0.3 * i) for i, s in enumerate(shapes)]
        return op_model(f"concatenation_{name}", f"concat {len(shapes)} inputs on axis {axis}",
                        single_op(shapes, lambda *xs: tf.concat(xs, axis=axis), samplers),
                        expect("CONCATENATION", axis=axis))

    def mean(name: str, axes: tuple[int, ...], keep_dims: bool,
             shape: tuple[int, ...] = FEATURE_MAP) -> ModelSpec:
        return op_model(f"mean_{name}", f"mean over axes {axes}, keep_dims={keep_dims}",
                        single_op([shape], lambda x: tf.reduce_mean(x, axis=axes, keepdims=keep_dims),
                                  [normal(shape, mean=0.5)]),
                        expect("MEAN", keepDims=keep_dims))

    def strided_slice(name: str, fn: Callable[[tf.Tensor], tf.Tensor], **options: Any) -> ModelSpec:
        return op_model(f"strided_slice_{name}", f"strided slice {name}",
                        single_op([FEATURE_MAP], fn), expect("STRIDED_SLICE", **options))

    return [
        op_model("reshape_4d_to_2d", "[1, 10, 10, 8] -> [1, 800]",
                 single_op([FEATURE_MAP], lambda x: tf.reshape(x, (1, -1))), expect("RESHAPE")),
        op_model("reshape_3d_to_4d", "[1, 24, 8] -> [1, 4, 6, 8]",
                 single_op([(1, 24, 8)], lambda x: tf.reshape(x, (1, 4, 6, 8))), expect("RESHAPE")),
        op_model("squeeze_axis_2", "[1, 1, 1, 8] -> [1, 1, 8], batch and H dynamic (see README)",
                 squeeze_graph, expect("SQUEEZE", squeezeDims=[2])),
        op_model("transpose_nhwc_to_nchw", "perm (0, 3, 1, 2)",
                 single_op([FEATURE_MAP], lambda x: tf.transpose(x, (0, 3, 1, 2))),
                 expect("TRANSPOSE")),
        op_model("transpose_3d", "perm (0, 2, 1) on [1, 6, 10]",
                 single_op([(1, 6, 10)], lambda x: tf.transpose(x, (0, 2, 1))), expect("TRANSPOSE")),
        op_model("pad_spatial", "zero pad H by (1, 2), W by (2, 1)",
                 single_op([FEATURE_MAP], lambda x: tf.pad(x, ((0, 0), (1, 2), (2, 1), (0, 0)))),
                 expect("PAD")),
        op_model("pad_channels", "zero pad channels by (0, 3) on a [1, 12, 5] tensor",
                 single_op([(1, 12, 5)], lambda x: tf.pad(x, ((0, 0), (0, 0), (0, 3))),
                           [normal((1, 12, 5), mean=1.0)]),
                 expect("PAD")),
        # PADV2 is not in SUPPORTED_OPS: the converter emits it for any
        # non-zero pad value, so the compiler needs to accept or reject it.
        ModelSpec("op_padv2_constant_value", "pad with constant 1.5 (the converter emits PADV2)",
                  single_op([FEATURE_MAP], lambda x: tf.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)),
                                                            constant_values=1.5)),
                  ModelExpectations(required_ops=(expect("PADV2"),), only_required_ops=True,
                                    supported_ops_only=False)),
        concat("axis3", 3, [FEATURE_MAP, (1, 10, 10, 4)]),
        concat("axis1_three_inputs", 1, [(1, 4, 6, 3), (1, 2, 6, 3), (1, 5, 6, 3)]),
        concat("axis2", 2, [(1, 4, 6, 3), (1, 4, 3, 3)]),
        concat("axis_last_2d", 1, [(1, 16), (1, 8)]),
        mean("axes_1_2_keep_dims", (1, 2), True),
        mean("axes_1_2", (1, 2), False),
        mean("axis_3_keep_dims", (3,), True),
        mean("axis_1_rank3", (1,), False, (1, 12, 16)),
        strided_slice("stride2", lambda x: x[:, 1:9:2, ::3, 2:], beginMask=5, endMask=13),
        strided_slice("negative_stride", lambda x: x[:, ::-1, 2:8, ::-2], beginMask=11, endMask=11),
        strided_slice("shrink_axis", lambda x: x[:, 3, 1:7:2, :], shrinkAxisMask=2),
        # The converter lowers new_axis_mask (and ellipsis_mask) into a RESHAPE
        # in front of a mask-free STRIDED_SLICE; a rank-3 input keeps it 4-D,
        # the TFLM limit for STRIDED_SLICE.
        op_model("strided_slice_new_axis", "x[:, newaxis, 1:9:2, ::2] on [1, 10, 8]",
                 single_op([(1, 10, 8)], lambda x: x[:, tf.newaxis, 1:9:2, ::2]),
                 expect("RESHAPE"), expect("STRIDED_SLICE", newAxisMask=0)),
        op_model("batch_matmul", "[2, 5, 8] x [2, 8, 6]",
                 single_op([(2, 5, 8), (2, 8, 6)], tf.matmul),
                 expect("BATCH_MATMUL", adjX=False, adjY=False)),
        op_model("batch_matmul_adj_x", "[2, 8, 5]^T x [2, 8, 6]",
                 single_op([(2, 8, 5), (2, 8, 6)], lambda a, b: tf.matmul(a, b, adjoint_a=True)),
                 expect("BATCH_MATMUL", adjX=True, adjY=False)),
        op_model("batch_matmul_adj_y", "[1, 2, 5, 8] x [1, 2, 6, 8]^T (attention scores)",
                 single_op([(1, 2, 5, 8), (1, 2, 6, 8)],
                           lambda a, b: tf.matmul(a, b, adjoint_b=True)),
                 expect("BATCH_MATMUL", adjX=False, adjY=True)),
    ]


def quantization_models() -> list[ModelSpec]:
    def tanh_and_logistic(x: tf.Tensor) -> tf.Tensor:
        return tf.concat([tf.tanh(x), tf.sigmoid(x)], axis=1)

    return [
        # TANH (scale 1/128, zp 0) and LOGISTIC (1/256, -128) have fixed output
        # scales; CONCATENATION needs one scale, so the converter inserts an
        # int8 -> int8 QUANTIZE on one branch. This is also the only way to get
        # a CONCATENATION fed by different scales: for free-standing inputs the
        # converter gives every input the output's scale.
        op_model("quantize_requantize_int8", "concat(tanh(x), sigmoid(x)): int8->int8 QUANTIZE",
                 single_op([(1, 16)], tanh_and_logistic, [normal((1, 16), 2.0)]),
                 expect("QUANTIZE", input_dtype="INT8"), expect("CONCATENATION", axis=1),
                 expect("TANH"), expect("LOGISTIC")),
        op_model("quantize_float_input", "float32 input -> QUANTIZE -> ReLU (int8 output)",
                 single_op([FEATURE_MAP], tf.nn.relu), expect("QUANTIZE", input_dtype="FLOAT32"),
                 expect("RELU"),
                 input_dtype="FLOAT32"),
        op_model("dequantize_float_output", "int8 input -> ReLU -> DEQUANTIZE (float32 output)",
                 single_op([FEATURE_MAP], tf.nn.relu), expect("RELU"), expect("DEQUANTIZE"),
                 output_dtype="FLOAT32"),
    ]


def error_models() -> list[ModelSpec]:
    return [
        ModelSpec("bad_float_model", "float32 conv + FC, not quantized", build_float_model,
                  ModelExpectations(required_ops=(expect("CONV_2D"), expect("FULLY_CONNECTED")),
                                    input_dtype="FLOAT32", output_dtype="FLOAT32",
                                    integer_only=False),
                  quantize=False),
        ModelSpec("bad_unsupported_op", "int8 TOPK_V2 (TFLite Micro has no kernel for it)",
                  single_op([(1, 16)], lambda x: tf.math.top_k(x, k=3).values),
                  ModelExpectations(required_ops=(expect("TOPK_V2"),),
                                    supported_ops_only=False),
                  tflm_unsupported="TFLM has no TOPK_V2 kernel; checked with TFLite reference kernels"),
    ]


def all_models() -> list[ModelSpec]:
    import build_stateful  # noqa: PLC0415 -- it imports this module
    import build_lstm  # noqa: PLC0415 -- it imports this module
    import build_stateful  # noqa: PLC0415 -- it imports this module
    from build_data_ops import data_op_models  # imports this module's helpers
    from build_float import float_models  # imports this module's helpers
    from build_float_ops import float_op_models  # imports this module's helpers
    from build_i16 import i16_models  # imports this module's helpers
    from build_i16_elementwise import i16_elementwise_models  # imports this module's helpers
    from build_more_ops import more_op_models  # imports this module's helpers
    from build_more_builtins import more_builtin_models  # imports this module's helpers
    from build_signal import signal_models  # noqa: PLC0415 -- it imports this module
    from build_streaming_ww import streaming_wakeword_models  # noqa: PLC0415 -- it imports this module
    from build_detection import detection_models  # noqa: PLC0415 -- it imports this module
    from build_compressed import compressed_models  # noqa: PLC0415 -- it imports this module
    from build_control_flow import control_flow_models  # imports this module's helpers
    from build_circular_buffer import circular_buffer_models  # noqa: PLC0415 -- it imports this module
    from build_decode_huffman import decode_huffman_models  # noqa: PLC0415 -- it imports this module
    models = (app_models() + conv_models() + dense_and_pool_models() + activation_models()
              + binary_models() + shape_models() + quantization_models() + error_models()
              + build_stateful.stateful_models() + i16_models() + i16_elementwise_models()
              + build_math_ops.math_models() + data_op_models() + build_lstm.lstm_models()
              + more_op_models() + signal_models() + float_models() + more_builtin_models()
              + streaming_wakeword_models() + detection_models() + compressed_models()
              + float_op_models() + control_flow_models() + circular_buffer_models()
              + decode_huffman_models())
    names = [m.name for m in models]
    assert len(names) == len(set(names)), "duplicate model names"
    return models


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def build_model(spec: ModelSpec, output_dir: Path, verify_runtime: bool) -> tuple[dict[str, Any], list[str]]:
    seed = model_seed(spec.name)
    # Keras' automatic layer names ("dense_3") end up as tensor names in the
    # flatbuffer; resetting them per model keeps bytes independent of build order.
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    graph = spec.build(np.random.default_rng(seed))
    conversion_rng = np.random.default_rng([seed, 1])
    converted = spec.flatbuffer(conversion_rng) if spec.flatbuffer else convert(spec, graph, conversion_rng)
    model_bytes = spec.patch(converted) if spec.patch else converted
    (output_dir / f"{spec.name}.tflite").write_bytes(model_bytes)

    summary = inspect.summarize(model_bytes)
    problems = inspect.check_model(summary, spec.expectations)
    if len(model_bytes) > FLASH_LIMIT_BYTES:
        problems.append(f"{len(model_bytes)} bytes exceeds the 1 MiB flash budget")
    entry: dict[str, Any] = {
        "file": f"{spec.name}.tflite",
        "description": spec.description,
        "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "flash_bytes": len(model_bytes),
        "ops": summary.op_names,
        "expectations": spec.expectations.to_json(),
    }
    if verify_runtime:
        reference_bytes = spec.reference_patch(converted) if spec.reference_patch else model_bytes
        report = check_runtime(spec, graph, model_bytes, reference_bytes, summary,
                               np.random.default_rng([seed, 2]))
        entry["runtime"] = dataclasses.asdict(report)
        if report.distinct_output_values < 2:
            problems.append("degenerate: every output element has the same value")
        if not report.input_sensitive:
            problems.append("degenerate: the output does not change with the input")
        if report.constant_activations:
            problems.append(f"degenerate: constant activations {report.constant_activations}")
        if report.arena_bytes is not None and report.arena_bytes > ARENA_LIMIT_BYTES:
            problems.append(f"TFLM arena {report.arena_bytes} exceeds the 300 KiB budget")
    return entry, problems


def op_histogram(ops: list[str]) -> str:
    counts: dict[str, int] = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    return ", ".join(f"{op}x{n}" if n > 1 else op for op, n in counts.items())


def markdown_table(models: dict[str, dict[str, Any]]) -> str:
    rows = ["| model | what | ops | flash bytes | TFLM arena bytes | distinct outputs "
            "(uniform / realistic) | saturated | TFLM vs TFLite |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    for name, entry in models.items():
        runtime = entry.get("runtime", {})
        arena = runtime.get("arena_bytes")
        diff = runtime.get("max_abs_diff_vs_tflite")
        rows.append(
            f"| `{name}` | {entry['description']} | {op_histogram(entry['ops'])} | "
            f"{entry['flash_bytes']} | "
            f"{arena if arena is not None else 'n/a (no TFLM kernel)'} | "
            f"{runtime.get('distinct_output_values', '?')} / "
            f"{runtime.get('distinct_output_values_realistic', '?')} | "
            f"{runtime.get('saturated_fraction', '?')} | "
            f"{'n/a' if diff is None else ('identical' if diff == 0 else f'max diff {diff:g}')} |")
    total = sum(e["flash_bytes"] for e in models.values())
    rows.append(f"\n{len(models)} models, {total} bytes of .tflite in total.")
    return "\n".join(rows)


def update_readme_table(table: str) -> None:
    text = README_PATH.read_text()
    begin, end = text.index(TABLE_BEGIN) + len(TABLE_BEGIN), text.index(TABLE_END)
    README_PATH.write_text(text[:begin] + "\n" + table + "\n" + text[end:])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output_dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--only", default="", help="regex: build only matching model names")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temp dir and byte-compare with --output_dir")
    parser.add_argument("--skip_runtime", action="store_true",
                        help="skip the TFLM/TFLite runs (faster; manifest keeps old results)")
    args = parser.parse_args(argv)

    tf.config.experimental.enable_op_determinism()
    specs = [s for s in all_models() if re.search(args.only, s.name)]
    failures: list[str] = []

    if args.check:
        # Mismatching rebuilds are kept for inspection with inspect_models.py.
        mismatch_dir = Path(tempfile.gettempdir()) / "rules_tinyml_rebuilt_models"
        with tempfile.TemporaryDirectory() as scratch:
            for spec in specs:
                build_model(spec, Path(scratch), verify_runtime=False)
                rebuilt = Path(scratch) / f"{spec.name}.tflite"
                committed = args.output_dir / f"{spec.name}.tflite"
                identical = committed.exists() and committed.read_bytes() == rebuilt.read_bytes()
                if not identical:
                    mismatch_dir.mkdir(exist_ok=True)
                    kept = mismatch_dir / rebuilt.name
                    kept.write_bytes(rebuilt.read_bytes())
                    failures.append(f"{spec.name}: rebuilt bytes ({kept}) differ from {committed}")
                print(f"{'ok  ' if identical else 'FAIL'} {spec.name}", flush=True)
    else:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        manifest_path = args.output_dir / "manifest.json"
        manifest = (json.loads(manifest_path.read_text()) if manifest_path.exists()
                    else {"models": {}})
        for spec in specs:
            entry, problems = build_model(spec, args.output_dir, not args.skip_runtime)
            if args.skip_runtime and "runtime" in manifest["models"].get(spec.name, {}):
                entry["runtime"] = manifest["models"][spec.name]["runtime"]
            manifest["models"][spec.name] = entry
            failures += [f"{spec.name}: {p}" for p in problems]
            runtime = entry.get("runtime", {})
            print(f"{'FAIL' if problems else 'ok  '} {spec.name:45s} {entry['flash_bytes']:8d} B "
                  f"arena={runtime.get('arena_bytes')} distinct={runtime.get('distinct_output_values')}"
                  f"/{runtime.get('distinct_output_values_realistic')} "
                  f"ops={op_histogram(entry['ops'])}", flush=True)
        known = {s.name for s in all_models()}
        manifest["models"] = {k: manifest["models"][k] for k in sorted(manifest["models"]) if k in known}
        manifest["versions"] = {"tensorflow": tf.__version__, "keras": keras.__version__,
                                "numpy": np.__version__}
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if args.output_dir.resolve() == MODELS_DIR and README_PATH.exists():
            update_readme_table(markdown_table(manifest["models"]))

    ARENA_PROBE.close()
    for failure in failures:
        print(f"FAIL {failure}")
    failed = len({f.split(":")[0] for f in failures})
    print(f"{len(specs) - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
