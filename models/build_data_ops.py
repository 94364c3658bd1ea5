"""Micro-models for the data-movement builtins (SLICE, SPLIT, EXPAND_DIMS, ...) and
for the model-file quirks TFLite Micro accepts (models/README.md lists them).

Imported by build_models.py, whose helpers build and check them like every other
model of the zoo.
"""

from __future__ import annotations

from typing import Callable

import dataclasses

import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

import inspect_models as inspect
from build_models import (
    FEATURE_MAP,
    Graph,
    ModelSpec,
    depthwise_graph,
    expect,
    normal,
    op_model,
    single_op,
)
from inspect_models import ModelExpectations

Patch = Callable[[bytes], bytes]


def _rewrite(edit: Callable[[schema.ModelT], None]) -> Patch:
    def patch(model_bytes: bytes) -> bytes:
        model = inspect.load_model_object(model_bytes)
        edit(model)
        builder = flatbuffers.Builder(len(model_bytes))
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())
    return patch


def _operators(model: schema.ModelT, builtin: int) -> list[schema.OperatorT]:
    codes = {i for i, code in enumerate(model.operatorCodes)
             if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin}
    return [op for op in model.subgraphs[0].operators if op.opcodeIndex in codes]


def person_detect_quantization_quirks() -> Patch:
    """TFLM's published person_detect.tflite (an older converter) gives its rank-1
    depthwise biases quantized_dimension 3 and stores one zero point for all the
    channels of a per-channel filter; TFLM ignores the first and broadcasts the
    second."""
    def edit(model: schema.ModelT) -> None:
        tensors = model.subgraphs[0].tensors
        for op in _operators(model, schema.BuiltinOperator.DEPTHWISE_CONV_2D):
            filter_, bias = tensors[op.inputs[1]], tensors[op.inputs[2]]
            bias.quantization.quantizedDimension = 3
            filter_.quantization.zeroPoint = [0]
    return _rewrite(edit)


def rescale_output(builtin: int) -> Patch:
    """Gives the `builtin` operators' outputs another scale and zero point than their
    inputs. The converter never does so for operators whose TFLM kernels copy or
    compare raw values, but TFLM runs such models (ignoring the difference)."""
    def edit(model: schema.ModelT) -> None:
        tensors = model.subgraphs[0].tensors
        for op in _operators(model, builtin):
            quant = tensors[op.outputs[0]].quantization
            quant.scale = [2.0 * s for s in quant.scale]
            quant.zeroPoint = [min(z + 5, 127) for z in quant.zeroPoint]
    return _rewrite(edit)


def quirk_model(name: str, description: str, build: Callable[..., object], patch: Patch,
                *required: inspect.OpExpectation) -> ModelSpec:
    expectations = ModelExpectations(required_ops=required, only_required_ops=True)
    return ModelSpec(f"quirk_{name}", description, build, expectations,  # type: ignore[arg-type]
                     patch=patch, reference_before_patch=True)


def quirk_models() -> list[ModelSpec]:
    ops = schema.BuiltinOperator
    return [
        quirk_model("person_detect_bias_quantization",
                    "depthwise conv, biases with quantized_dimension 3, one filter zero point",
                    depthwise_graph((8, 8, 4), (3, 3)), person_detect_quantization_quirks(),
                    expect("DEPTHWISE_CONV_2D")),
        quirk_model("maximum_rescaled_output", "maximum(a, b), output scale x2 (raw compare)",
                    single_op([FEATURE_MAP, FEATURE_MAP], tf.maximum,
                              [normal(FEATURE_MAP), normal(FEATURE_MAP, std=2.0)]),
                    rescale_output(ops.MAXIMUM), expect("MAXIMUM")),
        quirk_model("strided_slice_rescaled_output", "x[:, 1:9:2], output scale x2 (raw copy)",
                    single_op([FEATURE_MAP], lambda x: x[:, 1:9:2, ::3, 2:]),
                    rescale_output(ops.STRIDED_SLICE), expect("STRIDED_SLICE")),
        quirk_model("transpose_rescaled_output", "perm (0, 3, 1, 2), output scale x2 (raw copy)",
                    single_op([FEATURE_MAP], lambda x: tf.transpose(x, (0, 3, 1, 2))),
                    rescale_output(ops.TRANSPOSE), expect("TRANSPOSE")),
    ]


def with_unknown_dims(build: Callable[[np.random.Generator], Graph],
                      dims: tuple[int, ...]) -> Callable[[np.random.Generator], Graph]:
    """The converter rewrites EXPAND_DIMS into RESHAPE when all shapes are known;
    with two unknown dimensions (stored as 1) it keeps it."""
    def build_dynamic(rng: np.random.Generator) -> Graph:
        graph = build(rng)
        graph.inputs = [dataclasses.replace(i, dynamic_dims=dims) for i in graph.inputs]
        return graph
    return build_dynamic


def data_op_models() -> list[ModelSpec]:
    return quirk_models() + [
        op_model("slice_4d", "tf.slice begin (0, 2, 1, 3) size (1, 5, -1, 4)",
                 single_op([FEATURE_MAP], lambda x: tf.slice(x, (0, 2, 1, 3), (1, 5, -1, 4))),
                 expect("SLICE")),
        op_model("slice_2d", "tf.slice begin (0, 3) size (1, 9) on [1, 16]",
                 single_op([(1, 16)], lambda x: tf.slice(x, (0, 3), (1, 9))), expect("SLICE")),
        op_model("split_axis3", "tf.split into 2 on the channels",
                 single_op([FEATURE_MAP], lambda x: tf.split(x, 2, axis=3)), expect("SPLIT")),
        op_model("split_axis1_three", "tf.split into 3 on H of [1, 6, 4, 3]",
                 single_op([(1, 6, 4, 3)], lambda x: tf.split(x, 3, axis=1)), expect("SPLIT")),
        op_model("split_v_axis2", "tf.split sizes (1, 6, 3) on W",
                 single_op([FEATURE_MAP], lambda x: tf.split(x, (1, 6, 3), axis=2)), expect("SPLIT_V")),
        op_model("split_v_inferred_size", "tf.split sizes (5, -1) on the last axis of [1, 6, 12]",
                 single_op([(1, 6, 12)], lambda x: tf.split(x, (5, -1), axis=-1)), expect("SPLIT_V")),
        op_model("unpack_axis1", "tf.unstack on H of [1, 3, 5, 4]",
                 single_op([(1, 3, 5, 4)], lambda x: tf.unstack(x, axis=1)), expect("UNPACK", axis=1)),
        op_model("unpack_last_axis", "tf.unstack on the last axis of [2, 6, 3]",
                 single_op([(2, 6, 3)], lambda x: tf.unstack(x, axis=-1)), expect("UNPACK")),
        op_model("expand_dims_axis1", "[1, 1, 16] -> [1, 1, 1, 16], batch and H dynamic",
                 with_unknown_dims(single_op([(1, 1, 16)], lambda x: tf.expand_dims(x, 1)), (0, 1)),
                 expect("EXPAND_DIMS")),
        op_model("expand_dims_last", "[1, 1, 16] -> [1, 1, 16, 1] (axis -1), batch and H dynamic",
                 with_unknown_dims(single_op([(1, 1, 16)], lambda x: tf.expand_dims(x, -1)), (0, 1)),
                 expect("EXPAND_DIMS")),
    ]
