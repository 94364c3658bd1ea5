"""TFLite_Detection_PostProcess: SSD box decoding and non-max suppression
(tensorflow/lite/micro/kernels/detection_postprocess.cc).

The custom operator's options are a flexbuffer map that TFLM's Init reads by key. It
becomes five layers (`passes.detection_postprocess`): one decoding the boxes and running
the suppression into an int32 selection of detections, and one per output (boxes,
classes, scores, number of detections) writing it from the selection.
TFLM's kernel reads every input as float32 and writes float32; it checks shapes partly
in Prepare and partly in Eval, and writes past the end of an output that is too small:
everything static that would make TFLM fail or write out of bounds is rejected here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc.errors import OpError
from tinymlc.ir import NO_TENSOR, CustomOptionsAttrs, DType, OpKind, Tensor
from tinymlc.ops._common import OpView, require, require_arity, require_dtype

OUTPUT_NAMES: dict[OpKind, str] = {
    OpKind.DETECTION_POSTPROCESS_BOXES: "Boxes",
    OpKind.DETECTION_POSTPROCESS_CLASSES: "Classes",
    OpKind.DETECTION_POSTPROCESS_SCORES: "Scores",
    OpKind.DETECTION_POSTPROCESS_COUNT: "Count",
}
"""Each output's layer kind (in output order) -> the kernel's `DetectionOutput`."""

DEFAULT_DETECTIONS_PER_CLASS = 100
"""TFLM's `kNumDetectionsPerClass`, used when the options have no `detections_per_class`."""


@dataclass(frozen=True)
class DetectionOptions:
    """The options TFLM's Init reads (flexbuffer `AsInt32`/`AsFloat`/`AsBool`)."""

    max_detections: int
    max_classes_per_detection: int
    detections_per_class: int
    use_regular_nms: bool
    nms_score_threshold: float
    nms_iou_threshold: float
    num_classes: int
    scales: tuple[float, float, float, float]
    """y_scale, x_scale, h_scale, w_scale."""


def _value(attrs: CustomOptionsAttrs, key: str) -> int | float | bool | None:
    """The option `key` (None when absent: flexbuffers' null, which reads as 0)."""
    if key not in attrs.keys:
        return None
    value = attrs.values[attrs.keys.index(key)]
    if isinstance(value, tuple):
        raise OpError(f"option '{key}' is a vector, expected a number", "re-export the model")
    return value


def _int32(attrs: CustomOptionsAttrs, key: str, absent: int = 0) -> int:
    value = _value(attrs, key)
    if value is None:
        return absent
    if isinstance(value, float) and not np.isfinite(value):
        raise OpError(f"option '{key}' is {value}, expected an integer", "re-export the model")
    wrapped = int(value) & 0xFFFFFFFF
    return wrapped - (1 << 32) if wrapped >= 1 << 31 else wrapped


def _float32(attrs: CustomOptionsAttrs, key: str) -> float:
    value = _value(attrs, key)
    return float(np.float32(0.0 if value is None else value))


def _bool(attrs: CustomOptionsAttrs, key: str) -> bool:
    value = _value(attrs, key)
    return bool(value) if value is not None else False


def read_options(attrs: object) -> DetectionOptions:
    """The operator's options as TFLM's Init reads them from the flexbuffer map."""
    if not isinstance(attrs, CustomOptionsAttrs):
        raise OpError("has no custom options (a flexbuffer map)", "re-export the model")
    return DetectionOptions(
        max_detections=_int32(attrs, "max_detections"),
        max_classes_per_detection=_int32(attrs, "max_classes_per_detection"),
        detections_per_class=_int32(attrs, "detections_per_class", DEFAULT_DETECTIONS_PER_CLASS),
        use_regular_nms=_bool(attrs, "use_regular_nms"),
        nms_score_threshold=_float32(attrs, "nms_score_threshold"),
        nms_iou_threshold=_float32(attrs, "nms_iou_threshold"),
        num_classes=_int32(attrs, "num_classes"),
        scales=(
            _float32(attrs, "y_scale"),
            _float32(attrs, "x_scale"),
            _float32(attrs, "h_scale"),
            _float32(attrs, "w_scale"),
        ),
    )


