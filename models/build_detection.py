"""Micro-models of TFLite_Detection_PostProcess (SSD box decoding and non-max suppression).

The converter emits the operator only from TensorFlow's object-detection export, so the
flatbuffers are written directly: a custom operator named as TFLM registers it, its
options a flexbuffer map. Anchors are constant: a grid of centres, two box sizes at
each, so neighbouring and co-centred boxes overlap. TFLM's kernel reads float32 only:
the int8 models dequantize their inputs first, and their coarse score scale makes many
scores tie (TFLM breaks ties by anchor and candidate order).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from tensorflow.lite.python import schema_py_generated as schema

from build_models import Graph, GraphInput, ModelSpec
from build_signal import _SignalWriter
from inspect_models import ModelExpectations, OpExpectation

OPERATOR = "TFLite_Detection_PostProcess"


def grid_anchors(cells: int, sizes: tuple[float, ...]) -> np.ndarray:
    """[y, x, h, w] anchors: `cells` x `cells` centres, one anchor per size at each."""
    centres = (np.arange(cells) + 0.5) / cells
    return np.array([[y, x, s, s] for y in centres for x in centres for s in sizes], np.float32)


def detection_model(anchors: np.ndarray, classes: int, options: dict[str, Any], rows: int,
                    quantized: bool) -> bytes:
    """Box encodings [1, N, 4] and class predictions [1, N, classes] (float32, or int8
    then DEQUANTIZE) -> TFLite_Detection_PostProcess with `rows` detection slots."""
    writer = _SignalWriter()
    f32 = schema.TensorType.FLOAT32
    boxes_count = len(anchors)

    def float_tensor(name: str, shape: tuple[int, ...], data: np.ndarray | None = None) -> int:
        return writer.tensor_int(name, shape, f32, data)

    if quantized:
        # Encodings over about [-2, 2] in steps of 1/64; scores over [0, 1] in steps of 1/8.
        box_q = writer.tensor("box_encodings_q", (1, boxes_count, 4), schema.TensorType.INT8, 1 / 64, 0)
        score_q = writer.tensor("class_predictions_q", (1, boxes_count, classes), schema.TensorType.INT8,
                                1 / 8, -128)
        box = float_tensor("box_encodings", (1, boxes_count, 4))
        score = float_tensor("class_predictions", (1, boxes_count, classes))
        writer.op(schema.BuiltinOperator.DEQUANTIZE, [box_q], [box])
        writer.op(schema.BuiltinOperator.DEQUANTIZE, [score_q], [score])
        inputs = [box_q, score_q]
    else:
        box = float_tensor("box_encodings", (1, boxes_count, 4))
        score = float_tensor("class_predictions", (1, boxes_count, classes))
        inputs = [box, score]
    anchor_tensor = float_tensor("anchors", (boxes_count, 4), anchors)
    outputs = [
        float_tensor("detection_boxes", (1, rows, 4)),
        float_tensor("detection_classes", (1, rows)),
        float_tensor("detection_scores", (1, rows)),
        float_tensor("num_detections", (1,)),
    ]
    writer.custom(OPERATOR, [box, score, anchor_tensor], outputs, options)
    return writer.finish(inputs, outputs)


def options(max_detections: int, classes: int, regular: bool, *, classes_per_detection: int = 1,
            per_class: int = 3, score_threshold: float = 0.3, iou_threshold: float = 0.5) -> dict[str, Any]:
    return {
        "max_detections": max_detections,
        "max_classes_per_detection": classes_per_detection,
        "detections_per_class": per_class,
        "use_regular_nms": regular,
        "nms_score_threshold": score_threshold,
        "nms_iou_threshold": iou_threshold,
        "num_classes": classes,
        "y_scale": 10.0,
        "x_scale": 10.0,
        "h_scale": 5.0,
        "w_scale": 5.0,
    }


def _sampler(shape: tuple[int, ...], quantized: bool) -> Callable[[np.random.Generator], np.ndarray]:
    if quantized:
        return lambda rng: rng.integers(-128, 128, shape).astype(np.int8)
    return lambda rng: rng.uniform(-1, 1, shape).astype(np.float32)


def detection_spec(name: str, description: str, anchors: np.ndarray, classes: int,
                   opts: dict[str, Any], rows: int, quantized: bool = False) -> ModelSpec:
    shapes = [(1, len(anchors), 4), (1, len(anchors), classes)]
    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(shape, _sampler(shape, quantized)) for shape in shapes])
    ops = (OpExpectation(f"CUSTOM({OPERATOR})"),) + ((OpExpectation("DEQUANTIZE"),) if quantized else ())
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=ops, only_required_ops=True,
                          input_dtype="INT8" if quantized else "FLOAT32", output_dtype="FLOAT32",
                          integer_only=False),
        flatbuffer=lambda _rng: detection_model(anchors, classes, opts, rows, quantized), tflm_only=True)


def detection_models() -> list[ModelSpec]:
    grid = grid_anchors(3, (0.3, 0.45))  # 18 anchors
    large_grid = grid_anchors(4, (0.3, 0.45))  # 32: suppression sorts them by merge sort
    return [
        detection_spec("op_detection_postprocess_fast", "TFLite_Detection_PostProcess, fast suppression: "
                       "18 anchors, 3 classes and background, 6 detections", grid, 4,
                       options(6, 3, False), 6),
        detection_spec("op_detection_postprocess_regular", "TFLite_Detection_PostProcess, regular "
                       "suppression per class: 18 anchors, 3 classes without background, 3 per class, "
                       "8 detections", grid, 3, options(8, 3, True), 8),
        detection_spec("op_detection_postprocess_regular_int8", "DEQUANTIZE of int8 encodings and scores "
                       "(scores in eighths: many ties), then TFLite_Detection_PostProcess, regular "
                       "suppression: 32 anchors, 2 classes and background, 4 per class, 5 detections",
                       large_grid, 3, options(5, 2, True, per_class=4, score_threshold=0.1), 5, quantized=True),
        detection_spec("op_detection_postprocess_fast_int8", "DEQUANTIZE of int8 encodings and scores "
                       "(ties), then TFLite_Detection_PostProcess, fast suppression with IoU threshold "
                       "0.3: 32 anchors, 2 classes and background, 10 detections", large_grid, 3,
                       options(10, 2, False, score_threshold=0.0, iou_threshold=0.3), 10, quantized=True),
    ]
