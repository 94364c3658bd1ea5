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


def operator_version(builtin: int, version: int) -> Patch:
    """TFLM ignores operator versions; TFLite's reference resolver lacks some the
    converter writes (DEPTH_TO_SPACE 2, the int8 one, in TF 2.19)."""
    def edit(model: schema.ModelT) -> None:
        for code in model.operatorCodes:
            if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
                code.version = version
    return _rewrite(edit)


def mul_by_ones_to_broadcast_to() -> Patch:
    """The converter writes tf.broadcast_to as a MUL by a constant of ones in the
    target shape; this turns it back into BROADCAST_TO of that shape (the output
    keeps the input's quantization, as TFLM copies raw values)."""
    def edit(model: schema.ModelT) -> None:
        graph = model.subgraphs[0]
        for code in model.operatorCodes:
            if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.MUL:
                code.builtinCode = schema.BuiltinOperator.BROADCAST_TO
                code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
                code.version = 2  # int8 (the version TFLite's resolver registers)
        for op in graph.operators:
            ones = graph.tensors[op.inputs[1]]
            target = list(ones.shape)
            model.buffers[ones.buffer].data = np.array(target, dtype="<i4").view(np.uint8)
            ones.shape, ones.type, ones.quantization = [len(target)], schema.TensorType.INT32, None
            ones.shapeSignature = None
            op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.NONE, None
            graph.tensors[op.outputs[0]].quantization = graph.tensors[op.inputs[0]].quantization
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
                     patch=patch, reference_patch=lambda converted: converted)


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
        op_model("depth_to_space_block2", "tf.nn.depth_to_space block 2 on [1, 4, 5, 12]",
                 single_op([(1, 4, 5, 12)], lambda x: tf.nn.depth_to_space(x, 2)),
                 expect("DEPTH_TO_SPACE", blockSize=2),
                 reference_patch=operator_version(schema.BuiltinOperator.DEPTH_TO_SPACE, 1)),
        op_model("space_to_depth_block2", "tf.nn.space_to_depth block 2 on [1, 6, 4, 3]",
                 single_op([(1, 6, 4, 3)], lambda x: tf.nn.space_to_depth(x, 2)),
                 expect("SPACE_TO_DEPTH", blockSize=2)),
        op_model("space_to_batch_nd_padded", "block (2, 2), paddings ((1, 1), (2, 0)) on [1, 6, 6, 3]",
                 single_op([(1, 6, 6, 3)],
                           lambda x: tf.space_to_batch_nd(x, (2, 2), ((1, 1), (2, 0)))),
                 expect("SPACE_TO_BATCH_ND")),
        op_model("space_to_batch_nd_3d", "block (3,), paddings ((1, 2),) on [2, 6, 4]",
                 single_op([(2, 6, 4)], lambda x: tf.space_to_batch_nd(x, (3,), ((1, 2),))),
                 expect("SPACE_TO_BATCH_ND")),
        op_model("batch_to_space_nd_cropped", "block (2, 2), crops ((0, 1), (1, 0)) on [4, 3, 3, 2]",
                 single_op([(4, 3, 3, 2)],
                           lambda x: tf.batch_to_space(x, (2, 2), ((0, 1), (1, 0)))),
                 expect("BATCH_TO_SPACE_ND")),
        op_model("mirror_pad_reflect", "REFLECT pad H (2, 1), W (0, 2) of [1, 5, 4, 3]",
                 single_op([(1, 5, 4, 3)],
                           lambda x: tf.pad(x, ((0, 0), (2, 1), (0, 2), (0, 0)), mode="REFLECT")),
                 expect("MIRROR_PAD", mode=0)),
        op_model("mirror_pad_symmetric", "SYMMETRIC pad (3, 1) on the last axis of [1, 2, 6]",
                 single_op([(1, 2, 6)], lambda x: tf.pad(x, ((0, 0), (0, 0), (3, 1)), mode="SYMMETRIC")),
                 expect("MIRROR_PAD", mode=1)),
        op_model("resize_nearest_neighbor_half_pixel", "tf.image.resize nearest [1, 5, 7, 3] -> 9x4",
                 single_op([(1, 5, 7, 3)], lambda x: tf.image.resize(x, (9, 4), method="nearest")),
                 expect("RESIZE_NEAREST_NEIGHBOR", halfPixelCenters=True)),
        op_model("resize_nearest_neighbor_align_corners", "align_corners [1, 5, 7, 3] -> 8x12",
                 single_op([(1, 5, 7, 3)], lambda x: tf.compat.v1.image.resize_nearest_neighbor(
                     x, (8, 12), align_corners=True)),
                 expect("RESIZE_NEAREST_NEIGHBOR", alignCorners=True)),
        op_model("resize_nearest_neighbor_legacy", "no align_corners, no half pixel, [1, 6, 5, 2] -> 4x11",
                 single_op([(1, 6, 5, 2)], lambda x: tf.raw_ops.ResizeNearestNeighbor(
                     images=x, size=(4, 11), align_corners=False, half_pixel_centers=False)),
                 expect("RESIZE_NEAREST_NEIGHBOR", alignCorners=False, halfPixelCenters=False)),
        op_model("resize_bilinear_half_pixel", "tf.image.resize bilinear [1, 5, 7, 3] -> 9x4",
                 single_op([(1, 5, 7, 3)], lambda x: tf.image.resize(x, (9, 4), method="bilinear")),
                 expect("RESIZE_BILINEAR", halfPixelCenters=True)),
        op_model("resize_bilinear_align_corners", "align_corners [1, 4, 6, 2] -> 7x11",
                 single_op([(1, 4, 6, 2)], lambda x: tf.compat.v1.image.resize_bilinear(
                     x, (7, 11), align_corners=True)),
                 expect("RESIZE_BILINEAR", alignCorners=True)),
        op_model("resize_bilinear_legacy", "neither option, [2, 6, 5, 2] -> 4x8",
                 single_op([(2, 6, 5, 2)], lambda x: tf.raw_ops.ResizeBilinear(
                     images=x, size=(4, 8), align_corners=False, half_pixel_centers=False)),
                 expect("RESIZE_BILINEAR", alignCorners=False, halfPixelCenters=False)),
        op_model("broadcast_to", "[1, 1, 6, 1] -> [2, 4, 6, 3] (MUL by ones patched back)",
                 single_op([(1, 1, 6, 1)], lambda x: tf.broadcast_to(x, (2, 4, 6, 3))),
                 expect("BROADCAST_TO"), patch=mul_by_ones_to_broadcast_to()),
        op_model("gather_axis1", "tf.gather indices (3, 0, 2, 2) on axis 1 of [1, 5, 6]",
                 single_op([(1, 5, 6)], lambda x: tf.gather(x, (3, 0, 2, 2), axis=1)),
                 expect("GATHER", axis=1)),
        op_model("gather_2d_indices_last_axis", "indices [[1, 0], [4, 4], [2, 3]] on the last axis of [2, 3, 5]",
                 single_op([(2, 3, 5)], lambda x: tf.gather(x, ((1, 0), (4, 4), (2, 3)), axis=-1)),
                 expect("GATHER")),
        op_model("gather_batch_dims1", "batch_dims 1, axis 2, indices [2, 3] on [2, 3, 4, 2]",
                 single_op([(2, 3, 4, 2)], lambda x: tf.gather(x, ((3, 0, 1), (2, 2, 0)), axis=2,
                                                               batch_dims=1)),
                 expect("GATHER", batchDims=1)),
        op_model("pack_axis1", "tf.stack of 3 [1, 4, 5] on axis 1",
                 single_op([(1, 4, 5)] * 3, lambda *xs: tf.stack(xs, axis=1)), expect("PACK", axis=1)),
        op_model("pack_last_axis", "tf.stack of 2 [2, 6] on axis -1",
                 single_op([(2, 6)] * 2, lambda *xs: tf.stack(xs, axis=-1)), expect("PACK")),
        op_model("reduce_max_axes_1_2", "tf.reduce_max over H and W of [1, 6, 5, 4]",
                 single_op([(1, 6, 5, 4)], lambda x: tf.reduce_max(x, axis=(1, 2))),
                 expect("REDUCE_MAX", keepDims=False)),
        op_model("reduce_min_keep_dims", "tf.reduce_min over the last axis, keepdims",
                 single_op([(1, 6, 8)], lambda x: tf.reduce_min(x, axis=-1, keepdims=True)),
                 expect("REDUCE_MIN", keepDims=True)),
        op_model("arg_max_last_axis", "tf.argmax over 10 classes of [2, 3, 10] (int32 output)",
                 single_op([(2, 3, 10)], lambda x: tf.argmax(x, axis=-1, output_type=tf.int32)),
                 expect("ARG_MAX"), output_dtype="INT32"),
        op_model("arg_min_axis1", "tf.argmin over H of [1, 6, 4, 3] (int32 output)",
                 single_op([(1, 6, 4, 3)], lambda x: tf.argmin(x, axis=1, output_type=tf.int32)),
                 expect("ARG_MIN"), output_dtype="INT32"),
        op_model("sum_axes_1_2", "tf.reduce_sum over H and W of [1, 3, 2, 6]",
                 single_op([(1, 3, 2, 6)], lambda x: tf.reduce_sum(x, axis=(1, 2))),
                 expect("SUM", keepDims=False)),
        op_model("sum_last_axis_keep_dims", "tf.reduce_sum over the last axis of [1, 6, 8], keepdims",
                 single_op([(1, 6, 8)], lambda x: tf.reduce_sum(x, axis=-1, keepdims=True)),
                 expect("SUM", keepDims=True)),
        op_model("gather_nd_rows", "tf.gather_nd indices [[1, 2], [0, 0], [2, 4]] on [3, 5, 4]",
                 single_op([(3, 5, 4)], lambda x: tf.gather_nd(x, ((1, 2), (0, 0), (2, 4)))),
                 expect("GATHER_ND")),
        op_model("gather_nd_elements", "tf.gather_nd full-depth indices [2, 2, 3] on [1, 4, 6]",
                 single_op([(1, 4, 6)], lambda x: tf.gather_nd(
                     x, (((0, 3, 5), (0, 0, 1)), ((0, 2, 2), (0, 1, 0))))),
                 expect("GATHER_ND")),
        op_model("expand_dims_axis1", "[1, 1, 16] -> [1, 1, 1, 16], batch and H dynamic",
                 with_unknown_dims(single_op([(1, 1, 16)], lambda x: tf.expand_dims(x, 1)), (0, 1)),
                 expect("EXPAND_DIMS")),
        op_model("expand_dims_last", "[1, 1, 16] -> [1, 1, 16, 1] (axis -1), batch and H dynamic",
                 with_unknown_dims(single_op([(1, 1, 16)], lambda x: tf.expand_dims(x, -1)), (0, 1)),
                 expect("EXPAND_DIMS")),
    ]