@dataclass(frozen=True)
class DetectionPostProcessParams:
    """One of the operator's layers: the kernel's `DetectionPostProcessParams`, and
    which output the layer writes."""

    output: str | None
    """The kernel's `DetectionOutput` the layer writes (`OUTPUT_NAMES`), or None for the
    layer selecting the detections."""
    num_boxes: int
    """Box encodings' dims[1] (anchors)."""
    box_code_size: int
    """Box encodings' dims[2] (TFLM reads the first 4 values of each)."""
    num_classes: int
    num_classes_with_background: int
    """Class predictions' dims[2]; label_offset = this - num_classes."""
    max_detections: int
    max_classes_per_detection: int
    detections_per_class: int
    use_regular_nms: bool
    score_threshold: float
    iou_threshold: float
    scales: tuple[float, float, float, float]

    @property
    def float_scratch(self) -> int:
        """f32 scratch elements (the kernel's `float_scratch`)."""
        return 6 * self.num_boxes + self._regular_scratch

    @property
    def int_scratch(self) -> int:
        """i32 scratch elements (the kernel's `int_scratch`)."""
        return 5 * self.num_boxes + self._regular_scratch

    @property
    def _regular_scratch(self) -> int:
        if not self.use_regular_nms:
            return 0
        candidates = self.max_detections + min(self.num_boxes, self.detections_per_class)
        return candidates + self.max_detections

    @property
    def scratch_bytes(self) -> int:
        """The selecting layer's scratch (the output layers take none)."""
        return 4 * (self.float_scratch + self.int_scratch) if self.output is None else 0

    @property
    def selection_length(self) -> int:
        """int32 elements of the selection (the kernel's `selection_len`): the count,
        then anchor, class and score bits of each detection TFLM can write."""
        return _selection_length(
            self.num_boxes,
            self.max_detections,
            self.max_classes_per_detection,
            self.num_classes,
            self.use_regular_nms,
        )

    @property
    def slots(self) -> int:
        """Detection slots TFLM may write (the highest slot index plus one): all
        `max_detections` in regular mode; in fast mode, for the most anchors it can
        select, each anchor's classes at TFLM's spread-out offsets."""
        if self.use_regular_nms:
            return self.max_detections
        selected = min(self.num_boxes, self.max_detections)
        per_anchor = min(self.max_classes_per_detection, self.num_classes)
        if selected == 0:
            return 0
        last = per_anchor * (selected * per_anchor - 1) + per_anchor - 1
        return last + 1


def selection_length(box_encodings: Tensor, attrs: object) -> int:
    """The selection's length for the operator's options and box encodings, or 1 where
    they are malformed (the selecting layer's prepare then says why)."""
    try:
        options = read_options(attrs)
    except OpError:
        return 1
    boxes = box_encodings.shape[1] if len(box_encodings.shape) == 3 else 0
    return _selection_length(
        boxes,
        options.max_detections,
        options.max_classes_per_detection,
        options.num_classes,
        options.use_regular_nms,
    )


def _selection_length(
    boxes: int, max_detections: int, classes_per_detection: int, classes: int, regular: bool
) -> int:
    """1 (the count) + 3 (anchor, class, score) x the most detections TFLM can write."""
    most = max_detections if regular else min(boxes, max_detections) * min(classes_per_detection, classes)
    return 1 + 3 * max(most, 0)


def prepare_unlowered(view: OpView) -> DetectionPostProcessParams:
    """The operator as parsed: only reached when it is malformed or in a subgraph (the
    lowering splits every main-graph operator of 3 inputs and 4 present outputs)."""
    require_arity(view, (3,), outputs=4)
    require(NO_TENSOR not in view.op.outputs, "every output must be present", "re-export the model")
    # TFLM leaves the slots past the detections unwritten: in a subgraph they would hold
    # whatever TFLM's memory plan put there last, which may be another subgraph's tensor.
    raise OpError(
        "is in a subgraph run by IF or WHILE, where the output slots TFLM leaves unwritten "
        "depend on its memory plan; not supported",
        "run it in the main graph",
    )


