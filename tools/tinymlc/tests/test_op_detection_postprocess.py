"""TFLite_Detection_PostProcess: options read from the flexbuffer map by key as TFLM's
Init does, what TFLM cannot run rejected naming the operator, and the generated code
bit-exact with TFLM over sequences of inferences (models/build_detection.py)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.codegen_support import build
from tests.model_builder import ModelBuilder
from tinymlc import hostbuild
from tinymlc.check import random_inputs
from tinymlc.codegen.pipeline import compile_model
from tinymlc.errors import CompileError
from tinymlc.frontend.tflite import parse_model
from tinymlc.ir import DType, OpKind
from tinymlc.ops import prepare_operator
from tinymlc.ops.detection_postprocess import (
    DEFAULT_DETECTIONS_PER_CLASS,
    DetectionPostProcessParams,
    read_options,
)
from tinymlc.passes.detection_postprocess import lower_detection_postprocess
from tinymlc.tflm_reference import REFERENCE_ARENA_BYTES

MODELS = Path(__file__).absolute().parents[3] / "models"
ZOO_MODELS = sorted(path.stem for path in MODELS.glob("op_detection_postprocess_*.tflite"))


def test_the_zoo_models_are_here() -> None:
    # The parametrized tests below run over these: none found would make them pass vacuously.
    assert ZOO_MODELS, f"no op_detection_postprocess_*.tflite in {MODELS}"


OPERATOR = "TFLite_Detection_PostProcess"


def _options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "max_detections": 3,
        "max_classes_per_detection": 1,
        "detections_per_class": 2,
        "use_regular_nms": False,
        "nms_score_threshold": 0.25,
        "nms_iou_threshold": 0.5,
        "num_classes": 2,
        "y_scale": 10.0,
        "x_scale": 10.0,
        "h_scale": 5.0,
        "w_scale": 5.0,
    }
    options.update(overrides)
    return {key: value for key, value in options.items() if value is not None}


def _model(options: dict[str, Any], boxes: int = 6, classes: int = 3, rows: int = 3) -> bytes:
    mb = ModelBuilder()
    encodings = mb.tensor("box_encodings", (1, boxes, 4), DType.FLOAT32)
    scores = mb.tensor("class_predictions", (1, boxes, classes), DType.FLOAT32)
    grid = [[(i + 0.5) / boxes, 0.5, 0.4, 0.4] for i in range(boxes)]
    anchors = mb.tensor("anchors", (boxes, 4), DType.FLOAT32, data=np.array(grid, np.float32))
    outputs = [
        mb.tensor("detection_boxes", (1, rows, 4), DType.FLOAT32),
        mb.tensor("detection_classes", (1, rows), DType.FLOAT32),
        mb.tensor("detection_scores", (1, rows), DType.FLOAT32),
        mb.tensor("num_detections", (1,), DType.FLOAT32),
    ]
    mb.custom(OPERATOR, [encodings, scores, anchors], outputs, options)
    return mb.build([encodings, scores], outputs)


def _layers(data: bytes) -> list[DetectionPostProcessParams]:
    graph = lower_detection_postprocess(parse_model(data, "m")).main
    layers = [prepare_operator(graph, index) for index in range(len(graph.operators))]
    assert all(isinstance(layer, DetectionPostProcessParams) for layer in layers)
    return [layer for layer in layers if isinstance(layer, DetectionPostProcessParams)]


def test_options_are_read_by_key_with_tflm_defaults() -> None:
    model = parse_model(_model(_options(detections_per_class=None, use_regular_nms=None)), "m")
    options = read_options(model.main.operators[0].attrs)
    assert options.detections_per_class == DEFAULT_DETECTIONS_PER_CLASS
    assert not options.use_regular_nms
    assert options.scales == (10.0, 10.0, 5.0, 5.0)
    assert options.nms_score_threshold == np.float32(0.25)


def test_flexbuffer_values_convert_as_tflm_reads_them() -> None:
    # AsInt32 truncates a float, AsFloat widens an int, AsBool tests for non-zero.
    data = _model(_options(max_detections=3.9, y_scale=10, use_regular_nms=1))
    options = read_options(parse_model(data, "m").main.operators[0].attrs)
    assert (options.max_detections, options.scales[0], options.use_regular_nms) == (3, 10.0, True)


def test_selection_then_four_output_layers_in_the_state_region() -> None:
    data = _model(_options())
    lowered = lower_detection_postprocess(parse_model(data, "m")).main
    assert [op.kind for op in lowered.operators] == [
        OpKind.DETECTION_POSTPROCESS_SELECT,
        OpKind.DETECTION_POSTPROCESS_BOXES,
        OpKind.DETECTION_POSTPROCESS_CLASSES,
        OpKind.DETECTION_POSTPROCESS_SCORES,
        OpKind.DETECTION_POSTPROCESS_COUNT,
    ]
    selection = lowered.operators[0].outputs[0]
    assert lowered.tensors[selection].shape == (1 + 3 * 3,)
    assert all(op.inputs[0] == selection for op in lowered.operators[1:])
    assert all(lowered.tensors[t].is_variable for t in lowered.outputs)
    select, boxes, *_ = _layers(data)
    assert boxes == DetectionPostProcessParams(
        output="Boxes",
        num_boxes=6,
        box_code_size=4,
        num_classes=2,
        num_classes_with_background=3,
        max_detections=3,
        max_classes_per_detection=1,
        detections_per_class=2,
        use_regular_nms=False,
        score_threshold=float(np.float32(0.25)),
        iou_threshold=0.5,
        scales=(10.0, 10.0, 5.0, 5.0),
    )
    assert select == replace(boxes, output=None)
    assert (select.scratch_bytes, boxes.scratch_bytes) == (4 * (6 * 6 + 5 * 6), 0)


def test_fast_suppression_with_several_classes_needs_tflm_spread_out_slots() -> None:
    # Two anchors selected, two classes each: TFLM writes slots 0, 3, 4 and 7.
    options = _options(max_detections=2, max_classes_per_detection=2)
    assert _layers(_model(options, rows=8))[0].slots == 8
    with pytest.raises(CompileError, match=f"{OPERATOR}.*writes up to 32"):
        compile_model(parse_model(_model(options, rows=4), "m"))


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (_options(nms_iou_threshold=0.0), "nms_iou_threshold 0.0 is outside"),
        (_options(nms_iou_threshold=None), "nms_iou_threshold 0.0 is outside"),
        (_options(use_regular_nms=True, detections_per_class=0), "detections_per_class is 0"),
        (_options(max_classes_per_detection=0), "max_classes_per_detection 0"),
        (_options(num_classes=1), "3 classes for num_classes 1"),
        (_options(max_detections=-1), "max_detections is -1"),
        (_options(max_detections=[1, 2]), "option 'max_detections' is a vector"),
        (_options(use_regular_nms=True, max_detections=4), "writes up to 16"),
    ],
)
def test_what_tflm_cannot_run_is_rejected_naming_the_operator(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(CompileError, match=f"{OPERATOR}(.|\n)*{reason}"):
        compile_model(parse_model(_model(options), "m"))


def test_quantized_inputs_are_rejected_as_tflm_fails_on_them() -> None:
    mb = ModelBuilder()
    encodings = mb.tensor("box_encodings", (1, 2, 4), DType.INT8, scale=0.1, zero_point=0)
    scores = mb.tensor("class_predictions", (1, 2, 3), DType.FLOAT32)
    anchors = mb.tensor("anchors", (2, 4), DType.FLOAT32, data=np.full((2, 4), 0.5, np.float32))
    outputs = [
        mb.tensor(n, s, DType.FLOAT32)
        for n, s in (("b", (1, 3, 4)), ("c", (1, 3)), ("s", (1, 3)), ("n", (1,)))
    ]
    mb.custom(OPERATOR, [encodings, scores, anchors], outputs, _options())
    with pytest.raises(CompileError, match="float32 only: dequantize first"):
        compile_model(parse_model(mb.build([encodings, scores], outputs), "m"))


def assert_sequence_matches(data: bytes, samples: int, slots: list[np.ndarray] | None = None) -> None:
    """Every output of every inference equals TFLM's, run in sequence on one arena and
    one interpreter (outputs TFLM leaves unwritten keep the last values). `slots`: per
    output, a mask of the values compared (others are TFLM's arena leftovers)."""
    from tflite_micro.python.tflite_micro import runtime  # noqa: PLC0415 -- test dependency

    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(data, Path(work))
        inputs = random_inputs(compiled, samples, seed=samples)
        ours = hostbuild.run_harness(binary, inputs)
    interpreter: Any = runtime.Interpreter.from_bytes(data, arena_size=REFERENCE_ARENA_BYTES)
    for index, (sample, result) in enumerate(zip(inputs, ours, strict=True)):
        for position, value in enumerate(sample):
            interpreter.set_input(value, position)
        interpreter.invoke()
        assert result.error is None, result.error
        for output, actual in enumerate(result.outputs):
            expected = np.asarray(interpreter.get_output(output), np.float32).reshape(-1)
            got = np.frombuffer(actual, np.float32)
            mask = np.ones(expected.shape, bool) if slots is None else slots[output]
            assert got[mask].tobytes() == expected[mask].tobytes(), f"inference {index} output {output}"


def model_bytes(name: str) -> bytes:
    path = MODELS / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return path.read_bytes()


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_generated_code_matches_tflm_over_a_sequence(name: str) -> None:
    assert_sequence_matches(model_bytes(name), samples=12)


def test_spread_out_slots_match_tflm_where_it_writes() -> None:
    # Every anchor kept (threshold -1) and no overlap suppressed (IoU threshold 1): two
    # anchors selected, their two classes at slots 0, 3, 4 and 7; the rest of TFLM's
    # outputs hold whatever its arena held.
    data = _model(
        _options(
            max_detections=2, max_classes_per_detection=2, nms_score_threshold=-1.0, nms_iou_threshold=1.0
        ),
        rows=8,
    )
    written = np.isin(np.arange(8), [0, 3, 4, 7])
    assert_sequence_matches(
        data, samples=6, slots=[np.repeat(written, 4), written, written, np.ones(1, bool)]
    )
