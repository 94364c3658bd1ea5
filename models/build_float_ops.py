"""Float32 micro-models of the operators whose float32 mode TFLite Micro runs besides
its float arithmetic (build_float.py): the data-movement operators (SLICE, SPLIT,
GATHER, the remapping ones, ...), which copy float32 values as they copy int8 ones,
the float forms of ARG_MAX / ARG_MIN, and TRANSPOSE_CONV, RESIZE_BILINEAR, ADD_N, CUMSUM,
L2_NORMALIZATION and SVDF (written directly: no converter emits SVDF) on TFLite Micro's float reference kernels.

Imported by build_models.py into `all_models()`. Inputs are drawn from N(0, 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

import build_models as bm
from build_data_ops import mul_by_ones_to_broadcast_to
from build_float import NO_TFLITE_REFERENCE
from build_i16 import transpose_conv_graph
from build_stateful import SvdfLayer, frame_sampler
from build_stateful import _Writer as Writer  # the flatbuffer writer of the SVDF models

FEATURE_MAP = (1, 6, 8, 6)


def float_op(name: str, description: str, shapes: list[tuple[int, ...]],
             fn: Callable[..., Any], op: str, output_dtype: str = "FLOAT32",
             **options: Any) -> bm.ModelSpec:
    """`op_float_<name>`: `fn` of float32 inputs, converted without quantization."""
    patch = options.pop("patch", None)
    tflite_unsupported = options.pop("tflite_unsupported", None)
    expectations = bm.ModelExpectations(
        required_ops=(bm.expect(op, **options),),
        only_required_ops=True,
        input_dtype="FLOAT32",
        output_dtype=output_dtype,
        integer_only=False,
    )
    return bm.ModelSpec(f"op_float_{name}", f"float32 {description}", bm.single_op(shapes, fn),
                        expectations, quantize=False, patch=patch, tflite_unsupported=tflite_unsupported)


def data_movement_models() -> list[bm.ModelSpec]:
    return [
        float_op("slice_4d", "tf.slice begin (0, 2, 1, 3) size (1, 3, -1, 2)", [FEATURE_MAP],
                 lambda x: tf.slice(x, (0, 2, 1, 3), (1, 3, -1, 2)), "SLICE"),
        float_op("split_axis3", "tf.split into 3 on the channels", [FEATURE_MAP],
                 lambda x: tf.split(x, 3, axis=3), "SPLIT"),
        float_op("split_v_axis2", "tf.split sizes (1, 5, 2) on W", [FEATURE_MAP],
                 lambda x: tf.split(x, (1, 5, 2), axis=2), "SPLIT_V"),
        float_op("unpack_axis1", "tf.unstack on H of [1, 3, 5, 4]", [(1, 3, 5, 4)],
                 lambda x: tf.unstack(x, axis=1), "UNPACK", axis=1),
        float_op("pack_axis1", "tf.stack of 3 [1, 4, 5] on axis 1", [(1, 4, 5)] * 3,
                 lambda *xs: tf.stack(xs, axis=1), "PACK", axis=1),
        float_op("gather_axis1", "tf.gather indices (3, 0, 2, 2) on axis 1 of [1, 5, 6]", [(1, 5, 6)],
                 lambda x: tf.gather(x, (3, 0, 2, 2), axis=1), "GATHER"),
        float_op("gather_nd_rows", "tf.gather_nd indices [[1, 2], [0, 0], [2, 4]] on [3, 5, 4]",
                 [(3, 5, 4)], lambda x: tf.gather_nd(x, ((1, 2), (0, 0), (2, 4))), "GATHER_ND"),
        float_op("depth_to_space_block2", "tf.nn.depth_to_space block 2 on [1, 4, 5, 12]",
                 [(1, 4, 5, 12)], lambda x: tf.nn.depth_to_space(x, 2), "DEPTH_TO_SPACE"),
        float_op("space_to_depth_block2", "tf.nn.space_to_depth block 2 on [1, 6, 4, 3]",
                 [(1, 6, 4, 3)], lambda x: tf.nn.space_to_depth(x, 2), "SPACE_TO_DEPTH"),
        float_op("space_to_batch_nd_padded", "block (2, 2), paddings ((1, 1), (2, 0)) on [1, 6, 6, 3]",
                 [(1, 6, 6, 3)], lambda x: tf.space_to_batch_nd(x, (2, 2), ((1, 1), (2, 0))),
                 "SPACE_TO_BATCH_ND"),
        float_op("batch_to_space_nd_cropped", "block (2, 2), crops ((0, 1), (1, 0)) on [4, 3, 3, 2]",
                 [(4, 3, 3, 2)], lambda x: tf.batch_to_space(x, (2, 2), ((0, 1), (1, 0))),
                 "BATCH_TO_SPACE_ND"),
        float_op("mirror_pad_reflect", "REFLECT pad H (2, 1), W (0, 2) of [1, 5, 4, 3]", [(1, 5, 4, 3)],
                 lambda x: tf.pad(x, ((0, 0), (2, 1), (0, 2), (0, 0)), mode="REFLECT"), "MIRROR_PAD"),
        float_op("broadcast_to", "[1, 1, 6, 1] -> [2, 4, 6, 3] (MUL by ones patched back)",
                 [(1, 1, 6, 1)], lambda x: tf.broadcast_to(x, (2, 4, 6, 3)), "BROADCAST_TO",
                 patch=mul_by_ones_to_broadcast_to()),
        float_op("resize_nearest_neighbor_half_pixel", "tf.image.resize nearest [1, 5, 7, 3] -> 9x4",
                 [(1, 5, 7, 3)], lambda x: tf.image.resize(x, (9, 4), method="nearest"),
                 "RESIZE_NEAREST_NEIGHBOR"),
        float_op("reverse_v2_axis1", "tf.reverse on H of [1, 5, 4, 3]", [(1, 5, 4, 3)],
                 lambda x: tf.reverse(x, (1,)), "REVERSE_V2"),
        float_op("arg_max_last_axis", "tf.argmax over 10 classes of [2, 3, 10] (int32 output)",
                 [(2, 3, 10)], lambda x: tf.argmax(x, axis=-1, output_type=tf.int32), "ARG_MAX",
                 output_dtype="INT32"),
        float_op("arg_min_axis1", "tf.argmin over H of [1, 6, 4, 3] (int32 output)", [(1, 6, 4, 3)],
                 lambda x: tf.argmin(x, axis=1, output_type=tf.int32), "ARG_MIN", output_dtype="INT32"),
    ]


def arithmetic_models() -> list[bm.ModelSpec]:
    def transpose_conv(name: str, input_shape: tuple[int, int, int], filters: int, padding: str,
                       use_bias: bool, activation: str = "NONE") -> bm.ModelSpec:
        expectations = bm.ModelExpectations(
            required_ops=(bm.expect("TRANSPOSE_CONV", padding=padding, strideH=2, strideW=2),),
            only_required_ops=True, input_dtype="FLOAT32", output_dtype="FLOAT32", integer_only=False)
        bias = "bias" if use_bias else "no bias"
        return bm.ModelSpec(
            f"op_float_transpose_conv_{name}",
            f"float32 3x3 TRANSPOSE_CONV, stride 2, {padding}, {bias}, {activation} on {list(input_shape)}",
            transpose_conv_graph(input_shape, filters, 3, 2, padding, use_bias, activation),
            expectations, quantize=False)

    return [
        transpose_conv("3x3_stride2_same_bias_relu", (5, 5, 4), 6, "SAME", True, "RELU"),
        transpose_conv("3x3_stride2_valid_no_bias", (4, 5, 3), 4, "VALID", False),
        float_op("resize_bilinear_half_pixel", "tf.image.resize bilinear [1, 5, 7, 3] -> 9x4",
                 [(1, 5, 7, 3)], lambda x: tf.image.resize(x, (9, 4), method="bilinear"),
                 "RESIZE_BILINEAR", halfPixelCenters=True),
        float_op("resize_bilinear_align_corners", "align_corners [1, 4, 6, 2] -> 7x11", [(1, 4, 6, 2)],
                 lambda x: tf.compat.v1.image.resize_bilinear(x, (7, 11), align_corners=True),
                 "RESIZE_BILINEAR", alignCorners=True),
        float_op("resize_bilinear_legacy", "neither option, [2, 6, 5, 2] -> 4x8", [(2, 6, 5, 2)],
                 lambda x: tf.raw_ops.ResizeBilinear(images=x, size=(4, 8), align_corners=False,
                                                     half_pixel_centers=False),
                 "RESIZE_BILINEAR", alignCorners=False, halfPixelCenters=False),
        float_op("add_n_three", "tf.math.add_n of 3 [1, 4, 6]", [(1, 4, 6)] * 3,
                 lambda *xs: tf.math.add_n(xs), "ADD_N"),
        float_op("cumsum_axis1", "tf.math.cumsum over H of [1, 6, 4, 3]", [(1, 6, 4, 3)],
                 lambda x: tf.math.cumsum(x, axis=1), "CUMSUM", tflite_unsupported=NO_TFLITE_REFERENCE),
        float_op("cumsum_exclusive_reverse", "exclusive, reverse tf.math.cumsum, last axis of [2, 3, 8]",
                 [(2, 3, 8)], lambda x: tf.math.cumsum(x, axis=-1, exclusive=True, reverse=True),
                 "CUMSUM", exclusive=True, reverse=True, tflite_unsupported=NO_TFLITE_REFERENCE),
        float_op("l2_normalization", "x / ||x|| over the last axis of [1, 4, 6]", [(1, 4, 6)],
                 lambda x: tf.math.l2_normalize(x, axis=-1), "L2_NORMALIZATION"),
    ]


def float_svdf(rng: np.random.Generator, batches: int, inputs: int, layer: SvdfLayer,
               activation: int) -> bytes:
    """One float32 SVDF layer (no converter emits SVDF): seeded weights, a bias, the
    state a variable tensor."""
    writer = Writer()
    filters = layer.units * layer.rank

    def tensor(name: str, shape: tuple[int, ...], data: np.ndarray | None = None,
               variable: bool = False) -> int:
        values = None if data is None else data.astype(np.float32)
        index = writer.tensor(name, shape, schema.TensorType.FLOAT32, 1.0, data=values, variable=variable)
        writer.graph.tensors[index].quantization = None
        return index

    x = tensor("input", (batches, inputs))
    operands = [
        x,
        tensor("svdf/weights_feature", (filters, inputs),
               rng.normal(0, 1 / np.sqrt(inputs), (filters, inputs))),
        tensor("svdf/weights_time", (filters, layer.memory),
               rng.normal(0, 1 / np.sqrt(layer.memory * layer.rank), (filters, layer.memory))),
        tensor("svdf/bias", (layer.units,), rng.normal(0, 0.1, layer.units)),
        tensor("svdf/state", (batches, layer.memory * filters), variable=True),
    ]
    output = tensor("svdf/output", (batches, layer.units))
    options = schema.SVDFOptionsT()
    options.rank = layer.rank
    options.fusedActivationFunction = activation
    writer.op(schema.BuiltinOperator.SVDF, operands, [output], schema.BuiltinOptions.SVDFOptions, options)
    return writer.finish([x], [output])


def svdf_models() -> list[bm.ModelSpec]:
    def svdf(name: str, description: str, batches: int, inputs: int, layer: SvdfLayer,
             activation: int) -> bm.ModelSpec:
        shape = (batches, inputs)
        expectations = bm.ModelExpectations(
            required_ops=(bm.expect("SVDF"),), only_required_ops=True, input_dtype="FLOAT32",
            output_dtype="FLOAT32", integer_only=False)
        return bm.ModelSpec(
            f"op_float_svdf_{name}", f"float32 SVDF {description}",
            lambda _rng: bm.Graph(forward=lambda x: x, inputs=[bm.GraphInput(shape, frame_sampler(shape))]),
            expectations, quantize=False,
            flatbuffer=lambda rng: float_svdf(rng, batches, inputs, layer, activation))

    activations = schema.ActivationFunctionType
    return [
        svdf("rank1", "rank 1, 8 units, memory 10", 1, 16, SvdfLayer(8, 1, 10), activations.NONE),
        svdf("rank2_batch2_relu", "rank 2, 2 batches, 6 units, memory 5, RELU", 2, 12, SvdfLayer(6, 2, 5),
             activations.RELU),
    ]


def float_op_models() -> list[bm.ModelSpec]:
    return data_movement_models() + arithmetic_models() + svdf_models()

