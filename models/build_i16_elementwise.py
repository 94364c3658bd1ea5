"""16x8 micro-models (int16 activations, symmetric, zero point 0) of the elementwise,
shape and activation operators, and of the QUANTIZE / DEQUANTIZE conversions into and
out of int16.

Converted with `EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`, int16
model inputs and outputs unless the name says otherwise. The converter never emits a
power-of-two scale or an int16 -> int16 QUANTIZE, so those models are converted ones
with their scales or conversions patched in (see README).
Imported by build_models.py, whose helpers build and check them like every other model.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import flatbuffers
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

import inspect_models as inspect
from build_models import (
    CHANNEL_VECTOR,
    FEATURE_MAP,
    ModelSpec,
    expect,
    normal,
    op_model,
    single_op,
    squeeze_graph,
)
from inspect_models import OpExpectation

Patch = Callable[[bytes], bytes]


def i16_model(name: str, description: str, build: Any, *required: OpExpectation,
              input_dtype: str = "INT16", output_dtype: str = "INT16", **options: Any) -> ModelSpec:
    """A 16x8 per-operator micro-model."""
    return op_model(f"{name}_16x8", f"16x8: {description}", build, *required,
                    input_dtype=input_dtype, output_dtype=output_dtype, int16_activations=True,
                    **options)


def _rewrite(edit: Callable[[schema.ModelT], None]) -> Patch:
    def patch(model_bytes: bytes) -> bytes:
        model = inspect.load_model_object(model_bytes)
        edit(model)
        builder = flatbuffers.Builder(len(model_bytes))
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
    return patch


def _activations(model: schema.ModelT) -> list[schema.TensorT]:
    """The int16 tensors that hold activations (no constant data)."""
    return [t for t in model.subgraphs[0].tensors
            if t.type == schema.TensorType.INT16 and not model.buffers[t.buffer].data]


def power_of_two_scales() -> Patch:
    """Every int16 activation scale rounded up to a power of two (wider ranges, so the
    model stays valid). ADD and SUB then have the scales of TFLite's `pot_scale` path,
    which TFLite Micro never takes: these models check its general path on them."""
    def edit(model: schema.ModelT) -> None:
        for tensor in _activations(model):
            tensor.quantization.scale = [2.0 ** math.ceil(math.log2(s))
                                         for s in tensor.quantization.scale]
    return _rewrite(edit)


def input_scale(scale: float) -> Patch:
    """The graph input's scale set to `scale`: LOGISTIC and TANH take their
    power-of-two path for input scale 2^-12 (TANH also 2^-11)."""
    def edit(model: schema.ModelT) -> None:
        subgraph = model.subgraphs[0]
        subgraph.tensors[subgraph.inputs[0]].quantization.scale = [scale]
    return _rewrite(edit)


def _quantization(scale: float) -> schema.QuantizationParametersT:
    quant = schema.QuantizationParametersT()
    quant.scale, quant.zeroPoint = [scale], [0]
    return quant


def int16_requantizes() -> Patch:
    """int16 x -> RELU -> y becomes x -> QUANTIZE -> x2 -> RELU -> y -> QUANTIZE -> y2,
    both QUANTIZEs int16 -> int16 requantizes (to 3/4 and twice the scale). TFLite's
    reference QUANTIZE has no int8 -> int16 mode, so the int8 <-> int16 requantizes,
    which TFLite Micro has, are checked against it in tinymlc's tests instead."""
    def edit(model: schema.ModelT) -> None:
        subgraph = model.subgraphs[0]
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
        code.version = 1
        model.operatorCodes.append(code)
        quantize = len(model.operatorCodes) - 1

        def tensor(name: str, like: int, dtype: int, scale: float) -> int:
            new = schema.TensorT()
            new.name, new.shape, new.type = name, list(subgraph.tensors[like].shape), dtype
            new.quantization = _quantization(scale)
            model.buffers.append(schema.BufferT())
            new.buffer = len(model.buffers) - 1
            subgraph.tensors.append(new)
            return len(subgraph.tensors) - 1

        def operator(source: int, target: int) -> schema.OperatorT:
            op = schema.OperatorT()
            op.opcodeIndex, op.inputs, op.outputs = quantize, [source], [target]
            return op

        (x,), (y,) = subgraph.inputs, subgraph.outputs
        (relu,) = subgraph.operators
        x_scale = subgraph.tensors[x].quantization.scale[0]
        y_scale = subgraph.tensors[y].quantization.scale[0]
        x2 = tensor("x_rescaled", x, schema.TensorType.INT16, x_scale * 0.75)
        y2 = tensor("y_rescaled", y, schema.TensorType.INT16, y_scale * 2.0)
        relu.inputs = [x2]
        subgraph.operators = [operator(x, x2), relu, operator(y, y2)]
        subgraph.outputs = [y2]
    return _rewrite(edit)