def prepare(view: OpView) -> DetectionPostProcessParams:
    """The selecting layer (inputs: box encodings, class predictions, anchors) or an
    output layer (inputs: the selection, then those three)."""
    selecting = view.op.kind is OpKind.DETECTION_POSTPROCESS_SELECT
    first = 0 if selecting else 1
    require_arity(view, (first + 3,))
    options = read_options(view.op.attrs)
    boxes, classes, anchors = view.input(first), view.input(first + 1), view.input(first + 2)
    output = view.output()
    for tensor, role in ((boxes, "box encodings"), (classes, "class predictions"), (anchors, "anchors")):
        require_dtype(tensor, [DType.FLOAT32], f"{role} (TFLM's kernel reads float32 only: dequantize first)")
    selection = output if selecting else view.input(0)
    require_dtype(selection, [DType.INT32], "selection")
    if not selecting:
        require_dtype(output, [DType.FLOAT32], "output (TFLM writes float32)")
    require(len(boxes.shape) == 3, f"box encodings must be 3-D, are {len(boxes.shape)}-D", "", boxes)
    require(
        len(classes.shape) == 3, f"class predictions must be 3-D, are {len(classes.shape)}-D", "", classes
    )
    require(len(anchors.shape) == 2, f"anchors must be 2-D, are {len(anchors.shape)}-D", "", anchors)
    num_boxes = boxes.shape[1]
    require(boxes.shape[0] == 1 and classes.shape[0] == 1, "batch must be 1 (TFLM's kBatchSize)", "", boxes)
    require(boxes.shape[2] >= 4, f"box encodings have {boxes.shape[2]} values per box, need 4", "", boxes)
    require(
        classes.shape[1] == num_boxes,
        f"class predictions cover {classes.shape[1]} anchors, box encodings {num_boxes}",
        "",
        classes,
    )
    require(
        anchors.num_elements >= 4 * num_boxes,
        f"anchors hold {anchors.num_elements} values, TFLM reads 4 per anchor ({4 * num_boxes})",
        "",
        anchors,
    )
    with_background = classes.shape[2]
    require(
        options.num_classes <= with_background <= options.num_classes + 1,
        f"class predictions have {with_background} classes for num_classes {options.num_classes} "
        "(TFLM allows num_classes or one more, the background)",
        "set num_classes to the classes predicted",
        classes,
    )
    require(options.max_detections >= 0, f"max_detections is {options.max_detections}", "make it >= 0")
    iou = options.nms_iou_threshold
    iou_checked = not options.use_regular_nms or options.num_classes > 0
    require(
        not iou_checked or 0.0 < iou <= 1.0,
        f"nms_iou_threshold {iou} is outside (0, 1], where TFLM's suppression fails",
        "set nms_iou_threshold in (0, 1]",
    )
    if options.use_regular_nms:
        require(
            options.detections_per_class > 0,
            f"detections_per_class is {options.detections_per_class}; TFLM's regular suppression fails",
            "make it positive",
        )
    else:
        require(
            options.max_classes_per_detection > 0 and options.num_classes > 0,
            f"max_classes_per_detection {options.max_classes_per_detection} and num_classes "
            f"{options.num_classes} must be positive for fast suppression (TFLM fails or reads "
            "an unset class index)",
            "make both positive",
        )
    params = DetectionPostProcessParams(
        output=None if selecting else OUTPUT_NAMES[view.op.kind],
        num_boxes=num_boxes,
        box_code_size=boxes.shape[2],
        num_classes=options.num_classes,
        num_classes_with_background=with_background,
        max_detections=options.max_detections,
        max_classes_per_detection=options.max_classes_per_detection,
        detections_per_class=options.detections_per_class,
        use_regular_nms=options.use_regular_nms,
        score_threshold=options.nms_score_threshold,
        iou_threshold=iou,
        scales=options.scales,
    )
    require(
        selection.num_elements == params.selection_length,
        f"selection holds {selection.num_elements} values, expected {params.selection_length}",
        "",
        selection,
    )
    if params.output is None:
        return params
    needed = {"Boxes": 4 * params.slots, "Count": 1}.get(params.output, params.slots)
    require(
        output.num_elements >= needed,
        f"{params.output.lower()} output holds {output.num_elements} values, but TFLM writes up to {needed} "
        "(past its end)",
        "size the output for max_detections x max_classes_per_detection detections",
        output,
    )
    return params