def binary_models() -> list[ModelSpec]:
    def binary(name: str, op: str, fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
               shape_b: tuple[int, ...] = FEATURE_MAP, activation: str | None = None,
               *also: OpExpectation, **options: Any) -> ModelSpec:
        expected = {} if activation is None else {"fusedActivationFunction": activation}
        # Different ranges so the two operands get different scales.
        samplers = [normal(FEATURE_MAP), normal(shape_b, std=2.5, mean=0.5)]
        return i16_model(f"{op.lower()}_{name}", f"{op} {name}, b: {shape_b}",
                         single_op([FEATURE_MAP, shape_b], fn, samplers),
                         expect(op, input_dtype="INT16", **expected), *also, **options)

    # MAXIMUM and MINIMUM compare stored values, so the converter requantizes the
    # operands to the output's scale first: int16 -> int16 QUANTIZEs.
    requantize = expect("QUANTIZE", input_dtype="INT16")

    return [
        binary("same_shape", "ADD", tf.add, activation="NONE"),
        binary("broadcast", "ADD", tf.add, CHANNEL_VECTOR, activation="NONE"),
        binary("relu", "ADD", lambda a, b: tf.nn.relu(a + b), activation="RELU"),
        binary("pot_scales", "ADD", tf.add, CHANNEL_VECTOR, activation="NONE",
               patch=power_of_two_scales()),
        binary("same_shape", "SUB", tf.subtract, activation="NONE"),
        binary("broadcast", "SUB", tf.subtract, (1, 10, 1, 8), activation="NONE"),
        binary("pot_scales", "SUB", tf.subtract, activation="NONE", patch=power_of_two_scales()),
        binary("same_shape", "MUL", tf.multiply, activation="NONE"),
        binary("broadcast", "MUL", tf.multiply, CHANNEL_VECTOR, activation="NONE"),
        binary("same_shape", "MAXIMUM", tf.maximum, FEATURE_MAP, None, requantize),
        binary("broadcast", "MINIMUM", tf.minimum, CHANNEL_VECTOR, None, requantize),
    ]


def activation_models() -> list[ModelSpec]:
    vector = (1, 64)
    wide = normal(vector, std=3.0)  # the saturating parts of the curves

    def sigmoid_like(name: str, op: str, fn: Callable[[tf.Tensor], tf.Tensor],
                     **options: Any) -> ModelSpec:
        return i16_model(f"{op.lower()}{name}", f"{op}{name.replace('_', ' ')}",
                         single_op([vector], fn, [wide]), expect(op, input_dtype="INT16"),
                         **options)

    return [
        i16_model("relu", "standalone ReLU", single_op([FEATURE_MAP], tf.nn.relu),
                  expect("RELU", input_dtype="INT16")),
        i16_model("relu6", "standalone ReLU6",
                  single_op([FEATURE_MAP], tf.nn.relu6, [normal(FEATURE_MAP, std=3.0)]),
                  expect("RELU6", input_dtype="INT16")),
        i16_model("leaky_relu", "LeakyReLU alpha=0.2",
                  single_op([FEATURE_MAP], lambda x: tf.nn.leaky_relu(x, alpha=0.2)),
                  expect("LEAKY_RELU", alpha=0.2, input_dtype="INT16")),
        sigmoid_like("", "LOGISTIC", tf.sigmoid),
        sigmoid_like("_pot_input", "LOGISTIC", tf.sigmoid, patch=input_scale(2.0 ** -12)),
        sigmoid_like("", "TANH", tf.tanh),
        sigmoid_like("_pot_input", "TANH", tf.tanh, patch=input_scale(2.0 ** -12)),
        sigmoid_like("_pot_input_shift1", "TANH", tf.tanh, patch=input_scale(2.0 ** -11)),
    ]


def shape_models() -> list[ModelSpec]:
    return [
        i16_model("reshape", "[1, 10, 10, 8] -> [1, 800]",
                  single_op([FEATURE_MAP], lambda x: tf.reshape(x, (1, -1))), expect("RESHAPE")),
        i16_model("squeeze_axis_2", "[1, 1, 1, 8] -> [1, 1, 8], batch and H dynamic",
                  squeeze_graph, expect("SQUEEZE", squeezeDims=[2])),
        i16_model("pad_spatial", "zero pad H by (1, 2), W by (2, 1)",
                  single_op([FEATURE_MAP], lambda x: tf.pad(x, ((0, 0), (1, 2), (2, 1), (0, 0)))),
                  expect("PAD", input_dtype="INT16")),
        i16_model("strided_slice_negative_stride", "x[:, ::-1, 2:8, ::-2]",
                  single_op([FEATURE_MAP], lambda x: x[:, ::-1, 2:8, ::-2]),
                  expect("STRIDED_SLICE", beginMask=11, endMask=11, input_dtype="INT16")),
        i16_model("transpose_nhwc_to_nchw", "perm (0, 3, 1, 2)",
                  single_op([FEATURE_MAP], lambda x: tf.transpose(x, (0, 3, 1, 2))),
                  expect("TRANSPOSE", input_dtype="INT16")),
        i16_model("concatenation_axis3", "concat 2 inputs on axis 3",
                  single_op([FEATURE_MAP, (1, 10, 10, 4)], lambda *xs: tf.concat(xs, axis=3),
                            [normal(FEATURE_MAP), normal((1, 10, 10, 4), std=3.0, mean=0.3)]),
                  # The converter requantizes the input of the other scale (int16 -> int16).
                  expect("CONCATENATION", axis=3, input_dtype="INT16"),
                  expect("QUANTIZE", input_dtype="INT16")),
    ]


def quantization_models() -> list[ModelSpec]:
    return [
        i16_model("quantize_dequantize_float_io", "float32 -> QUANTIZE -> ReLU -> DEQUANTIZE",
                  single_op([FEATURE_MAP], tf.nn.relu),
                  expect("QUANTIZE", input_dtype="FLOAT32"), expect("RELU"), expect("DEQUANTIZE"),
                  input_dtype="FLOAT32", output_dtype="FLOAT32"),
        i16_model("quantize_requantize_int16", "int16 -> int16 QUANTIZE -> ReLU -> QUANTIZE",
                  single_op([FEATURE_MAP], tf.nn.relu),
                  expect("QUANTIZE", input_dtype="INT16"), expect("RELU"),
                  patch=int16_requantizes()),
    ]


def i16_elementwise_models() -> list[ModelSpec]:
    return binary_models() + activation_models() + shape_models() + quantization_models()
